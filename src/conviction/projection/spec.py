"""What a projection is: frozen, validated specifications.

A :class:`ProjectionSpec` fully determines a projection's result for a given seed: the
horizon, the assets and their models, correlations, jumps, the driver model and the size of
the random-number blocks (``block_paths``). How the work is cut into chunks and how many
workers run it do not change the result.

Specs validate themselves when built (the boundary for API users); readers in
``conviction.io`` catch the errors and add the file name. Field names in errors follow the
TOML keys (``projection.asset[tesla].volatility``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from conviction.errors import FormatError, SpecError, UnknownIdError
from conviction.projection.drivers import DriverModel

__all__ = [
    "MODELS",
    "AssetSpec",
    "CorrelationSpec",
    "JumpSpec",
    "ModelKind",
    "ProjectionSpec",
    "ShockSpec",
]

ModelKind = Literal["gbm", "student_t", "bootstrap", "driver"]
MODELS: tuple[ModelKind, ...] = ("gbm", "student_t", "bootstrap", "driver")


def _finite(value: float, field_name: str) -> None:
    if not math.isfinite(value):
        raise FormatError(f"expected a finite number, got {value!r}", field=field_name)


@dataclass(frozen=True, slots=True)
class AssetSpec:
    """One projected holding.

    ``expected_return`` is the continuous drift mu: for ``gbm`` E[S_T] = S_0·exp(mu·T); the
    log value drifts at mu − sigma²/2 a year for ``gbm`` and ``student_t`` alike (so both have
    the same median path). ``volatility`` is the annual sigma of log returns (for ``driver``,
    the volatility along the Brownian bridge). ``df`` (> 2) is for ``student_t``: the t draws
    are scaled to unit variance, so the volatility is sigma whatever df is.

    ``history`` holds log returns at the projection's step frequency for ``bootstrap``
    (a stationary block bootstrap with mean block length ``block_years``); with
    ``expected_return`` set, the history is shifted so its mean log return is mu − s²/2 a
    year (s the history's own volatility), else it is used as it is.

    ``driver`` names the driver whose value at the horizon is this company's value, and
    ``driver_scale`` is that quantity's value today: the terminal multiple is
    driver / driver_scale.

    ``mark_every_years`` makes a private holding: its value moves only at marks (and at the
    horizon); ``None`` marks it every step. ``start_value`` is the holding's value today (its
    weight in the book). ``people`` are its key people, for jumps that name people.
    """

    company: str
    model: ModelKind = "gbm"
    expected_return: float | None = None
    volatility: float = 0.0
    df: float | None = None
    history: tuple[float, ...] = ()
    block_years: float = 0.5
    driver: str | None = None
    driver_scale: float = 1.0
    mark_every_years: float | None = None
    start_value: float = 1.0
    people: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        key = f"projection.asset[{self.company}]"
        if not self.company:
            raise FormatError("a projected asset needs a company", field="projection.asset")
        if self.model not in MODELS:
            raise FormatError(
                f"unknown model {self.model!r}; expected one of {', '.join(MODELS)}",
                field=f"{key}.model",
            )
        _finite(self.volatility, f"{key}.volatility")
        if self.volatility < 0:
            raise SpecError(
                f"volatility must be >= 0, got {self.volatility}", field=f"{key}.volatility"
            )
        if self.expected_return is not None:
            _finite(self.expected_return, f"{key}.expected_return")
        if self.model in ("gbm", "student_t") and self.expected_return is None:
            raise FormatError(f"model {self.model!r} needs it", field=f"{key}.expected_return")
        if self.model == "student_t":
            if self.df is None or not math.isfinite(self.df) or self.df <= 2:
                raise SpecError(
                    f"student_t needs df > 2 (finite variance), got {self.df}",
                    field=f"{key}.df",
                )
        elif self.df is not None:
            raise FormatError(f"df is only for student_t, not {self.model}", field=f"{key}.df")
        if self.model == "bootstrap":
            if len(self.history) < 2:
                raise SpecError("bootstrap needs a history of at least 2 returns", field=key)
            if not all(math.isfinite(r) for r in self.history):
                raise SpecError("bootstrap history holds a non-finite return", field=key)
            if not (self.block_years > 0 and math.isfinite(self.block_years)):
                raise SpecError("block_years must be > 0", field=f"{key}.block_years")
        if self.model == "driver":
            if not self.driver:
                raise FormatError("model 'driver' needs a driver name", field=f"{key}.driver")
            if not (self.driver_scale > 0 and math.isfinite(self.driver_scale)):
                raise SpecError(
                    f"the driver's value today must be > 0, got {self.driver_scale}",
                    field=f"{key}.value_today",
                )
        if self.mark_every_years is not None and not (
            self.mark_every_years > 0 and math.isfinite(self.mark_every_years)
        ):
            raise SpecError(
                f"mark_every_years must be > 0, got {self.mark_every_years}",
                field=f"{key}.mark_every_years",
            )
        _finite(self.start_value, f"{key}.start_value")
        if self.start_value < 0:
            raise SpecError("start value must be >= 0", field=f"{key}.start_value")


@dataclass(frozen=True, slots=True)
class CorrelationSpec:
    """Correlation ``rho`` between the normal shocks of companies ``a`` and ``b``.

    For two gbm assets, or two student_t assets with the same df, it is the correlation of
    their log returns; between a gbm and a student_t asset the returns' correlation is lower
    (the t asset's shocks are scaled by its own chi-square draw).
    """

    a: str
    b: str
    rho: float

    def __post_init__(self) -> None:
        key = f"projection.correlation[{self.a},{self.b}].rho"
        if not (math.isfinite(self.rho) and -1.0 <= self.rho <= 1.0):
            raise SpecError(f"rho must lie in [-1, 1], got {self.rho}", field=key)
        if self.a == self.b:
            raise SpecError("a correlation needs two different companies", field=key)


@dataclass(frozen=True, slots=True)
class JumpSpec:
    """A Poisson jump: with ``annual_probability`` of at least one a year, each hit cuts the
    value of every company it names (or every company of the named people) by ``loss``
    (a negative loss is a gain) on the same step.
    """

    name: str
    annual_probability: float
    loss: float
    companies: tuple[str, ...] = ()
    people: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        key = f"projection.jump[{self.name}]"
        if not (0.0 <= self.annual_probability < 1.0):
            raise SpecError(
                f"annual_probability must lie in [0, 1), got {self.annual_probability}",
                field=f"{key}.annual_probability",
            )
        if not (math.isfinite(self.loss) and self.loss < 1.0):
            raise SpecError(f"loss must be < 1, got {self.loss}", field=f"{key}.loss")
        if not self.companies and not self.people:
            raise FormatError("a jump names companies or people", field=key)

    @property
    def intensity(self) -> float:
        """Poisson rate per year with P(at least one event in a year) = annual_probability."""
        return -math.log1p(-self.annual_probability)


@dataclass(frozen=True, slots=True)
class ShockSpec:
    """A certain shock (the scenarios' key person gone in a given year, a company marked
    down today): at ``year`` years from today (0 = today, before the first step) the value
    of every company it names, or every company of the named people, falls by ``loss``
    (a fraction in [0, 1)) on every path. A shock in year ``y`` > 0 falls on the step that
    ends at ``y`` years (rounded to a step); a private company shows it at its next mark.
    Shocks draw no random numbers, so a spec with shocks runs on the same numbers as one
    without."""

    name: str
    year: float
    loss: float
    companies: tuple[str, ...] = ()
    people: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        key = f"projection.shock[{self.name}]"
        if not (math.isfinite(self.year) and self.year >= 0):
            raise SpecError(f"year must be >= 0, got {self.year}", field=f"{key}.year")
        if not (math.isfinite(self.loss) and 0.0 <= self.loss < 1.0):
            raise SpecError(f"loss must lie in [0, 1), got {self.loss}", field=f"{key}.loss")
        if not self.companies and not self.people:
            raise FormatError("a shock names companies or people", field=key)


@dataclass(frozen=True, slots=True)
class ProjectionSpec:
    """A whole projection. ``block_paths`` paths share one random stream
    (``SeedSequence(seed).spawn``); it is part of what the result depends on."""

    assets: tuple[AssetSpec, ...]
    years: int = 10
    steps_per_year: int = 12
    paths: int = 100_000
    seed: int | None = None
    target_multiple: float = 5.0
    correlations: tuple[CorrelationSpec, ...] = ()
    jumps: tuple[JumpSpec, ...] = ()
    drivers: DriverModel | None = None
    block_paths: int = 2048
    percentiles: tuple[float, ...] = field(default=(5.0, 25.0, 50.0, 75.0, 95.0))
    shocks: tuple[ShockSpec, ...] = ()
    # The rest of the book, so that the headline figures count the whole book: cash today
    # (earning ``cash_rate`` a year, compounded yearly) and held companies the spec does not
    # model (their value today, kept). Both 0: the whole book is the projected holdings.
    cash: float = 0.0
    cash_rate: float = 0.0
    unprojected: float = 0.0

    def __post_init__(self) -> None:
        for name, value in (("cash", self.cash), ("unprojected", self.unprojected)):
            _finite(value, f"projection.{name}")
        _finite(self.cash_rate, "projection.cash_rate")
        if not -1.0 < self.cash_rate <= 1.0:
            raise SpecError(
                f"cash_rate is an annual rate in (-1, 1] (0.04 for 4%), got {self.cash_rate:g}",
                field="projection.cash_rate",
            )
        for name, value, low in (
            ("years", self.years, 1),
            ("steps_per_year", self.steps_per_year, 1),
            ("paths", self.paths, 1),
            ("block_paths", self.block_paths, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise FormatError(
                    f"expected a whole number >= {low}, got {value!r}", field=f"projection.{name}"
                )
        if self.seed is not None and (isinstance(self.seed, bool) or self.seed < 0):
            raise FormatError("seed must be a whole number >= 0", field="projection.seed")
        if not (self.target_multiple > 0 and math.isfinite(self.target_multiple)):
            raise SpecError("target_multiple must be > 0", field="projection.target_multiple")
        if not self.assets:
            raise FormatError("a projection needs at least one asset", field="projection.asset")
        if not all(0.0 <= q <= 100.0 for q in self.percentiles):
            raise SpecError("percentiles lie in [0, 100]", field="projection.percentiles")
        ids = [a.company for a in self.assets]
        seen: set[str] = set()
        for cid in ids:
            if cid in seen:
                raise SpecError("company listed twice", field=f"projection.asset[{cid}]")
            seen.add(cid)
        if sum(a.start_value for a in self.assets) <= 0:
            raise SpecError("the projected holdings are worth nothing today", field="projection")
        if self.book_start_value <= 0:
            raise SpecError(
                f"the whole book (holdings and cash {self.cash:g}) is worth nothing today",
                field="projection.cash",
            )
        for c in self.correlations:
            for cid in (c.a, c.b):
                if cid not in seen:
                    raise UnknownIdError(
                        f"unknown company {cid!r} (not a projected asset)",
                        field=f"projection.correlation[{c.a},{c.b}]",
                    )
        people = {p for a in self.assets for p in a.people}
        for j in self.jumps:
            for cid in j.companies:
                if cid not in seen:
                    raise UnknownIdError(
                        f"unknown company {cid!r} (not a projected asset)",
                        field=f"projection.jump[{j.name}].companies",
                    )
            for pid in j.people:
                if pid not in people:
                    raise UnknownIdError(
                        f"person {pid!r} is a key person of no projected company",
                        field=f"projection.jump[{j.name}].people",
                    )
        for sh in self.shocks:
            where = f"projection.shock[{sh.name}]"
            if sh.year > self.years:
                raise SpecError(
                    f"year {sh.year:g} lies after the horizon ({self.years} years)",
                    field=f"{where}.year",
                )
            for cid in sh.companies:
                if cid not in seen:
                    raise UnknownIdError(
                        f"unknown company {cid!r} (not a projected asset)",
                        field=f"{where}.companies",
                    )
            for pid in sh.people:
                if pid not in people:
                    raise UnknownIdError(
                        f"person {pid!r} is a key person of no projected company",
                        field=f"{where}.people",
                    )
        boot = [a for a in self.assets if a.model == "bootstrap"]
        if len({len(a.history) for a in boot}) > 1:
            raise SpecError(
                "bootstrap assets are drawn jointly and need histories on the same dates",
                field="projection.asset",
            )
        for a in self.assets:
            known = self.drivers.names if self.drivers is not None else frozenset()
            if a.model == "driver" and a.driver not in known:
                raise UnknownIdError(
                    f"unknown driver {a.driver!r}", field=f"projection.asset[{a.company}].driver"
                )

    @property
    def n_steps(self) -> int:
        return self.years * self.steps_per_year

    @property
    def companies(self) -> tuple[str, ...]:
        return tuple(a.company for a in self.assets)

    @property
    def start_values(self) -> tuple[float, ...]:
        return tuple(a.start_value for a in self.assets)

    @property
    def start_value(self) -> float:
        return float(sum(self.start_values))

    @property
    def book_start_value(self) -> float:
        """The whole book today: projected holdings, unprojected holdings and cash."""
        return self.start_value + self.unprojected + self.cash

    def whole_book(self, year: float) -> tuple[float, float]:
        """(scale, shift) with whole-book multiple = scale · holdings multiple + shift at
        ``year``: (H0·m + unprojected + cash·(1 + cash_rate)^year) / (H0 + unprojected +
        cash). Exactly (1, 0) when the book is its projected holdings."""
        total = self.book_start_value
        rest = self.unprojected + self.cash * (1.0 + self.cash_rate) ** year
        return self.start_value / total, rest / total

    @property
    def n_blocks(self) -> int:
        return -(-self.paths // self.block_paths)

    @property
    def mark_every_steps(self) -> dict[str, int]:
        """For each privately marked company, how many steps apart its marks fall."""
        return {
            a.company: max(1, round(a.mark_every_years * self.steps_per_year))
            for a in self.assets
            if a.mark_every_years is not None
        }

    @property
    def mean_exists(self) -> bool:
        """Whether E[value at the horizon] is finite: not with Student-t log returns
        (E[exp(t)] diverges), nor when a driver's value has a divergent mean."""
        return not any(a.model == "student_t" for a in self.assets)

    def with_overrides(
        self,
        *,
        paths: int | None = None,
        years: int | None = None,
        seed: int | None = None,
        target_multiple: float | None = None,
        steps_per_year: int | None = None,
    ) -> ProjectionSpec:
        """A copy with command-line overrides applied (validated again)."""
        from dataclasses import replace

        return replace(
            self,
            paths=self.paths if paths is None else paths,
            years=self.years if years is None else years,
            seed=self.seed if seed is None else seed,
            target_multiple=self.target_multiple if target_multiple is None else target_multiple,
            steps_per_year=self.steps_per_year if steps_per_year is None else steps_per_year,
        )
