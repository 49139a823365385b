"""Private-market measures: how private holdings are judged (paid-in, distributions, TVPI,
DPI, RVPI, IRR), each with the mark behind its residual value.

From the investor's cash flows in one holding, in the reporting currency at each day's
rate: **paid-in** = money paid for shares (fees included); **distributed** = money
received (sale proceeds net of fees, dividends); **residual** = the holding's value on
the date, from its last mark. Then ``DPI = distributed / paid-in``, ``RVPI = residual /
paid-in``, ``TVPI = DPI + RVPI``, and IRR = the annual rate that discounts the dated flows
(paid-in negative, distributions and the residual on the date positive) to zero, on an
actual/365 calendar (spreadsheets' XIRR). "All private" pools every private holding's flows.

The residual is only as good as its mark: each line carries the mark's date, age, kind
(round, tender, model, trade) and grade (A priced round or official document, B tender or
secondary, C model or estimate).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from conviction._typing import Float64Array
from conviction.book.model import Book
from conviction.ledger.corporate import DERIVED_ACTIONS, private_on
from conviction.ledger.index import BookIndex, as_index
from conviction.ledger.returns import irr

__all__ = ["ALL_PRIVATE", "PrivateLine", "PrivateReport", "private_measures"]

#: The ``company`` of the line that pools every private holding.
ALL_PRIVATE = "all private"


@dataclass(frozen=True, slots=True)
class PrivateLine:
    """Measures of one private holding (or of all of them), in the report's currency."""

    company: str
    paid_in: float
    distributed: float
    residual: float
    irr: float  # annual, actual/365; NaN when it does not exist
    first_flow: dt.date | None
    mark_date: dt.date | None  # the mark behind the residual (None for the pooled line)
    mark_age_days: int | None
    mark_kind: str | None
    mark_grade: str | None
    mark_source: str | None

    @property
    def dpi(self) -> float:
        return _ratio(self.distributed, self.paid_in)

    @property
    def rvpi(self) -> float:
        return _ratio(self.residual, self.paid_in)

    @property
    def tvpi(self) -> float:
        return _ratio(self.distributed + self.residual, self.paid_in)


@dataclass(frozen=True)
class PrivateReport:
    as_of: dt.date
    currency: str
    holdings: tuple[PrivateLine, ...]
    total: PrivateLine | None  # None when the book holds nothing private


def private_measures(
    book: Book | BookIndex,
    as_of: dt.date | None = None,
    *,
    currency: str | None = None,
    accounts: Sequence[str] | None = None,
) -> PrivateReport:
    """Paid-in, distributed, residual, TVPI/DPI/RVPI and IRR of every private company the
    accounts (default all) ever traded, on ``as_of`` (default the book's)."""
    ix = as_index(book)
    book = ix.book
    as_of = as_of or book.meta.as_of or dt.date.today()
    currency = currency or book.currency
    day = np.datetime64(as_of.isoformat(), "D")
    account_ids, companies = ix.accounts, ix.companies
    # private on the day: a listed company is public from its listing on
    private = [c for c in companies if private_on(book, c, day)]
    if not private:
        return PrivateReport(as_of, currency, (), None)
    fx, ta = ix.fx, ix.trades
    wanted = np.isin(ta.account, [account_ids.index(a) for a in (accounts or account_ids)])
    rows = wanted & (ta.day <= day) & (ta.company >= 0)
    rows &= np.isin(ta.action, ["buy", "sell", "dividend", *DERIVED_ACTIONS])
    rows &= np.isin(ta.company, [companies.index(c) for c in private])

    amount = np.zeros(ta.day.size)  # signed, reporting currency, investor's view
    for ccy in pd.unique(ta.settle_currency[rows]):
        sel = rows & (ta.settle_currency == ccy)
        amount[sel] = ta.settle_amount[sel] * fx.rate(str(ccy), currency, ta.day[sel]).rates
    # a corporate action moves value, not cash: the source distributes what the target is
    # paid in (an exchange at the source's mark, a spin-off at the new shares' mark)
    internal = np.zeros(ta.day.size, dtype=bool)
    for carry in ix.carries:
        if ta.day[carry.row_in] > day:
            continue
        spin = carry.fraction != 1.0
        valued = carry.target if spin else carry.source
        at = carry.row_in if spin else carry.row_out
        when = ta.day[at : at + 1]
        price = float(ix.marks.lookup(when, [valued]).price[0, 0])
        rate = fx.rate(book.companies[valued].currency, currency, when).rates[0]
        shares = abs(float(ta.original_shares[at]))
        value = shares * price * rate if np.isfinite(price) else 0.0
        if carry.source in private and carry.target in private:  # within the total
            internal[carry.row_out] = internal[carry.row_in] = True
        amount[carry.row_out], amount[carry.row_in] = value, -value

    marked = ix.marks.lookup(np.array([day]), private)
    mark_days = marked.mark_day()[0]
    lines: list[PrivateLine] = []
    pooled_days: list[np.ndarray] = []
    pooled_amounts: list[Float64Array] = []
    for k, c in enumerate(private):
        sel = rows & (ta.company == companies.index(c))
        if not sel.any():
            continue
        shares = float(ta.original_shares[sel].sum())  # original shares: splits drop out
        held = shares > 1e-9 * max(1.0, float(np.abs(ta.original_shares[sel]).max()))
        rate = fx.rate(book.companies[c].currency, currency, np.array([day])).rates[0]
        residual = shares * float(marked.price[0, k]) * rate if held else 0.0
        days = np.append(ta.day[sel], day)
        flows = np.append(amount[sel], residual)
        pooled_days.append(days)
        pooled_amounts.append(np.append(np.where(internal[sel], 0.0, amount[sel]), residual))
        mark = marked.mark(0, k) if held else None
        md = None if mark is None else mark_days[k].astype(dt.date)
        lines.append(
            PrivateLine(
                company=c,
                paid_in=float(-amount[sel][amount[sel] < 0].sum()),
                distributed=float(amount[sel][amount[sel] > 0].sum()),
                residual=residual,
                irr=irr(days, flows),
                first_flow=ta.day[sel][0].astype(dt.date),
                mark_date=md,
                mark_age_days=None if md is None else (as_of - md).days,
                mark_kind=None if mark is None else mark.kind,
                mark_grade=None if mark is None else mark.grade,
                mark_source=None if mark is None else mark.source,
            )
        )
    total = None
    if lines:
        days = np.concatenate(pooled_days)
        flows = np.concatenate(pooled_amounts)
        residuals = np.cumsum([d.size for d in pooled_days]) - 1  # each company's last flow
        paid = flows.copy()
        paid[residuals] = 0.0
        pooled_distributed = float(paid[paid > 0].sum())
        moved = bool(internal.any())
        total = PrivateLine(
            company=ALL_PRIVATE,
            paid_in=float(-paid[paid < 0].sum()) if moved else sum(x.paid_in for x in lines),
            distributed=pooled_distributed if moved else sum(x.distributed for x in lines),
            residual=sum(line.residual for line in lines),
            irr=irr(days, flows),
            first_flow=min(line.first_flow for line in lines if line.first_flow),
            mark_date=None,
            mark_age_days=None,
            mark_kind=None,
            mark_grade=None,
            mark_source=None,
        )
    return PrivateReport(as_of, currency, tuple(lines), total)


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")
