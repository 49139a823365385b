"""The application layer: the workflows the faces (CLI, web app, report) share.

Each workflow reads the store or files, runs the pure core and returns its result object;
nothing here prints or renders. The JSON of every result comes from ``app.answers``.
Modules are imported where used, so ``import conviction.app`` costs nothing.
"""
