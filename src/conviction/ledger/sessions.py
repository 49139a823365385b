"""Trading sessions of an exchange calendar: the days a history is valued on.

A book's valuation grid is the sessions of its ``calendar`` (an ``exchange_calendars``
name, ``XNYS`` by default; ``calendar = "XTKS"`` in book.toml for Tokyo) from its first
transaction to its date, so a year of daily returns counts the exchange's sessions and
the quantstats convention of 252 observations a year counts sessions, not weekdays
(Monday to Friday is about 261 days a year).

``exchange_calendars`` takes about 1.5 s to import and 0.6 s to build a calendar (measured
on the 2-core CI machine), so it is imported only here, only when a grid is made
(``conviction status`` makes none), and the sessions of each calendar from 1990 to two
years ahead are kept on disk (``$CONVICTION_CACHE_DIR``, else ``$XDG_CACHE_HOME/conviction``,
else ``~/.cache/conviction``; one ``.npy`` per calendar and package version) and in
memory: a later process reads them in about a millisecond.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from conviction.errors import DataError

__all__ = [
    "DEFAULT_CALENDAR",
    "calendar_error",
    "calendar_names",
    "sessions",
    "sessions_per_year",
    "valuation_days",
]

#: The calendar of a book that names none: the New York stock exchange.
DEFAULT_CALENDAR = "XNYS"
#: The cached sessions run from this day ...
_CACHE_START = dt.date(1990, 1, 1)
#: ... to the end of the year this many years after the current one.
_CACHE_YEARS_AHEAD = 2
#: Sessions per year are counted over these full years (where the calendar has them).
_COUNT_YEARS = (2000, 2024)


def _version() -> str:
    from importlib.metadata import version

    return version("exchange_calendars")


def _cache_dir() -> Path:
    explicit = os.environ.get("CONVICTION_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "conviction"


@lru_cache(maxsize=1)
def calendar_names() -> tuple[str, ...]:
    """Every calendar name ``exchange_calendars`` knows (aliases too), sorted."""
    path = _cache_dir() / f"calendar-names-{_version()}.txt"
    try:
        names = tuple(n for n in path.read_text(encoding="utf-8").split() if n)
        if names:
            return names
    except OSError:
        pass
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import exchange_calendars as xcals

        found = tuple(sorted(set(xcals.get_calendar_names(include_aliases=True))))
    _write(path, "\n".join(found) + "\n")
    return found


def calendar_error(name: str) -> str | None:
    """Why ``name`` is not a calendar (None when it is one), with a few known names."""
    if name in calendar_names():
        return None
    return (
        f"unknown trading calendar {name!r} (exchange_calendars names: XNYS New York, "
        "XTKS Tokyo, XLON London, XHKG Hong Kong, XETR Xetra, XPAR Paris, XTSE Toronto, "
        "ASX Sydney, ...)"
    )


def _write(path: Path, text: str | None = None, array: np.ndarray | None = None) -> None:
    """Best effort: a cache that cannot be written is only slower."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        if array is not None:
            with tmp.open("wb") as fh:
                np.save(fh, array)
        else:
            tmp.write_text(text or "", encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass


def _build(name: str, start: dt.date, end: dt.date) -> np.ndarray:
    import warnings

    with warnings.catch_warnings():  # the package's own pandas deprecations, not ours
        warnings.simplefilter("ignore")
        import exchange_calendars as xcals

        try:
            cal = xcals.get_calendar(name, start=str(start), end=str(end))
        except ValueError:  # starts before the calendar's first session: from its first
            cal = xcals.get_calendar(name, end=str(end))
        days: np.ndarray = cal.sessions.values.astype("datetime64[D]")
    return days


@lru_cache(maxsize=8)
def _cached(name: str) -> np.ndarray:
    """The sessions of ``name`` from 1990 (or the calendar's first) to two years ahead."""
    if (why := calendar_error(name)) is not None:
        raise DataError(why)
    end = dt.date(dt.date.today().year + _CACHE_YEARS_AHEAD, 12, 31)
    path = _cache_dir() / f"sessions-{name}-{_version()}-{end.year}.npy"
    try:
        days: np.ndarray = np.load(path, allow_pickle=False)
        if days.dtype == np.dtype("datetime64[D]") and days.size:
            return days
    except (OSError, ValueError):
        pass
    days = _build(name, _CACHE_START, end)
    _write(path, array=days)
    return days


def sessions(
    start: dt.date | np.datetime64, end: dt.date | np.datetime64, calendar: str = DEFAULT_CALENDAR
) -> np.ndarray:
    """The sessions of ``calendar`` from ``start`` to ``end`` inclusive, as datetime64[D]."""
    s, e = np.datetime64(str(start)[:10], "D"), np.datetime64(str(end)[:10], "D")
    days = _cached(calendar)
    if s < days[0] or e > days[-1]:  # outside the cache: built for this span alone
        days = _build_span(calendar, str(s), str(e))
    lo, hi = np.searchsorted(days, s, side="left"), np.searchsorted(days, e, side="right")
    out: np.ndarray = days[lo:hi]
    return out


@lru_cache(maxsize=8)
def _build_span(name: str, start: str, end: str) -> np.ndarray:
    days: np.ndarray = _build(name, dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    return days


def valuation_days(
    start: dt.date | np.datetime64, end: dt.date | np.datetime64, calendar: str = DEFAULT_CALENDAR
) -> np.ndarray:
    """The valuation grid: the sessions from ``start`` to ``end``, and ``end`` itself when it
    is no session (the history ends on the book's date, as ``status`` values it; a row on
    a holiday counts on the next day of the grid). Empty when no session falls between."""
    days = sessions(start, end, calendar)
    e = np.datetime64(str(end)[:10], "D")
    if days.size and days[-1] != e:
        days = np.append(days, e)
    return days


@lru_cache(maxsize=8)
def sessions_per_year(calendar: str = DEFAULT_CALENDAR) -> int:
    """Sessions in a year of ``calendar``: the mean over the full years 2000 to 2024 (those
    the calendar has), rounded. XNYS: 252 (251.6), the quantstats convention; XTKS: 245."""
    days = _cached(calendar)
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    first = int(years[0]) + (0 if str(days[0])[5:] <= "01-05" else 1)
    lo, hi = max(first, _COUNT_YEARS[0]), min(int(years[-1]) - 1, _COUNT_YEARS[1])
    if hi < lo:
        raise DataError(f"the calendar {calendar!r} has no full year of sessions to count")
    keep = (years >= lo) & (years <= hi)
    return round(int(keep.sum()) / (hi - lo + 1))
