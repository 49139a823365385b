"""Gathering what a report shows: the stored book and theses, and the files it names.

This is the edge of the report (it reads the database and files; it writes nothing): the
CLI and the web app both call :func:`gather`, so they show the same report. Long work
(the projection, the backtests) reports through ``progress`` callbacks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from conviction.book.model import Book
from conviction.errors import ConvictionError, DataError
from conviction.ledger.status import status
from conviction.projection.result import ProjectionResult
from conviction.report.data import PolicyLine, ReportData, policy_line, report_data

__all__ = ["ReportRequest", "StepFn", "folder_inputs", "gather", "run_projection"]

#: step(name, done, total): progress of one named piece of work.
StepFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ReportRequest:
    """What to put in a report besides the book: all optional."""

    as_of: dt.date | None = None
    benchmark: Path | None = None
    benchmark_name: str | None = None
    projection: Path | None = None
    paths: int | None = None
    seed: int | None = None
    policies: tuple[Path, ...] = field(default_factory=tuple)


def folder_inputs(folder: Path) -> tuple[Path | None, tuple[Path, ...]]:
    """The first projection a book folder's TOML names, and its ``policies/*.toml``."""
    from conviction.io.book_reader import find_book_toml
    from conviction.io.book_toml import read_book_toml

    toml = find_book_toml(folder)
    spec = read_book_toml(toml)
    projection = spec.projections[0] if spec.projections else None
    policies = tuple(sorted((toml.parent / "policies").glob("*.toml")))
    return projection, policies


def run_projection(
    book: Book,
    path: Path,
    *,
    as_of: dt.date | None = None,
    paths: int | None = None,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ProjectionResult:
    """Run the projection in ``path`` on the book's values on ``as_of``."""
    from conviction.io.projection_toml import Overrides, read_projection
    from conviction.projection import Projection

    st = status(book, as_of)
    spec = read_projection(
        path,
        book=book,
        start_values={c.company: c.value for c in st.by_company},
        overrides=Overrides(paths=paths, seed=seed),
    )
    return Projection(spec).run(progress=progress)


def _policies(book: Book, files: Sequence[Path], step: StepFn | None) -> list[PolicyLine]:
    from conviction.io.policy_toml import read_policy
    from conviction.policies.history import Backtest, backtest

    lines = []
    for i, file in enumerate(files):
        policy = read_policy(file)  # a bad file is the user's error: let it raise
        try:
            result: Backtest | str = backtest(book, policy)
        except ConvictionError as exc:  # the book cannot carry this policy: say so
            result = str(exc)
        lines.append(policy_line(policy.name, policy.description, result))
        if step is not None:
            step("policies", i + 1, len(files))
    return lines


def gather(
    engine: Engine,
    request: ReportRequest,
    *,
    projection: ProjectionResult | None = None,
    step: StepFn | None = None,
    generated: str = "",
) -> ReportData:
    """Read the book and theses from ``engine``, run what ``request`` names, assemble.

    A ``projection`` already run (the web app's cached job) is used instead of running
    ``request.projection`` again.
    """
    from conviction.io.prices import read_price_csv
    from conviction.store import read_book
    from conviction.store.theses_tables import read_theses

    book = read_book(engine)
    with engine.connect() as conn:
        stored = read_theses(conn)
    as_of = request.as_of or book.meta.as_of
    if as_of is None:
        raise DataError("give a date (--as-of): the book sets no as_of")
    benchmark = None
    if request.benchmark is not None:
        benchmark = read_price_csv(request.benchmark)
        benchmark.name = request.benchmark_name or request.benchmark.stem
    if projection is None and request.projection is not None:

        def on_paths(done: int, total: int) -> None:
            if step is not None:
                step("projection", done, total)

        projection = run_projection(
            book,
            request.projection,
            as_of=as_of,
            paths=request.paths,
            seed=request.seed,
            progress=on_paths,
        )
    lines = _policies(book, request.policies, step)

    def on_data(done: int, total: int, what: str) -> None:
        if step is not None:
            step("report", done, total)

    return report_data(
        book,
        as_of,
        theses=stored.theses,
        scorecards=stored.scorecards,
        settings=stored.review,
        benchmark=benchmark,
        projection=projection,
        projection_name=request.projection.name if request.projection else None,
        policies=lines,
        generated=generated,
        progress=on_data,
    )
