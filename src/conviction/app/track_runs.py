"""`conviction track`: how the odds moved as the milestones were hit, missed or slipped.

The projection is re-run at each date on which a milestone's state was set or changed, with
the outcomes recorded by that date applied to its drivers (``conviction.theses.effects``),
on the same seed: the book's values, the horizon and the random numbers stay those of the
start, so every move between two rows is the evidence's. A date whose evidence changes no
driver reuses the run before it (its row is equal to it, exactly). Nothing here prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from conviction.book.model import Book
from conviction.errors import FormatError

if TYPE_CHECKING:
    from conviction.io.projection_toml import Overrides
    from conviction.projection.engine import ChunkRunner
    from conviction.projection.result import ProjectionResult
    from conviction.theses.model import Thesis

__all__ = [
    "TrackAnswer",
    "TrackEffect",
    "TrackEvidence",
    "TrackRow",
    "track_book",
]

#: progress(paths done, paths of every run together)
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class TrackEffect:
    """A driver and the factor this milestone's outcome puts on it from this date on."""

    driver: str
    factor: float


@dataclass(frozen=True, slots=True)
class TrackEvidence:
    """A milestone entry dated on a row's date: the outcome recorded, why, and what it does
    to the drivers (none for a pending milestone or one without effects)."""

    thesis: str
    milestone: str
    title: str
    status: str
    evidence: str
    source: str
    effects: tuple[TrackEffect, ...]


@dataclass(frozen=True, slots=True)
class TrackRow:
    """The projection with the outcomes recorded up to ``date``.

    ``driver_factors`` are every factor then in force (their product per driver);
    ``prob_target_change`` and ``median_multiple_change`` are against the row before (0 on
    the first row); ``drivers_changed`` is False where the evidence of the date changed no
    driver (the row then equals the one before)."""

    date: dt.date
    evidence: tuple[TrackEvidence, ...]
    driver_factors: dict[str, float]
    prob_target: float
    prob_target_se: float
    median_multiple: float
    prob_target_change: float
    median_multiple_change: float
    drivers_changed: bool


@dataclass(frozen=True)
class TrackAnswer:
    """The track of a projection through the milestone updates of the theses."""

    config: str
    theses: str
    as_of: dt.date  # the book's values the projection starts from
    currency: str
    start_value: float
    years: int
    paths: int
    seed: int | None
    target_multiple: float
    rows: tuple[TrackRow, ...]
    runs: int  # projections actually run (rows whose drivers did not change reuse one)
    not_projected: tuple[str, ...]

    @property
    def prob_target_moved(self) -> float:
        """P(target) on the last row minus on the first."""
        return self.rows[-1].prob_target - self.rows[0].prob_target if self.rows else 0.0


def _median(result: ProjectionResult) -> float:
    qs = [float(q) for q in result.percentiles]
    return float(result.terminal_multiple[qs.index(50.0)])


def _evidence(theses: Sequence[Thesis], on: dt.date) -> tuple[TrackEvidence, ...]:
    from conviction.theses.effects import outcomes_on

    applied = outcomes_on(theses, on)
    found: list[TrackEvidence] = []
    for t in theses:
        for m in t.milestones:
            for e in m.history:
                if e.date != on:
                    continue
                effects = tuple(
                    TrackEffect(a.driver, a.factor)
                    for a in applied
                    if a.thesis == t.id and a.milestone == m.id and a.since == on
                )
                found.append(
                    TrackEvidence(t.id, m.id, m.title, e.status, e.evidence, e.source, effects)
                )
    return tuple(found)


def track_book(
    book: Book,
    path: Path,
    theses: Sequence[Thesis],
    *,
    theses_file: str = "",
    as_of: dt.date | None = None,
    overrides: Overrides | None = None,
    runner: ChunkRunner | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> TrackAnswer:
    """Re-run the projection in ``path`` (from the book's values on ``as_of``) at every date
    of a milestone entry in ``theses``, with the outcomes recorded by then applied."""
    from conviction.app.compute import open_runner
    from conviction.app.reads import book_status
    from conviction.io.projection_toml import read_projection
    from conviction.projection import Projection
    from conviction.theses.effects import (
        apply_effects,
        check_effects,
        driver_factors,
        outcomes_on,
        update_dates,
    )

    dates = update_dates(theses)
    if not dates:
        raise FormatError(
            "the theses have no milestones, so there is nothing to track", field="--theses"
        )
    st = book_status(book, as_of)
    start_values = {line.company: line.value for line in st.by_company}
    spec = read_projection(
        path, book=book, start_values=start_values, overrides=overrides, cash=st.cash
    )
    if 50.0 not in spec.percentiles:
        spec = replace(spec, percentiles=tuple(sorted({*spec.percentiles, 50.0})))
    if spec.seed is None:  # one seed for every run: the rows differ by the evidence only
        spec = replace(
            spec, seed=int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
        )
    check_effects(spec, theses)
    plans = []
    for day in dates:
        applied = outcomes_on(theses, day)
        factors = driver_factors(applied)
        plans.append((day, applied, factors, tuple(sorted(factors.items()))))
    todo = {key: applied for _, applied, _, key in plans}  # one run per set of factors
    total = spec.paths * len(todo)
    results: dict[tuple[tuple[str, float], ...], ProjectionResult] = {}

    def shifted(base: int) -> Callable[[int, int], None] | None:
        if progress is None:
            return None
        report = progress

        def tick(done: int, _total: int) -> None:
            report(base + done, total)

        return tick

    def run_all(chosen: ChunkRunner) -> None:
        for n, (key, applied) in enumerate(todo.items()):
            results[key] = Projection(apply_effects(spec, applied)).run(
                runner=chosen, progress=shifted(n * spec.paths)
            )

    if runner is not None:
        run_all(runner)
    else:
        with open_runner(scheduler=scheduler, workers=workers, paths=total) as chosen:
            run_all(chosen)
    rows: list[TrackRow] = []
    for day, _, factors, key in plans:
        r = results[key]
        median = _median(r)
        before = rows[-1] if rows else None
        rows.append(
            TrackRow(
                date=day,
                evidence=_evidence(theses, day),
                driver_factors=factors,
                prob_target=r.prob_target,
                prob_target_se=r.prob_target_se,
                median_multiple=median,
                prob_target_change=0.0 if before is None else r.prob_target - before.prob_target,
                median_multiple_change=0.0 if before is None else median - before.median_multiple,
                drivers_changed=before is None or key != plans[len(rows) - 1][3],
            )
        )
    held = {c for c, v in start_values.items() if v > 0}
    return TrackAnswer(
        config=str(path),
        theses=theses_file,
        as_of=st.as_of,
        currency=st.currency,
        start_value=spec.start_value,
        years=spec.years,
        paths=spec.paths,
        seed=spec.seed,
        target_multiple=spec.target_multiple,
        rows=tuple(rows),
        runs=len(todo),
        not_projected=tuple(sorted(held - set(spec.companies))),
    )
