"""Appending rows to a stored book: transactions and marks, in the caller's transaction.

The web app's writes (``conviction.web.writes``) check the rows against the book first;
these functions only map the book's names onto the tables and insert. They never commit:
the caller's ``engine.begin()`` block groups the check and the insert into one
transaction, so a refused request changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, insert
from sqlalchemy.exc import IntegrityError

from conviction.errors import StoreError
from conviction.store.tables import MarkRow, TransactionRow

__all__ = ["NewMark", "NewTransaction", "append_marks", "append_transactions"]


@dataclass(frozen=True, slots=True)
class NewTransaction:
    """One row of ``transactions.csv`` to store (empty text: none)."""

    date: dt.date
    account: str
    company: str
    action: str
    quantity: float
    price: float | None
    fees: float
    currency: str
    fx_rate: float | None
    lot: str


@dataclass(frozen=True, slots=True)
class NewMark:
    """One row of ``marks.csv`` to store, its grade resolved."""

    date: dt.date
    company: str
    price: float
    kind: str
    source: str
    grade: str


def append_transactions(conn: Connection, rows: Sequence[NewTransaction], *, origin: str) -> None:
    """Insert transactions; ``origin`` is where they came from, each row's ``line`` its
    1-based position in ``rows``."""
    try:
        conn.execute(
            insert(TransactionRow),
            [
                {
                    "date": r.date,
                    "account_id": r.account or None,
                    "company_id": r.company or None,
                    "action": r.action,
                    "quantity": r.quantity,
                    "price": r.price,
                    "fees": r.fees,
                    "currency": r.currency or None,
                    "fx_rate": r.fx_rate,
                    "lot": r.lot or None,
                    "source": origin,
                    "line": i + 1,
                }
                for i, r in enumerate(rows)
            ],
        )
    except IntegrityError as exc:  # a concurrent writer, or a reference gone meanwhile
        raise StoreError(f"the database refused the transactions: {exc.orig}") from None


def append_marks(conn: Connection, rows: Sequence[NewMark], *, origin: str) -> None:
    """Insert marks; ``origin`` and ``line`` as for :func:`append_transactions`."""
    try:
        conn.execute(
            insert(MarkRow),
            [
                {
                    "date": r.date,
                    "company_id": r.company,
                    "price": r.price,
                    "kind": r.kind,
                    "source": r.source,
                    "grade": r.grade,
                    "origin": origin,
                    "line": i + 1,
                }
                for i, r in enumerate(rows)
            ],
        )
    except IntegrityError as exc:  # a concurrent writer got there first
        raise StoreError(f"the database refused the marks: {exc.orig}") from None
