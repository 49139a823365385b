"""The frequency of a series' marks, and the series at that frequency.

A private company marked at funding rounds, or a book valued daily on prices marked twice
a month, shows a price on every day of its grid, but only the days it is *marked* carry
news: daily statistics of the forward-filled marks count zero returns on the other days,
so volatility, beta and correlation come out far too small (the bundled example's book,
mostly Tesla, had a daily beta of 0.03 to the S&P 500; Tesla's own is 1.53).

- ``marks_frequency(prices)``: the marks are the first price and every price that differs
  from the one before; their median gap in calendar days names the frequency: up to
  4 days daily, 10 weekly, 45 monthly, 135 quarterly, beyond that yearly.
- ``at_frequency(prices, frequency, benchmark)``: the series at the last observation of
  each week (Friday), month, quarter or year, after its first observation; the benchmark
  (if any) is taken on the *same dates* (its last price on or before each), so every
  return on both sides spans the same days. Statistics of the result count
  ``PERIODS_PER_YEAR[frequency]`` observations a year (52, 12, 4, 1).
- ``frequency_gaps``: the marks more than one period apart (a period with no mark), the
  error of a series too sparse for the frequency asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd

from conviction.errors import DataError

__all__ = [
    "FREQUENCIES",
    "Frequency",
    "MarksFrequency",
    "at_frequency",
    "frequency_gaps",
    "marks_frequency",
]

Frequency: TypeAlias = Literal["daily", "weekly", "monthly", "quarterly", "yearly"]
FREQUENCIES: tuple[Frequency, ...] = ("daily", "weekly", "monthly", "quarterly", "yearly")

#: The longest median gap (calendar days) of each frequency but the last.
_LIMITS: tuple[tuple[float, Frequency], ...] = (
    (4.0, "daily"),
    (10.0, "weekly"),
    (45.0, "monthly"),
    (135.0, "quarterly"),
)
#: pandas period of each frequency (the period a return spans).
_PERIOD = {"weekly": "W-FRI", "monthly": "M", "quarterly": "Q", "yearly": "Y"}
_UNIT = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter"}


@dataclass(frozen=True, slots=True)
class MarksFrequency:
    """How often a price series is really marked."""

    frequency: Frequency
    marks: int  # the first price and every change
    median_gap_days: float  # NaN with fewer than two marks

    def describe(self) -> str:
        if np.isnan(self.median_gap_days):
            return f"{self.frequency} ({self.marks} mark{'s' if self.marks != 1 else ''})"
        days = "day" if self.median_gap_days == 1 else "days"
        return f"{self.frequency} (a median {self.median_gap_days:g} {days} apart)"


def _observed(prices: pd.Series) -> pd.Series:
    if not isinstance(prices.index, pd.DatetimeIndex):
        raise ValueError("prices must be indexed by date (a DatetimeIndex)")
    return prices.astype(np.float64).dropna().sort_index()


def _mark_days(prices: pd.Series) -> np.ndarray:
    p = _observed(prices)
    x = p.to_numpy()
    changed = np.ones(x.size, dtype=bool)
    changed[1:] = x[1:] != x[:-1]
    days: np.ndarray = p.index.to_numpy().astype("datetime64[D]")[changed]
    return days


def marks_frequency(prices: pd.Series) -> MarksFrequency:
    """The frequency of the marks of ``prices`` (a Series indexed by date)."""
    days = _mark_days(prices)
    if days.size < 2:
        return MarksFrequency("daily", int(days.size), float("nan"))
    median = float(np.median(np.diff(days).astype(np.int64)))
    found: Frequency = "yearly"
    for limit, freq in _LIMITS:
        if median <= limit:
            found = freq
            break
    return MarksFrequency(found, int(days.size), median)


def frequency_gaps(prices: pd.Series, frequency: Frequency) -> tuple[tuple[str, str], ...]:
    """Consecutive marks with a whole period of ``frequency`` between them and no mark in
    it: (last mark before, next mark), as ISO dates. Daily: a gap of more than 4 days."""
    days = _mark_days(prices)
    if days.size < 2:
        return ()
    if frequency == "daily":
        wide = np.diff(days).astype(np.int64) > 4
    else:
        periods = pd.PeriodIndex(pd.DatetimeIndex(days), freq=_PERIOD[frequency]).asi8
        wide = np.diff(periods) > 1
    at = np.flatnonzero(wide)
    return tuple((str(days[i]), str(days[i + 1])) for i in at)


def too_sparse(name: str | None, found: MarksFrequency, frequency: Frequency,
               gaps: tuple[tuple[str, str], ...]) -> DataError:  # fmt: skip
    """The error of a series whose marks are too sparse for ``frequency``."""
    shown = "; ".join(f"{a} and {b}" for a, b in gaps[:3])
    more = f" and {len(gaps) - 3} more" if len(gaps) > 3 else ""
    return DataError(
        f"{name or 'the series'}: {frequency} statistics need a mark every {_UNIT[frequency]}, "
        f"but its marks are {found.describe()}: no mark between {shown}{more}"
    )


def at_frequency(
    prices: pd.Series, frequency: Frequency, benchmark: pd.Series | None = None
) -> tuple[pd.Series, pd.Series | None]:
    """``prices`` at its first observation and the last of each period of ``frequency``;
    ``benchmark`` (prices too) on the same dates, its last price on or before each (NaN
    before its first). Daily: both unchanged."""
    p = _observed(prices)
    if frequency == "daily" or p.empty:
        return p, benchmark
    periods = pd.PeriodIndex(pd.DatetimeIndex(p.index), freq=_PERIOD[frequency]).asi8
    last = np.append(periods[1:] != periods[:-1], True)
    last[0] = True  # the first observation starts the first return
    out = p[last]
    if benchmark is None:
        return out, None
    b = _observed(benchmark)
    taken = b.reindex(b.index.union(out.index)).ffill().reindex(out.index)
    taken.name = benchmark.name
    return out, taken
