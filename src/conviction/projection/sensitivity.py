"""Which input decides the target: a tornado on common random numbers, and Sobol indices.

Inputs. Every uncertain input of a :class:`ProjectionSpec` has a name:

    driver.<name>                          a random driver (its 5th and 95th percentiles)
    asset.<company>.expected_return        default range: base ± 0.05
    asset.<company>.volatility             default range: base × 0.75 and × 1.25
    jump.<name>.annual_probability         default range: base × 0.5 and min(base × 2, 0.99)
    jump.<name>.loss                       default range: base × 0.5 and min(base × 1.5, 0.99)
    correlation.<a>.<b>                    default range: rho ± 0.2, clipped to [-0.99, 0.99]

A :class:`SensitivityRange` (the ``[[sensitivity]]`` table of the projection file) replaces
a default range (or a driver's percentiles) by ``low`` and ``high``.

Common random numbers. Each end of each input is one projection of the same spec with that
one input changed, run with the same seed: block ``b`` draws the same numbers in every run
(a pinned driver keeps its copula column, as a normal with sd 0), so the swing
P(high) − P(low) is a paired difference whose standard error is
sd(1[high ≥ K] − 1[low ≥ K]) / √paths, usually far below that of two independent runs
(both are reported). An input the book does not depend on has a swing of exactly 0.

What is computed once. The base run is simulated whole; every other run reuses its random
numbers and what does not change. An input that is not a driver leaves the driver model
as it is, so its runs take the base run's driver values at the horizon (the quantiles of
13 drivers cost more than the path kernel) and simulate only the paths. A driver's end
changes only the driver values: a driver-modelled company's log multiple at the horizon is
its driver's log multiple plus its jumps (the Brownian bridge ends on its target), so the
end is the base run's jumps with the drivers re-evaluated from the same standard-normal
scores, the pinned one at its value and the formulas after it (no path is simulated).
Equal, up to rounding, to simulating the run whole.

Sobol indices (``scipy.stats.sobol_indices``, Saltelli 2010, with bootstrap intervals) are of
the log multiple of the book at the horizon as a function of the random drivers' standard
normal scores: driver-modelled companies take their driver value, every other company its
median multiple of the base run, and jumps are left out (they are not drivers). With
correlated drivers the inputs are the independent scores before the copula's factor.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal, Protocol

import numpy as np
from scipy import special

from conviction._typing import Float64Array, SeedLike
from conviction.errors import SpecError, UnknownIdError
from conviction.projection.drivers import Z90, DriverModel, DriverSpec
from conviction.projection.engine import (
    WIPED_OUT,
    _block_size,
    _generators,
    driver_terminals,
    normalise_seed,
)
from conviction.projection.plan import build_plan
from conviction.projection.spec import CorrelationSpec, ProjectionSpec

__all__ = [
    "InputKind",
    "SensitivityInput",
    "SensitivityRange",
    "SensitivityResult",
    "SobolIndex",
    "TerminalTask",
    "Terminals",
    "TornadoBar",
    "apply_input",
    "run_terminals",
    "sensitivity",
    "sensitivity_inputs",
    "simulate_terminals",
    "sobol_drivers",
    "terminal_tasks",
]

InputKind = Literal[
    "driver", "expected_return", "volatility", "jump_probability", "jump_loss", "correlation"
]

#: progress(runs done, runs in all)
RunProgress = Callable[[int, int], None]


class Runner(Protocol):
    """Runs ``fn`` over ``tasks`` and yields the results in task order (any runner of
    :mod:`conviction.runners`)."""

    def map(
        self, fn: Callable[[TerminalTask], Terminals], tasks: Sequence[TerminalTask]
    ) -> Iterable[Terminals]: ...


@dataclass(frozen=True, slots=True)
class SensitivityRange:
    """A ``[[sensitivity]]`` row: ``input`` goes to ``low`` and ``high``. ``field`` is where
    errors point (``sensitivity[2]``)."""

    input: str
    low: float
    high: float
    field: str = "sensitivity"


@dataclass(frozen=True, slots=True)
class SensitivityInput:
    """One input of the tornado with its two ends."""

    name: str
    kind: InputKind
    base: float | None  # None for a random driver (it has no single value)
    low: float
    high: float
    source: Literal["default", "percentile", "file"]


@dataclass(frozen=True, slots=True)
class TornadoBar:
    """One input's ends. ``p_swing = p_high - p_low`` with its paired standard error and, for
    comparison, that of two independent runs."""

    input: str
    kind: InputKind
    base: float | None
    low: float
    high: float
    source: str
    p_low: float
    p_high: float
    p_swing: float
    p_swing_se: float
    p_swing_se_independent: float
    median_low: float
    median_high: float
    median_swing: float
    mean_log_low: float
    mean_log_high: float
    mean_log_swing_se: float


@dataclass(frozen=True, slots=True)
class SobolIndex:
    """First-order and total index of one driver, with bootstrap confidence intervals."""

    driver: str
    first_order: float
    first_order_low: float
    first_order_high: float
    total: float
    total_low: float
    total_high: float


@dataclass(frozen=True)
class SensitivityResult:
    """The answer of :func:`sensitivity`: the base run, the bars sorted by swing, Sobol."""

    paths: int
    years: int
    seed: int | None
    target_multiple: float
    base_p: float
    base_p_se: float
    base_median: float
    bars: tuple[TornadoBar, ...]
    sobol: tuple[SobolIndex, ...]
    sobol_n: int
    confidence_level: float
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "paths": self.paths,
            "years": self.years,
            "seed": self.seed,
            "target_multiple": self.target_multiple,
            "base": {
                "prob_target": self.base_p,
                "prob_target_se": self.base_p_se,
                "median_multiple": self.base_median,
            },
            "tornado": [asdict(b) for b in self.bars],
            "sobol": {
                "n": self.sobol_n,
                "confidence_level": self.confidence_level,
                "of": "log multiple of the book at the horizon",
                "indices": [asdict(s) for s in self.sobol],
            },
            "notes": list(self.notes),
        }


# ---------------------------------------------------------------------------- inputs


def _driver_quantile(d: DriverSpec, z: float) -> float:
    return float(d.quantile(np.array([z]))[0])


def sensitivity_inputs(
    spec: ProjectionSpec, ranges: Sequence[SensitivityRange] = ()
) -> tuple[SensitivityInput, ...]:
    """Every uncertain input of ``spec`` with its ends (``ranges`` replace the defaults).
    A range on an input that does not exist, or with low above high, raises."""
    found: dict[str, SensitivityInput] = {}
    if spec.drivers is not None:
        for name in spec.drivers.random:
            d = spec.drivers.get(name)
            found[f"driver.{name}"] = SensitivityInput(
                f"driver.{name}",
                "driver",
                None,
                _driver_quantile(d, -Z90),
                _driver_quantile(d, Z90),
                "percentile",
            )
    for a in spec.assets:
        if a.model in ("gbm", "student_t") or (
            a.model == "bootstrap" and a.expected_return is not None
        ):
            mu = float(a.expected_return or 0.0)
            found[f"asset.{a.company}.expected_return"] = SensitivityInput(
                f"asset.{a.company}.expected_return",
                "expected_return",
                mu,
                mu - 0.05,
                mu + 0.05,
                "default",
            )
        if a.model in ("gbm", "student_t", "driver"):
            s = a.volatility
            found[f"asset.{a.company}.volatility"] = SensitivityInput(
                f"asset.{a.company}.volatility", "volatility", s, 0.75 * s, 1.25 * s, "default"
            )
    for j in spec.jumps:
        p = j.annual_probability
        found[f"jump.{j.name}.annual_probability"] = SensitivityInput(
            f"jump.{j.name}.annual_probability",
            "jump_probability",
            p,
            0.5 * p,
            min(2.0 * p, 0.99),
            "default",
        )
        loss = j.loss
        hi = min(1.5 * loss, 0.99) if loss > 0 else 1.5 * loss
        lo, hi = sorted((0.5 * loss, hi))
        found[f"jump.{j.name}.loss"] = SensitivityInput(
            f"jump.{j.name}.loss", "jump_loss", loss, lo, hi, "default"
        )
    for c in spec.correlations:
        r = c.rho
        found[f"correlation.{c.a}.{c.b}"] = SensitivityInput(
            f"correlation.{c.a}.{c.b}",
            "correlation",
            r,
            max(-0.99, r - 0.2),
            min(0.99, r + 0.2),
            "default",
        )
    aliases = {f"correlation.{c.b}.{c.a}": f"correlation.{c.a}.{c.b}" for c in spec.correlations}
    for rng in ranges:
        key = aliases.get(rng.input, rng.input)
        if key not in found:
            known = ", ".join(found) or "none"
            raise UnknownIdError(
                f"unknown input {rng.input!r} (known: {known})", field=f"{rng.field}.input"
            )
        if not (math.isfinite(rng.low) and math.isfinite(rng.high)) or rng.low > rng.high:
            raise SpecError(
                f"low ({rng.low}) must not lie above high ({rng.high})", field=f"{rng.field}.low"
            )
        old = found[key]
        new = replace(old, low=rng.low, high=rng.high, source="file")
        try:
            apply_input(spec, new, new.low)
            apply_input(spec, new, new.high)
        except SpecError as exc:
            raise SpecError(exc.message, field=f"{rng.field}.low") from None
        found[key] = new
    return tuple(found.values())


def _pin(model: DriverModel, name: str, value: float) -> DriverModel:
    """The model with driver ``name`` fixed at ``value`` on every path, keeping its copula
    column (a normal with sd 0) so the other drivers draw exactly what they drew before."""
    drivers = tuple(
        DriverSpec(d.name, "normal", mean=value, sd=0.0, note=d.note) if d.name == name else d
        for d in model.drivers
    )
    return DriverModel(drivers, model.correlations)


def apply_input(spec: ProjectionSpec, inp: SensitivityInput, value: float) -> ProjectionSpec:
    """``spec`` with one input set to ``value`` (validated again)."""
    parts = inp.name.split(".")
    if inp.kind == "driver":
        if spec.drivers is None:  # pragma: no cover - inputs come from the spec
            raise SpecError("no drivers", field=inp.name)
        return replace(spec, drivers=_pin(spec.drivers, parts[1], value))
    if inp.kind in ("expected_return", "volatility"):
        company = ".".join(parts[1:-1])
        assets = tuple(
            (
                replace(a, expected_return=value)
                if inp.kind == "expected_return"
                else replace(a, volatility=value)
            )
            if a.company == company
            else a
            for a in spec.assets
        )
        return replace(spec, assets=assets)
    if inp.kind in ("jump_probability", "jump_loss"):
        name = ".".join(parts[1:-1])
        jumps = tuple(
            (
                replace(j, annual_probability=value)
                if inp.kind == "jump_probability"
                else replace(j, loss=value)
            )
            if j.name == name
            else j
            for j in spec.jumps
        )
        return replace(spec, jumps=jumps)
    corr = tuple(
        CorrelationSpec(c.a, c.b, value) if f"correlation.{c.a}.{c.b}" == inp.name else c
        for c in spec.correlations
    )
    return replace(spec, correlations=corr)


# ---------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class Terminals:
    """Per-path numbers of one run: the whole book's multiple at the horizon (cash and
    unprojected holdings included, as ``project`` counts it), each company's log
    multiple (n, A) and each driver company's log driver multiple (n, D), in path order."""

    book: Float64Array
    log_company: Float64Array
    log_driver: Float64Array


#: Blocks per task when a run's terminals are computed by a runner.
TERMINAL_CHUNK_BLOCKS = 16


@dataclass(frozen=True)
class TerminalTask:
    """Blocks ``first_block`` up to ``last_block`` (excluded) of one run, kept at the
    horizon; picklable (what a runner sends to a worker). ``book_only``: only the book's
    multiple comes back (8 bytes a path), not the companies' and drivers' logs."""

    spec: ProjectionSpec
    entropy: int | tuple[int, ...]
    spawn_key: tuple[int, ...]
    first_block: int
    last_block: int
    backend: str = "auto"
    book_only: bool = False
    dterm: Float64Array | None = None  # the blocks' driver log multiples, when known


def run_terminals(task: TerminalTask) -> Terminals:
    """Simulate one task's blocks (in this or another process) and keep the horizon."""
    spec = task.spec
    plan = build_plan(spec)
    root = np.random.SeedSequence(task.entropy, spawn_key=task.spawn_key)
    whole = spec.whole_book(spec.years)  # cash and unprojected holdings: ProjectionSpec
    books, comps, drvs = [], [], []
    first = task.first_block * spec.block_paths
    for block in range(task.first_block, task.last_block):
        n = _block_size(spec, block)
        rng, driver_rng = _generators(root, block)
        if task.dterm is None:
            dterm = driver_terminals(spec, plan, driver_rng, n)
        else:
            at = block * spec.block_paths - first
            dterm = np.ascontiguousarray(task.dterm[at : at + n])
        from conviction.projection.kernels import simulate_block  # numba: when run

        out = simulate_block(plan, rng, n, dterm, backend=task.backend)
        books.append(out.book[:, -1] * whole[0] + whole[1])  # the whole book, as project
        if not task.book_only:
            comps.append(out.log_terminal)
            drvs.append(dterm)
    if task.book_only:
        empty = np.empty((0, 0))
        return Terminals(np.concatenate(books), empty, empty)
    return Terminals(np.concatenate(books), np.concatenate(comps), np.concatenate(drvs))


def terminal_tasks(
    spec: ProjectionSpec,
    seed: SeedLike = None,
    *,
    backend: str = "auto",
    book_only: bool = False,
    chunk_blocks: int = TERMINAL_CHUNK_BLOCKS,
    dterm: Float64Array | None = None,
) -> list[TerminalTask]:
    """The tasks of one run of ``spec``: every block once, in order. ``dterm`` (paths, D):
    the driver log multiples at the horizon of a run with the same driver model and seed,
    which the tasks then take instead of drawing them again."""
    root = normalise_seed(spec.seed if seed is None else seed)
    entropy = root.entropy
    if entropy is None:  # pragma: no cover - SeedSequence always fills it
        raise SpecError("seed sequence without entropy")
    ent: int | tuple[int, ...] = (
        entropy if isinstance(entropy, int) else tuple(int(e) for e in entropy)
    )
    key = tuple(root.spawn_key)
    bp = spec.block_paths
    tasks = []
    for b in range(0, spec.n_blocks, chunk_blocks):
        end = min(spec.n_blocks, b + chunk_blocks)
        part = None if dterm is None else dterm[b * bp : end * bp]
        tasks.append(TerminalTask(spec, ent, key, b, end, backend, book_only, part))
    return tasks


def join_terminals(parts: Sequence[Terminals]) -> Terminals:
    """One run's tasks' terminals, in task order, as one."""
    if len(parts) == 1:
        return parts[0]
    return Terminals(
        np.concatenate([p.book for p in parts]),
        np.concatenate([p.log_company for p in parts]),
        np.concatenate([p.log_driver for p in parts]),
    )


def simulate_terminals(
    spec: ProjectionSpec,
    seed: SeedLike = None,
    *,
    backend: str = "auto",
    runner: Runner | None = None,
) -> Terminals:
    """Every path of ``spec``'s run (the draws :class:`Projection` uses for this seed), kept
    at the horizon only: 3 · paths + paths · companies numbers. ``runner`` (default: here)
    computes the blocks; the result does not depend on it."""
    tasks = terminal_tasks(spec, seed, backend=backend)
    return join_terminals(list((runner or _Here()).map(run_terminals, tasks)))


class _Here:
    def map(
        self, fn: Callable[[TerminalTask], Terminals], tasks: Sequence[TerminalTask]
    ) -> Iterator[Terminals]:
        return map(fn, tasks)


def sensitivity(
    spec: ProjectionSpec,
    ranges: Sequence[SensitivityRange] = (),
    seed: SeedLike = None,
    *,
    backend: str = "auto",
    sobol_n: int = 2**12,
    confidence_level: float = 0.95,
    progress: RunProgress | None = None,
    runner: Runner | None = None,
) -> SensitivityResult:
    """The tornado of every input of ``spec`` (each end a run on the same random numbers)
    and the drivers' Sobol indices. ``runner`` (default: here) computes the blocks of every
    run, all runs submitted at once; the result does not depend on it."""
    root = normalise_seed(spec.seed if seed is None else seed)
    entropy = root.entropy
    seed_out = entropy if isinstance(entropy, int) else None
    inputs = sensitivity_inputs(spec, ranges)
    total = 1 + 2 * len(inputs)
    if progress is not None:
        progress(0, total)
    k = spec.target_multiple
    run = runner or _Here()
    # run 0: the base, whole (Sobol needs its companies; the others reuse its drivers)
    base_terms = join_terminals(
        list(run.map(run_terminals, terminal_tasks(spec, root, backend=backend)))
    )
    if progress is not None:
        progress(1, total)
    # run 2i+1 and 2i+2: input i's low and high
    done: dict[int, Float64Array] = {}
    tasks: list[TerminalTask] = []
    owner: list[int] = []
    for i, inp in enumerate(inputs):
        if inp.kind == "driver":
            continue
        for r, value in ((1 + 2 * i, inp.low), (2 + 2 * i, inp.high)):
            mine = terminal_tasks(
                apply_input(spec, inp, value),
                root,
                backend=backend,
                book_only=True,
                dterm=base_terms.log_driver,
            )
            tasks += mine
            owner += [r] * len(mine)
    last_task = {r: i for i, r in enumerate(owner)}  # each run's last task
    parts: list[Float64Array] = []
    for i, part in enumerate(run.map(run_terminals, tasks)):
        parts.append(part.book)
        if last_task[owner[i]] == i:
            done[owner[i]] = np.concatenate(parts)
            parts = []
            if progress is not None:
                progress(1 + len(done), total)
    drivers = [(i, inp) for i, inp in enumerate(inputs) if inp.kind == "driver"]
    if drivers:
        ends = _DriverEnds(spec, base_terms, root)
        for i, inp in drivers:
            name = inp.name.split(".", 1)[1]
            done[1 + 2 * i] = ends.book(name, inp.low)
            done[2 + 2 * i] = ends.book(name, inp.high)
            if progress is not None:
                progress(1 + len(done), total)
    base = base_terms.book
    n = base.shape[0]
    base_p = float((base >= k).mean())
    bars = [_bar(inp, done[1 + 2 * i], done[2 + 2 * i], k, n) for i, inp in enumerate(inputs)]
    bars.sort(key=lambda b: (-abs(b.p_swing), -abs(b.median_swing), b.input))
    notes: list[str] = []
    sob: tuple[SobolIndex, ...] = ()
    if spec.drivers is not None and len(spec.drivers.random) >= 2:
        sob = sobol_drivers(
            spec, base_terms, n=sobol_n, seed=root, confidence_level=confidence_level
        )
    else:
        notes.append("Sobol indices need at least two random drivers")
    if spec.drivers is not None and spec.drivers.correlations and sob:
        notes.append("drivers are correlated: indices are of their independent scores")
    return SensitivityResult(
        paths=n,
        years=spec.years,
        seed=seed_out,
        target_multiple=k,
        base_p=base_p,
        base_p_se=math.sqrt(base_p * (1 - base_p) / n),
        base_median=float(np.median(base)),
        bars=tuple(bars),
        sobol=sob,
        sobol_n=sobol_n if sob else 0,
        confidence_level=confidence_level,
        notes=tuple(notes),
    )


def driver_scores(spec: ProjectionSpec, seed: SeedLike = None) -> Float64Array:
    """The standard-normal scores (paths, random drivers) the driver model drew on every
    path of the run, before the copula's factor."""
    model = spec.drivers
    k = len(model.random) if model is not None else 0
    root = normalise_seed(spec.seed if seed is None else seed)
    parts = []
    for block in range(spec.n_blocks):
        n = _block_size(spec, block)
        parts.append(_generators(root, block)[1].standard_normal((n, k)))
    return np.concatenate(parts)


class _DriverEnds:
    """The book at the horizon with one driver pinned, on the base run's paths: the other
    companies as they ended, each driver-modelled company its re-evaluated driver's log
    multiple plus the base run's jumps (see the module's docstring)."""

    def __init__(self, spec: ProjectionSpec, base: Terminals, root: np.random.SeedSequence):
        model = spec.drivers
        if model is None:  # pragma: no cover - driver inputs come from the model
            raise SpecError("no drivers", field="driver")
        plan = build_plan(spec)
        self.model = model
        self.z = driver_scores(spec, root)
        values = evaluate_drivers(model, self.z)
        self.random = {name: values[name] for name in model.random}
        w = np.array(spec.start_values, dtype=np.float64)
        self.total = float(w.sum())
        self.cols: list[tuple[float, str, float, Float64Array]] = []
        fixed = np.zeros(base.book.shape[0])
        for i, a in enumerate(spec.assets):
            if a.model == "driver":
                jumps = base.log_company[:, i] - base.log_driver[:, int(plan.dcol[i])]
                self.cols.append((float(w[i]), str(a.driver), a.driver_scale, jumps))
            else:
                fixed += w[i] * np.exp(base.log_company[:, i])
        self.fixed = fixed
        self.whole = spec.whole_book(spec.years)

    def book(self, name: str, value: float) -> Float64Array:
        given = {**self.random, name: np.full(self.z.shape[0], value)}
        dv = evaluate_drivers(self.model, self.z, given)
        out = self.fixed.copy()
        for w, driver, scale, jumps in self.cols:
            out += w * np.exp(np.log(np.maximum(dv[driver] / scale, WIPED_OUT)) + jumps)
        result: Float64Array = out / self.total * self.whole[0] + self.whole[1]
        return result


def _bar(inp: SensitivityInput, lo: Float64Array, hi: Float64Array, k: float, n: int) -> TornadoBar:
    hit_lo = (lo >= k).astype(np.float64)
    hit_hi = (hi >= k).astype(np.float64)
    p_lo, p_hi = float(hit_lo.mean()), float(hit_hi.mean())
    diff = hit_hi - hit_lo
    se = float(diff.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    se_ind = math.sqrt((p_lo * (1 - p_lo) + p_hi * (1 - p_hi)) / n)
    llo = np.log(np.maximum(lo, WIPED_OUT))
    lhi = np.log(np.maximum(hi, WIPED_OUT))
    dlog = lhi - llo
    med_lo, med_hi = float(np.median(lo)), float(np.median(hi))
    return TornadoBar(
        input=inp.name,
        kind=inp.kind,
        base=inp.base,
        low=inp.low,
        high=inp.high,
        source=inp.source,
        p_low=p_lo,
        p_high=p_hi,
        p_swing=p_hi - p_lo,
        p_swing_se=se,
        p_swing_se_independent=se_ind,
        median_low=med_lo,
        median_high=med_hi,
        median_swing=med_hi - med_lo,
        mean_log_low=float(llo.mean()),
        mean_log_high=float(lhi.mean()),
        mean_log_swing_se=float(dlog.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0,
    )


# ---------------------------------------------------------------------------- Sobol


def evaluate_drivers(
    model: DriverModel, z: Float64Array, given: dict[str, Float64Array] | None = None
) -> dict[str, Float64Array]:
    """Every driver's value for independent standard-normal scores ``z`` (n, random
    drivers): the copula's factor, then each driver's quantile, then the formulas."""
    n = z.shape[0]
    if model.correlations:
        z = z @ model.factor.T
    column = {name: i for i, name in enumerate(model.random)}
    by_name = {d.name: d for d in model.drivers}
    values: dict[str, Float64Array] = {}
    for name in model.order:
        d = by_name[name]
        if d.expr is not None:
            values[name] = d.expr.evaluate(values, n)
        elif given is not None and name in given:  # precomputed (quantiles are slow)
            values[name] = given[name]
        elif d.is_random:
            values[name] = d.quantile(z[:, column[name]])
        else:
            values[name] = np.full(n, float(d.value or 0.0))
    return values


def sobol_drivers(
    spec: ProjectionSpec,
    base: Terminals,
    *,
    n: int = 2**12,
    seed: SeedLike = None,
    confidence_level: float = 0.95,
    n_resamples: int = 999,
) -> tuple[SobolIndex, ...]:
    """First-order and total Sobol indices of the whole book's log multiple for the random
    drivers (see the module's docstring for the function they are of)."""
    model = spec.drivers
    if model is None or not model.random:
        return ()
    if n < 2 or n & (n - 1):
        raise ValueError(f"sobol n must be a power of 2, got {n}")
    weights = np.array(spec.start_values, dtype=np.float64)
    weights = weights / weights.sum()
    median_log = np.median(base.log_company, axis=0) if base.log_company.size else None
    fixed = np.zeros(len(spec.assets))
    drv: list[tuple[int, str, float]] = []
    for i, a in enumerate(spec.assets):
        if a.model == "driver":
            drv.append((i, str(a.driver), a.driver_scale))
        elif median_log is not None:
            fixed[i] = math.exp(float(median_log[i]))
    rest = float(weights @ fixed)
    w_scale, w_shift = spec.whole_book(spec.years)  # of the whole book, as project counts

    def func(x: Float64Array) -> Float64Array:
        z = special.ndtri(np.clip(x.T, 1e-12, 1 - 1e-12))
        values = evaluate_drivers(model, z)
        book = np.full(z.shape[0], rest)
        for i, name, scale in drv:
            book = book + weights[i] * np.maximum(values[name] / scale, WIPED_OUT)
        out: Float64Array = np.log(np.maximum(book * w_scale + w_shift, WIPED_OUT))
        return out

    root = normalise_seed(seed)
    rng = np.random.Generator(np.random.PCG64(root.spawn(1)[0]))
    from scipy import stats  # here: scipy.stats costs a server's start about a second

    dists = [stats.uniform() for _ in model.random]
    res = stats.sobol_indices(func=func, n=n, dists=dists, rng=rng)
    # SobolResult.bootstrap takes no rng: it draws from NumPy's global RandomState, so the
    # intervals changed from run to run. Seeded here from the run's seed, then restored.
    state = np.random.get_state()  # noqa: NPY002 - the state scipy reads
    np.random.seed(int(rng.integers(0, 2**32)))  # noqa: NPY002
    try:
        # a driver the book does not depend on has index 0 on every resample: scipy's BCa
        # interval divides by zero and warns; its interval is NaN (null in JSON), not a warning
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", stats.DegenerateDataWarning)
            boot = res.bootstrap(confidence_level=confidence_level, n_resamples=n_resamples)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    first_ci = boot.first_order.confidence_interval
    total_ci = boot.total_order.confidence_interval
    return tuple(
        SobolIndex(
            driver=name,
            first_order=float(res.first_order[j]),
            first_order_low=float(first_ci.low[j]),
            first_order_high=float(first_ci.high[j]),
            total=float(res.total_order[j]),
            total_low=float(total_ci.low[j]),
            total_high=float(total_ci.high[j]),
        )
        for j, name in enumerate(model.random)
    )
