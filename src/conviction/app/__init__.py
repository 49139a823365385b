"""The application layer: the workflows the faces (CLI, web app, report) share.

Each workflow reads the store or files, runs the pure core and returns a result object;
nothing here prints or renders. The JSON of every result comes from ``app.answers``.

- ``answers``: one pydantic model per result dataclass (generated, cached); ``to_json``.
- ``book``: ``open_book``, the date/account/period defaults, the book's reference data.
- ``reads``: status, history, reviews, gains, private holdings, with their input checks.
- ``runs``: a projection, policies compared on its paths, backtests.
- ``report``: what a report needs, gathered (``conviction.report`` only renders it).
- ``details``, ``policy_answers``, ``projection_answers``: answers that combine several
  core results (a company's page, a backtest, a comparison, a projection of the book).

Modules are imported where used, so ``import conviction.app`` costs nothing.
"""
