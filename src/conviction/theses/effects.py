"""Theses move the model: the milestone outcomes recorded by a date, applied to the drivers.

A milestone may name drivers of the projection and what each of its outcomes does to them
(:class:`~conviction.theses.model.DriverEffect`, ``[[thesis.milestone.effect]]`` in the
theses file, docs/theses.md). Every effect is a factor: the driver's value is multiplied by
it on every path. For every distribution a driver can have, multiplying its parameters by
``f > 0`` (``value``; ``mean`` and ``sd``; ``low``, ``mode`` and ``high``) multiplies each of
its quantiles by ``f``, and a formula driver becomes ``(formula) * f``. Nothing new is drawn,
so a projection with effects runs on the same random numbers as one without: the driver's
value on path ``i`` is exactly ``f`` times what it was, and a spec without any outcome
recorded is the spec as given.

Several effects on one driver multiply. The status in force on the date decides: ``hit``
applies ``hit``, ``missed`` applies ``missed``, ``slipped`` applies the slip once per slip
recorded so far; a milestone later hit or missed carries only that outcome.

Pure: specs and theses in, a spec out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from conviction.errors import SpecError, UnknownIdError
from conviction.projection.drivers import DriverModel, DriverSpec
from conviction.projection.spec import ProjectionSpec
from conviction.theses.model import MilestoneEntry, MilestoneStatus, Thesis

__all__ = [
    "AppliedEffect",
    "apply_effects",
    "apply_outcomes",
    "check_effects",
    "driver_factors",
    "outcomes_on",
    "scale_driver",
    "update_dates",
    "with_updates",
]


@dataclass(frozen=True, slots=True)
class AppliedEffect:
    """One effect in force on a date: the milestone's status then, and the factor it puts
    on ``driver``. ``since`` is the date of the entry that set the status."""

    thesis: str
    milestone: str
    driver: str
    status: MilestoneStatus
    slips: int
    factor: float
    since: dt.date


def outcomes_on(theses: Iterable[Thesis], on: dt.date) -> tuple[AppliedEffect, ...]:
    """Every effect the outcomes recorded on or before ``on`` put on the drivers, in file
    order (pending milestones and outcomes an effect does not name put none)."""
    found: list[AppliedEffect] = []
    for t in theses:
        for m in t.milestones:
            if not m.effects:
                continue
            state = m.state_on(on)
            if state is None or state.status == "pending":
                continue
            slips = m.slips(on)
            for e in m.effects:
                factor = e.factor(state.status, slips)
                if factor != 1.0:
                    found.append(
                        AppliedEffect(t.id, m.id, e.driver, state.status, slips, factor, state.date)
                    )
    return tuple(found)


def driver_factors(applied: Iterable[AppliedEffect]) -> dict[str, float]:
    """The product of the factors on each driver (drivers without one are absent)."""
    factors: dict[str, float] = {}
    for a in applied:
        factors[a.driver] = factors.get(a.driver, 1.0) * a.factor
    return factors


def check_effects(spec: ProjectionSpec, theses: Iterable[Thesis]) -> None:
    """Raise ``UnknownIdError`` (at the effect's file, line and field) for an effect on a
    driver the projection does not have."""
    known = spec.drivers.names if spec.drivers is not None else frozenset()
    for t in theses:
        for m in t.milestones:
            for e in m.effects:
                if e.driver not in known:
                    listed = ", ".join(sorted(known)) or "none: the projection has no [[driver]]"
                    raise UnknownIdError(
                        f"milestone {m.id!r} of thesis {t.id!r} names driver {e.driver!r}, "
                        f"which the projection does not have (its drivers: {listed})",
                        file=e.file or None,
                        line=e.line,
                        field=e.field or f"thesis[{t.id}].milestone[{m.id}].effect.driver",
                    )


def _times(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def scale_driver(driver: DriverSpec, factor: float) -> DriverSpec:
    """``driver`` with every quantile multiplied by ``factor`` (> 0)."""
    if not factor > 0:
        raise SpecError(
            f"a milestone effect's factor must be > 0, got {factor}", field=f"driver[{driver.name}]"
        )
    if driver.distribution == "formula":
        return replace(driver, formula=f"({driver.formula}) * {factor!r}")
    return replace(
        driver,
        value=_times(driver.value, factor),
        mean=_times(driver.mean, factor),
        sd=_times(driver.sd, factor),
        low=_times(driver.low, factor),
        high=_times(driver.high, factor),
        mode=_times(driver.mode, factor),
    )


def apply_effects(spec: ProjectionSpec, applied: Sequence[AppliedEffect]) -> ProjectionSpec:
    """``spec`` with the drivers scaled by ``applied`` (the same spec when none apply)."""
    factors = driver_factors(applied)
    if not factors:
        return spec
    model = spec.drivers
    if model is None or not set(factors) <= model.names:
        unknown = sorted(set(factors) - (model.names if model is not None else set()))
        raise UnknownIdError(f"unknown driver {unknown[0]!r}", field="effect.driver")
    drivers = tuple(
        scale_driver(d, factors[d.name]) if d.name in factors else d for d in model.drivers
    )
    return replace(spec, drivers=DriverModel(drivers, model.correlations))


def apply_outcomes(spec: ProjectionSpec, theses: Sequence[Thesis], on: dt.date) -> ProjectionSpec:
    """The projection as the evidence recorded on or before ``on`` leaves it: ``spec`` with
    every milestone effect in force applied (checked against the spec's drivers first)."""
    check_effects(spec, theses)
    return apply_effects(spec, outcomes_on(theses, on))


def with_updates(theses: Sequence[Thesis], stored: Iterable[Thesis]) -> tuple[Thesis, ...]:
    """``theses`` (from a file, with their effects) with the updates recorded since in
    ``stored`` (the database's: entries whose origin is ``"update"``, made by ``conviction
    thesis update``) added to the milestones of the same thesis and milestone ids."""
    added: dict[tuple[str, str], list[MilestoneEntry]] = {}
    for t in stored:
        for m in t.milestones:
            for e in m.history:
                if e.origin == "update":
                    added.setdefault((t.id, m.id), []).append(e)
    if not added:
        return tuple(theses)
    out = []
    for t in theses:
        milestones = tuple(
            replace(m, history=(*m.history, *added.get((t.id, m.id), ()))) for m in t.milestones
        )
        out.append(replace(t, milestones=milestones))
    return tuple(out)


def update_dates(theses: Iterable[Thesis]) -> tuple[dt.date, ...]:
    """Every date on which some milestone's state was set or changed, oldest first."""
    return tuple(sorted({e.date for t in theses for m in t.milestones for e in m.history}))
