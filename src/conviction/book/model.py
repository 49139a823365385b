"""The domain: people, companies, accounts, and the book that holds them with its tables.

Objects here are frozen and already valid: readers (``conviction.io``) and the store
(``conviction.store``) validate at the boundary; everything inside trusts them.

Transactions, marks and FX rates can run to millions of rows, so the book keeps them as
columnar tables (pandas DataFrames with the columns listed in ``TRANSACTION_COLUMNS``,
``MARK_COLUMNS`` and ``FX_COLUMNS``) rather than as one Python object per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from conviction._typing import AccountKind, LotMethod

__all__ = [
    "FX_COLUMNS",
    "MARK_COLUMNS",
    "TRANSACTION_COLUMNS",
    "Account",
    "Book",
    "BookMeta",
    "Company",
    "Link",
    "Person",
]

#: Columns of ``Book.transactions``, in order. ``company`` is "" for cash rows.
#: ``currency`` is the currency the row settles in ("" = the account's), ``fx_rate`` the
#: rate it traded at (NaN = that day's rate), ``lot`` names lots for specific-lot sales,
#: ``into`` is the company a corporate action (exchange, spinoff, rename) leads into ("").
TRANSACTION_COLUMNS: tuple[str, ...] = (
    "date",
    "account",
    "company",
    "action",
    "quantity",
    "price",
    "fees",
    "currency",
    "fx_rate",
    "lot",
    "into",
    "file",
    "line",
)
#: ``file`` and ``line`` say where a row came from ("api", "yahoo" ... for rows not from a file).
#: Columns of ``Book.marks``: one price of one company on one date, with where it came from.
MARK_COLUMNS: tuple[str, ...] = (
    "date",
    "company",
    "price",
    "kind",
    "source",
    "grade",
    "file",
    "line",
)
#: Columns of ``Book.fx``: ``rate`` units of the quote currency per unit of the base (USDJPY).
FX_COLUMNS: tuple[str, ...] = ("date", "pair", "rate", "source", "file", "line")


@dataclass(frozen=True, slots=True)
class Person:
    """A key person: the one the investor bets on."""

    id: str
    name: str


@dataclass(frozen=True, slots=True, order=True)
class Link:
    """A directed edge of the ecosystem: this company ``kind`` (supplies, customer...) ``to``."""

    to: str
    kind: str


@dataclass(frozen=True, slots=True)
class Company:
    """A public or private company, tied to its key people and to other companies."""

    id: str
    name: str
    public: bool = True
    ticker: str | None = None
    currency: str = "USD"
    key_people: tuple[str, ...] = ()
    key_people_weights: tuple[float, ...] = ()
    themes: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()

    def person_weights(self) -> dict[str, float]:
        """How this company's value splits over its key people (equal unless given)."""
        if not self.key_people:
            return {}
        if self.key_people_weights:
            total = sum(self.key_people_weights)
            return {
                p: w / total for p, w in zip(self.key_people, self.key_people_weights, strict=True)
            }
        share = 1.0 / len(self.key_people)
        return {p: share for p in self.key_people}


@dataclass(frozen=True, slots=True)
class Account:
    """An account: a client's, a fund's or the investor's own (``personal``)."""

    id: str
    name: str
    kind: AccountKind = "client"
    currency: str = "USD"
    max_weight: float | None = None
    lot_method: LotMethod = "fifo"


@dataclass(frozen=True, slots=True)
class BookMeta:
    """The book's own settings."""

    name: str
    currency: str = "USD"
    as_of: dt.date | None = None
    long_term_days: int = 365
    calendar: str = "XNYS"  # exchange_calendars name of the valuation grid's sessions


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass(frozen=True)
class Book:
    """A whole book: reference data plus its transaction, mark and FX tables.

    Tables are sorted by date (stable: rows of one date keep their file order).
    """

    meta: BookMeta
    persons: Mapping[str, Person] = field(default_factory=dict)
    companies: Mapping[str, Company] = field(default_factory=dict)
    accounts: Mapping[str, Account] = field(default_factory=dict)
    transactions: pd.DataFrame = field(default_factory=lambda: _empty(TRANSACTION_COLUMNS))
    marks: pd.DataFrame = field(default_factory=lambda: _empty(MARK_COLUMNS))
    fx: pd.DataFrame = field(default_factory=lambda: _empty(FX_COLUMNS))
    #: What the ledger derives from this book, kept with it (``conviction.ledger.index``):
    #: a book is frozen, so every answer about it can share one index. Not part of the
    #: book's value: ``replace()`` gives a new book with an empty memo.
    memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def currency(self) -> str:
        return self.meta.currency

    def company_ids(self) -> list[str]:
        return list(self.companies)

    def account_ids(self) -> list[str]:
        return list(self.accounts)
