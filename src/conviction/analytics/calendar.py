"""Returns by calendar month and year, and drawdown periods: a tear sheet's tables.

Pure functions over a Series of **returns** indexed by date (``simple_returns`` for
prices). They agree with quantstats 0.0.86 (compounded):

- ``monthly_returns(r)`` is ``quantstats.stats.monthly_returns(r, eoy=False)``, except
  that a month with no observation is NaN (quantstats writes 0, which reads as a flat
  month); ``yearly_returns(r)`` is its ``EOY`` column, ``prod(1 + r) - 1`` of each
  calendar year;
- ``drawdown_periods(r)`` are the rows of ``quantstats.stats.drawdown_details`` of
  ``to_drawdown_series(r)``: ``start`` is the first observation below the running peak,
  ``trough`` quantstats' ``valley``, ``end`` the last observation below the peak (what
  quantstats' tear sheet prints as "Recovered"), ``days`` = ``end - start`` + 1 calendar
  day, ``depth`` its ``max drawdown`` / 100. We add ``recovery``: the first observation back
  at the peak (``None`` while the period lasts to the last observation).

NaN returns are skipped (an observation that is missing is no month's and no period's).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from conviction.analytics.stats import drawdown_series

__all__ = ["DrawdownPeriod", "drawdown_periods", "monthly_returns", "yearly_returns"]


@dataclass(frozen=True, slots=True)
class DrawdownPeriod:
    """One fall below the running peak and, if it came, the return to it."""

    start: dt.date  # first observation below the peak
    trough: dt.date  # the deepest observation
    end: dt.date  # last observation below the peak (quantstats' "end")
    recovery: dt.date | None  # first observation back at the peak; None: not recovered
    depth: float  # the deepest fall, in [-1, 0)
    days: int  # calendar days from start to end, both counted (quantstats' "days")

    @property
    def recovered(self) -> bool:
        return self.recovery is not None


def _observed(returns: pd.Series) -> pd.Series:
    if not isinstance(returns.index, pd.DatetimeIndex):
        raise ValueError("returns must be indexed by date (a DatetimeIndex)")
    return returns.astype(np.float64).dropna().sort_index()


def monthly_returns(returns: pd.Series) -> pd.DataFrame:
    """Compounded return of each calendar month: one row per year (its number), columns
    1 to 12; NaN where the month has no observation."""
    r = _observed(returns)
    if r.empty:
        return pd.DataFrame(columns=range(1, 13), dtype=np.float64)
    idx = pd.DatetimeIndex(r.index)
    grouped = (1.0 + r).groupby([idx.year, idx.month]).prod() - 1.0
    table = grouped.unstack()
    table = table.reindex(index=range(int(idx.year.min()), int(idx.year.max()) + 1))
    table = table.reindex(columns=range(1, 13))
    table.index.name, table.columns.name = "year", "month"
    return table.astype(np.float64)


def yearly_returns(returns: pd.Series) -> pd.Series:
    """Compounded return of each calendar year with an observation, indexed by year."""
    r = _observed(returns)
    if r.empty:
        return pd.Series(dtype=np.float64, name="year")
    years = pd.DatetimeIndex(r.index).year
    out = (1.0 + r).groupby(years).prod() - 1.0
    out.index.name = "year"
    return out.astype(np.float64)


def drawdown_periods(returns: pd.Series, top: int | None = None) -> tuple[DrawdownPeriod, ...]:
    """Every drawdown period, deepest first (``top``: only the first ``top``); ties keep
    the order of time."""
    r = _observed(returns)
    if r.empty:
        return ()
    dd = np.asarray(drawdown_series(r.to_numpy()), dtype=np.float64)
    days = pd.DatetimeIndex(r.index)
    under = dd < 0
    edges = np.diff(np.concatenate(([0], under.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)  # one past the last observation under water
    periods = []
    for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
        k = a + int(np.argmin(dd[a:b]))
        start, end = days[a].date(), days[b - 1].date()
        periods.append(
            DrawdownPeriod(
                start=start,
                trough=days[k].date(),
                end=end,
                recovery=days[b].date() if b < len(days) else None,
                depth=float(dd[k]),
                days=(end - start).days + 1,
            )
        )
    periods.sort(key=lambda p: p.depth)  # stable: ties stay in time order
    return tuple(periods[:top] if top is not None else periods)
