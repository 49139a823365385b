"""The immutable result of a projection, and its JSON shape.

Conventions stated once: a *multiple* is value at the horizon over value today; CAGR is
multiple^(1/years) − 1 on the projection's years (no day counts); a drawdown is the largest
fall of the book's monthly (per step) value from its running peak, as a fraction.

The *book* is the whole book: the projected holdings, the held companies the spec does not
model (at today's value) and cash earning ``cash_rate`` a year (``ProjectionSpec.cash``,
``unprojected``, ``cash_rate``; all 0 by default, when the book is the holdings). Its
terminal multiple, fan, CAGR, mean and P(target) are the headline; the holdings' own
multiple and P(target) are kept beside (``holdings_*``). The whole book's multiple is an
increasing affine map of the holdings' on every path, so its percentiles are the map of
theirs and P(target) is counted path by path. The drawdown is the holdings'.

The mean of the value exists only when every log return has finite exponential moments:
with Student-t log returns E[exp(t)] is infinite, the sample mean never settles, and the
result reports ``mean_multiple = None`` (JSON null) with a note. The mean of the log
multiple always exists and is reported with its standard error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from conviction._typing import Float64Array
from conviction.projection.spec import ProjectionSpec
from conviction.projection.summaries import Accumulator

__all__ = ["NO_MEAN_NOTE", "ProjectionResult", "build_result"]

NO_MEAN_NOTE = (
    "the mean of value does not exist: Student-t log returns make E[exp(return)] infinite, "
    "so a sample mean would not settle; see the median and mean_log_multiple"
)


@dataclass(frozen=True)
class ProjectionResult:
    """Percentile arrays follow ``percentiles`` (e.g. 5, 25, 50, 75, 95)."""

    paths: int
    years: int
    steps_per_year: int
    seed: int | None
    target_multiple: float
    companies: tuple[str, ...]
    start_values: Float64Array  # (A,)
    percentiles: Float64Array  # (Q,)
    terminal_multiple: Float64Array  # (Q,) of the book
    mean_multiple: float | None  # None where the mean does not exist
    mean_multiple_se: float | None
    mean_log_multiple: float
    mean_log_multiple_se: float
    prob_target: float
    prob_target_se: float
    max_drawdown: Float64Array  # (Q,)
    fan: Float64Array  # (years + 1, Q) book multiple at each year end
    company_multiple: Float64Array  # (A, Q)
    company_mean_multiple: tuple[float | None, ...]  # (A,)
    company_mean_log_multiple: Float64Array  # (A,)
    summary: str  # "exact" or "histogram"
    backend: str
    # the rest of the whole book, and the projected holdings' own figures
    cash: float = 0.0
    cash_rate: float = 0.0
    unprojected: float = 0.0
    holdings_multiple: Float64Array | None = None  # (Q,); None: same as terminal_multiple
    holdings_prob_target: float | None = None
    holdings_prob_target_se: float | None = None

    @property
    def holdings_value(self) -> float:
        """The projected holdings today."""
        return float(self.start_values.sum())

    @property
    def start_value(self) -> float:
        """The whole book today: holdings, unprojected holdings and cash."""
        return self.holdings_value + self.unprojected + self.cash

    @property
    def cash_at_horizon(self) -> float:
        return float(self.cash * (1.0 + self.cash_rate) ** self.years)

    @property
    def mean_exists(self) -> bool:
        return self.mean_multiple is not None

    @property
    def required_cagr(self) -> float:
        """The annual rate that turns 1 into ``target_multiple`` in ``years``."""
        return float(self.target_multiple ** (1.0 / self.years) - 1.0)

    @property
    def cagr(self) -> Float64Array:
        """Percentiles of the book's CAGR (the terminal multiple's, as annual rates)."""
        out: Float64Array = np.power(self.terminal_multiple, 1.0 / self.years) - 1.0
        return out

    @property
    def terminal_value(self) -> Float64Array:
        out: Float64Array = self.terminal_multiple * self.start_value
        return out

    def _pcts(self, values: Float64Array) -> dict[str, float]:
        return {_label(q): float(v) for q, v in zip(self.percentiles, values, strict=True)}

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``conviction project --json`` (values in the currency of
        the start values; NaN and missing means as None)."""
        start = self.start_value
        mean = self.mean_multiple
        value: dict[str, float | None] = {**self._pcts(self.terminal_value)}
        multiple: dict[str, float | None] = {**self._pcts(self.terminal_multiple)}
        value["mean"] = None if mean is None else mean * start
        multiple["mean"] = mean
        terminal: dict[str, Any] = {
            "value": value,
            "multiple": multiple,
            "mean_multiple_se": self.mean_multiple_se,
            "mean_log_multiple": self.mean_log_multiple,
            "mean_log_multiple_se": self.mean_log_multiple_se,
        }
        if mean is None:
            terminal["mean_note"] = NO_MEAN_NOTE
        companies = []
        for i, cid in enumerate(self.companies):
            sv = float(self.start_values[i])
            cmean = self.company_mean_multiple[i]
            cm: dict[str, float | None] = {**self._pcts(self.company_multiple[i])}
            cv: dict[str, float | None] = {**self._pcts(self.company_multiple[i] * sv)}
            cm["mean"] = cmean
            cv["mean"] = None if cmean is None else cmean * sv
            companies.append(
                {
                    "company": cid,
                    "start_value": sv,
                    "terminal": {
                        "value": cv,
                        "multiple": cm,
                        "mean_log_multiple": float(self.company_mean_log_multiple[i]),
                    },
                }
            )
        hm = self.terminal_multiple if self.holdings_multiple is None else self.holdings_multiple
        hp = self.prob_target if self.holdings_prob_target is None else self.holdings_prob_target
        hse = (
            self.prob_target_se
            if self.holdings_prob_target_se is None
            else self.holdings_prob_target_se
        )
        return {
            "paths": self.paths,
            "years": self.years,
            "steps_per_year": self.steps_per_year,
            "seed": self.seed,
            "start_value": start,
            "target_multiple": self.target_multiple,
            "terminal": terminal,
            "prob_target": {"estimate": self.prob_target, "se": self.prob_target_se},
            "cash": {
                "value": self.cash,
                "rate": self.cash_rate,
                "at_horizon": self.cash_at_horizon,
            },
            "unprojected": self.unprojected,
            "holdings": {
                "start_value": self.holdings_value,
                "multiple": self._pcts(hm),
                "prob_target": {"estimate": hp, "se": hse},
            },
            "required_cagr": self.required_cagr,
            "cagr": self._pcts(self.cagr),
            "max_drawdown": self._pcts(self.max_drawdown),
            "fan": [{"year": y, **self._pcts(self.fan[y] * start)} for y in range(self.years + 1)],
            "companies": companies,
            "summary": self.summary,
            "backend": self.backend,
        }


def _label(q: float) -> str:
    return f"p{q:g}".replace(".", "_")


def build_result(
    spec: ProjectionSpec, acc: Accumulator, *, seed: int | None, backend: str
) -> ProjectionResult:
    """Turn the accumulated summaries into the result."""
    q = np.asarray(spec.percentiles, dtype=np.float64)
    pct = acc.percentiles(q)
    t = acc.all_totals()
    n = float(t.n.sum())
    hits = float(t.hits.sum())
    p = hits / n
    hp = float(t.holdings_hits.sum()) / n
    # the whole book's percentiles: the increasing affine image of the holdings' (exact)
    scale, shift = spec.whole_book(spec.years)
    book = pct["book"] * scale + shift
    fan = np.array(
        [
            pct["years"][y] * spec.whole_book(y)[0] + spec.whole_book(y)[1]
            for y in range(spec.years + 1)
        ]
    )
    mean_log = float(t.book_log.sum() / n)
    var_log = max(float(t.book_log_sq.sum() / n) - mean_log**2, 0.0)
    mean_exists = spec.mean_exists
    mean = float(t.book_sum.sum() / n)
    var = max(float(t.book_sq.sum() / n) - mean**2, 0.0)
    company_mean = np.sum(t.asset_sum, axis=0) / n
    company_has_mean = [a.model != "student_t" for a in spec.assets]
    return ProjectionResult(
        paths=spec.paths,
        years=spec.years,
        steps_per_year=spec.steps_per_year,
        seed=seed,
        target_multiple=spec.target_multiple,
        companies=spec.companies,
        start_values=np.asarray(spec.start_values, dtype=np.float64),
        percentiles=q,
        terminal_multiple=book,
        mean_multiple=mean if mean_exists else None,
        mean_multiple_se=math.sqrt(var / n) if mean_exists else None,
        mean_log_multiple=mean_log,
        mean_log_multiple_se=math.sqrt(var_log / n),
        prob_target=p,
        prob_target_se=math.sqrt(p * (1.0 - p) / n),
        max_drawdown=pct["drawdown"],
        fan=fan,
        company_multiple=pct["assets"],
        company_mean_multiple=tuple(
            float(m) if ok else None for m, ok in zip(company_mean, company_has_mean, strict=True)
        ),
        company_mean_log_multiple=np.sum(t.asset_log, axis=0) / n,
        summary=acc.mode,
        backend=backend,
        cash=spec.cash,
        cash_rate=spec.cash_rate,
        unprojected=spec.unprojected,
        holdings_multiple=pct["book"],
        holdings_prob_target=hp,
        holdings_prob_target_se=math.sqrt(hp * (1.0 - hp) / n),
    )
