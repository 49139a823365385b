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
from typing import Literal

from conviction.book.model import Book
from conviction.ledger.fx import FxRates
from conviction.ledger.lots import replay
from conviction.ledger.valuation import trade_arrays

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


def realized_gains(
    book: Book, *, year: int | None = None, accounts: Sequence[str] | None = None
) -> GainsReport:
    """Every sale (of ``year``, of ``accounts``; default all) with its lots and terms."""
    threshold = book.meta.long_term_days
    fx = FxRates(book.fx)
    ta = trade_arrays(book, tuple(book.accounts), tuple(book.companies), fx)
    until = dt.date(year, 12, 31) if year is not None else None
    state = replay(book.transactions, book.accounts, ta.to_account, until=until)
    wanted = set(accounts) if accounts is not None else set(book.accounts)
    sales: list[SaleGain] = []
    for sale in state.sales:
        if sale.account not in wanted or (year is not None and sale.date.year != year):
            continue
        lots = []
        for m in sale.lots:
            held = (sale.date - m.opened).days
            lots.append(
                LotGain(
                    lot=m.lot,
                    opened=m.opened,
                    quantity=float(m.quantity),
                    cost=float(m.cost_account),
                    proceeds=float(sale.proceeds_account * m.quantity / sale.quantity),
                    holding_days=held,
                    term="long" if held > threshold else "short",
                )
            )
        sales.append(
            SaleGain(
                date=sale.date,
                account=sale.account,
                company=sale.company,
                currency=book.accounts[sale.account].currency,
                quantity=float(sale.quantity),
                proceeds=float(sale.proceeds_account),
                cost=float(sale.cost_account),
                lots=tuple(lots),
                file=sale.file,
                line=sale.line,
            )
        )
    return GainsReport(threshold, tuple(sales), _totals(sales))


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
