"""Write a book into the database and read it back.

``write_book`` runs inside the caller's transaction (``with engine.begin() as conn``) and
never commits: a load is one transaction, so a failure anywhere leaves the database as
it was. Rows remember the file they came from; loading the same file again replaces its
rows instead of adding them twice, and rows from other origins (the API, a price fetch)
stay.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from conviction.book.model import (
    Book,
)
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

__all__ = ["LoadSummary", "count_rows", "read_book", "write_book"]

_BATCH = 50_000


def write_book(conn: Connection, book: Book) -> dict[str, int]:
    """Store ``book``: upsert its reference data, replace the rows of its source files.

    Returns how many rows of each table were written.
    """
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
    ids = list(book.companies)
    conn.execute(delete(CompanyPersonRow).where(CompanyPersonRow.company_id.in_(ids)))
    conn.execute(delete(CompanyLinkRow).where(CompanyLinkRow.company_id.in_(ids)))
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
        "transactions": _replace_from_sources(
            conn, TransactionRow, TransactionRow.source, book.transactions, _TRANSACTION_MAP
        ),
        "marks": _replace_from_sources(conn, MarkRow, MarkRow.origin, book.marks, _MARK_MAP),
        "fx": _replace_from_sources(conn, FxRow, FxRow.origin, book.fx, _FX_MAP),
    }


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
    "file": "source",
    "line": "line",
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


def _replace_from_sources(
    conn: Connection, table: Any, origin: Any, frame: pd.DataFrame, mapping: dict[str, str]
) -> int:
    """Delete the rows that came from the files ``frame`` came from, then insert its rows."""
    for file in _unique(_origin(f) for f in pd.unique(frame["file"])):
        conn.execute(delete(table).where(origin == file))
    return _insert_frame(conn, table, frame, mapping)


def count_rows(conn: Connection) -> dict[str, int]:
    """Row counts of the book's tables (used to show that a failed load changed nothing)."""
    out = {}
    for name, table in (
        ("transactions", TransactionRow),
        ("marks", MarkRow),
        ("fx", FxRow),
        ("companies", CompanyRow),
        ("accounts", AccountRow),
    ):
        out[name] = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    return out


def read_book(source: Engine | Connection) -> Book:
    """The book as stored, with tables sorted by date (file order within a date).

    From an ``Engine``, the large tables come through the columnar reader where it can;
    from a ``Connection``, everything is read inside the caller's transaction.
    """
    from conviction.store.columns import column_reader
    from conviction.store.reading import read_book_from

    if isinstance(source, Engine):
        with source.connect() as conn:
            return read_book_from(_driver(conn), columnar=column_reader(source))
    return read_book_from(_driver(source))


def _driver(conn: Connection) -> Any:
    """The DB-API connection under ``conn`` (its transaction is ``conn``'s)."""
    return conn.connection.dbapi_connection


# --- helpers ----------------------------------------------------------------------------

_FLOAT = {"quantity", "price", "fees", "fx_rate", "rate"}
_NULLABLE = {"account_id", "company_id", "currency", "lot", "grade"}


def _insert_frame(
    conn: Connection, table: Any, frame: pd.DataFrame, mapping: dict[str, str]
) -> int:
    """Insert a table's rows in batches of plain tuples through the driver (fast)."""
    if not len(frame):
        return 0
    cols: list[list[Any]] = []
    for src, dst in mapping.items():
        values = frame[src]
        if src == "date":
            days = values.to_numpy().astype("datetime64[D]")
            cols.append(np.datetime_as_string(days, unit="D").tolist())
        elif src in _FLOAT:
            arr = values.to_numpy(dtype=float)
            cols.append([x if np.isfinite(x) else None for x in arr.tolist()])
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
