"""The projections for a notebook: ``conviction.project`` and ``conviction.compare``.

The CLI's ``project`` and ``compare`` take a database and options; these take a book (from
``conviction.read_book`` or the store) and the files, and answer the same typed reports as
``--json`` prints (:class:`~conviction.app.projection_answers.ProjectionReport`,
:class:`~conviction.app.policy_answers.ComparisonReport`), each with ``to_frame()`` and an
HTML view for Jupyter. They run in this process unless ``workers`` or ``scheduler`` say
otherwise (a notebook's kernel forks badly).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conviction.app.policy_answers import ComparisonReport
    from conviction.app.projection_answers import ProjectionReport
    from conviction.book.model import Book
    from conviction.policies.spec import Policy

__all__ = ["compare", "project"]


def project(
    book: Book,
    config: str | Path,
    *,
    as_of: dt.date | None = None,
    paths: int | None = None,
    seed: int | None = None,
    target_multiple: float | None = None,
    workers: int | None = 1,
    scheduler: str | None = None,
) -> ProjectionReport:
    """``conviction project``'s answer: the projection file ``config`` run from the book's
    values on ``as_of`` (default: the book's date); ``paths``, ``seed`` and
    ``target_multiple`` override the file's."""
    from conviction.app.projection_answers import projection_report
    from conviction.app.runs import project_book
    from conviction.io.projection_toml import Overrides

    run = project_book(
        book,
        Path(config),
        as_of=as_of,
        overrides=Overrides(paths=paths, seed=seed, target_multiple=target_multiple),
        workers=workers,
        scheduler=scheduler,
    )
    return projection_report(run)


def compare(
    book: Book,
    config: str | Path,
    policies: Sequence[str | Path | Policy],
    *,
    as_of: dt.date | None = None,
    paths: int | None = None,
    seed: int | None = None,
    target_multiple: float | None = None,
    workers: int | None = 1,
    scheduler: str | None = None,
) -> ComparisonReport:
    """``conviction compare``'s answer: each policy (a policy TOML, or a ``Policy``) on the
    same projected paths of the book."""
    from conviction.app.policy_answers import comparison_report
    from conviction.app.runs import compare_policies
    from conviction.io.policy_toml import read_policy
    from conviction.io.projection_toml import Overrides

    chosen = [p if not isinstance(p, str | Path) else read_policy(p) for p in policies]
    compared = compare_policies(
        book,
        Path(config),
        chosen,
        as_of=as_of,
        overrides=Overrides(paths=paths, seed=seed, target_multiple=target_multiple),
        workers=workers,
        scheduler=scheduler,
    )
    return comparison_report(compared)
