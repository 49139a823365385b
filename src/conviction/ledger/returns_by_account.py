"""Each account's returns twice: in its own base currency and in the reporting currency.

A yen account holding dollar stocks can have earned 10% a year in yen and 6% in dollars:
both are true, for different readers. The value history is computed once per distinct
base currency (a handful), never once per account, and each account keeps the column
of its own currency. Conventions are those of ``conviction.ledger.returns``: flows
arrive at the day's close; IRR on an actual/365 calendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from conviction._typing import BoolArray, Float64Array
from conviction.book.model import Book
from conviction.ledger.index import BookIndex, as_index
from conviction.ledger.returns import irr, twr
from conviction.ledger.valuation import ValueHistory, value_history

__all__ = ["AccountReturn", "AccountReturns", "account_returns"]


@dataclass(frozen=True, slots=True)
class AccountReturn:
    """One account's value and returns in one currency over the whole period."""

    account: str
    currency: str
    start_value: float
    end_value: float
    net_flows: float  # deposits minus withdrawals, each at its day's rate
    twr: float  # cumulative time-weighted return
    irr: float  # money-weighted, annual, actual/365


@dataclass(frozen=True)
class AccountReturns:
    """Returns of each account in the reporting currency and in its base currency."""

    days: np.ndarray
    currency: str
    reporting: tuple[AccountReturn, ...]
    base: tuple[AccountReturn, ...]  # same order; equal to ``reporting`` where currencies match
    history: ValueHistory  # daily values in the reporting currency
    base_value: Float64Array  # (days, accounts): daily values in each account's base currency
    stale_fx: BoolArray  # (days,) a carried-forward rate was used (either currency)


def account_returns(
    book: Book | BookIndex,
    days: np.ndarray,
    *,
    currency: str | None = None,
    accounts: Sequence[str] | None = None,
) -> AccountReturns:
    """Value and TWR/IRR of each account in ``currency`` (default the book's) and in its
    own base currency, on the given days (datetime64[D], ascending)."""
    ix = as_index(book)
    book = ix.book
    days = np.asarray(days).astype("datetime64[D]")
    currency = currency or book.currency
    ids = tuple(accounts if accounts is not None else book.accounts)
    report = value_history(ix, days, currency=currency, accounts=ids)
    stale = report.stale_fx.copy()
    base_ccy = np.array([book.accounts[a].currency for a in ids], dtype=object)
    others = sorted(set(base_ccy) - {currency})
    # the base-currency grids are the reporting ones unless some account keeps another
    base_value = report.value.copy() if others else report.value
    base_flows = report.flows.copy() if others else report.flows
    for ccy in others:
        cols = np.flatnonzero(base_ccy == ccy)
        vh = value_history(ix, days, currency=str(ccy), accounts=[ids[j] for j in cols])
        base_value[:, cols] = vh.value
        base_flows[:, cols] = vh.flows
        stale |= vh.stale_fx
    reporting = _summaries(ids, [currency] * len(ids), days, report.value, report.flows)
    # in its own currency an account's returns are the reporting ones: solve only the others
    base = list(reporting)
    other = np.flatnonzero(base_ccy != currency)
    if other.size:
        solved = _summaries(
            [ids[j] for j in other], list(base_ccy[other]), days,
            base_value[:, other], base_flows[:, other],
        )  # fmt: skip
        for j, line in zip(other, solved, strict=True):
            base[j] = line
    return AccountReturns(
        days=days,
        currency=currency,
        reporting=reporting,
        base=tuple(base),
        history=report,
        base_value=base_value,
        stale_fx=stale,
    )


def _summaries(
    ids: Sequence[str],
    currencies: Sequence[str],
    days: np.ndarray,
    value: Float64Array,
    flows: Float64Array,
) -> tuple[AccountReturn, ...]:
    growth = twr(value, flows)
    out = []
    for j, a in enumerate(ids):
        # investor's view: money paid in is negative. What the account held at the first
        # close (that day's flows included) counts as paid in on the first day.
        cash_flows = -flows[:, j].copy()
        cash_flows[0] = -value[0, j]
        cash_flows[-1] += value[-1, j]
        out.append(
            AccountReturn(
                account=a,
                currency=str(currencies[j]),
                start_value=float(value[0, j]),
                end_value=float(value[-1, j]),
                net_flows=float(flows[:, j].sum()),
                twr=float(growth[j]),
                irr=irr(days, cash_flows),
            )
        )
    return tuple(out)
