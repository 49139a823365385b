"""Each account's value over a period, sampled daily or at month ends, with its returns.

The answer of ``conviction history`` and ``GET /api/v1/history``: the value history and
the time- and money-weighted returns of ``account_returns``, in the reporting currency and
in each account's own, with the value series sampled by ``freq``. The time-weighted return
is also given a year, two ways: ``cagr_sessions`` counts ``sessions_per_year`` sessions of
the book's calendar a year (252 on XNYS), ``cagr_calendar`` calendar time (365.25 days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from conviction.book.model import Book
from conviction.ledger.returns_by_account import AccountReturn, account_returns

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Freq", "HistoryLine", "HistoryReport", "history_report", "sample_rows"]

#: Rows of the series: every day valued ("D": the calendar's sessions) or each month's
#: last ("M").
Freq = Literal["D", "M"]


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One account over the period in the reporting currency, and in its own (``base``)."""

    account: str
    currency: str
    start_value: float
    end_value: float
    net_flows: float  # deposits minus withdrawals
    twr: float  # cumulative time-weighted return
    irr: float  # money-weighted, annual, actual/365
    base: AccountReturn
    cagr_sessions: float = float("nan")  # the TWR a year: sessions_per_year sessions a year
    cagr_calendar: float = float("nan")  # the TWR a year: calendar time, 365.25 days


@dataclass(frozen=True)
class HistoryReport:
    """Value of each account on each sampled day: ``series`` rows are
    ``{"date": "YYYY-MM-DD", "<account>": value, ...}``."""

    currency: str
    start: dt.date
    end: dt.date
    freq: Freq
    days: int  # days valued (the sessions of the book's calendar)
    accounts: tuple[HistoryLine, ...]
    series: tuple[dict[str, str | float], ...]
    stale_fx_days: int  # days valued with a rate carried forward from an earlier day
    calendar: str = "XNYS"  # the trading calendar whose sessions were valued
    sessions_per_year: int = 252  # what cagr_sessions counts as a year

    def to_frame(self, by: str = "series") -> pd.DataFrame:
        """``series`` (default): each account's value per sampled day, indexed by date;
        ``accounts``: one row per account with its returns."""
        from conviction.ledger.frames import history_frame

        return history_frame(self, by)

    def _repr_html_(self) -> str:
        from conviction.ledger.frames import history_html

        return history_html(self)


def sample_rows(days: np.ndarray, freq: str) -> list[int]:
    """Row numbers to show: every day ("D") or each month's last day ("M")."""
    if freq == "D":
        return list(range(days.size))
    months = days.astype("datetime64[M]")
    last = np.flatnonzero(np.append(months[1:] != months[:-1], True))
    return [int(i) for i in last]


def history_report(
    book: Book,
    days: np.ndarray,
    *,
    currency: str | None = None,
    accounts: Sequence[str] | None = None,
    freq: Freq = "M",
) -> HistoryReport:
    """Value of each account on ``days`` (business days, ascending; sampled by ``freq``)
    with time- and money-weighted returns, in the reporting currency and each account's."""
    days = np.asarray(days).astype("datetime64[D]")
    ids = tuple(accounts) if accounts is not None else tuple(book.accounts)
    returns = account_returns(book, days, currency=currency, accounts=ids)
    value = returns.history.value
    from conviction.ledger.sessions import sessions_per_year

    per_year = sessions_per_year(book.meta.calendar)
    steps = days.size - 1  # returns between the days valued
    span = int((days[-1] - days[0]).astype(np.int64)) if days.size else 0
    lines = tuple(
        HistoryLine(
            account=r.account,
            currency=r.currency,
            start_value=r.start_value,
            end_value=r.end_value,
            net_flows=r.net_flows,
            twr=r.twr,
            irr=r.irr,
            base=b,
            cagr_sessions=_annual(r.twr, steps / per_year),
            cagr_calendar=_annual(r.twr, span / 365.25),
        )
        for r, b in zip(returns.reporting, returns.base, strict=True)
    )
    rows: list[dict[str, str | float]] = []
    for i in sample_rows(days, freq):
        row: dict[str, str | float] = {"date": str(days[i])}
        row.update((a, float(value[i, j])) for j, a in enumerate(ids))
        rows.append(row)
    return HistoryReport(
        currency=returns.currency,
        start=dt.date.fromisoformat(str(days[0])),
        end=dt.date.fromisoformat(str(days[-1])),
        freq=freq,
        days=int(days.size),
        accounts=lines,
        series=tuple(rows),
        stale_fx_days=int(returns.stale_fx.sum()),
        calendar=book.meta.calendar,
        sessions_per_year=per_year,
    )


def _annual(total: float, years: float) -> float:
    """``(1 + total) ** (1 / years) - 1``; NaN without a positive span or growth."""
    if not years > 0 or not 1.0 + total > 0:
        return float("nan")
    return float((1.0 + total) ** (1.0 / years) - 1.0)
