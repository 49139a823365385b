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
from conviction.report.data import (
    PolicyLine,
    PolicyOutcome,
    ReportData,
    policy_line,
    policy_outcome,
    report_data,
)

__all__ = [
    "ReportRequest",
    "StepFn",
    "compare_policies",
    "folder_inputs",
    "gather",
    "run_projection",
]

#: step(name, done, total): progress of one named piece of work.
StepFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ReportRequest:
    """What to put in a report besides the book: all optional. With a projection and
    policies, the policies also run on the projection's paths: ``compare_paths`` of them,
    or ``paths`` when that is fewer."""

    as_of: dt.date | None = None
    benchmark: Path | None = None
    benchmark_name: str | None = None
    projection: Path | None = None
    paths: int | None = None
    seed: int | None = None
    policies: tuple[Path, ...] = field(default_factory=tuple)
    compare_paths: int = 10_000


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


def compare_policies(
    book: Book,
    spec_path: Path,
    files: Sequence[Path],
    *,
    as_of: dt.date,
    paths: int | None = None,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[PolicyOutcome]:
    """Every policy on the same projected paths of the book (``conviction compare``)."""
    from conviction.io.policy_toml import read_policy
    from conviction.io.projection_toml import Overrides, read_projection
    from conviction.policies.simulate import compare_on_paths, simulation_inputs
    from conviction.projection import iter_paths

    policies = [read_policy(f) for f in files]
    spec = read_projection(spec_path, book=book, overrides=Overrides(paths=paths, seed=seed))
    inputs = simulation_inputs(
        book,
        spec.companies,
        as_of=as_of,
        steps=spec.n_steps,
        steps_per_year=spec.steps_per_year,
        mark_every=spec.mark_every_steps,
    )
    summaries = compare_on_paths(
        policies,
        (block.multiples for block in iter_paths(spec)),
        inputs,
        targets=(spec.target_multiple,),
        progress=None if progress is None else (lambda _, done: progress(done, spec.paths)),
    )
    return [policy_outcome(s) for s in summaries]


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


def _last_date(book: Book) -> dt.date | None:
    """A book without ``as_of`` is reported on its last recorded day."""
    import numpy as np

    seen = np.concatenate(
        [
            book.marks["date"].to_numpy().astype("datetime64[D]"),
            book.transactions["date"].to_numpy().astype("datetime64[D]"),
        ]
    )
    return None if not seen.size else dt.date.fromisoformat(str(seen.max()))


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
    as_of = request.as_of or book.meta.as_of or _last_date(book)
    if as_of is None:
        raise DataError("the book has no transactions or marks to report on")
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
    outcomes: list[PolicyOutcome] = []
    if request.projection is not None and request.policies:
        n = (
            request.compare_paths
            if request.paths is None
            else min(request.paths, request.compare_paths)
        )

        def on_compare(done: int, total: int) -> None:
            if step is not None:
                step("compare", done, total)

        outcomes = compare_policies(
            book,
            request.projection,
            request.policies,
            as_of=as_of,
            paths=n,
            seed=request.seed,
            progress=on_compare,
        )

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
        outcomes=outcomes,
        generated=generated,
        progress=on_data,
    )
