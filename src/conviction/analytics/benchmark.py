"""Comparison with a benchmark series (SPY, ^GSPC, an index fund policy).

Every function takes the strategy's returns (1-D, or 2-D with one column per account)
and the benchmark's returns (1-D, shared by every column, or 2-D of the same shape).
Pandas inputs are aligned on their common dates first (an inner join); arrays must have
the same length. Each statistic uses only the observations where both sides are
observed (pairwise complete), as quantstats' ``greeks`` does.

Definitions, with ``r`` the strategy, ``b`` the benchmark, ``a = r - b`` the active
return, ``P`` the periods per year (252):

- ``excess_cagr = cagr(r) - cagr(b)`` (annualised, over the paired observations).
- ``beta = cov(r, b) / var(b)``; the same in quantstats ``greeks`` and empyrical ``beta``.
- ``alpha = (mean(r) - beta * mean(b)) * P``: arithmetic annualisation, as quantstats
  ``greeks``. (empyrical compounds it: ``(1 + mean(r - beta * b)) ** P - 1``.)
- ``correlation``: Pearson's correlation of ``r`` and ``b``.
- ``tracking_error = std(a, ddof=1) * sqrt(P)``.
- ``information_ratio = mean(a) / std(a, ddof=1) * sqrt(P)``: annualised. (quantstats'
  ``information_ratio`` and empyrical's ``excess_sharpe`` are the same ratio per period,
  not annualised: ours is theirs times ``sqrt(P)``.)
- ``up_capture = cagr(r | b > 0) / cagr(b | b > 0)``: the annualised return of the
  strategy over the periods the benchmark rose, over the benchmark's own;
  ``down_capture`` the same over the periods it fell (empyrical's definitions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from conviction._typing import Float64Array
from conviction.analytics._kernels import cagr as cagr_kernel
from conviction.analytics._kernels import count, mean, std
from conviction.analytics._shape import ArrayLike2, Shaped, as_2d, safe_divide
from conviction.analytics.periods import DAILY, year_convention

__all__ = [
    "BenchmarkComparison",
    "align",
    "alpha",
    "beta",
    "compare",
    "correlation",
    "down_capture",
    "excess_cagr",
    "information_ratio",
    "tracking_error",
    "up_capture",
]


def align(data: ArrayLike2, benchmark: ArrayLike2) -> tuple[Any, Any]:
    """Both inputs restricted to their common dates (pandas) or checked equal in length.

    Works on prices as well as returns: align prices first, then take returns, so that a
    return on either side spans the same dates.
    """
    if isinstance(data, pd.Series | pd.DataFrame) and isinstance(
        benchmark, pd.Series | pd.DataFrame
    ):
        common = data.index.intersection(benchmark.index, sort=True)
        return data.loc[common], benchmark.loc[common]
    if len(data) != len(benchmark):
        raise ValueError(
            f"data and benchmark differ in length ({len(data)} vs {len(benchmark)}); "
            "pass pandas objects with dates to align them"
        )
    return data, benchmark


def _paired(
    returns: ArrayLike2, benchmark: ArrayLike2
) -> tuple[Shaped, Float64Array, Float64Array]:
    """(shape of the strategy, r, b) as (time, columns) arrays, NaN where either is missing."""
    returns, benchmark = align(returns, benchmark)
    s = as_2d(returns)
    b = as_2d(benchmark).values
    if b.shape[1] != s.values.shape[1]:
        if b.shape[1] != 1:
            raise ValueError(
                f"benchmark has {b.shape[1]} columns; give one or as many as the returns "
                f"({s.values.shape[1]})"
            )
        b = np.broadcast_to(b, s.values.shape)
    both = ~np.isnan(s.values) & ~np.isnan(b)
    return s, np.where(both, s.values, np.nan), np.where(both, b, np.nan)


def _cov(r: Float64Array, b: Float64Array) -> Float64Array:
    n = count(r)
    prod = np.where(np.isnan(r), 0.0, (r - mean(r)) * (b - mean(b)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 1, prod.sum(axis=0) / (n - 1), np.nan)


def _beta(r: Float64Array, b: Float64Array) -> Float64Array:
    return safe_divide(_cov(r, b), _cov(b, b))


def excess_cagr(returns: ArrayLike2, benchmark: ArrayLike2, periods: float = DAILY) -> Any:
    """``cagr(r) - cagr(b)`` over the observations both series have."""
    s, r, b = _paired(returns, benchmark)
    return s.scalar(cagr_kernel(r, periods) - cagr_kernel(b, periods))


def beta(returns: ArrayLike2, benchmark: ArrayLike2) -> Any:
    """``cov(r, b) / var(b)``; NaN when the benchmark does not vary."""
    s, r, b = _paired(returns, benchmark)
    return s.scalar(_beta(r, b))


def alpha(returns: ArrayLike2, benchmark: ArrayLike2, periods: float = DAILY) -> Any:
    """Annualised alpha ``(mean(r) - beta * mean(b)) * periods`` (quantstats ``greeks``)."""
    s, r, b = _paired(returns, benchmark)
    return s.scalar((mean(r) - _beta(r, b) * mean(b)) * periods)


def correlation(returns: ArrayLike2, benchmark: ArrayLike2) -> Any:
    """Pearson correlation of the paired returns."""
    s, r, b = _paired(returns, benchmark)
    return s.scalar(safe_divide(_cov(r, b), std(r) * std(b)))


def tracking_error(returns: ArrayLike2, benchmark: ArrayLike2, periods: float = DAILY) -> Any:
    """Annualised tracking error ``std(r - b, ddof=1) * sqrt(periods)``."""
    s, r, b = _paired(returns, benchmark)
    return s.scalar(std(r - b) * np.sqrt(periods))


def information_ratio(returns: ArrayLike2, benchmark: ArrayLike2, periods: float = DAILY) -> Any:
    """Annualised ``mean(r - b) / std(r - b, ddof=1) * sqrt(periods)``; NaN if r == b."""
    s, r, b = _paired(returns, benchmark)
    a = r - b
    return s.scalar(safe_divide(mean(a), std(a)) * np.sqrt(periods))


def _capture(returns: ArrayLike2, benchmark: ArrayLike2, periods: float, up: bool) -> Any:
    s, r, b = _paired(returns, benchmark)
    keep = b > 0 if up else b < 0
    rk, bk = np.where(keep, r, np.nan), np.where(keep, b, np.nan)
    return s.scalar(safe_divide(cagr_kernel(rk, periods), cagr_kernel(bk, periods)))


def up_capture(returns: ArrayLike2, benchmark: ArrayLike2, periods: float = DAILY) -> Any:
    """Annualised return over the benchmark's up periods, over the benchmark's own."""
    return _capture(returns, benchmark, periods, up=True)


def down_capture(returns: ArrayLike2, benchmark: ArrayLike2, periods: float = DAILY) -> Any:
    """Annualised return over the benchmark's down periods, over the benchmark's own."""
    return _capture(returns, benchmark, periods, up=False)


@dataclass(frozen=True)
class BenchmarkComparison:
    """One series against its benchmark, over the ``observations`` both have.

    Annualised figures count ``periods`` observations per year (see ``year_convention``).
    """

    name: str | None
    observations: int
    periods: float
    cagr: float
    benchmark_cagr: float
    excess_cagr: float
    beta: float
    alpha: float
    correlation: float
    tracking_error: float
    information_ratio: float
    up_capture: float
    down_capture: float

    @property
    def year_convention(self) -> str:
        return year_convention(self.periods)


def compare(
    returns: ArrayLike2,
    benchmark: ArrayLike2,
    *,
    periods: float = DAILY,
    name: str | None = None,
) -> BenchmarkComparison:
    """Every comparison above for one series (1-D array or Series) and its benchmark."""
    s, r, b = _paired(returns, benchmark)
    if not s.one_d:
        raise ValueError("compare takes one series; call the metrics directly for 2-D")
    rr, bb = np.ravel(r[~np.isnan(r)]), np.ravel(b[~np.isnan(b)])
    cg, bg = float(cagr_kernel(r, periods)[0]), float(cagr_kernel(b, periods)[0])
    return BenchmarkComparison(
        name=name,
        observations=int(rr.size),
        periods=float(periods),
        cagr=cg,
        benchmark_cagr=bg,
        excess_cagr=cg - bg,
        beta=beta(rr, bb),
        alpha=alpha(rr, bb, periods),
        correlation=correlation(rr, bb),
        tracking_error=tracking_error(rr, bb, periods),
        information_ratio=information_ratio(rr, bb, periods),
        up_capture=up_capture(rr, bb, periods),
        down_capture=down_capture(rr, bb, periods),
    )
