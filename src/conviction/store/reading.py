"""Reading a stored book through any DB-API connection, in plain SQL.

One reader for every way a book is read: SQLAlchemy's connections (a reading engine, or a
load's own transaction) hand it their driver connection; the read commands of a SQLite
book hand it a ``sqlite3`` connection opened without SQLAlchemy (``sqlite_files``). The
large tables come through ``columns``' Arrow reader when one is given.

Amounts are stored as exact decimals (``tables.Amount``: text on SQLite, ``NUMERIC`` on
PostgreSQL) and read as float64 columns, which the ledger computes with: Arrow casts the
text (or PostgreSQL's numeric text) to doubles in C; the tuple path converts a column at a
time. ``exact=True`` (an export) also keeps each amount's exact text beside its floats
(``io.amounts.TEXT_COLUMNS``) and each transaction's ``ref``.

A NULL is a cell the book's files left empty (schema 0008): the tables get the default it
stands for (``book.defaults``: a fee 0, a rename's or listing's ratio 1, a mark's grade
by its kind), as the CSV readers give them, and with ``exact=True`` the text columns say
the cell was empty ("").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from conviction.book.model import (
    FX_COLUMNS,
    MARK_COLUMNS,
    TRANSACTION_COLUMNS,
    Account,
    Book,
    BookMeta,
    Company,
    Link,
    Person,
)
from conviction.errors import DataError
from conviction.store.columns import ColumnReader

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["FLOAT_COLUMNS", "count_transactions", "read_book_at", "read_book_from"]

# Each large table: (table, its columns as Book names them (SQL expressions, in order)).
_TRANSACTIONS = (
    "transactions",
    (
        '"date"',
        '"account_id"',
        '"company_id"',
        '"action"',
        '"quantity"',
        '"price"',
        '"fees"',
        '"currency"',
        '"fx_rate"',
        '"lot"',
        '"into_id"',
        '"source"',
        '"line"',
    ),
    TRANSACTION_COLUMNS,
)
_MARKS = (
    "mark",
    ('"date"', '"company_id"', '"price"', '"kind"', '"source"', '"grade"', '"origin"', '"line"'),
    MARK_COLUMNS,
)
_FX = (
    "fx_rate",
    ('"date"', '"pair"', '"rate"', '"source"', '"origin"', '"line"'),
    FX_COLUMNS,
)

#: The book's columns stored as floats (NULL: NaN), in every table.
FLOAT_COLUMNS = frozenset({"quantity", "price", "fees", "fx_rate", "rate"})


def read_book_from(
    dbapi: Any, *, columnar: ColumnReader | None = None, exact: bool = False
) -> Book:
    """The book as stored, with tables sorted by date (file order within a date).

    ``dbapi``: an open DB-API connection (its transaction, if any, is the caller's).
    ``columnar``: reads the large tables as Arrow columns (committed rows only).
    ``exact``: the tables also hold each amount's exact text and the transactions' ``ref``
    (read through ``dbapi``: ``columnar`` is not used).
    """
    rows = _rows(
        dbapi,
        'SELECT "name", "currency", "as_of", "long_term_days", "calendar" FROM "book"'
        ' WHERE "id" = 1',
    )
    if not rows:
        raise DataError("the database holds no book yet: run `conviction load PATH` first")
    name, currency, as_of, long_term_days, calendar = rows[0]
    meta = BookMeta(
        name=name,
        currency=currency,
        as_of=_date(as_of),
        long_term_days=int(long_term_days),
        calendar=calendar or "XNYS",
    )
    persons = {
        pid: Person(pid, pname)
        for pid, pname in _rows(dbapi, 'SELECT "id", "name" FROM "person" ORDER BY "id"')
    }
    people: dict[str, list[tuple[int, str, float | None]]] = {}
    for company, person, position, weight in _rows(
        dbapi, 'SELECT "company_id", "person_id", "position", "weight" FROM "company_person"'
    ):
        people.setdefault(company, []).append((position, person, weight))
    links: dict[str, list[Link]] = {}
    for company, to, kind in _rows(
        dbapi, 'SELECT "company_id", "to_id", "kind" FROM "company_link" ORDER BY "to_id"'
    ):
        links.setdefault(company, []).append(Link(to, kind))
    companies: dict[str, Company] = {}
    for cid, cname, public, ticker, ccy, themes in _rows(
        dbapi,
        'SELECT "id", "name", "public", "ticker", "currency", "themes" FROM "company" '
        'ORDER BY "id"',
    ):
        mine = sorted(people.get(cid, []))
        weights = tuple(w for _, _, w in mine if w is not None)
        companies[cid] = Company(
            id=cid,
            name=cname,
            public=bool(public),
            ticker=ticker,
            currency=ccy,
            key_people=tuple(p for _, p, _ in mine),
            key_people_weights=weights if len(weights) == len(mine) else (),
            themes=tuple(t for t in (themes or "").split(",") if t),
            links=tuple(links.get(cid, [])),
        )
    accounts = {
        r[0]: Account(*r)
        for r in _rows(
            dbapi,
            'SELECT "id", "name", "kind", "currency", "max_weight", "lot_method" FROM "account" '
            'ORDER BY "id"',
        )
    }
    if exact:
        tx, marks, fx = (_read_exact(dbapi, *t) for t in (_TRANSACTIONS, _MARKS, _FX))
    else:
        tx, marks, fx = (_read_table(dbapi, columnar, *t) for t in (_TRANSACTIONS, _MARKS, _FX))
    return Book(meta, persons, companies, accounts, *_filled(tx, marks), fx)


def _filled(tx: pd.DataFrame, marks: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables with the defaults of the cells stored as NULL (``book.defaults``): an
    empty fee 0, the empty ratio of a rename or listing 1, an empty grade its kind's.
    In place: the frames are the reader's own."""
    from conviction.book.defaults import fees_filled, grades_filled, quantities_filled

    if len(tx):
        tx["fees"] = fees_filled(tx["fees"].to_numpy(dtype=float))
        tx["quantity"] = quantities_filled(tx["quantity"].to_numpy(dtype=float), tx["action"])
    if len(marks):
        marks["grade"] = grades_filled(marks["grade"], marks["kind"])
    return tx, marks


def _rows(dbapi: Any, sql: str) -> list[tuple[Any, ...]]:
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows
    finally:
        cursor.close()


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _read_table(
    dbapi: Any,
    columnar: ColumnReader | None,
    table: str,
    selected: Sequence[str],
    columns: Sequence[str],
) -> pd.DataFrame:
    """A table's rows sorted by (date, id)."""
    if columnar is not None:
        # Sorted in NumPy (stable on the id column added): cheaper than SQLite's ORDER BY
        # over a million rows, which has no (date, id) index to use.
        sql = f'SELECT {", ".join(selected)}, "id" FROM "{table}"'
        kinds = {c: _kind(c) for c in columns}
        frame = columnar(sql, [*columns, "_id"], {**kinds, "_id": "int"})
        day = frame["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
        order = np.lexsort((frame["_id"].to_numpy(), day))
        if not (order == np.arange(order.size)).all():
            frame = frame.take(order)
        return frame.drop(columns="_id").reset_index(drop=True)
    return _read_frame(
        dbapi, f'SELECT {", ".join(selected)} FROM "{table}" ORDER BY "date", "id"', columns
    )


def _read_exact(
    dbapi: Any, table: str, selected: Sequence[str], columns: Sequence[str]
) -> pd.DataFrame:
    """A table's rows sorted by (date, id), with the exact text of each amount (and the
    transactions' ``ref``, the marks' grade as stored) after its columns ("" for NULL:
    an empty cell)."""
    from conviction.io.amounts import GRADE_TEXT, TEXT_COLUMNS, amount_text

    extra = ['"ref"'] if table == "transactions" else []
    sql = f'SELECT {", ".join([*selected, *extra])} FROM "{table}" ORDER BY "date", "id"'
    rows = _rows(dbapi, sql)
    frame = _frame_of(rows, [*columns, *(["ref"] if extra else [])])
    for c in columns:
        if c in FLOAT_COLUMNS:
            at = list(columns).index(c)
            frame[TEXT_COLUMNS[c]] = np.array([amount_text(r[at]) for r in rows], dtype=object)
    if table == "mark":
        frame[GRADE_TEXT] = frame["grade"].to_numpy(dtype=object)  # before the defaults
    return frame


def _kind(column: str) -> str:
    if column == "date":
        return "date"
    if column in FLOAT_COLUMNS:
        return "float"
    return "int" if column == "line" else "text"


def _read_frame(dbapi: Any, sql: str, columns: Sequence[str]) -> pd.DataFrame:
    return _frame_of(_rows(dbapi, sql), columns)


def _frame_of(rows: list[tuple[Any, ...]], columns: Sequence[str]) -> pd.DataFrame:
    # Plain driver tuples, converted below a column at a time.
    frame = pd.DataFrame(rows, columns=list(columns))
    out: dict[str, Any] = {}
    for c in columns:
        col = frame[c]
        if c == "date":
            days = pd.to_datetime(col.astype(str), format="%Y-%m-%d").to_numpy()
            out[c] = days.astype("datetime64[D]")
        elif c in FLOAT_COLUMNS:  # exact decimals: SQLite's text, PostgreSQL's Decimal
            out[c] = pd.to_numeric(col).to_numpy(dtype=float)
        elif c == "line":
            out[c] = col.fillna(0).to_numpy(dtype=np.int64)
        else:
            out[c] = col.fillna("").astype(str).to_numpy(dtype=object)
    return pd.DataFrame(out, columns=list(columns))


def read_book_at(
    url: str | Engine,
    *,
    before_read: Callable[[int], None] | None = None,
    exact: bool = False,
) -> Book:
    """The book stored at the database ``url``: a plain SQLite file straight through
    ``sqlite3`` (no SQLAlchemy), anything else through ``connect`` (or the engine given).

    ``before_read`` is told the number of transactions before the tables are read (the
    caller may start work that runs beside the read). ``exact``: with each amount's exact
    text and the transactions' ``ref`` (``read_book_from``), for an export.
    """
    from conviction.store.sqlite_files import open_read_only, plain_sqlite_file

    path = plain_sqlite_file(url) if isinstance(url, str) else None
    if path is None:
        from conviction.store.book_store import read_book
        from conviction.store.engine import connect

        engine = connect(url) if isinstance(url, str) else url
        if before_read is not None:
            with engine.connect() as sa:
                before_read(count_transactions(sa.connection.dbapi_connection))
        return read_book(engine, exact=exact)
    conn = open_read_only(path)
    try:
        transactions = count_transactions(conn)
        if before_read is not None:
            before_read(transactions)
        if exact:
            return read_book_from(conn, exact=True)
        return read_book_from(conn, columnar=_columns_if_large(conn, str(path), transactions))
    finally:
        conn.close()


def count_transactions(dbapi: Any) -> int:
    return int(_rows(dbapi, 'SELECT count(*) FROM "transactions"')[0][0])


#: Below this many rows the driver's own tuples are as fast as Arrow (and need no driver).
_COLUMNAR_ROWS = 5_000


def _columns_if_large(conn: Any, filename: str, transactions: int) -> ColumnReader | None:
    marks = int(_rows(conn, 'SELECT count(*) FROM "mark"')[0][0])
    if transactions + marks < _COLUMNAR_ROWS:
        return None
    from conviction.store.columns import sqlite_column_reader

    return sqlite_column_reader(filename)
