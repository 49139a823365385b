"""Valuation on arrays: positions, cash and value of every account on every day.

Quantities are kept in original shares (see ``prices``), so one cumulative sum over days
gives every position on every day, and value is a batched matrix product with the price
matrix. Accounts are processed in chunks so memory stays bounded
(``days × chunk × companies`` floats at a time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from conviction._typing import BoolArray, Float64Array, IntArray
from conviction.book.model import Book
from conviction.errors import DataError
from conviction.ledger.holdings import holdings_value
from conviction.ledger.index import BookIndex, as_index
from conviction.ledger.prices import split_factors
from conviction.ledger.trades import TradeArrays, rates_into, trade_arrays

__all__ = [
    "TradeArrays",
    "ValueHistory",
    "business_days",
    "cash",
    "positions",
    "price_history",
    "rates_into",
    "trade_arrays",
    "value_history",
]


def business_days(start: dt.date | np.datetime64, end: dt.date | np.datetime64) -> np.ndarray:
    """Monday-to-Friday days from start to end inclusive, as datetime64[D] (histories are
    valued on the book's trading sessions instead: ``sessions.valuation_days``)."""
    s, e = np.datetime64(str(start)[:10], "D"), np.datetime64(str(end)[:10], "D")
    days = np.arange(s, e + np.timedelta64(1, "D"), dtype="datetime64[D]")
    return days[np.is_busday(days)] if days.size else days


@dataclass(frozen=True)
class ValueHistory:
    """Every account's value on every day, in one currency.

    ``value = holdings + cash``; ``flows`` are deposits minus withdrawals on that day,
    the money that came from outside (what time-weighted returns take out).
    """

    days: np.ndarray
    accounts: tuple[str, ...]
    currency: str
    holdings: Float64Array  # (days, accounts)
    cash: Float64Array  # (days, accounts)
    flows: Float64Array  # (days, accounts)
    stale_fx: BoolArray  # (days,) some rate used that day was carried forward

    @cached_property
    def value(self) -> Float64Array:  # computed once: (days, accounts) is 32 MB at fund scale
        total: Float64Array = self.holdings + self.cash
        return total

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.value, index=pd.DatetimeIndex(self.days), columns=self.accounts)


def value_history(
    book: Book | BookIndex,
    days: np.ndarray | None = None,
    *,
    currency: str | None = None,
    accounts: Sequence[str] | None = None,
    chunk: int = 64,
) -> ValueHistory:
    """Value, cash and external flows of each account on each day, in ``currency``."""
    ix = as_index(book)
    book = ix.book
    currency = currency or book.currency
    accounts = tuple(accounts if accounts is not None else ix.accounts)
    companies = ix.companies
    ta = ix.trades
    if days is None:
        if not ta.day.size:
            raise DataError("the book has no transactions to value")
        end = np.datetime64(book.meta.as_of, "D") if book.meta.as_of else ta.day.max()
        from conviction.ledger.sessions import valuation_days

        days = valuation_days(ta.day.min(), end, book.meta.calendar)
    days = np.asarray(days).astype("datetime64[D]")
    account = account_codes(ix, accounts)
    marked = ix.marks.lookup(days, companies)

    stale_fx = np.zeros(days.size, dtype=bool)
    price = np.nan_to_num(marked.price)
    traded = np.zeros(len(companies), dtype=bool)
    traded[ta.company[ta.company >= 0]] = True
    company_ccy = np.array([book.companies[c].currency for c in companies], dtype=object)
    for ccy in sorted(set(company_ccy[traded]) - {currency}):  # one look-up per currency
        cols = np.flatnonzero(traded & (company_ccy == ccy))
        series = ix.fx.rate(str(ccy), currency, days)
        price[:, cols] *= series.rates[:, None]
        stale_fx |= series.stale

    d_idx = np.searchsorted(days, ta.day, side="left")
    live = (d_idx < days.size) & (account >= 0)
    trade = live & (ta.company >= 0) & (ta.original_shares != 0)
    holdings = holdings_value(
        d_idx[trade], account[trade], ta.company[trade], ta.original_shares[trade], price,
        len(accounts), chunk=chunk,
    )  # fmt: skip

    cash_total = np.zeros((days.size, len(accounts)))
    flows = np.zeros((days.size, len(accounts)))
    for code in np.unique(ta.settle_code[live]):
        sel = live & (ta.settle_code == code)
        per = _grid(d_idx[sel], account[sel], ta.settle_amount[sel], days.size, len(accounts))
        ext_sel = sel & ta.external
        ext = _grid(
            d_idx[ext_sel], account[ext_sel], ta.settle_amount[ext_sel], days.size, len(accounts)
        )
        series = ix.fx.rate(ta.currencies[int(code)], currency, days)
        stale_fx |= series.stale
        np.cumsum(per, axis=0, out=per)  # in place: each grid is days × accounts
        per *= series.rates[:, None]
        cash_total += per
        ext *= series.rates[:, None]
        flows += ext
    return ValueHistory(days, accounts, currency, holdings, cash_total, flows, stale_fx)


def account_codes(ix: BookIndex, accounts: Sequence[str]) -> IntArray:
    """Each row's position in ``accounts`` (-1 for rows of other accounts and for splits)."""
    if tuple(accounts) == ix.accounts:
        return ix.trades.account
    where = {a: i for i, a in enumerate(ix.accounts)}
    remap = np.full(len(ix.accounts) + 1, -1, dtype=np.int64)  # [-1] for rows of no account
    for k, a in enumerate(accounts):
        remap[where[a]] = k
    return remap[ix.trades.account]


def _grid(rows: IntArray, cols: IntArray, values: Float64Array, n: int, m: int) -> Float64Array:
    """Sum ``values`` into an (n, m) grid at (rows, cols); bincount is much faster than add.at."""
    grid = np.bincount(rows * m + cols, values, minlength=n * m).astype(np.float64)
    return grid.reshape(n, m)


def positions(book: Book | BookIndex, as_of: dt.date) -> pd.DataFrame:
    """Quantities held on ``as_of`` (shares as they trade on that day): accounts × companies."""
    ix = as_index(book)
    ta = ix.trades
    day = np.datetime64(as_of, "D")
    sel = (ta.day <= day) & (ta.company >= 0) & (ta.account >= 0)
    q = np.zeros((len(ix.accounts), len(ix.companies)))
    np.add.at(q, (ta.account[sel], ta.company[sel]), ta.original_shares[sel])
    q *= split_factors(ix.book, ix.companies, np.array([day]), ix.splits)[0]
    q[np.abs(q) < 1e-9] = 0.0
    return pd.DataFrame(q, index=list(ix.accounts), columns=list(ix.companies))


def cash(book: Book | BookIndex, as_of: dt.date, currency: str | None = None) -> pd.Series:
    """Cash of each account on ``as_of`` in ``currency`` (default the book's)."""
    history = value_history(book, np.array([np.datetime64(as_of, "D")]), currency=currency)
    return pd.Series(history.cash[0], index=list(history.accounts), name="cash")


def price_history(
    book: Book | BookIndex,
    dates: Sequence[dt.date] | np.ndarray | pd.DatetimeIndex,
    *,
    basis: str = "last",
) -> pd.DataFrame:
    """Prices (company currency) on each date: the last mark on or before it.

    ``basis="last"`` expresses every price in the share count of the last date (like a
    split-adjusted price series, so returns are continuous); ``basis="date"`` gives the
    price as it traded on each date. NaN before a company's first mark.
    """
    ix = as_index(book)
    days = np.asarray(pd.DatetimeIndex(np.asarray(dates)).values).astype("datetime64[D]")
    marked = ix.marks.lookup(days, ix.companies)
    factors = split_factors(ix.book, ix.companies, days, ix.splits)
    divide = factors[-1:] if basis == "last" else factors
    return pd.DataFrame(
        marked.price / divide, index=pd.DatetimeIndex(days, name="date"), columns=list(ix.companies)
    )
