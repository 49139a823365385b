"""Scenarios: named changes to a projection, run on the same random numbers as the base.

A :class:`Scenario` (a ``[[scenario]]`` table of the projection file, docs/projection.md)
combines any of:

- ``shock``: the key person's shock in a given year: at ``year`` years from today every
  company of ``person`` loses ``loss`` on every path (default: the loss of the projection's
  jump that names the person). The random key-person jumps stay as specified.
- ``pin``: a driver pinned to a ``value`` on every path, or given a new ``low``/``high``
  (its 90% interval, or its bounds for uniform, pert and triangular, as in a ``[[driver]]``
  table; a pert or triangular mode moves with the interval unless ``mode`` is given).
- ``asset``: a company's ``expected_return`` and/or ``volatility`` replaced.
- ``markdown``: a company marked down today by ``fraction`` (in [0, 1)): its whole path is
  scaled by 1 − fraction, and the book's multiples stay relative to its value before the
  markdown (so the target is still a multiple of the book as marked today).

Common random numbers: none of these changes what is drawn. A pinned random driver keeps its
copula column (a normal with sd 0, as the tornado does), a new interval keeps the driver's
distribution and its standard-normal score, and shocks and markdowns draw nothing, so block
``b`` of every scenario sees the numbers block ``b`` of the base sees, and a scenario that
changes nothing gives the base's result bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from conviction._typing import SeedLike
from conviction.errors import FormatError, InputError, SpecError, UnknownIdError
from conviction.projection.drivers import DriverModel, DriverSpec
from conviction.projection.engine import ChunkRunner, Projection, normalise_seed
from conviction.projection.result import ProjectionResult
from conviction.projection.spec import AssetSpec, ProjectionSpec, ShockSpec

__all__ = [
    "AssetChange",
    "DriverPin",
    "KeyPersonShock",
    "Markdown",
    "Scenario",
    "ScenarioRun",
    "apply_scenario",
    "run_scenarios",
]

#: progress(paths done, paths in all runs)
ScenarioProgress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class KeyPersonShock:
    """Every company of ``person`` loses ``loss`` (None: the loss of the jump that names
    the person) ``year`` years from today. ``field`` is where errors point."""

    person: str
    year: float
    loss: float | None = None
    field: str = "scenario.shock"


@dataclass(frozen=True, slots=True)
class DriverPin:
    """Driver ``driver`` at ``value`` on every path, or with a new ``low``/``high``."""

    driver: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    field: str = "scenario.pin"


@dataclass(frozen=True, slots=True)
class AssetChange:
    """A company's drift ``expected_return`` and/or ``volatility`` replaced."""

    company: str
    expected_return: float | None = None
    volatility: float | None = None
    field: str = "scenario.asset"


@dataclass(frozen=True, slots=True)
class Markdown:
    """A company marked down today by ``fraction`` of its value."""

    company: str
    fraction: float
    field: str = "scenario.markdown"


@dataclass(frozen=True)
class Scenario:
    """A named set of changes (see the module's docstring)."""

    name: str
    note: str = ""
    shocks: tuple[KeyPersonShock, ...] = ()
    pins: tuple[DriverPin, ...] = ()
    assets: tuple[AssetChange, ...] = ()
    markdowns: tuple[Markdown, ...] = ()
    field: str = "scenario"

    def changes(self) -> tuple[str, ...]:
        """One line per change, for people (``musk's companies lose 35% in year 3``)."""
        out: list[str] = []
        for s in self.shocks:
            loss = "the key-person loss" if s.loss is None else f"{100 * s.loss:g}%"
            out.append(f"{s.person}'s companies lose {loss} in year {s.year:g}")
        for p in self.pins:
            if p.value is not None:
                out.append(f"driver {p.driver} = {p.value:g}")
            else:
                out.append(f"driver {p.driver} in [{p.low:g}, {p.high:g}]")
        for a in self.assets:
            parts = []
            if a.expected_return is not None:
                parts.append(f"expected_return {a.expected_return:g}")
            if a.volatility is not None:
                parts.append(f"volatility {a.volatility:g}")
            out.append(f"{a.company}: " + ", ".join(parts))
        for m in self.markdowns:
            out.append(f"{m.company} marked down {100 * m.fraction:g}% today")
        return tuple(out)


# ---------------------------------------------------------------------------- changes


def _shock(spec: ProjectionSpec, sc: Scenario, s: KeyPersonShock, n: int) -> ShockSpec:
    people = sorted({p for a in spec.assets for p in a.people})
    if s.person not in people:
        raise UnknownIdError(
            f"person {s.person!r} is a key person of no projected company "
            f"(key people: {', '.join(people) or 'none'})",
            field=f"{s.field}.person",
        )
    if not (math.isfinite(s.year) and 0 <= s.year <= spec.years):
        raise SpecError(
            f"year must lie in [0, {spec.years}] (the horizon), got {s.year:g}",
            field=f"{s.field}.year",
        )
    loss = s.loss
    if loss is None:
        named = [j for j in spec.jumps if s.person in j.people]
        if not named:
            raise FormatError(
                f"no jump names {s.person!r}, so the shock needs its loss", field=f"{s.field}.loss"
            )
        loss = named[0].loss
    if not (math.isfinite(loss) and 0.0 <= loss < 1.0):
        raise SpecError(f"loss must lie in [0, 1), got {loss:g}", field=f"{s.field}.loss")
    return ShockSpec(f"{sc.name}.shock[{n}]", s.year, loss, people=(s.person,))


def _pinned(d: DriverSpec, p: DriverPin) -> DriverSpec:
    if p.value is not None:
        if p.low is not None or p.high is not None or p.mode is not None:
            raise FormatError("give value, or low and high, not both", field=f"{p.field}.value")
        if not math.isfinite(p.value):
            raise FormatError(f"expected a finite number, got {p.value}", field=f"{p.field}.value")
        if d.is_random:  # keeps its copula column: the others draw what they drew
            return DriverSpec(d.name, "normal", mean=p.value, sd=0.0, note=d.note)
        return DriverSpec(d.name, "fixed", value=p.value, note=d.note)
    if p.low is None or p.high is None:
        missing = "low" if p.low is None else "high"
        raise FormatError("a pin needs value, or low and high", field=f"{p.field}.{missing}")
    if not d.is_random:
        raise SpecError(
            f"driver {d.name!r} is {d.distribution}, not random: an interval would draw new "
            "numbers; pin it to a value",
            field=f"{p.field}.low",
        )
    if not (math.isfinite(p.low) and math.isfinite(p.high) and p.low < p.high):
        raise SpecError(f"low ({p.low:g}) must be below high ({p.high:g})", field=f"{p.field}.low")
    if d.distribution == "normal":
        new = DriverSpec(d.name, "normal", low=p.low, high=p.high, note=d.note)
    elif d.distribution in ("lognormal", "uniform"):
        new = DriverSpec(d.name, d.distribution, low=p.low, high=p.high, note=d.note)
    else:  # pert, triangular: the mode keeps its place in the interval unless given
        lo, hi, mode = float(d.low or 0.0), float(d.high or 0.0), float(d.mode or 0.0)
        new_mode = (
            p.mode if p.mode is not None else p.low + (mode - lo) / (hi - lo) * (p.high - p.low)
        )
        new = DriverSpec(d.name, d.distribution, low=p.low, high=p.high, mode=new_mode, note=d.note)
    return new


def _pins(spec: ProjectionSpec, pins: Sequence[DriverPin]) -> DriverModel | None:
    model = spec.drivers
    if not pins:
        return model
    if model is None:
        raise UnknownIdError(
            f"unknown driver {pins[0].driver!r} (the projection has no drivers)",
            field=f"{pins[0].field}.driver",
        )
    drivers = {d.name: d for d in model.drivers}
    for p in pins:
        if p.driver not in drivers:
            raise UnknownIdError(
                f"unknown driver {p.driver!r} (known: {', '.join(sorted(drivers))})",
                field=f"{p.field}.driver",
            )
        try:
            drivers[p.driver] = _pinned(drivers[p.driver], p)
        except InputError as exc:
            if exc.field and exc.field.startswith(p.field):
                raise
            key = (exc.field or "").rsplit(".", 1)[-1]
            key = key if key in ("low", "high", "mode", "value") else "driver"
            raise type(exc)(exc.message, field=f"{p.field}.{key}") from None
    return DriverModel(tuple(drivers[d.name] for d in model.drivers), model.correlations)


def _company(spec: ProjectionSpec, company: str, field: str) -> None:
    if company not in spec.companies:
        raise UnknownIdError(
            f"unknown company {company!r} (projected: {', '.join(spec.companies)})",
            field=f"{field}.company",
        )


def apply_scenario(spec: ProjectionSpec, scenario: Scenario) -> ProjectionSpec:
    """``spec`` with the scenario's changes (validated again); a change that names an
    unknown company, driver or person, or a value out of range, raises with its field."""
    shocks = [_shock(spec, scenario, s, i + 1) for i, s in enumerate(scenario.shocks)]
    drivers = _pins(spec, scenario.pins)
    assets = {a.company: a for a in spec.assets}
    for ch in scenario.assets:
        _company(spec, ch.company, ch.field)
        a = assets[ch.company]
        if ch.expected_return is not None:
            if a.model == "driver":
                raise SpecError(
                    f"{ch.company} is valued by driver {a.driver!r}: pin the driver instead",
                    field=f"{ch.field}.expected_return",
                )
            a = _replace_asset(a, ch.field, "expected_return", ch.expected_return)
        if ch.volatility is not None:
            if a.model == "bootstrap":
                raise SpecError(
                    f"{ch.company} is bootstrapped from its history, which sets its volatility",
                    field=f"{ch.field}.volatility",
                )
            a = _replace_asset(a, ch.field, "volatility", ch.volatility)
        assets[ch.company] = a
    for i, m in enumerate(scenario.markdowns):
        _company(spec, m.company, m.field)
        if not (math.isfinite(m.fraction) and 0.0 <= m.fraction < 1.0):
            raise SpecError(
                f"fraction must lie in [0, 1), got {m.fraction:g}", field=f"{m.field}.fraction"
            )
        shocks.append(
            ShockSpec(f"{scenario.name}.markdown[{i + 1}]", 0.0, m.fraction, (m.company,))
        )
    return replace(
        spec,
        assets=tuple(assets[a.company] for a in spec.assets),
        drivers=drivers,
        shocks=(*spec.shocks, *shocks),
    )


def _replace_asset(asset: AssetSpec, field: str, key: str, value: float) -> AssetSpec:
    """``dataclasses.replace`` of one asset field, its error pointing at ``field.key``."""
    try:
        if key == "expected_return":
            return replace(asset, expected_return=value)
        return replace(asset, volatility=value)
    except InputError as exc:
        raise type(exc)(exc.message, field=f"{field}.{key}") from None


# ---------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class ScenarioRun:
    """One case of a side-by-side run: ``scenario`` None is the base."""

    scenario: Scenario | None
    spec: ProjectionSpec
    result: ProjectionResult

    @property
    def name(self) -> str:
        return "base" if self.scenario is None else self.scenario.name


def run_scenarios(
    spec: ProjectionSpec,
    scenarios: Sequence[Scenario],
    seed: SeedLike = None,
    *,
    runner: ChunkRunner | None = None,
    progress: ScenarioProgress | None = None,
    backend: str = "auto",
) -> tuple[ScenarioRun, ...]:
    """The base and each scenario, every one a projection with the same seed (the same
    random numbers, block by block); the base first."""
    specs = [(None, spec), *((sc, apply_scenario(spec, sc)) for sc in scenarios)]
    root = normalise_seed(spec.seed if seed is None else seed)
    total = spec.paths * len(specs)
    out: list[ScenarioRun] = []
    for i, (sc, s) in enumerate(specs):
        done = i * spec.paths

        def step(n: int, _: int, done: int = done) -> None:
            if progress is not None:
                progress(done + n, total)

        result = Projection(s, backend=backend).run(root, runner=runner, progress=step)
        out.append(ScenarioRun(sc, s, result))
    return tuple(out)
