"""When rules act: period starts and date windows over a run's dates (pure, vectorised)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from conviction._typing import BoolArray, DateArray, IntArray
from conviction.policies.spec import Period

__all__ = ["as_days", "period_starts", "window"]


def as_days(dates: DateArray) -> IntArray:
    """Days since 1970-01-01 for each date (the engine's clock for cooldowns)."""
    return np.asarray(dates, dtype="datetime64[D]").astype(np.int64)


def _period_key(days: IntArray, period: Period) -> IntArray:
    if period == "day":
        return np.arange(days.size, dtype=np.int64)
    if period == "week":
        # 1970-01-01 was a Thursday: shifting by 3 makes weeks start on Mondays.
        return (days + 3) // 7
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    if period == "month":
        return months
    if period == "quarter":
        return months // 3
    return months // 12


def period_starts(days: IntArray, period: Period | None) -> BoolArray:
    """True on the first step of each period (always on the first step); all True for None.

    The same convention as bt's ``RunMonthly``: a period starts on the first date whose
    period differs from the previous date's.
    """
    if period is None:
        return np.ones(days.size, dtype=bool)
    key = _period_key(days, period)
    starts = np.ones(days.size, dtype=bool)
    starts[1:] = key[1:] != key[:-1]
    return starts


def window(days: IntArray, start: dt.date | None, end: dt.date | None) -> BoolArray:
    """True on the steps whose date lies in [start, end] (either bound may be open)."""
    inside = np.ones(days.size, dtype=bool)
    if start is not None:
        inside &= days >= np.datetime64(start, "D").astype(np.int64)
    if end is not None:
        inside &= days <= np.datetime64(end, "D").astype(np.int64)
    return inside
