"""A report's workflow: read the stored book and theses, run what the request names
(the projection, the policies on history and on the projection's paths), assemble.

The CLI (``conviction report``) and the web app (``/report``) both call :func:`gather`,
so they show the same report; ``conviction.report`` only renders what this returns. Long
work reports through ``step(name, done, total)`` callbacks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from conviction.projection.result import ProjectionResult
from conviction.report.data import PolicyOutcome, ReportData, policy_outcome, report_data

if TYPE_CHECKING:
    from conviction.app.scenario_runs import ScenarioReport
    from conviction.app.sensitivity_runs import SensitivityAnswer
    from conviction.book.model import Book

__all__ = ["ReportRequest", "StepFn", "folder_inputs", "gather"]

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
    theses: Path | None = None  # a theses file with milestone effects: the track (needs projection)
    sensitivity: bool = False  # the tornado and Sobol indices of the projection (needs projection)
    scenarios: tuple[str, ...] = ()  # [[scenario]] names run beside the base (needs projection)


def folder_inputs(folder: Path) -> tuple[Path | None, tuple[Path, ...]]:
    """The first projection a book folder's TOML names, and its ``policies/*.toml``."""
    from conviction.io.book_reader import find_book_toml
    from conviction.io.book_toml import read_book_toml

    toml = find_book_toml(folder)
    spec = read_book_toml(toml)
    projection = spec.projections[0] if spec.projections else None
    policies = tuple(sorted((toml.parent / "policies").glob("*.toml")))
    return projection, policies


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
    from conviction.app.book import HOLDINGS, LOTS, open_book, report_date
    from conviction.app.runs import backtest_lines, compare_policies, project_book
    from conviction.io.policy_toml import read_policy
    from conviction.io.prices import read_price_csv
    from conviction.io.projection_toml import Overrides
    from conviction.store.theses_tables import read_theses

    book = open_book(engine, kernels=(*LOTS, *HOLDINGS)).book
    with engine.connect() as conn:
        stored = read_theses(conn)
    as_of = report_date(book, request.as_of)
    benchmark = None
    if request.benchmark is not None:
        benchmark = read_price_csv(request.benchmark)
        benchmark.name = request.benchmark_name or request.benchmark.stem
    if projection is None and request.projection is not None:

        def on_paths(done: int, total: int) -> None:
            if step is not None:
                step("projection", done, total)

        projection = project_book(
            book,
            request.projection,
            as_of=as_of,
            overrides=Overrides(paths=request.paths, seed=request.seed),
            progress=on_paths,
        ).result

    def on_policies(done: int, total: int) -> None:
        if step is not None:
            step("policies", done, total)

    lines = backtest_lines(book, request.policies, progress=on_policies)
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

        compared = compare_policies(
            book,
            request.projection,
            [read_policy(f) for f in request.policies],
            as_of=as_of,
            overrides=Overrides(paths=n, seed=request.seed),
            progress=on_compare,
        )
        outcomes = [policy_outcome(s) for s in compared.summaries]

    track = None
    if request.projection is not None and request.theses is not None:
        from conviction.app.track_runs import track_book
        from conviction.io.theses_toml import read_theses_file

        def on_track(done: int, total: int) -> None:
            if step is not None:
                step("track", done, total)

        from conviction.theses.effects import with_updates

        found = read_theses_file(request.theses, book.companies, book.persons)
        track = track_book(
            book,
            request.projection,
            with_updates(found.theses, stored.theses),
            theses_file=str(request.theses),
            as_of=as_of,
            overrides=Overrides(paths=request.paths, seed=request.seed),
            progress=on_track,
        )

    sensitivity, scenarios = _sensitivity_and_scenarios(book, request, as_of, step)

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
        track=track,
        sensitivity=sensitivity,
        scenarios=scenarios,
    )


def _sensitivity_and_scenarios(
    book: Book, request: ReportRequest, as_of: dt.date, step: StepFn | None
) -> tuple[SensitivityAnswer | None, ScenarioReport | None]:
    """The tornado and the scenarios ``request`` asks for, on the report's projection."""
    from conviction.io.projection_toml import Overrides

    if request.projection is None:
        return None, None
    overrides = Overrides(paths=request.paths, seed=request.seed)
    sensitivity = None
    if request.sensitivity:
        from conviction.app.sensitivity_runs import sensitivity_answer, sensitivity_book

        def on_runs(done: int, total: int) -> None:
            if step is not None:
                step("sensitivity", done, total)

        bs, res = sensitivity_book(
            book, request.projection, as_of=as_of, overrides=overrides, progress=on_runs
        )
        sensitivity = sensitivity_answer(bs, res)
    scenarios = None
    if request.scenarios:
        from conviction.app.scenario_runs import project_scenarios, scenario_report

        def on_paths(done: int, total: int) -> None:
            if step is not None:
                step("scenarios", done, total)

        scenarios = scenario_report(
            project_scenarios(
                book,
                request.projection,
                request.scenarios,
                as_of=as_of,
                overrides=overrides,
                progress=on_paths,
            )
        )
    return sensitivity, scenarios
