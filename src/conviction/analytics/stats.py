"""Return statistics as pure, stateless functions (the empyrical pattern).

Each metric takes **returns** (use ``simple_returns`` for prices) as a 1-D array, a 2-D
(time, columns) array, a Series or a DataFrame, and gives a float for 1-D input or one
value per column for 2-D input (an array, or a Series indexed by the columns). 2-D input
is computed column by column in one vectorised pass: many accounts at once.

Definitions (agree with quantstats 0.0.86 ``quantstats.stats.*`` with rf = 0,
periods = 252, compounded; see docs/analytics.md for where empyrical differs):

- NaN is a missing observation and is skipped; ``n`` counts observed returns only.
- ``cagr = prod(1 + r) ** (periods / n) - 1``: years are observations / ``periods``,
  not calendar days.
- ``volatility = std(r, ddof=1) * sqrt(periods)``.
- ``sharpe = mean(r - rf_p) / std(r - rf_p, ddof=1) * sqrt(periods)`` where the annual
  ``rf`` becomes the per-period ``rf_p = (1 + rf) ** (1 / periods) - 1``.
- ``sortino = mean(r - rf_p) / sqrt(sum(min(r - rf_p, 0)^2) / n) * sqrt(periods)``: every
  observation in the denominator, target 0, no Bessel correction.
- Drawdowns are measured on ``cumprod(1 + r)`` with a phantom starting value of 1.0 one
  period before the first return, so a loss on the first day counts.
- ``calmar = cagr / |max_drawdown|``.

Where a ratio's denominator is zero (no variation, no loss) the answer is NaN, not an
infinity: quantstats returns inf for some of these; see docs/analytics.md.
"""

from __future__ import annotations

from typing import Any, overload

import pandas as pd

from conviction._typing import Float64Array
from conviction.analytics._kernels import Prepared
from conviction.analytics._shape import ArrayLike2, as_2d
from conviction.analytics.periods import DAILY

__all__ = [
    "cagr",
    "calmar",
    "current_drawdown",
    "drawdown_series",
    "longest_drawdown",
    "max_drawdown",
    "sharpe",
    "sortino",
    "time_under_water",
    "total_return",
    "volatility",
]


# --- public metrics -------------------------------------------------------------------


@overload
def total_return(returns: pd.DataFrame) -> pd.Series: ...
@overload
def total_return(returns: pd.Series) -> float: ...
@overload
def total_return(returns: Float64Array) -> Any: ...
def total_return(returns: ArrayLike2) -> Any:
    """Compounded total return ``prod(1 + r) - 1`` over the observed returns."""
    s = as_2d(returns)
    return s.scalar(Prepared(s.values).total_return())


@overload
def cagr(returns: pd.DataFrame, periods: float = DAILY) -> pd.Series: ...
@overload
def cagr(returns: pd.Series, periods: float = DAILY) -> float: ...
@overload
def cagr(returns: Float64Array, periods: float = DAILY) -> Any: ...
def cagr(returns: ArrayLike2, periods: float = DAILY) -> Any:
    """Compound annual growth rate: ``prod(1 + r) ** (periods / n) - 1``.

    ``n`` is the number of observed (non-NaN) returns: a year is ``periods``
    observations, never calendar days. NaN when nothing is observed or the value goes
    below zero.
    """
    s = as_2d(returns)
    return s.scalar(Prepared(s.values).cagr(periods))


@overload
def volatility(returns: pd.DataFrame, periods: float = DAILY) -> pd.Series: ...
@overload
def volatility(returns: pd.Series, periods: float = DAILY) -> float: ...
@overload
def volatility(returns: Float64Array, periods: float = DAILY) -> Any: ...
def volatility(returns: ArrayLike2, periods: float = DAILY) -> Any:
    """Annualised volatility: ``std(r, ddof=1) * sqrt(periods)``; NaN below 2 returns."""
    s = as_2d(returns)
    return s.scalar(Prepared(s.values).volatility(periods))


@overload
def sharpe(returns: pd.DataFrame, rf: float = 0.0, periods: float = DAILY) -> pd.Series: ...
@overload
def sharpe(returns: pd.Series, rf: float = 0.0, periods: float = DAILY) -> float: ...
@overload
def sharpe(returns: Float64Array, rf: float = 0.0, periods: float = DAILY) -> Any: ...
def sharpe(returns: ArrayLike2, rf: float = 0.0, periods: float = DAILY) -> Any:
    """Annualised Sharpe ratio ``mean(e) / std(e, ddof=1) * sqrt(periods)``, ``e = r - rf_p``.

    ``rf`` is an annual rate, turned into ``(1 + rf) ** (1 / periods) - 1`` per period.
    NaN when the returns do not vary.
    """
    s = as_2d(returns)
    return s.scalar(Prepared(s.values).sharpe(rf, periods))


@overload
def sortino(returns: pd.DataFrame, rf: float = 0.0, periods: float = DAILY) -> pd.Series: ...
@overload
def sortino(returns: pd.Series, rf: float = 0.0, periods: float = DAILY) -> float: ...
@overload
def sortino(returns: Float64Array, rf: float = 0.0, periods: float = DAILY) -> Any: ...
def sortino(returns: ArrayLike2, rf: float = 0.0, periods: float = DAILY) -> Any:
    """Annualised Sortino ratio with target 0 (quantstats' definition).

    ``downside = sqrt(sum(min(e, 0)^2) / n)`` over all ``n`` observed excess returns
    ``e``; ``sortino = mean(e) / downside * sqrt(periods)``; NaN when nothing is lost.
    """
    s = as_2d(returns)
    return s.scalar(Prepared(s.values).sortino(rf, periods))


@overload
def drawdown_series(returns: pd.DataFrame) -> pd.DataFrame: ...
@overload
def drawdown_series(returns: pd.Series) -> pd.Series: ...
@overload
def drawdown_series(returns: Float64Array) -> Float64Array: ...
def drawdown_series(returns: ArrayLike2) -> Any:
    """Drawdown at each observation: ``value / running peak - 1`` (0 at a peak, <= 0).

    The value is ``cumprod(1 + r)`` and the running peak starts from a phantom 1.0 one
    period before the first return, as in quantstats' ``to_drawdown_series``.
    """
    s = as_2d(returns)
    return s.series(Prepared(s.values).drawdown)


@overload
def max_drawdown(returns: pd.DataFrame) -> pd.Series: ...
@overload
def max_drawdown(returns: pd.Series) -> float: ...
@overload
def max_drawdown(returns: Float64Array) -> Any: ...
def max_drawdown(returns: ArrayLike2) -> Any:
    """The deepest drawdown, in [-1, 0], including a loss on the first return."""
    s = as_2d(returns)
    return s.scalar(Prepared(s.values).max_drawdown())


@overload
def calmar(returns: pd.DataFrame, periods: float = DAILY) -> pd.Series: ...
@overload
def calmar(returns: pd.Series, periods: float = DAILY) -> float: ...
@overload
def calmar(returns: Float64Array, periods: float = DAILY) -> Any: ...
def calmar(returns: ArrayLike2, periods: float = DAILY) -> Any:
    """``cagr / |max_drawdown|``; NaN when there was no drawdown."""
    s = as_2d(returns)
    return s.scalar(Prepared(s.values).calmar(periods))


@overload
def longest_drawdown(returns: pd.DataFrame) -> pd.Series: ...
@overload
def longest_drawdown(returns: pd.Series) -> float: ...
@overload
def longest_drawdown(returns: Float64Array) -> Any: ...
def longest_drawdown(returns: ArrayLike2) -> Any:
    """Longest time under water, in observations (rows) below the running peak."""
    s = as_2d(returns)
    return s.scalar(Prepared(s.values).longest_drawdown())


@overload
def current_drawdown(returns: pd.DataFrame) -> pd.Series: ...
@overload
def current_drawdown(returns: pd.Series) -> float: ...
@overload
def current_drawdown(returns: Float64Array) -> Any: ...
def current_drawdown(returns: ArrayLike2) -> Any:
    """Observations since the last peak at the end of the data (0 when at a peak)."""
    s = as_2d(returns)
    return s.scalar(Prepared(s.values).current_drawdown())


@overload
def time_under_water(returns: pd.DataFrame) -> pd.Series: ...
@overload
def time_under_water(returns: pd.Series) -> float: ...
@overload
def time_under_water(returns: Float64Array) -> Any: ...
def time_under_water(returns: ArrayLike2) -> Any:
    """Share of observed returns that leave the value below its running peak, in [0, 1]."""
    s = as_2d(returns)
    return s.scalar(Prepared(s.values).time_under_water())
