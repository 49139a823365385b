"""Driver models: the "probabilistic spreadsheet" behind a thesis.

Each driver is a distribution (fixed, normal, lognormal from a 90% interval, uniform,
triangular, PERT) or a formula of other drivers. Random drivers may be correlated through a
Gaussian copula: correlated standard normals z are drawn once, and each driver takes its
quantile at Φ(z), so every marginal stays exactly as specified. Formulas are evaluated in
dependency order; a cycle is an error that names it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import special

from conviction._typing import Float64Array
from conviction.errors import FormatError, SpecError, UnknownIdError
from conviction.projection.correlation import correlation_factor, correlation_matrix
from conviction.projection.expr import Expr, parse

__all__ = ["DISTRIBUTIONS", "Z90", "DriverCorrelation", "DriverModel", "DriverSpec"]

Distribution = Literal["fixed", "normal", "lognormal", "uniform", "triangular", "pert", "formula"]
DISTRIBUTIONS: tuple[Distribution, ...] = (
    "fixed",
    "normal",
    "lognormal",
    "uniform",
    "triangular",
    "pert",
    "formula",
)
#: Φ⁻¹(0.95): a 90% interval of a normal is mean ± Z90·sd.
Z90 = 1.6448536269514722

_NEEDS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "lognormal": ("low", "high"),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "pert": ("low", "mode", "high"),
    "formula": ("formula",),
}


@dataclass(frozen=True, slots=True)
class DriverSpec:
    """One driver. ``normal`` takes ``mean`` and ``sd`` or a 90% interval ``low``/``high``;
    ``lognormal`` takes its 90% interval ``low``/``high`` (both > 0); ``uniform`` its bounds;
    ``triangular`` and ``pert`` take ``low``, ``mode`` and ``high``."""

    name: str
    distribution: Distribution
    value: float | None = None
    mean: float | None = None
    sd: float | None = None
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    formula: str | None = None
    note: str = ""
    expr: Expr | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        key = f"driver[{self.name}]"
        if not self.name or not self.name.replace("_", "a").isalnum() or self.name[0].isdigit():
            raise FormatError(f"a driver name is a word like optimus_units, got {self.name!r}")
        if self.distribution not in DISTRIBUTIONS:
            raise FormatError(
                f"unknown distribution {self.distribution!r}; expected one of "
                + ", ".join(DISTRIBUTIONS),
                field=f"{key}.distribution",
            )
        if self.distribution == "normal":
            by_sd = self.mean is not None or self.sd is not None
            needs: tuple[str, ...] = ("mean", "sd") if by_sd else ("low", "high")
        else:
            needs = _NEEDS[self.distribution]
        for name in needs:
            value = getattr(self, name)
            if value is None:
                raise FormatError(f"{self.distribution} needs {name}", field=f"{key}.{name}")
            if name != "formula" and not math.isfinite(value):
                raise FormatError(f"expected a finite number, got {value}", field=f"{key}.{name}")
        lo, hi, mode = self.low, self.high, self.mode
        if lo is not None and hi is not None and "low" in needs and not lo < hi:
            raise SpecError(f"low ({lo}) must be below high ({hi})", field=f"{key}.low")
        if self.distribution == "lognormal" and lo is not None and lo <= 0:
            raise SpecError(f"a lognormal interval needs low > 0, got {lo}", field=f"{key}.low")
        in_range = mode is None or lo is None or hi is None or lo <= mode <= hi
        if self.distribution in ("triangular", "pert") and not in_range:
            raise SpecError(f"mode {mode} lies outside [{lo}, {hi}]", field=f"{key}.mode")
        if self.distribution == "normal" and self.sd is not None and self.sd < 0:
            raise SpecError(f"sd must be >= 0, got {self.sd}", field=f"{key}.sd")
        if self.distribution == "formula":
            object.__setattr__(self, "expr", parse(str(self.formula), field=f"{key}.formula"))

    @property
    def is_random(self) -> bool:
        return self.distribution not in ("fixed", "formula")

    def quantile(self, z: Float64Array) -> Float64Array:
        """The driver's value at standard-normal score ``z`` (its quantile at Φ(z))."""
        d = self.distribution
        if d == "fixed":
            return np.full(z.shape, float(self.value or 0.0))
        if d == "normal":
            if self.mean is not None:
                return self.mean + float(self.sd or 0.0) * z
            lo, hi = float(self.low or 0.0), float(self.high or 0.0)
            return 0.5 * (lo + hi) + (hi - lo) / (2 * Z90) * z
        lo, hi = float(self.low or 0.0), float(self.high or 0.0)
        if d == "lognormal":
            a, b = math.log(lo), math.log(hi)
            return np.exp(0.5 * (a + b) + (b - a) / (2 * Z90) * z)
        u: Float64Array = special.ndtr(z)
        if d == "uniform":
            return lo + (hi - lo) * u
        mode = float(self.mode if self.mode is not None else lo)
        if d == "triangular":
            c = (mode - lo) / (hi - lo)
            left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
            right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - mode))
            return np.where(u < c, left, right)
        # PERT: a beta on [low, high] with shape 1 + 4·(mode − low)/(high − low).
        alpha = 1.0 + 4.0 * (mode - lo) / (hi - lo)
        beta = 1.0 + 4.0 * (hi - mode) / (hi - lo)
        x: Float64Array = special.betaincinv(alpha, beta, u)
        return lo + (hi - lo) * x

    def mean_value(self) -> float | None:
        """The distribution's exact mean (None for formulas)."""
        d, lo, hi = self.distribution, float(self.low or 0.0), float(self.high or 0.0)
        mode = float(self.mode or 0.0)
        if d == "fixed":
            return float(self.value or 0.0)
        if d == "normal":
            return float(self.mean) if self.mean is not None else 0.5 * (lo + hi)
        if d == "lognormal":
            a, b = math.log(lo), math.log(hi)
            s = (b - a) / (2 * Z90)
            return math.exp(0.5 * (a + b) + 0.5 * s * s)
        if d == "uniform":
            return 0.5 * (lo + hi)
        if d == "triangular":
            return (lo + mode + hi) / 3.0
        if d == "pert":
            return (lo + 4.0 * mode + hi) / 6.0
        return None


@dataclass(frozen=True, slots=True)
class DriverCorrelation:
    """Gaussian-copula correlation between two random drivers."""

    a: str
    b: str
    rho: float

    def __post_init__(self) -> None:
        key = f"driver_correlation[{self.a},{self.b}].rho"
        if not (math.isfinite(self.rho) and -1.0 <= self.rho <= 1.0):
            raise SpecError(f"rho must lie in [-1, 1], got {self.rho}", field=key)
        if self.a == self.b:
            raise SpecError("a correlation needs two different drivers", field=key)


@dataclass(frozen=True, slots=True)
class DriverModel:
    """A set of drivers with their correlations, checked and put in evaluation order."""

    drivers: tuple[DriverSpec, ...]
    correlations: tuple[DriverCorrelation, ...] = ()
    order: tuple[str, ...] = field(default=(), init=False, compare=False)
    random: tuple[str, ...] = field(default=(), init=False, compare=False)
    factor: Float64Array = field(
        default_factory=lambda: np.zeros((0, 0)), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        by_name: dict[str, DriverSpec] = {}
        for d in self.drivers:
            if d.name in by_name:
                raise SpecError("driver defined twice", field=f"driver[{d.name}]")
            by_name[d.name] = d
        known = frozenset(by_name)
        for d in self.drivers:
            if d.expr is not None:
                d.expr.check_names(known, field=f"driver[{d.name}].formula")
        object.__setattr__(self, "order", _topological(by_name))
        random = tuple(d.name for d in self.drivers if d.is_random)
        object.__setattr__(self, "random", random)
        for c in self.correlations:
            for name in (c.a, c.b):
                if name not in by_name:
                    raise UnknownIdError(
                        f"unknown driver {name!r}", field=f"driver_correlation[{c.a},{c.b}]"
                    )
                if not by_name[name].is_random:
                    raise SpecError(
                        f"driver {name!r} is not random ({by_name[name].distribution}); only "
                        "random drivers can be correlated",
                        field=f"driver_correlation[{c.a},{c.b}]",
                    )
        pairs = [(c.a, c.b, c.rho) for c in self.correlations]
        cmat = correlation_matrix(random, pairs, field="driver_correlation")
        object.__setattr__(
            self, "factor", correlation_factor(cmat, random, field="driver_correlation")
        )

    @property
    def names(self) -> frozenset[str]:
        return frozenset(d.name for d in self.drivers)

    def get(self, name: str) -> DriverSpec:
        for d in self.drivers:
            if d.name == name:
                return d
        raise KeyError(name)

    def sample(self, rng: np.random.Generator, n: int) -> dict[str, Float64Array]:
        """Every driver's value on ``n`` paths (one standard normal per random driver and
        path, drawn as one (n, k) block, then correlated)."""
        by_name = {d.name: d for d in self.drivers}
        z = rng.standard_normal((n, len(self.random)))
        if self.correlations:
            z = z @ self.factor.T
        values: dict[str, Float64Array] = {}
        column = {name: i for i, name in enumerate(self.random)}
        for name in self.order:
            d = by_name[name]
            if d.expr is not None:
                values[name] = d.expr.evaluate(values, n)
            elif d.is_random:
                values[name] = d.quantile(z[:, column[name]])
            else:
                values[name] = np.full(n, float(d.value or 0.0))
        return values


def _topological(by_name: Mapping[str, DriverSpec]) -> tuple[str, ...]:
    """Drivers in an order where each formula comes after what it reads; a cycle raises."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for start in by_name:
        if state.get(start) == 2:
            continue
        stack: list[tuple[str, list[str]]] = [(start, _deps(by_name[start]))]
        path = [start]
        state[start] = 1
        while stack:
            name, deps = stack[-1]
            if deps:
                nxt = deps.pop()
                if state.get(nxt) == 1:
                    cycle = [*path[path.index(nxt) :], nxt]
                    raise SpecError(
                        "drivers depend on each other in a cycle: " + " -> ".join(cycle),
                        field=f"driver[{nxt}].formula",
                    )
                if state.get(nxt) is None:
                    state[nxt] = 1
                    path.append(nxt)
                    stack.append((nxt, _deps(by_name[nxt])))
            else:
                stack.pop()
                path.pop()
                state[name] = 2
                order.append(name)
    return tuple(order)


def _deps(d: DriverSpec) -> list[str]:
    return sorted(d.expr.names(), reverse=True) if d.expr is not None else []
