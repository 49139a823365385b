"""Scenarios of a book side by side: ``conviction project --scenario NAME`` (docs/projection.md).

The projection file's spec, started from the book's values on a date (as ``project`` does),
its ``[[scenario]]`` tables read and checked, the named ones run with the base on the same
random numbers (:func:`conviction.projection.scenarios.run_scenarios`), and the answer laid
out as one typed object, :class:`ScenarioReport`. Nothing prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from conviction.app.projection_answers import CompanyProjection, Estimate, Labelled, Terminal
from conviction.book.model import Book

if TYPE_CHECKING:
    from conviction.io.projection_toml import Overrides
    from conviction.projection.engine import ChunkRunner
    from conviction.projection.scenarios import ScenarioRun

__all__ = ["ScenarioCase", "ScenarioReport", "ScenarioRuns", "project_scenarios", "scenario_report"]


@dataclass(frozen=True)
class ScenarioRuns:
    """The base and the named scenarios of one book, on the same random numbers."""

    runs: tuple[ScenarioRun, ...]
    as_of: dt.date
    currency: str
    config: str
    not_projected: tuple[str, ...]
    cash_not_projected: float


def project_scenarios(
    book: Book,
    path: Path,
    names: Sequence[str],
    *,
    as_of: dt.date | None = None,
    overrides: Overrides | None = None,
    runner: ChunkRunner | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ScenarioRuns:
    """The base and each scenario ``names`` picks from the file ``path``, run on ``runner``,
    else on the one :func:`conviction.app.compute.open_runner` picks for ``scheduler`` and
    ``workers`` (as ``project`` does)."""
    from conviction.app.compute import open_runner
    from conviction.app.reads import book_status
    from conviction.io.projection_toml import read_projection
    from conviction.io.scenario_toml import read_scenarios, select_scenarios
    from conviction.projection.scenarios import run_scenarios

    st = book_status(book, as_of)
    start_values = {line.company: line.value for line in st.by_company}
    spec = read_projection(
        path, book=book, start_values=start_values, overrides=overrides, cash=st.cash
    )
    chosen = select_scenarios(read_scenarios(path, spec, book=book), names, path)
    if runner is not None:
        runs = run_scenarios(spec, chosen, runner=runner, progress=progress)
    else:
        work = spec.paths * (1 + len(chosen))
        with open_runner(scheduler=scheduler, workers=workers, paths=work) as opened:
            runs = run_scenarios(spec, chosen, runner=opened, progress=progress)
    held = {c for c, v in start_values.items() if v > 0}
    return ScenarioRuns(
        runs=runs,
        as_of=st.as_of,
        currency=st.currency,
        config=str(path),
        not_projected=tuple(sorted(held - set(spec.companies))),
        cash_not_projected=st.cash,
    )


@dataclass(frozen=True, slots=True)
class ScenarioCase:
    """One column of the side-by-side view. Multiples and P(target) count the whole book
    (cash at the file's cash_rate, as ``project``) and are of its value today before any
    markdown (``start_value`` of the report); ``value_today`` is after it. The changes
    against the base are differences on the same random numbers."""

    name: str  # "base" for the base case
    note: str
    changes: tuple[str, ...]
    value_today: float
    terminal: Terminal
    prob_target: Estimate
    prob_target_change: float
    median_multiple_change: float
    cagr: Labelled
    max_drawdown: Labelled
    fan: tuple[dict[str, int | float | None], ...]
    companies: tuple[CompanyProjection, ...]


@dataclass(frozen=True)
class ScenarioReport:
    """The answer of ``conviction project --scenario``: the base first, then each scenario."""

    paths: int
    years: int
    steps_per_year: int
    seed: int | None
    start_value: float
    target_multiple: float
    required_cagr: float
    cases: tuple[ScenarioCase, ...]
    summary: str
    backend: str
    as_of: dt.date
    currency: str
    config: str
    not_projected: tuple[str, ...]
    cash_not_projected: float


def _value_today(run: ScenarioRun) -> float:
    """The whole book's value today after the scenario's markdowns (cash and unprojected
    holdings included, as the multiples count them)."""
    import numpy as np

    from conviction.projection.plan import build_plan

    plan = build_plan(run.spec)
    return float(np.exp(plan.x0) @ plan.weights) + run.spec.unprojected + run.spec.cash


def scenario_report(run: ScenarioRuns) -> ScenarioReport:
    """The labelled reading of a side-by-side run."""
    from conviction.app.projection_answers import projection_report
    from conviction.app.runs import ProjectedBook

    reports = [
        projection_report(
            ProjectedBook(
                result=r.result,
                as_of=run.as_of,
                currency=run.currency,
                config=run.config,
                not_projected=run.not_projected,
            )
        )
        for r in run.runs
    ]
    base = reports[0]
    base_median = base.terminal.multiple["p50"]
    cases = []
    for r, rep in zip(run.runs, reports, strict=True):
        median = rep.terminal.multiple["p50"]
        cases.append(
            ScenarioCase(
                name=r.name,
                note="" if r.scenario is None else r.scenario.note,
                changes=() if r.scenario is None else r.scenario.changes(),
                value_today=_value_today(r),
                terminal=rep.terminal,
                prob_target=rep.prob_target,
                prob_target_change=rep.prob_target.estimate - base.prob_target.estimate,
                median_multiple_change=(
                    float("nan") if median is None or base_median is None else median - base_median
                ),
                cagr=rep.cagr,
                max_drawdown=rep.max_drawdown,
                fan=rep.fan,
                companies=rep.companies,
            )
        )
    return ScenarioReport(
        paths=base.paths,
        years=base.years,
        steps_per_year=base.steps_per_year,
        seed=base.seed,
        start_value=base.start_value,
        target_multiple=base.target_multiple,
        required_cagr=base.required_cagr,
        cases=tuple(cases),
        summary=base.summary,
        backend=base.backend,
        as_of=run.as_of,
        currency=run.currency,
        config=run.config,
        not_projected=run.not_projected,
        cash_not_projected=run.cash_not_projected,
    )
