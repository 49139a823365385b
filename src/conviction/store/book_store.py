"""Write a book into the database and read it back.

``write_book`` runs inside the caller's transaction (``with engine.begin() as conn``) and
never commits: a load is one transaction, so a failure anywhere leaves the database as
it was.

A database holds one book. After a load it holds exactly what the book's files say: every
row loaded from a file before (from whatever file: renamed, emptied or dropped files
included, and from a copy of the folder at another path) is replaced, and the people,
companies and accounts the TOML no longer declares go. Rows entered through the API and
fetched prices (their ``origin`` a tag, ``KEPT_ORIGINS``) are kept. A book of another name
is refused unless the caller asks to replace the stored one (``load --replace``), so one
book's load never overwrites another's name, currency or rows.

Amounts are stored exactly (``tables.Amount``): the file's decimal text where the book
was read with it (``exact=True``: ``io.amounts.TEXT_COLUMNS``), a float's shortest
decimal otherwise; a transaction's broker reference (``ref``) where the book has one. A
cell the file left empty is stored as NULL (schema 0008), also where the book's table
holds the default it stands for (an empty fee's 0, a rename's ratio 1, a mark's grade by
its kind: ``book.defaults``), which the reader fills in again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from conviction.book.model import (
    Book,
)
from conviction.errors import StoreError
from conviction.io.amounts import GRADE_TEXT, TEXT_COLUMNS, float_texts
from conviction.store.reading import FLOAT_COLUMNS
from conviction.store.tables import (
    AccountRow,
    BookRow,
    CompanyLinkRow,
    CompanyPersonRow,
    CompanyRow,
    FxRow,
    MarkRow,
    PersonRow,
    TransactionRow,
)

__all__ = ["KEPT_ORIGINS", "LoadSummary", "count_rows", "read_book", "write_book"]

_BATCH = 50_000

#: Origins of rows no file of the book holds: a load keeps them (API writes, fetched prices).
KEPT_ORIGINS = ("api", "yahoo")


def bump_revision(conn: Connection) -> None:
    """One more on the book's revision (a web write: see ``BookRow.revision``)."""
    conn.execute(update(BookRow).where(BookRow.id == 1).values(revision=BookRow.revision + 1))


def write_book(conn: Connection, book: Book, *, replace: bool = False) -> dict[str, int]:
    """Store ``book`` as the database's one book: its files' rows replace every row loaded
    from files before; ``replace`` also drops another book stored there (and its API rows,
    fetched prices and theses updates), which is refused otherwise.

    Returns how many rows of each table were written.
    """
    found = conn.execute(select(BookRow.name, BookRow.revision).where(BookRow.id == 1)).first()
    stored, revision = (found[0], found[1]) if found is not None else (None, 0)
    if stored is not None and stored != book.meta.name and not replace:
        raise StoreError(
            f"the database holds the book {stored!r}, not {book.meta.name!r}: a database "
            "holds one book. Load this one into another database (--db), or pass --replace "
            f"to replace {stored!r} with it"
        )
    _clear(conn, book, everything=replace and stored != book.meta.name)
    _upsert(
        conn,
        BookRow,
        [
            {
                "id": 1,
                "name": book.meta.name,
                "currency": book.meta.currency,
                "as_of": book.meta.as_of,
                "long_term_days": book.meta.long_term_days,
                "calendar": book.meta.calendar,
                "revision": revision + 1,  # never the same twice: the web app's cache key
            }
        ],
        ["id"],
    )
    _upsert(conn, PersonRow, [{"id": p.id, "name": p.name} for p in book.persons.values()], ["id"])
    _upsert(
        conn,
        CompanyRow,
        [
            {
                "id": c.id,
                "name": c.name,
                "public": c.public,
                "ticker": c.ticker,
                "currency": c.currency,
                "themes": ",".join(c.themes),
            }
            for c in book.companies.values()
        ],
        ["id"],
    )
    people = [
        {
            "company_id": c.id,
            "person_id": p,
            "position": i,
            "weight": c.key_people_weights[i] if c.key_people_weights else None,
        }
        for c in book.companies.values()
        for i, p in enumerate(c.key_people)
    ]
    links = [
        {"company_id": c.id, "to_id": link.to, "kind": link.kind}
        for c in book.companies.values()
        for link in c.links
    ]
    _insert(conn, CompanyPersonRow, people)
    _insert(conn, CompanyLinkRow, links)
    _upsert(
        conn,
        AccountRow,
        [
            {
                "id": a.id,
                "name": a.name,
                "kind": a.kind,
                "currency": a.currency,
                "max_weight": a.max_weight,
                "lot_method": a.lot_method,
            }
            for a in book.accounts.values()
        ],
        ["id"],
    )
    return {
        "transactions": _insert_frame(conn, TransactionRow, book.transactions, _TRANSACTION_MAP),
        "marks": _insert_frame(conn, MarkRow, book.marks, _MARK_MAP),
        "fx": _insert_frame(conn, FxRow, book.fx, _FX_MAP),
    }


def _clear(conn: Connection, book: Book, *, everything: bool) -> None:
    """Delete what the last load wrote (``everything``: the whole stored book), and the
    reference rows ``book`` no longer declares. Refused (``StoreError``, nothing changed:
    the caller's transaction rolls back) when a kept row refers to one of those."""
    from conviction.store.theses_tables import clear_theses

    for table, origin in _ROW_TABLES:
        loaded = true() if everything else origin.not_in(KEPT_ORIGINS)
        conn.execute(delete(table).where(loaded))
    clear_theses(conn, updates=everything)
    conn.execute(delete(CompanyPersonRow))
    conn.execute(delete(CompanyLinkRow))
    for origin, column, declared, what in (
        (TransactionRow.source, TransactionRow.account_id, book.accounts, "account"),
        (TransactionRow.source, TransactionRow.company_id, book.companies, "company"),
        (MarkRow.origin, MarkRow.company_id, book.companies, "company"),
    ):
        kept = conn.execute(
            select(column, origin)
            .where(column.is_not(None), column.not_in(list(declared)))
            .limit(1)
        ).first()
        if kept is not None:
            raise StoreError(
                f"rows stored from {kept[1]!r} (not from the book's files) refer to the {what} "
                f"{kept[0]!r}, which the book no longer declares: declare it again, or load "
                "with --replace to drop those rows"
            )
    conn.execute(delete(AccountRow).where(AccountRow.id.not_in(list(book.accounts))))
    conn.execute(delete(CompanyRow).where(CompanyRow.id.not_in(list(book.companies))))
    conn.execute(delete(PersonRow).where(PersonRow.id.not_in(list(book.persons))))


_ROW_TABLES = (
    (TransactionRow, TransactionRow.source),
    (MarkRow, MarkRow.origin),
    (FxRow, FxRow.origin),
)


#: Book table column -> database column, for each table a book writes.
_TRANSACTION_MAP = {
    "date": "date",
    "account": "account_id",
    "company": "company_id",
    "action": "action",
    "quantity": "quantity",
    "price": "price",
    "fees": "fees",
    "currency": "currency",
    "fx_rate": "fx_rate",
    "lot": "lot",
    "into": "into_id",
    "file": "source",
    "line": "line",
    "ref": "ref",  # where the book has it (read from files with exact=True)
}
_MARK_MAP = {
    "date": "date",
    "company": "company_id",
    "price": "price",
    "kind": "kind",
    "source": "source",
    "grade": "grade",
    "file": "origin",
    "line": "line",
}
_FX_MAP = {
    "date": "date",
    "pair": "pair",
    "rate": "rate",
    "source": "source",
    "file": "origin",
    "line": "line",
}


def count_rows(conn: Connection) -> dict[str, int]:
    """Row counts of the book's tables (used to show that a failed load changed nothing)."""
    row = conn.execute(select(*count_columns())).one()
    return counts_of(row)


#: The tables ``count_rows`` counts, by the name it gives their count.
COUNTED: dict[str, Any] = {
    "transactions": TransactionRow,
    "marks": MarkRow,
    "fx": FxRow,
    "companies": CompanyRow,
    "accounts": AccountRow,
}


def count_columns() -> list[Any]:
    """The counts of ``count_rows`` as columns of one statement (a write under load waits
    for the interpreter lock after each statement, so a caller can add them to its own)."""
    return [select(func.count()).select_from(t).scalar_subquery() for t in COUNTED.values()]


def counts_of(row: Sequence[Any]) -> dict[str, int]:
    """``count_rows``'s answer from the values of ``count_columns``."""
    return {name: int(n) for name, n in zip(COUNTED, row, strict=True)}


def read_book(source: Engine | Connection, *, exact: bool = False) -> Book:
    """The book as stored, with tables sorted by date (file order within a date).

    From an ``Engine``, the large tables come through the columnar reader where it can;
    from a ``Connection``, everything is read inside the caller's transaction.
    ``exact``: with each amount's exact text and the transactions' ``ref`` (an export).
    """
    from conviction.store.columns import column_reader
    from conviction.store.reading import read_book_from

    if isinstance(source, Engine):
        with source.connect() as conn:
            columnar = None if exact else column_reader(source)
            return read_book_from(_driver(conn), columnar=columnar, exact=exact)
    return read_book_from(_driver(source), exact=exact)


def _driver(conn: Connection) -> Any:
    """The DB-API connection under ``conn`` (its transaction is ``conn``'s)."""
    return conn.connection.dbapi_connection


# --- helpers ----------------------------------------------------------------------------

_NULLABLE = {"account_id", "company_id", "currency", "lot", "into_id", "grade", "ref"}


def _insert_frame(
    conn: Connection, table: Any, frame: pd.DataFrame, mapping: dict[str, str]
) -> int:
    """Insert a table's rows in batches of plain tuples through the driver (fast).

    A column of ``mapping`` the frame lacks (``ref``) is not written (NULL)."""
    if not len(frame):
        return 0
    mapping = {src: dst for src, dst in mapping.items() if src in frame.columns}
    cols: list[list[Any]] = []
    for src, dst in mapping.items():
        values = _grades(frame) if src == "grade" else frame[src]
        if src == "date":
            days = values.to_numpy().astype("datetime64[D]")
            cols.append(np.datetime_as_string(days, unit="D").tolist())
        elif src in FLOAT_COLUMNS:
            cols.append(_amounts(frame, src, postgres=conn.dialect.name == "postgresql"))
        elif src == "line":
            cols.append(values.to_numpy(dtype=np.int64).tolist())
        elif src == "file":
            origins = {f: _origin(f) for f in pd.unique(values)}
            cols.append(values.map(origins).tolist())
        else:
            text = values.astype(str).tolist()
            # explicit None: a pandas "missing" would reach the driver as NaN, which SQLite
            # happens to store as NULL but PostgreSQL stores as the text 'NaN'
            cols.append([v or None for v in text] if dst in _NULLABLE else text)
    rows = list(zip(*cols, strict=True))
    names = ", ".join(f'"{dst}"' for dst in mapping.values())
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(conn.dialect.paramstyle)
    if mark is None:  # a driver with another style: let SQLAlchemy bind
        keys = list(mapping.values())
        dicts = [dict(zip(keys, r, strict=True)) for r in rows]
        for lo in range(0, len(dicts), _BATCH):
            conn.execute(table.__table__.insert(), dicts[lo : lo + _BATCH])
        return len(rows)
    sql = (
        f'INSERT INTO "{table.__tablename__}" ({names}) VALUES ({", ".join([mark] * len(mapping))})'
    )
    for lo in range(0, len(rows), _BATCH):
        conn.exec_driver_sql(sql, rows[lo : lo + _BATCH])
    return len(rows)


def _amounts(frame: pd.DataFrame, column: str, *, postgres: bool) -> list[Any]:
    """The exact values of an amount column as the driver takes them: the decimal text
    kept beside the floats where there is one ("" for an empty cell: None, also where the
    float holds its default), else the float's shortest decimal; None for a missing value;
    ``Decimal`` for PostgreSQL's ``NUMERIC``."""
    kept = TEXT_COLUMNS[column]
    if kept in frame.columns:
        out: list[Any] = frame[kept].tolist()
        unknown = [i for i, t in enumerate(out) if not isinstance(t, str)]  # no text: NaN
        if unknown:
            floats = frame[column].to_numpy(dtype=float)
            for i, text in zip(unknown, float_texts(floats[unknown]), strict=True):
                out[i] = text
    else:
        out = float_texts(frame[column])
    if postgres:
        return [Decimal(t) if t else None for t in out]
    return [t or None for t in out]


def _grades(frame: pd.DataFrame) -> pd.Series:
    """The grades to store: as given where the book kept them (``GRADE_TEXT``: "" for an
    empty cell, stored as NULL), else the table's."""
    grade = frame["grade"]
    if GRADE_TEXT not in frame.columns:
        return grade
    given = frame[GRADE_TEXT]
    return given.where(given.notna(), grade)  # NaN: no cell (a price file's rows)


def _insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(table.__table__.insert(), rows)


def _upsert(conn: Connection, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
    if not rows:
        return
    name = conn.dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(name)
    if insert is None:  # other databases: delete and insert
        for row in rows:
            conn.execute(delete(table).where(*[getattr(table, k) == row[k] for k in keys]))
        conn.execute(table.__table__.insert(), rows)
        return
    stmt: Any = insert(table.__table__)
    update = {c.name: stmt.excluded[c.name] for c in table.__table__.columns if c.name not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=update), rows)


def _origin(file: object) -> str:
    """Where rows came from: a file's absolute path (so a reload from another folder still
    replaces them), or a tag such as "api" or "yahoo"."""
    text = str(file)
    return str(Path(text).resolve()) if ("/" in text or text.endswith(".csv")) else text


def _unique(values: Iterable[Any]) -> list[str]:
    return sorted({str(v) for v in values})


LoadSummary = dict[str, int]
