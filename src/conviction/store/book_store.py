"""Write a book into the database and read it back.

``write_book`` runs inside the caller's transaction (``with engine.begin() as conn``) and
never commits: a load is one transaction, so a failure anywhere leaves the database as
it was. Rows remember the file they came from; loading the same file again replaces its
rows instead of adding them twice, and rows from other origins (the API, a price fetch)
stay.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

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
    """The book as stored, with tables sorted by date (file order within a date)."""
    if isinstance(source, Engine):
        with source.connect() as conn:
            return _read_book(conn, source)
    return _read_book(source, None)


def _read_book(conn: Connection, engine: Engine | None) -> Book:
    """With ``engine``, the large tables come through the columnar reader when it can."""
    meta_row = conn.execute(select(BookRow).where(BookRow.id == 1)).mappings().first()
    if meta_row is None:
        from conviction.errors import DataError

        raise DataError("the database holds no book yet: run `conviction load PATH` first")
    meta = BookMeta(
        name=meta_row["name"],
        currency=meta_row["currency"],
        as_of=meta_row["as_of"],
        long_term_days=meta_row["long_term_days"],
    )
    persons = {
        r.id: Person(r.id, r.name)
        for r in conn.execute(select(PersonRow.id, PersonRow.name).order_by(PersonRow.id))
    }
    people: dict[str, list[tuple[int, str, float | None]]] = {}
    for r in conn.execute(select(CompanyPersonRow.__table__)):
        people.setdefault(r.company_id, []).append((r.position, r.person_id, r.weight))
    links: dict[str, list[Link]] = {}
    for r in conn.execute(select(CompanyLinkRow.__table__).order_by(CompanyLinkRow.to_id)):
        links.setdefault(r.company_id, []).append(Link(r.to_id, r.kind))
    companies: dict[str, Company] = {}
    for r in conn.execute(select(CompanyRow.__table__).order_by(CompanyRow.id)):
        mine = sorted(people.get(r.id, []))
        weights = tuple(w for _, _, w in mine if w is not None)
        companies[r.id] = Company(
            id=r.id,
            name=r.name,
            public=bool(r.public),
            ticker=r.ticker,
            currency=r.currency,
            key_people=tuple(p for _, p, _ in mine),
            key_people_weights=weights if len(weights) == len(mine) else (),
            themes=tuple(t for t in r.themes.split(",") if t),
            links=tuple(links.get(r.id, [])),
        )
    accounts = {
        r.id: Account(r.id, r.name, r.kind, r.currency, r.max_weight, r.lot_method)
        for r in conn.execute(select(AccountRow.__table__).order_by(AccountRow.id))
    }
    tx = _read_table(
        conn,
        engine,
        select(
            TransactionRow.date,
            TransactionRow.account_id.label("account"),
            TransactionRow.company_id.label("company"),
            TransactionRow.action,
            TransactionRow.quantity,
            TransactionRow.price,
            TransactionRow.fees,
            TransactionRow.currency,
            TransactionRow.fx_rate,
            TransactionRow.lot,
            TransactionRow.source.label("file"),
            TransactionRow.line,
        ).order_by(TransactionRow.date, TransactionRow.id),
        TRANSACTION_COLUMNS,
    )
    marks = _read_table(
        conn,
        engine,
        select(
            MarkRow.date,
            MarkRow.company_id.label("company"),
            MarkRow.price,
            MarkRow.kind,
            MarkRow.source,
            MarkRow.grade,
            MarkRow.origin.label("file"),
            MarkRow.line,
        ).order_by(MarkRow.date, MarkRow.id),
        MARK_COLUMNS,
    )
    fx = _read_table(
        conn,
        engine,
        select(
            FxRow.date, FxRow.pair, FxRow.rate, FxRow.source, FxRow.origin.label("file"), FxRow.line
        ).order_by(FxRow.date, FxRow.id),
        FX_COLUMNS,
    )
    return Book(meta, persons, companies, accounts, tx, marks, fx)


# --- helpers ----------------------------------------------------------------------------

_TEXT = {
    "account",
    "company",
    "action",
    "currency",
    "lot",
    "file",
    "source",
    "grade",
    "kind",
    "pair",
}
_FLOAT = {"quantity", "price", "fees", "fx_rate", "rate"}
_NULLABLE = {"account_id", "company_id", "currency", "lot", "grade"}


def _read_table(
    conn: Connection, engine: Engine | None, query: Any, columns: Sequence[str]
) -> pd.DataFrame:
    """A table's rows sorted by (date, id), as ``query`` (which orders them) gives them."""
    if engine is not None:
        from conviction.store.columns import read_columns

        # The columnar read sorts in NumPy (stable on the id column it adds): cheaper than
        # SQLite's ORDER BY over a million rows, which has no (date, id) index to use.
        sql = str(
            query.order_by(None)
            .add_columns(query.selected_columns[0].table.c.id)
            .compile(dialect=conn.dialect)
        )
        kinds = {c: _kind(c) for c in columns}
        frame = read_columns(engine, sql, [*columns, "_id"], {**kinds, "_id": "int"})
        if frame is not None:
            day = frame["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
            ids = frame["_id"].to_numpy()
            order = np.lexsort((ids, day))
            if not (order == np.arange(order.size)).all():
                frame = frame.take(order)
            return frame.drop(columns="_id").reset_index(drop=True)
    return _read_frame(conn, query, columns)


def _kind(column: str) -> str:
    if column == "date":
        return "date"
    if column in _FLOAT:
        return "float"
    return "int" if column == "line" else "text"


def _read_frame(conn: Connection, query: Any, columns: Sequence[str]) -> pd.DataFrame:
    # Raw driver rows: SQLAlchemy's per-value type processing costs seconds at a million rows,
    # and the columns are converted below, whole, anyway.
    sql = str(query.compile(dialect=conn.dialect))
    cursor = conn.connection.cursor()  # the driver's own cursor: plain tuples, no Row objects
    try:
        cursor.execute(sql)
        frame = pd.DataFrame(cursor.fetchall(), columns=list(columns))
    finally:
        cursor.close()
    out: dict[str, Any] = {}
    for c in columns:
        col = frame[c]
        if c == "date":
            out[c] = pd.to_datetime(col.astype(str), format="%Y-%m-%d").to_numpy()
            out[c] = out[c].astype("datetime64[D]")
        elif c in _FLOAT:
            out[c] = pd.to_numeric(col).to_numpy(dtype=float)
        elif c == "line":
            out[c] = col.fillna(0).to_numpy(dtype=np.int64)
        else:
            out[c] = col.fillna("").astype(str).to_numpy(dtype=object)
    return pd.DataFrame(out, columns=list(columns))


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
