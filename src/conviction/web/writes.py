"""Writes through the API: transactions and marks, checked like ``conviction load``.

Each request is one database transaction. Its rows are checked as the CSV readers check
a file (the request models), then against the stored book (ids that exist, no mark
stored twice), and then the whole book *with* the new rows is validated the way a load
is (``validate_book``: no sale beyond a position, specific lots that exist). Only then are
the rows inserted (``conviction.store.appends``: the store writes, this module checks), so
a refused request changes nothing. Rows remember where they came
from: ``source``/``origin`` ``"api"``, ``line`` their position in the request (1-based).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from conviction._typing import DEFAULT_GRADE
from conviction.book.model import MARK_COLUMNS, TRANSACTION_COLUMNS, Book
from conviction.errors import (
    DataError,
    FormatError,
    InputError,
    LedgerError,
    UnknownIdError,
)
from conviction.store.appends import NewMark, NewTransaction, append_marks, append_transactions
from conviction.web.schemas import MarkIn, TransactionIn

__all__ = ["ORIGIN", "add_marks", "add_transactions"]

#: Where rows written through the API say they came from.
ORIGIN = "api"
#: The file name new rows carry while the combined book is validated.
_REQUEST = "<request>"


def add_transactions(conn: Connection, book: Book, rows: Sequence[TransactionIn]) -> Book:
    """Add transactions (all or none) to ``book``, the one stored on ``conn`` (in the
    caller's transaction); returns the book as stored after."""
    for i, r in enumerate(rows):
        where = f"transactions[{i}]"
        if r.account and r.account not in book.accounts:
            raise UnknownIdError(f"unknown account {r.account!r}", field=f"{where}.account")
        if r.company and r.company not in book.companies:
            raise UnknownIdError(f"unknown company {r.company!r}", field=f"{where}.company")
    seen: set[tuple[object, ...]] = set()
    for i, r in enumerate(rows):
        same = (r.date, r.account, r.company, r.action, r.quantity, r.price, r.lot)
        if same in seen:
            raise FormatError(
                "duplicate transaction: the same row appears earlier in this request",
                field=f"transactions[{i}]",
            )
        seen.add(same)
    frame = _transaction_frame(rows, book.transactions)
    if _can_break_the_book(book, rows):
        combined = _as_stored(_validate(book, frame))
    else:  # number the new rows as stored before they join the others (no copy after)
        frame["file"], frame["line"] = ORIGIN, frame["line"].to_numpy() + 1
        combined = _appended(book.transactions, frame)
    append_transactions(
        conn,
        [
            NewTransaction(
                date=r.date,
                account=r.account,
                company=r.company,
                action=r.action,
                quantity=r.quantity,
                price=r.price,
                fees=r.fees,
                currency=r.currency,
                fx_rate=r.fx_rate,
                lot=r.lot,
            )
            for r in rows
        ],
        origin=ORIGIN,
    )
    return replace(book, transactions=combined)


def _as_stored(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of a request as the store gives them back: from "api", numbered from 1."""
    mine = (frame["file"] == _REQUEST).to_numpy()
    if not mine.any():
        return frame
    out = frame.copy()
    out.loc[mine, "line"] = out.loc[mine, "line"].to_numpy() + 1
    out.loc[mine, "file"] = ORIGIN
    return out


def _transaction_frame(rows: Sequence[TransactionIn], like: pd.DataFrame) -> pd.DataFrame:
    """The request's rows as a transactions frame with ``like``'s column types (so that
    appending them to the stored rows converts nothing: about 10 ms a write otherwise)."""
    nan = float("nan")
    columns = {
        "date": np.array([r.date for r in rows], dtype="datetime64[D]"),
        "account": [r.account for r in rows],
        "company": [r.company for r in rows],
        "action": [r.action for r in rows],
        "quantity": np.array([r.quantity for r in rows], dtype=float),
        "price": np.array([nan if r.price is None else r.price for r in rows], dtype=float),
        "fees": np.array([r.fees for r in rows], dtype=float),
        "currency": [r.currency for r in rows],
        "fx_rate": np.array([nan if r.fx_rate is None else r.fx_rate for r in rows]),
        "lot": [r.lot for r in rows],
        "file": [_REQUEST] * len(rows),
        "line": np.arange(len(rows), dtype=np.int64),
    }
    return _typed(columns, like, TRANSACTION_COLUMNS)


def _typed(columns: dict[str, object], like: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """A frame of ``columns`` with ``like``'s column types: text goes in as Python objects
    (which pandas gives the stored rows' string type at once), dates in ``like``'s unit.
    Two to three times faster than a typed Series per column."""
    types = like.dtypes
    data: dict[str, object] = {}
    for name in names:
        values = columns[name]
        kind = types.get(name)
        if isinstance(values, list):
            data[name] = np.array(values, dtype=object)
        elif kind is not None and isinstance(values, np.ndarray) and values.dtype.kind == "M":
            data[name] = values.astype(kind)
        else:
            data[name] = values
    return pd.DataFrame(data, columns=list(names))


def _validate(book: Book, new: pd.DataFrame) -> pd.DataFrame:
    """The whole book with the new rows, validated as a load validates it; returns the
    combined transactions, in the store's order (date, then the order rows were stored)."""
    from conviction.io.book_reader import validate_book

    combined = _appended(book.transactions, new)
    try:
        validate_book(replace(book, transactions=combined))
    except InputError as exc:
        if exc.file == _REQUEST and exc.line is not None:
            field = f"transactions[{exc.line}]" + (f".{exc.field}" if exc.field else "")
            raise type(exc)(exc.message, field=field) from None
        raise type(exc)(
            f"{exc.message} (a stored row: the new rows would make it impossible)",
            file=exc.file,
            line=exc.line,
            field=exc.field,
        ) from None
    except DataError as exc:  # e.g. a currency with no rate to convert it
        raise LedgerError(str(exc), field="transactions") from None
    return combined


#: Actions that move cash only: no position, no lot, no price.
_CASH_ONLY = frozenset({"deposit", "withdraw"})


def _can_break_the_book(book: Book, new: Sequence[TransactionIn]) -> bool:
    """Whether the new rows can fail a check that needs the whole book (``validate_book``:
    positions, named lots, rates to convert). A deposit or withdrawal without a company,
    in the book's currency, to an account kept in that currency, changes no position
    and needs no rate, so it cannot; the whole-book check is then skipped (it costs
    about 13 ms on the example, two thirds of a write: under a stream of writes, the
    difference between a write that waits and one that does not)."""
    for row in new:
        action, company, currency, account = row.action, row.company, row.currency, row.account
        if action not in _CASH_ONLY or company:
            return True
        held = book.accounts.get(account)
        if held is None or held.currency != book.currency:
            return True
        if currency and currency != book.currency:
            return True
    return False


def add_marks(conn: Connection, book: Book, rows: Sequence[MarkIn]) -> Book:
    """Add marks (all or none) to ``book``, the one stored on ``conn``; returns the book as
    stored after."""
    stored = {
        (str(d), c, k)
        for d, c, k in zip(
            book.marks["date"].to_numpy().astype("datetime64[D]"),
            book.marks["company"],
            book.marks["kind"],
            strict=True,
        )
    }
    seen: dict[tuple[str, str, str], int] = {}
    for i, r in enumerate(rows):
        where = f"marks[{i}]"
        if r.company not in book.companies:
            raise UnknownIdError(f"unknown company {r.company!r}", field=f"{where}.company")
        key = (r.date.isoformat(), r.company, r.kind)
        if key in seen:
            raise FormatError(
                f"duplicate mark (same date, company and kind as marks[{seen[key]}])",
                field=f"{where}.date",
            )
        if key in stored:
            raise FormatError(
                f"a {r.kind} mark of {r.company} on {r.date} is already stored",
                field=f"{where}.date",
            )
        seen[key] = i
    marks = [
        NewMark(
            date=r.date,
            company=r.company,
            price=r.price,
            kind=r.kind,
            source=r.source,
            grade=r.grade or DEFAULT_GRADE[r.kind],
        )
        for r in rows
    ]
    append_marks(conn, marks, origin=ORIGIN)
    return replace(book, marks=_marks_after(book.marks, marks))


def _marks_after(stored: pd.DataFrame, marks: Sequence[NewMark]) -> pd.DataFrame:
    """The stored marks with ``marks`` appended, in the store's order (date, then id)."""
    columns = {
        "date": np.array([m.date for m in marks], dtype="datetime64[D]"),
        "company": [m.company for m in marks],
        "price": np.array([m.price for m in marks], dtype=float),
        "kind": [m.kind for m in marks],
        "source": [m.source for m in marks],
        "grade": [m.grade for m in marks],
        "file": [ORIGIN] * len(marks),
        "line": np.arange(1, len(marks) + 1, dtype=np.int64),
    }
    return _appended(stored, _typed(columns, stored, MARK_COLUMNS))


def _appended(stored: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``new`` rows after the ``stored`` ones, in the store's order: by date, and within a
    date in the order they were stored (a stable sort; new rows get the higher ids)."""
    if not new.dtypes.equals(stored.dtypes):  # one side empty or typed otherwise
        new = new.astype(stored.dtypes.to_dict()) if len(stored) else new
    both = pd.concat([stored, new], ignore_index=True) if len(stored) else new
    order = np.argsort(both["date"].to_numpy().astype("datetime64[D]"), kind="stable")
    if (order == np.arange(len(order))).all():  # the new rows are the latest: the usual case
        return both
    return both.take(order).reset_index(drop=True)
