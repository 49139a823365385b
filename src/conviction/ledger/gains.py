"""Realised gains for tax: each sale with the lots it consumed, their holding periods and
short/long term, and totals by tax year — in the account's currency.

The lots are the account's own method's (``lot_method``: fifo, lifo, hifo, average,
specific), so the same trades give each method its own realised gains. A lot consumed
by a sale gets its share of the sale's proceeds (net of the sale's fees) in proportion
to quantity. Holding period = sale date − the lot's opening date, in days; a lot is
**long-term when held more than** ``[book] long_term_days`` (365 by default). An
average-cost account holds one pooled lot, which keeps the date it was first opened.
The tax year is the calendar year of the sale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from conviction.book.model import Book
from conviction.ledger.index import BookIndex, as_index

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GainsReport", "LotGain", "SaleGain", "YearTotal", "realized_gains"]

Term = Literal["short", "long"]


@dataclass(frozen=True, slots=True)
class LotGain:
    """The part of one lot a sale consumed, in the account's currency."""

    lot: str
    opened: dt.date
    quantity: float
    cost: float
    proceeds: float
    holding_days: int
    term: Term

    @property
    def gain(self) -> float:
        return self.proceeds - self.cost


@dataclass(frozen=True, slots=True)
class SaleGain:
    """One sale, in the account's currency."""

    date: dt.date
    account: str
    company: str
    currency: str
    quantity: float
    proceeds: float  # net of the sale's fees
    cost: float
    lots: tuple[LotGain, ...]
    file: str
    line: int

    @property
    def gain(self) -> float:
        return self.proceeds - self.cost

    @property
    def short_term(self) -> float:
        return sum((lot.gain for lot in self.lots if lot.term == "short"), 0.0)

    @property
    def long_term(self) -> float:
        return sum((lot.gain for lot in self.lots if lot.term == "long"), 0.0)


@dataclass(frozen=True, slots=True)
class YearTotal:
    """Totals of one account's sales in one tax year, in the account's currency."""

    year: int
    account: str
    currency: str
    sales: int
    proceeds: float
    cost: float
    short_term: float
    long_term: float

    @property
    def gain(self) -> float:
        return self.short_term + self.long_term


@dataclass(frozen=True)
class GainsReport:
    long_term_days: int
    sales: tuple[SaleGain, ...]
    totals: tuple[YearTotal, ...]  # by (year, account)

    def to_frame(self, by: str = "sale") -> pd.DataFrame:
        """``sale`` (default): one row per sale; ``lot``: one per lot a sale consumed;
        ``year``: the totals by tax year and account."""
        from conviction.ledger.frames import gains_frame

        return gains_frame(self, by)

    def _repr_html_(self) -> str:
        from conviction.ledger.frames import gains_html

        return gains_html(self)


def realized_gains(
    book: Book | BookIndex, *, year: int | None = None, accounts: Sequence[str] | None = None
) -> GainsReport:
    """Every sale (of ``year``, of ``accounts``; default all) with its lots and terms."""
    ix = as_index(book)
    book = ix.book
    threshold = book.meta.long_term_days
    until = ix.rows_until(dt.date(year, 12, 31) if year is not None else None)
    state = ix.replay(until)  # costs in each account's own currency
    sales, matches = state.sales, state.matches
    chosen = accounts if accounts is not None else ix.accounts
    wanted = np.isin(np.arange(len(ix.accounts)), [ix.accounts.index(a) for a in chosen])
    keep = wanted[sales.account]
    if year is not None:
        first = np.datetime64(f"{year}-01-01", "D").astype(np.int64)
        keep &= sales.day >= first
    # per match, in the account's currency: its share of the proceeds and its holding period
    share = sales.proceeds_account[matches.sale] * matches.quantity / sales.quantity[matches.sale]
    held_days = sales.day[matches.sale] - matches.opened
    lot_id = matches.lot_id if keep.any() else np.empty(0, dtype=object)
    kept = np.flatnonzero(keep)
    where = book.transactions[["file", "line"]].take(sales.row[kept])
    file, line = where["file"].to_numpy(dtype=object), where["line"].to_numpy(dtype=np.int64)
    out: list[SaleGain] = []
    for k, i in enumerate(kept):
        lo = int(sales.first_match[i])
        lots = tuple(
            LotGain(
                lot=str(lot_id[m]),
                opened=_date(matches.opened[m]),
                quantity=float(matches.quantity[m]),
                cost=float(matches.cost_account[m]),
                proceeds=float(share[m]),
                holding_days=int(held_days[m]),
                term="long" if held_days[m] > threshold else "short",
            )
            for m in range(lo, lo + int(sales.n_matches[i]))
        )
        out.append(
            SaleGain(
                date=_date(sales.day[i]),
                account=ix.accounts[sales.account[i]],
                company=ix.companies[sales.company[i]],
                currency=book.accounts[ix.accounts[sales.account[i]]].currency,
                quantity=float(sales.quantity[i]),
                proceeds=float(sales.proceeds_account[i]),
                cost=float(sales.cost_account[i]),
                lots=lots,
                file=str(file[k]),
                line=int(line[k]),
            )
        )
    return GainsReport(threshold, tuple(out), _totals(out))


def _date(day: np.integer[Any] | int) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(day))


_EPOCH = dt.date(1970, 1, 1)


def _totals(sales: list[SaleGain]) -> tuple[YearTotal, ...]:
    groups: dict[tuple[int, str], list[SaleGain]] = {}
    for s in sales:
        groups.setdefault((s.date.year, s.account), []).append(s)
    return tuple(
        YearTotal(
            year=y,
            account=a,
            currency=group[0].currency,
            sales=len(group),
            proceeds=float(sum(s.proceeds for s in group)),
            cost=float(sum(s.cost for s in group)),
            short_term=float(sum(s.short_term for s in group)),
            long_term=float(sum(s.long_term for s in group)),
        )
        for (y, a), group in sorted(groups.items())
    )
