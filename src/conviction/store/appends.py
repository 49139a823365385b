"""Writing rows of a stored book through the web app: transactions, marks and FX rates
added, replaced or deleted, in the caller's transaction, each change recorded.

The web app's writes (``conviction.web.writes``) check the rows against the book first;
these functions only map the book's names onto the tables, write, and record. They never
commit: the caller's ``engine.begin()`` block groups the check and the write into one
transaction, so a refused request changes nothing.

**Every change is recorded with its time** (UTC) in ``book_change``: a row added (its
id), edited (the new row's id, the old row's id and its values as JSON) or deleted (the
old row's id and values). Rows are never updated in place: an edit deletes the old row
and inserts a new one, so the book as recorded at any past moment is the rows now, minus
those added since, plus those removed since (:func:`rows_as_recorded`). A load of the
book's files replaces the rows it took from files (``store.book_store``) and is not
recorded here: the files' own history (a git repository) is theirs.

**Amounts** are stored exactly (``tables.Amount``): a float given here (a JSON number) as
its shortest decimal (``repr``); a stored row's amounts come back as floats (the exact
decimal's nearest float), as the API shows them. A transaction's broker reference
(``ref``, from an import into the book's file) is listed with its row, never written here.

**Ids are never reused** (on SQLite the next id is one past the highest stored or
recorded one; PostgreSQL's sequences never go back), so the web app's state of the book,
the count and highest id of each table, changes with every change.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import (
    Connection,
    DateTime,
    Integer,
    String,
    Text,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from conviction._typing import DEFAULT_GRADE
from conviction.book.defaults import DEFAULT_FEES, DEFAULT_RATIO, RATIO_ACTIONS
from conviction.errors import StoreError
from conviction.store.tables import Base, FxRow, MarkRow, TransactionRow

__all__ = [
    "BookChangeRow",
    "Change",
    "NewFx",
    "NewMark",
    "NewTransaction",
    "StoredRow",
    "What",
    "append_fx",
    "append_marks",
    "append_transactions",
    "changes",
    "delete_row",
    "list_rows",
    "now",
    "replace_row",
    "rows_as_recorded",
    "stored_row",
]

What = Literal["transaction", "mark", "fx"]


class BookChangeRow(Base):
    """One change of the book's rows made through the web app (migration 0004)."""

    __tablename__ = "book_change"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recorded: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, no zone
    what: Mapped[str] = mapped_column(String(12))  # transaction | mark | fx
    op: Mapped[str] = mapped_column(String(8))  # add | edit | delete
    row_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the row it wrote
    old_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the row it removed
    old: Mapped[str | None] = mapped_column(Text, nullable=True)  # that row's values, JSON
    origin: Mapped[str] = mapped_column(String(300))  # "api", "upload marks.csv", "page"


@dataclass(frozen=True, slots=True)
class NewTransaction:
    """One row of ``transactions.csv`` to store (empty text: none)."""

    date: dt.date
    account: str
    company: str
    action: str
    quantity: float
    price: float | None
    fees: float | None  # None: empty (no fee), as a load stores an empty cell
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


@dataclass(frozen=True, slots=True)
class NewFx:
    """One row of ``fx.csv`` to store: ``pair`` as six letters (``USDJPY``)."""

    date: dt.date
    pair: str
    rate: float
    source: str


@dataclass(frozen=True, slots=True)
class StoredRow:
    """A stored row with its id and where it came from (``origin``: a file's path,
    ``"api"`` or ``"yahoo"``; ``line``: its line in that file, or position in a request)."""

    id: int
    values: Mapping[str, Any]
    origin: str
    line: int | None


@dataclass(frozen=True, slots=True)
class Change:
    """One recorded change (a row of ``book_change``)."""

    id: int
    recorded: dt.datetime
    what: str
    op: str
    row_id: int | None
    old_id: int | None
    old: Mapping[str, Any] | None
    origin: str


#: Per kind of row: its table, the book's column name -> the table's column, and the
#: columns that store empty text as NULL.
_TEXT_NULL = frozenset({"account", "company", "currency", "lot", "grade", "ref"})
_MAPS: dict[str, tuple[Any, dict[str, str]]] = {
    "transaction": (
        TransactionRow,
        {
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
        },
    ),
    "mark": (
        MarkRow,
        {
            "date": "date",
            "company": "company_id",
            "price": "price",
            "kind": "kind",
            "source": "source",
            "grade": "grade",
        },
    ),
    "fx": (FxRow, {"date": "date", "pair": "pair", "rate": "rate", "source": "source"}),
}
#: Columns a stored row is listed with that the web app never writes (book name -> column).
_LISTED_ONLY: dict[str, dict[str, str]] = {"transaction": {"ref": "ref"}}
#: The column that says where a row came from, per table.
_ORIGIN = {"transaction": "source", "mark": "origin", "fx": "origin"}


def now() -> dt.datetime:
    """The time a change is recorded with: UTC, without a zone (as stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _table(what: str) -> tuple[Any, dict[str, str]]:
    return _MAPS[what]


def _listed(what: str) -> tuple[Any, dict[str, str]]:
    """``what``'s table and the columns a stored row is read with."""
    table, mapping = _MAPS[what]
    return table, {**mapping, **_LISTED_ONLY.get(what, {})}


def _next_ids(conn: Connection, what: str, n: int) -> list[int] | None:
    """Ids for ``n`` new rows, one past the highest stored or recorded (SQLite would reuse
    the id of a deleted last row); ``None`` where the database's sequence never reuses."""
    if conn.dialect.name != "sqlite":
        return None
    highest = conn.execute(_highest_ids(what)).one()
    start = max(int(x or 0) for x in highest) + 1
    return list(range(start, start + n))


@functools.cache
def _highest_ids(what: str) -> Any:
    """The highest id of ``what``'s table and of its recorded changes, in one statement
    (a write under load waits for the interpreter lock after each), built once."""
    table = _table(what)[0]
    of_what = BookChangeRow.what == what
    return select(
        select(func.max(table.id)).scalar_subquery(),
        select(func.max(BookChangeRow.row_id)).where(of_what).scalar_subquery(),
        select(func.max(BookChangeRow.old_id)).where(of_what).scalar_subquery(),
    )


def _db_row(what: str, values: Mapping[str, Any]) -> dict[str, Any]:
    mapping = _table(what)[1]
    out: dict[str, Any] = {}
    for name, column in mapping.items():
        value = values[name]
        out[column] = (value or None) if name in _TEXT_NULL else value
    return out


def _insert(
    conn: Connection,
    what: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    origin: str,
    lines: Sequence[int] | None = None,
) -> list[int]:
    """Insert ``rows`` (book names -> values); their ``line`` is ``lines`` or their 1-based
    position. Returns their ids."""
    if not rows:
        return []
    table = _table(what)[0]
    ids = _next_ids(conn, what, len(rows))
    values = []
    for i, r in enumerate(rows):
        row = _db_row(what, r)
        row[_ORIGIN[what]] = origin
        row["line"] = lines[i] if lines is not None else i + 1
        if ids is not None:
            row["id"] = ids[i]
        values.append(row)
    try:
        if ids is not None:
            conn.execute(insert(table), values)
            return ids
        result = conn.execute(insert(table).returning(table.id), values)
        return [int(x) for x in result.scalars()]
    except IntegrityError as exc:  # a concurrent writer, or a reference gone meanwhile
        raise StoreError(f"the database refused the {_plural(what)}: {exc.orig}") from None


def _plural(what: str) -> str:
    return {"transaction": "transactions", "mark": "marks", "fx": "FX rates"}[what]


def _record(
    conn: Connection,
    what: str,
    op: str,
    *,
    origin: str,
    at: dt.datetime,
    row_ids: Iterable[int | None] = (None,),
    old: StoredRow | None = None,
) -> None:
    old_json = None if old is None else json.dumps(_jsonable(old), sort_keys=True)
    row_ids = list(row_ids)
    if not row_ids:
        return
    conn.execute(
        insert(BookChangeRow),
        [
            {
                "recorded": at,
                "what": what,
                "op": op,
                "row_id": rid,
                "old_id": None if old is None else old.id,
                "old": old_json,
                "origin": origin,
            }
            for rid in row_ids
        ],
    )


def _jsonable(row: StoredRow) -> dict[str, Any]:
    values = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.values.items()}
    return {**values, "origin": row.origin, "line": row.line}


def _append(
    conn: Connection,
    what: str,
    rows: Sequence[Any],
    *,
    origin: str,
    recorded_as: str | None = None,
    lines: Sequence[int] | None = None,
) -> list[int]:
    ids = _insert(conn, what, [asdict(r) for r in rows], origin=origin, lines=lines)
    _record(conn, what, "add", origin=recorded_as or origin, at=now(), row_ids=ids)
    return ids


def append_transactions(
    conn: Connection,
    rows: Sequence[NewTransaction],
    *,
    origin: str,
    recorded_as: str | None = None,
    lines: Sequence[int] | None = None,
) -> list[int]:
    """Insert transactions and record them; ``origin`` is where they came from (a tag a
    load keeps: ``"api"``), each row's ``line`` its 1-based position in ``rows`` (or
    ``lines``); ``recorded_as`` names the change (default ``origin``). Returns the ids."""
    return _append(conn, "transaction", rows, origin=origin, recorded_as=recorded_as, lines=lines)


def append_marks(
    conn: Connection,
    rows: Sequence[NewMark],
    *,
    origin: str,
    recorded_as: str | None = None,
    lines: Sequence[int] | None = None,
) -> list[int]:
    """Insert marks and record them; as :func:`append_transactions`."""
    return _append(conn, "mark", rows, origin=origin, recorded_as=recorded_as, lines=lines)


def append_fx(
    conn: Connection, rows: Sequence[NewFx], *, origin: str, recorded_as: str | None = None
) -> list[int]:
    """Insert FX rates and record them; as :func:`append_transactions`."""
    return _append(conn, "fx", rows, origin=origin, recorded_as=recorded_as)


def stored_row(conn: Connection, what: What, row_id: int) -> StoredRow | None:
    """The row ``row_id`` of ``what``'s table, or ``None``."""
    table, mapping = _listed(what)
    columns = [getattr(table, c) for c in mapping.values()]
    origin_col = getattr(table, _ORIGIN[what])
    found = conn.execute(
        select(table.id, *columns, origin_col, table.line).where(table.id == row_id)
    ).first()
    return None if found is None else _stored(what, tuple(found))


def _stored(what: str, found: tuple[Any, ...]) -> StoredRow:
    mapping = _listed(what)[1]
    names = list(mapping)
    values = {n: found[1 + i] for i, n in enumerate(names)}
    _defaults(what, values)
    for n in names:
        if n in _TEXT_NULL and values[n] is None:
            values[n] = ""
        elif isinstance(values[n], Decimal):  # an exact amount: the float the API shows
            values[n] = float(values[n])
    return StoredRow(
        id=int(found[0]),
        values=values,
        origin=str(found[1 + len(names)]),
        line=found[2 + len(names)],
    )


def _defaults(what: str, values: dict[str, Any]) -> None:
    """The defaults of the cells a load stored as NULL (empty in the book's files:
    ``book.defaults``), as the book's readers give them."""
    if what == "transaction":
        if values["fees"] is None:
            values["fees"] = DEFAULT_FEES
        if values["quantity"] is None and values["action"] in RATIO_ACTIONS:
            values["quantity"] = DEFAULT_RATIO
    elif what == "mark" and values["grade"] is None:
        values["grade"] = DEFAULT_GRADE.get(str(values["kind"]))


def replace_row(
    conn: Connection,
    what: What,
    old: StoredRow,
    new: Any,
    *,
    origin: str,
    line: int = 1,
    recorded_as: str | None = None,
) -> int:
    """Replace the stored row ``old`` with ``new`` (a ``New*`` of ``what``): the old row is
    deleted and the new one inserted with a new id (returned), the change recorded."""
    conn.execute(delete(_table(what)[0]).where(_table(what)[0].id == old.id))
    ids = _insert(conn, what, [asdict(new)], origin=origin, lines=[line])
    _record(conn, what, "edit", origin=recorded_as or origin, at=now(), row_ids=ids, old=old)
    return ids[0]


def delete_row(conn: Connection, what: What, old: StoredRow, *, origin: str) -> None:
    """Delete the stored row ``old`` and record it."""
    conn.execute(delete(_table(what)[0]).where(_table(what)[0].id == old.id))
    _record(conn, what, "delete", origin=origin, at=now(), old=old)


def list_rows(
    conn: Connection,
    what: What,
    *,
    company: str | None = None,
    account: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[StoredRow]]:
    """A page of ``what``'s rows, newest date first (then newest id), filtered by company
    (and account, for transactions); returns the number of rows that match, and the page."""
    table, mapping = _listed(what)
    where = []
    if company is not None and "company" in mapping:
        where.append(table.company_id == company)
    if account is not None and "account" in mapping:
        where.append(table.account_id == account)
    total = conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    columns = [getattr(table, c) for c in mapping.values()]
    found = conn.execute(
        select(table.id, *columns, getattr(table, _ORIGIN[what]), table.line)
        .where(*where)
        .order_by(table.date.desc(), table.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return int(total), [_stored(what, tuple(r)) for r in found]


def changes(
    conn: Connection, *, since: dt.datetime | None = None, limit: int = 100
) -> list[Change]:
    """The recorded changes, newest first (those after ``since`` when given)."""
    table = BookChangeRow.__table__
    query = select(table).order_by(table.c.id.desc()).limit(limit)
    if since is not None:
        query = query.where(table.c.recorded > since)
    out = []
    for row in conn.execute(query).all():
        out.append(
            Change(
                id=row.id,
                recorded=row.recorded,
                what=row.what,
                op=row.op,
                row_id=row.row_id,
                old_id=row.old_id,
                old=None if row.old is None else json.loads(row.old),
                origin=row.origin,
            )
        )
    return out


def rows_as_recorded(conn: Connection, what: What, at: dt.datetime) -> list[dict[str, Any]]:
    """``what``'s rows as they were stored at ``at`` (UTC), as far as the web app changed
    them since: the rows now, less those added since, with those removed since (their
    values as recorded). Each row a dict of the book's names (dates as text), with
    ``id``, ``origin`` and ``line``; sorted by id."""
    after = conn.execute(
        select(BookChangeRow.row_id, BookChangeRow.old_id, BookChangeRow.old).where(
            BookChangeRow.what == what, BookChangeRow.recorded > at
        )
    ).all()
    added = {r[0] for r in after if r[0] is not None}
    removed = {r[1]: json.loads(r[2]) for r in after if r[1] is not None and r[2] is not None}
    table, mapping = _listed(what)
    columns = [getattr(table, c) for c in mapping.values()]
    found = conn.execute(select(table.id, *columns, getattr(table, _ORIGIN[what]), table.line))
    out: dict[int, dict[str, Any]] = {}
    for r in found.all():
        row = _stored(what, tuple(r))
        if row.id not in added:
            out[row.id] = {"id": row.id, **_jsonable(row)}
    for rid, values in removed.items():
        if rid not in added:
            out[int(rid)] = {"id": int(rid), **values}
    return [out[k] for k in sorted(out)]
