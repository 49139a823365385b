"""Rolling windows, generated from the plain metrics (never re-implemented).

``roll(metric, returns, window)`` evaluates any metric of ``stats`` on every window of
``window`` consecutive observations by handing it the windows as the columns of a 2-D
array, a block of windows at a time so memory stays bounded. The named rolling functions
are made from the plain ones by ``rolling_version``. ``rolling_cagr`` has a faster route
(running sums of ``log(1 + r)``) that ends in the same annualising kernel as ``cagr``;
the tests hold it equal to ``roll(cagr, ...)``.

``rolling_distribution`` answers the long-horizon question ("what did every 10-year
holding period return?"): the annualised return of every window of ``years * periods``
observations, summarised by percentiles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from conviction._typing import Float64Array
from conviction.analytics import stats
from conviction.analytics._kernels import annualise_growth
from conviction.analytics._shape import ArrayLike2, Shaped, as_2d
from conviction.analytics.periods import DAILY, year_convention

__all__ = [
    "RollingSummary",
    "roll",
    "rolling_cagr",
    "rolling_distribution",
    "rolling_max_drawdown",
    "rolling_sharpe",
    "rolling_sortino",
    "rolling_version",
    "rolling_volatility",
]

#: Elements copied per block of windows (8 bytes each): about 32 MB at a time.
_BLOCK_ELEMENTS = 1 << 22


def _window_counts(x: Float64Array, window: int) -> Float64Array:
    seen = np.concatenate([np.zeros((1, x.shape[1])), np.cumsum(~np.isnan(x), axis=0)])
    counts: Float64Array = (seen[window:] - seen[:-window]).astype(np.float64)
    return counts


def _result(s: Shaped, out: Float64Array, window: int) -> Any:
    index = s.index[window - 1 :] if s.index is not None else None
    return s.series(out, index=index)


def _check_window(window: int, min_count: int | None) -> int:
    if window < 1:
        raise ValueError(f"window must be at least 1 observation, got {window}")
    need = window if min_count is None else min_count
    if not 1 <= need <= window:
        raise ValueError(f"min_count must be in [1, window], got {min_count}")
    return need


def roll(
    metric: Callable[..., Any],
    returns: ArrayLike2,
    window: int,
    *,
    min_count: int | None = None,
    **kwargs: Any,
) -> Any:
    """``metric`` on every window of ``window`` consecutive observations.

    The value for a window sits at the window's last row, so the result has
    ``len - window + 1`` rows (Series/DataFrame: indexed by the window's end date).
    Windows with fewer than ``min_count`` observed returns (default: all ``window``) give
    NaN. ``metric`` is any function of ``stats`` that maps a 2-D array to one value per
    column; ``kwargs`` go to it (``periods=``, ``rf=``).
    """
    need = _check_window(window, min_count)
    s = as_2d(returns)
    x = s.values
    t, n = x.shape
    m = max(t - window + 1, 0)
    out = np.full((m, n), np.nan)
    if m:
        views = sliding_window_view(x, window, axis=0)  # (m, n, window), no copy
        block = max(1, _BLOCK_ELEMENTS // (window * n))
        for start in range(0, m, block):  # blocks of windows, not one window at a time
            part = views[start : start + block]
            k = part.shape[0]
            cols = part.reshape(k * n, window).T  # each window becomes a column
            out[start : start + k] = np.asarray(metric(cols, **kwargs)).reshape(k, n)
        out[_window_counts(x, window) < need] = np.nan
    return _result(s, out, window)


def rolling_version(metric: Callable[..., Any]) -> Callable[..., Any]:
    """The rolling form of a plain metric: ``f(returns, window, **kwargs)``."""

    def rolled(
        returns: ArrayLike2, window: int, *, min_count: int | None = None, **kwargs: Any
    ) -> Any:
        return roll(metric, returns, window, min_count=min_count, **kwargs)

    rolled.__name__ = f"rolling_{metric.__name__}"
    rolled.__qualname__ = rolled.__name__
    rolled.__doc__ = (
        f"``{metric.__name__}`` over every window of ``window`` observations "
        f"(see ``roll``).\n\n{metric.__name__}: {(metric.__doc__ or '').strip()}"
    )
    return rolled


rolling_volatility = rolling_version(stats.volatility)
rolling_sharpe = rolling_version(stats.sharpe)
rolling_sortino = rolling_version(stats.sortino)
rolling_max_drawdown = rolling_version(stats.max_drawdown)


def rolling_cagr(
    returns: ArrayLike2, window: int, *, min_count: int | None = None, periods: float = DAILY
) -> Any:
    """``cagr`` over every window of ``window`` observations, in O(time) per column.

    Equal to ``roll(cagr, returns, window, periods=periods)``: the growth of a window is
    ``exp`` of a difference of running sums of ``log(1 + r)``, then annualised by the same
    kernel as ``cagr``. Falls back to ``roll`` when a return is -100% or worse.
    """
    need = _check_window(window, min_count)
    s = as_2d(returns)
    x = s.values
    if np.any(x <= -1.0):
        return roll(stats.cagr, returns, window, min_count=min_count, periods=periods)
    t, n = x.shape
    if t < window:
        return _result(s, np.full((0, n), np.nan), window)
    logs = np.log1p(np.where(np.isnan(x), 0.0, x))
    run = np.concatenate([np.zeros((1, n)), np.cumsum(logs, axis=0)])
    growth = np.exp(run[window:] - run[:-window])
    counts = _window_counts(x, window)
    out = annualise_growth(growth, counts, periods)
    out[counts < need] = np.nan
    return _result(s, out, window)


@dataclass(frozen=True)
class RollingSummary:
    """Annualised returns of every ``years``-year window of one series.

    ``window`` is ``years * periods`` observations; ``count`` is the number of complete
    windows (0, with NaN statistics, when the series is shorter than one window).
    ``share_negative`` is the share of windows that lost money.
    """

    years: float
    window: int
    periods: float
    count: int
    mean: float
    min: float
    p5: float
    p25: float
    median: float
    p75: float
    p95: float
    max: float
    share_negative: float

    @property
    def year_convention(self) -> str:
        return year_convention(self.periods)


def rolling_distribution(
    returns: ArrayLike2,
    years: Sequence[float] = (1, 3, 5, 10),
    *,
    periods: float = DAILY,
) -> tuple[RollingSummary, ...]:
    """The distribution of rolling annualised returns for each horizon in ``years``.

    Takes one series (1-D array or Series). Every complete window of
    ``round(years * periods)`` observations counts; percentiles are numpy's linear ones.
    """
    s = as_2d(returns)
    if not s.one_d:
        raise ValueError("rolling_distribution takes one series; use rolling_cagr for 2-D")
    out: list[RollingSummary] = []
    for y in years:  # a handful of horizons
        window = round(y * periods)
        if window < 1:
            raise ValueError(f"a horizon of {y} years is shorter than one observation")
        vals = np.asarray(rolling_cagr(s.values, window, periods=periods))[:, 0]
        vals = vals[~np.isnan(vals)]
        nan = float("nan")
        q = np.percentile(vals, [0, 5, 25, 50, 75, 95, 100]) if vals.size else np.full(7, nan)
        out.append(
            RollingSummary(
                years=float(y),
                window=window,
                periods=float(periods),
                count=int(vals.size),
                mean=float(vals.mean()) if vals.size else nan,
                min=float(q[0]),
                p5=float(q[1]),
                p25=float(q[2]),
                median=float(q[3]),
                p75=float(q[4]),
                p95=float(q[5]),
                max=float(q[6]),
                share_negative=float(np.mean(vals < 0)) if vals.size else nan,
            )
        )
    return tuple(out)
