"""The book's return statistics (``GET /api/v1/stats``, the dashboard, the report).

One definition: :func:`index_statistics` is what the report and the dashboard compute
from the book's history (``report.data.report_data`` calls it), and :func:`book_stats`
is the same on a stored book, of some of its accounts, against a benchmark, at a
frequency asked for.

Conventions (those of the report): the book is valued on the sessions of its trading
calendar (``calendar`` in book.toml, XNYS by default) from its first transaction to its
date; its return is time-weighted (money in or out is not a gain); the benchmark is taken
on the same days (its last price on or before each). With ``frequency="auto"`` the
statistics are at the frequency of the book's marks (monthly marks: monthly returns, 12
a year), or of the benchmark's when it is marked more rarely, both on the same period
ends; daily statistics count the calendar's sessions a year (252 on XNYS).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from conviction.errors import FormatError, InputError

if TYPE_CHECKING:
    import pandas as pd

    from conviction.analytics.frequency import Frequency
    from conviction.analytics.summary import StatsResult
    from conviction.book.model import Book

__all__ = ["STATS_FREQUENCIES", "book_stats", "index_statistics", "stats_frequency"]

#: What ``frequency`` takes: ``auto`` (the marks') or one of ``analytics.frequency``'s,
#: as ``conviction stats --freq`` does.
STATS_FREQUENCIES: tuple[str, ...] = ("auto", "daily", "weekly", "monthly", "quarterly", "yearly")


def stats_frequency(asked: str, *, field: str = "frequency") -> Frequency | Literal["auto"]:
    """``asked`` checked against :data:`STATS_FREQUENCIES` (``InputError`` naming ``field``)."""
    if asked not in STATS_FREQUENCIES:
        raise InputError(
            f"expected auto or one of {', '.join(STATS_FREQUENCIES[1:])}, got {asked!r}",
            field=field,
        )
    return asked  # type: ignore[return-value]  # one of the literals, checked above


def index_statistics(
    index: pd.Series,
    benchmark: pd.Series | None,
    *,
    periods: float,
    years: Sequence[float] = (1, 3, 5, 10),
    frequency: Frequency | Literal["auto"] = "auto",
    benchmark_name: str | None = None,
) -> tuple[StatsResult, StatsResult | None]:
    """Statistics of the book's growth of 1 ``index`` (indexed by its valuation days)
    against ``benchmark`` (its prices on the same days, NaN before its first), and the
    benchmark's own (``None`` without one).

    ``frequency`` auto: the frequency of the book's marks (or the benchmark's, when
    rarer), both series on the same period ends; ``periods`` is a year of daily returns
    (the calendar's sessions). The benchmark's own line is on the book's statistics'
    dates, or at its own frequency when a period has no mark of it.
    """
    from conviction.analytics import summarize
    from conviction.errors import DataError

    stats = summarize(
        index, benchmark, kind="prices", periods=periods, years=years, name="book",
        frequency=frequency,
    )  # fmt: skip
    if benchmark is None or len(benchmark) <= 1:
        return stats, None
    try:  # on the book's statistics' dates
        own = summarize(
            benchmark, kind="prices", periods=periods, years=years, name=benchmark_name,
            frequency=stats.frequency,
        )  # fmt: skip
    except DataError:  # a period without a mark of the benchmark: at its own frequency
        own = summarize(
            benchmark, kind="prices", periods=periods, years=years, name=benchmark_name,
            frequency="auto",
        )  # fmt: skip
    return stats, own


def book_stats(
    book: Book,
    *,
    accounts: Sequence[str] | None = None,
    benchmark: pd.Series | None = None,
    frequency: str = "auto",
    as_of: dt.date | None = None,
    field: str = "frequency",
) -> StatsResult:
    """Statistics of the time-weighted return of ``book`` (or of ``accounts`` alone) from
    its first transaction to ``as_of`` (default: the report's date), against
    ``benchmark`` (a price series by date), at ``frequency`` (``auto``: the marks'):
    what the dashboard and ``conviction report`` show for the same book.

    Bad input names ``field``: an unknown frequency, or one the book's marks are too
    sparse for (a period with no change of its value: the dates are in the message).
    """
    from conviction.analytics.frequency import frequency_gaps, marks_frequency, too_sparse
    from conviction.app.book import only_accounts, report_date
    from conviction.ledger.sessions import sessions_per_year
    from conviction.report.data import HORIZONS
    from conviction.report.data import _history as book_history

    asked = stats_frequency(frequency, field=field)
    on = report_date(book, as_of)
    history = book_history(only_accounts(book, accounts), on, benchmark)
    index = _series(history.index, history.days, "book")
    bench = None
    if history.benchmark_index is not None:
        bench = _series(history.benchmark_index, history.days, "benchmark").dropna()
    if asked != "auto" and asked != "daily":
        gaps = frequency_gaps(index, asked)
        if gaps:
            error = too_sparse("the book", marks_frequency(index), asked, gaps)
            raise FormatError(str(error), field=field)
    stats, _ = index_statistics(
        index,
        bench,
        periods=sessions_per_year(book.meta.calendar),
        years=HORIZONS,
        frequency=asked,
        benchmark_name=history.benchmark_name,
    )
    return stats


def _series(values: object, days: object, name: str | None) -> pd.Series:
    import pandas as pd

    return pd.Series(values, index=pd.DatetimeIndex(days), name=name)  # type: ignore[arg-type]
