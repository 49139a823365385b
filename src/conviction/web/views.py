"""What a page is asked to show: the date (``as_of``), the accounts (``account``) and the
time range of its charts (``range``), read from the query string and checked.

Every page takes ``?as_of=YYYY-MM-DD``; the dashboard also ``?account=ID`` (repeatable,
as ``status --account``) and ``?range=YTD|1Y|3Y|5Y|10Y|Max`` for its value, return and
drawdown charts, and ``?benchmark=`` (any stored series: the server's ``--benchmark``
file, a company's marks, or ``none``) to draw the book against. A date before the book's
first transaction, a date in the future, an unknown account, range or benchmark is a
:class:`PageError`: the page drawn with the message (HTTP 422), never a server error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import numpy as np

from conviction.errors import ConvictionError

if TYPE_CHECKING:
    import pandas as pd

    from conviction.book.model import Book
    from conviction.report.data import History

__all__ = ["RANGES", "PageError", "View", "book_on", "range_start", "read_view", "windowed"]

#: The time ranges of the charts, as the links show them: years back from the date
#: (YTD: from the first day of its year; Max: the whole history).
RANGES: dict[str, int | None] = {"YTD": 0, "1Y": 1, "3Y": 3, "5Y": 5, "10Y": 10, "Max": None}


class PageError(Exception):
    """A page's input that cannot be shown: the page says why (HTTP 422)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class View:
    """A page's date, accounts and chart range, and the bounds the date picker offers."""

    as_of: dt.date | None  # as given; None: the book's date
    accounts: tuple[str, ...] = ()
    range: str = "Max"
    first: dt.date | None = None  # the book's first transaction
    today: dt.date | None = None
    default: dt.date | None = None  # the book's date: shown when none is given
    benchmark: str | None = None  # None: the server's (its --benchmark file, if any)

    @property
    def day(self) -> dt.date | None:
        """The date the page shows."""
        return self.as_of or self.default

    def query(self, **change: object) -> str:
        """This view's query string (``?as_of=...&account=...``), with ``change`` applied
        (a value of ``None`` drops the key); empty when nothing is set."""
        values: dict[str, object] = {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "account": list(self.accounts) or None,
            "range": None if self.range == "Max" else self.range,
            "benchmark": self.benchmark,
        }
        values.update(change)
        pairs: list[tuple[str, str]] = []
        for key, value in values.items():
            if value is None:
                continue
            items = value if isinstance(value, list | tuple) else [value]
            pairs += [(key, str(v)) for v in items]
        return "?" + urlencode(pairs) if pairs else ""


def read_view(
    book: Book,
    as_of: str | None,
    accounts: list[str] | None = None,
    range_: str | None = None,
    benchmark: str | None = None,
    *,
    benchmarks: Collection[str] = (),
    today: dt.date | None = None,
) -> View:
    """The view a query asks for, checked against ``book`` (a :class:`PageError` if not);
    ``benchmarks``: the series a ``benchmark`` may name (``none`` always may)."""
    today = today or dt.date.today()
    first, default = _days(book)
    day = None
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of.strip())
        except ValueError:
            raise PageError(f"as_of must be a date YYYY-MM-DD, got {as_of!r}", "as_of") from None
        if day > today:
            raise PageError(
                f"as_of {day} is in the future (today is {today}): pick a day up to today",
                "as_of",
            )
        if first is not None and day < first:
            raise PageError(
                f"as_of {day} is before the book's first transaction ({first}): pick a day "
                f"from {first} to {today}",
                "as_of",
            )
    ids = tuple(a for a in (accounts or ()) if a)
    if ids:
        from conviction.app.book import check_accounts

        try:
            check_accounts(book, list(ids), field="account")
        except ConvictionError as exc:
            raise PageError(getattr(exc, "message", str(exc)), "account") from None
    span = range_ or "Max"
    if span not in RANGES:
        names = ", ".join(RANGES)
        raise PageError(f"range must be one of {names}, got {range_!r}", "range")
    against = benchmark or None
    if against is not None and against != "none" and against not in benchmarks:
        names = ", ".join(["none", *benchmarks])
        raise PageError(f"unknown benchmark {against!r} (known: {names})", "benchmark")
    return View(day, ids, span, first, today, default, against)


def _days(book: Book) -> tuple[dt.date | None, dt.date | None]:
    """The book's first transaction day and the date its pages default to, computed once
    per book (``Book.memo``: every page read asks)."""
    known = book.memo.get("view_days")
    if known is None:
        from conviction.app.book import report_date

        tx_days = book.transactions["date"].to_numpy().astype("datetime64[D]")
        first = dt.date.fromisoformat(str(tx_days.min())) if tx_days.size else None
        default = report_date(book) if first is not None or len(book.marks) else None
        known = book.memo.setdefault("view_days", (first, default))
    return known  # type: ignore[no-any-return]


def book_on(book: Book, day: dt.date) -> Book:
    """The book as it stood on ``day``: its transactions, marks and rates up to that day,
    and ``day`` as its date (what a backtest or a report of that day could know)."""

    def upto(frame: pd.DataFrame) -> pd.DataFrame:
        dates = frame["date"].to_numpy().astype("datetime64[D]")
        return frame[dates <= np.datetime64(day, "D")]

    return replace(
        book,
        meta=replace(book.meta, as_of=day),
        transactions=upto(book.transactions),
        marks=upto(book.marks),
        fx=upto(book.fx),
    )


def range_start(span: str, end: dt.date) -> dt.date | None:
    """The first day of the range ``span`` ending on ``end`` (``None``: the whole history)."""
    years = RANGES[span]
    if years is None:
        return None
    if years == 0:
        return dt.date(end.year, 1, 1)
    try:
        return end.replace(year=end.year - years)
    except ValueError:  # 29 February
        return end.replace(year=end.year - years, day=28)


def windowed(history: History, start: dt.date | None) -> History:
    """``history`` from ``start`` on: values as they were, the growth of 1 rebased to 1.0 on
    the range's first day (the benchmark's on its first price in the range), drawdowns from
    the peak within the range. The whole history when ``start`` is ``None`` or before it."""
    if start is None or history.days.size == 0 or np.datetime64(start, "D") <= history.days[0]:
        return history
    keep = history.days >= np.datetime64(start, "D")
    if not keep.any():
        return history
    index = history.index[keep] / history.index[keep][0]
    bench = bench_dd = None
    if history.benchmark_index is not None:
        b = history.benchmark_index[keep]
        seen = np.flatnonzero(np.isfinite(b))
        bench = b / b[seen[0]] if seen.size else b
        bench_dd = _drawdown(bench)
    return replace(
        history,
        days=history.days[keep],
        values=history.values[keep],
        flows=history.flows[keep],
        index=index,
        drawdown=_drawdown(index),
        benchmark_index=bench,
        benchmark_drawdown=bench_dd,
    )


def _drawdown(index: np.ndarray) -> np.ndarray:
    """Each day's fall from the running peak (<= 0; NaN where there is no value yet)."""
    peak = np.fmax.accumulate(np.where(np.isfinite(index), index, -np.inf))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.isfinite(index) & (peak > 0), index / peak - 1.0, np.nan)
