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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from conviction._typing import ACTIONS, DEFAULT_GRADE
from conviction.book.defaults import DEFAULT_FEES
from conviction.book.model import MARK_COLUMNS, TRANSACTION_COLUMNS, Book
from conviction.errors import (
    ConvictionError,
    DataError,
    FormatError,
    InputError,
    LedgerError,
    UnknownIdError,
)
from conviction.store.appends import (
    NewFx,
    NewMark,
    NewTransaction,
    StoredRow,
    What,
    append_fx,
    append_marks,
    append_transactions,
    delete_row,
    replace_row,
    stored_row,
)
from conviction.store.tables import FxRow, MarkRow
from conviction.web.schemas import MAX_ROWS, FxIn, MarkIn, TransactionIn

__all__ = [
    "FORM_COLUMNS",
    "MAX_UPLOAD",
    "ORIGIN",
    "Appended",
    "NotEditable",
    "RowNotFound",
    "UploadPlan",
    "add_fx",
    "add_marks",
    "add_transactions",
    "apply_plan",
    "delete_fx",
    "delete_mark",
    "delete_transaction",
    "edit_fx",
    "edit_mark",
    "edit_transaction",
    "editable",
    "joined",
    "new_row",
    "plan_upload",
    "read_form_row",
]

#: Where rows written through the API say they came from.
ORIGIN = "api"
#: The file name new rows carry while the combined book is validated.
_REQUEST = "<request>"


@dataclass(frozen=True)
class Appended:
    """``book`` and transactions stored after it that its frame does not hold yet: the
    rows of requests that needed no whole-book check (``_can_break_the_book``), joined to
    the frame when the book is next read (``joined``), not once per write.

    Why: building the new rows' frame and joining it to the stored one is most of a
    write's time (about 5 of 9 ms on the example); under a stream of writes, the book of
    a state is read once at most (``AppContext.book``), so the rows of every write since
    the last read are joined at once. Accounts, companies and the book's settings are
    ``book``'s: appended rows change none of them."""

    book: Book
    requests: tuple[tuple[TransactionIn, ...], ...] = ()

    def joined(self) -> Book:
        """The book with the appended rows in its frame, as the store reads it back."""
        rows = [r for request in self.requests for r in request]
        if not rows:
            return self.book
        lines = np.concatenate([np.arange(1, len(q) + 1) for q in self.requests])
        frame = _transaction_frame(rows, self.book.transactions, file=ORIGIN, lines=lines)
        return replace(self.book, transactions=_appended(self.book.transactions, frame))


def joined(book: Book | Appended) -> Book:
    """``book`` with any rows appended to it joined (``Appended.joined``)."""
    return book.joined() if isinstance(book, Appended) else book


def add_transactions(
    conn: Connection, book: Book | Appended, rows: Sequence[TransactionIn]
) -> Book | Appended:
    """Add transactions (all or none) to ``book``, the one stored on ``conn`` (in the
    caller's transaction); returns the book as stored after (rows that need no check
    against the whole book as ``Appended``: joined when read)."""
    base = book.book if isinstance(book, Appended) else book
    for i, r in enumerate(rows):
        where = f"transactions[{i}]"
        if r.account and r.account not in base.accounts:
            raise UnknownIdError(f"unknown account {r.account!r}", field=f"{where}.account")
        if r.company and r.company not in base.companies:
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
    if _can_break_the_book(base, rows):
        whole = joined(book)
        frame = _transaction_frame(rows, whole.transactions)
        combined = _as_stored(_validate(whole, frame))
        append_transactions(conn, [_as_new(r) for r in rows], origin=ORIGIN)
        return replace(whole, transactions=combined)
    append_transactions(conn, [_as_new(r) for r in rows], origin=ORIGIN)
    if not isinstance(book, Appended):
        return Appended(book, (tuple(rows),))
    if len(book.requests) >= MAX_WAITING:  # writes that nobody reads: join them now and then
        return Appended(book.joined(), (tuple(rows),))
    return Appended(base, (*book.requests, tuple(rows)))


#: The most requests whose rows wait to be joined (``Appended``): a stream of writes that
#: nobody reads then keeps no ever longer list.
MAX_WAITING = 256


def _as_stored(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of a request as the store gives them back: from "api", numbered from 1."""
    mine = (frame["file"] == _REQUEST).to_numpy()
    if not mine.any():
        return frame
    out = frame.copy()
    out.loc[mine, "line"] = out.loc[mine, "line"].to_numpy() + 1
    out.loc[mine, "file"] = ORIGIN
    return out


def _transaction_frame(
    rows: Sequence[TransactionIn],
    like: pd.DataFrame,
    *,
    file: str = _REQUEST,
    lines: np.ndarray | None = None,
) -> pd.DataFrame:
    """The request's rows as a transactions frame with ``like``'s column types (so that
    appending them to the stored rows converts nothing: about 10 ms a write otherwise);
    each from ``file`` at ``lines`` (default: numbered from 0, as the checks count)."""
    nan = float("nan")
    columns = {
        "date": np.array([r.date for r in rows], dtype="datetime64[D]"),
        "account": [r.account for r in rows],
        "company": [r.company for r in rows],
        "action": [r.action for r in rows],
        "quantity": np.array([r.quantity for r in rows], dtype=float),
        "price": np.array([nan if r.price is None else r.price for r in rows], dtype=float),
        "fees": np.array([DEFAULT_FEES if r.fees is None else r.fees for r in rows]),
        "currency": [r.currency for r in rows],
        "fx_rate": np.array([nan if r.fx_rate is None else r.fx_rate for r in rows]),
        "lot": [r.lot for r in rows],
        "into": [""] * len(rows),  # corporate actions come from the book's files
        "file": [file] * len(rows),
        "line": np.arange(len(rows), dtype=np.int64) if lines is None else lines.astype(np.int64),
    }
    return _typed(columns, like, TRANSACTION_COLUMNS)


def _typed(columns: dict[str, object], like: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """A frame of ``columns`` with ``like``'s column types: text goes in as Python objects
    (which pandas gives the stored rows' string type at once), dates in ``like``'s unit.
    Two to three times faster than a typed Series per column."""
    types = like.dtypes
    data: dict[str, object] = {}
    n = len(next(iter(columns.values()))) if columns else 0  # type: ignore[arg-type]
    for name in names:
        values = columns.get(name, [""] * n)  # a text column these rows do not set
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
        raise exc.noted("a stored row: the new rows would make it impossible") from None
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


# --- editing stored rows (conviction.web.editing) -------------------------------------------------


class RowNotFound(ConvictionError):
    """No stored row of that kind has the id (the API answers 404)."""

    def __init__(self, what: What, row_id: int) -> None:
        self.what, self.row_id = what, row_id
        super().__init__(f"no {_NOUN[what]} with id {row_id} (it was edited or deleted?)")


class NotEditable(ConvictionError):
    """The row is not the web app's to change here: a fetched price, or a row from one
    of the book's files on a server that does not write them (the API answers 409; with
    ``edit_files`` such a row is corrected in its file: ``web.file_rows``)."""

    def __init__(self, what: What, row: StoredRow) -> None:
        self.what, self.row = what, row
        line = f" line {row.line}" if row.line is not None else ""
        if not Path(row.origin).is_absolute():  # a fetched price ("yahoo")
            super().__init__(
                f"{_NOUN[what]} {row.id} is a fetched price ({row.origin}): fetching the "
                "prices again replaces it, so it is not edited here"
            )
            return
        super().__init__(
            f"{_NOUN[what]} {row.id} comes from {Path(row.origin).name}{line}, and this "
            "server does not write the book's files (the files are the book's truth: a "
            "change of the database alone would be undone by the next load), so correct "
            "it there and run `conviction load`"
        )


_NOUN: dict[str, str] = {"transaction": "transaction", "mark": "mark", "fx": "FX rate"}


def editable(row: StoredRow) -> bool:
    """Whether the web app may edit or delete ``row``: rows it entered (``api``), not
    rows a load took from the book's files (nor fetched prices, which a fetch redoes)."""
    return row.origin == ORIGIN


def new_row(conn: Connection, book: Book, what: What, row_id: int, r: Any) -> Any:
    """The request's row ``r`` (a ``TransactionIn``, ``MarkIn`` or ``FxIn``) checked as an
    edit of the row ``row_id`` checks it (ids that exist, no other mark or rate of that
    day), as the store's ``NewTransaction``, ``NewMark`` or ``NewFx``."""
    if what == "transaction":
        return _new_transaction(book, r, "transaction")
    if what == "mark":
        return _new_mark(conn, book, r, "mark", but=row_id)
    return _new_fx(conn, r, "rate", but=row_id)


def _editable_row(conn: Connection, what: What, row_id: int) -> StoredRow:
    row = stored_row(conn, what, row_id)
    if row is None:
        raise RowNotFound(what, row_id)
    if not editable(row):
        raise NotEditable(what, row)
    return row


def _checked(conn: Connection, where: str) -> Book:
    """The book as now written on ``conn`` (in the caller's transaction), validated as a
    load validates it; an error on a row the web app entered names ``where``'s field, one
    on a row from a file says the change would make that row impossible."""
    from conviction.io.book_reader import validate_book
    from conviction.store import read_book

    book = read_book(conn)
    try:
        validate_book(book)
    except InputError as exc:
        if exc.file == ORIGIN:
            field = f"{where}.{exc.field}" if exc.field else where
            raise type(exc)(exc.message, field=field) from None
        raise exc.noted("a stored row: this change would make it impossible") from None
    except DataError as exc:  # e.g. a currency left with no rate to convert it
        raise LedgerError(str(exc), field=where) from None
    return book


def _new_transaction(book: Book, r: TransactionIn, where: str) -> NewTransaction:
    if r.account and r.account not in book.accounts:
        raise UnknownIdError(f"unknown account {r.account!r}", field=f"{where}.account")
    if r.company and r.company not in book.companies:
        raise UnknownIdError(f"unknown company {r.company!r}", field=f"{where}.company")
    return _as_new(r)


def _as_new(r: TransactionIn) -> NewTransaction:
    """A request's transaction as the store appends it."""
    return NewTransaction(
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


def edit_transaction(
    conn: Connection, book: Book, row_id: int, r: TransactionIn, out: list[int]
) -> Book:
    """Replace the transaction ``row_id`` (one the web app entered) with ``r``, checked as
    a load checks the book; the new row's id is appended to ``out``."""
    old = _editable_row(conn, "transaction", row_id)
    new = _new_transaction(book, r, "transaction")
    out.append(replace_row(conn, "transaction", old, new, origin=ORIGIN))
    return _checked(conn, "transaction")


def delete_transaction(conn: Connection, book: Book, row_id: int) -> Book:
    """Delete the transaction ``row_id``; refused when the book without it would not load
    (a later sale of what it bought)."""
    delete_row(conn, "transaction", _editable_row(conn, "transaction", row_id), origin=ORIGIN)
    return _checked(conn, "transaction")


def _new_mark(conn: Connection, book: Book, r: MarkIn, where: str, *, but: int | None) -> NewMark:
    if r.company not in book.companies:
        raise UnknownIdError(f"unknown company {r.company!r}", field=f"{where}.company")
    same = conn.execute(
        select(MarkRow.id).where(
            MarkRow.date == r.date, MarkRow.company_id == r.company, MarkRow.kind == r.kind
        )
    ).scalar()
    if same is not None and same != but:
        raise FormatError(
            f"a {r.kind} mark of {r.company} on {r.date} is already stored (id {same})",
            field=f"{where}.date",
        )
    return NewMark(
        date=r.date,
        company=r.company,
        price=r.price,
        kind=r.kind,
        source=r.source,
        grade=r.grade or DEFAULT_GRADE[r.kind],
    )


def edit_mark(conn: Connection, book: Book, row_id: int, r: MarkIn, out: list[int]) -> Book:
    """Replace the mark ``row_id`` with ``r`` (no other mark of that date, company and
    kind may be stored); the new id is appended to ``out``."""
    old = _editable_row(conn, "mark", row_id)
    new = _new_mark(conn, book, r, "mark", but=row_id)
    out.append(replace_row(conn, "mark", old, new, origin=ORIGIN))
    from conviction.store import read_book

    return read_book(conn)


def delete_mark(conn: Connection, book: Book, row_id: int) -> Book:
    """Delete the mark ``row_id`` (a mark never makes a book invalid: nothing to check)."""
    delete_row(conn, "mark", _editable_row(conn, "mark", row_id), origin=ORIGIN)
    from conviction.store import read_book

    return read_book(conn)


def _new_fx(conn: Connection, r: FxIn, where: str, *, but: int | None) -> NewFx:
    """``r`` checked against the stored rates as ``fx.csv`` is checked: one rate a pair
    and day, and never a pair and its inverse both."""
    inverse = r.pair[3:] + r.pair[:3]
    clash = conn.execute(select(FxRow.id).where(FxRow.pair == inverse).limit(1)).scalar()
    if clash is not None:
        raise FormatError(
            f"pair {r.pair!r} and its inverse are both stored (store one; the other is "
            f"derived): {inverse} is stored (id {clash})",
            field=f"{where}.pair",
        )
    same = conn.execute(select(FxRow.id).where(FxRow.pair == r.pair, FxRow.date == r.date)).scalar()
    if same is not None and same != but:
        raise FormatError(
            f"duplicate rate for this pair on {r.date} (id {same} is stored)",
            field=f"{where}.date",
        )
    return NewFx(date=r.date, pair=r.pair, rate=r.rate, source=r.source)


def add_fx(conn: Connection, book: Book, rows: Sequence[FxIn], out: list[int]) -> Book:
    """Add FX rates (all or none), checked as ``fx.csv`` and then the whole book."""
    new: list[NewFx] = []
    seen: dict[tuple[str, str], int] = {}
    for i, r in enumerate(rows):
        where = f"rates[{i}]"
        key = (r.pair, r.date.isoformat())
        if key in seen:
            raise FormatError(
                f"duplicate rate for this pair on {r.date} (as rates[{seen[key]}])",
                field=f"{where}.date",
            )
        if any(p == r.pair[3:] + r.pair[:3] for p, _ in seen):
            raise FormatError(
                f"pair {r.pair!r} and its inverse are both in this request (store one; the "
                "other is derived)",
                field=f"{where}.pair",
            )
        seen[key] = i
        new.append(_new_fx(conn, r, where, but=None))
    out.extend(append_fx(conn, new, origin=ORIGIN))
    return _checked(conn, "rates")


def edit_fx(conn: Connection, book: Book, row_id: int, r: FxIn, out: list[int]) -> Book:
    old = _editable_row(conn, "fx", row_id)
    new = _new_fx(conn, r, "rate", but=row_id)
    out.append(replace_row(conn, "fx", old, new, origin=ORIGIN))
    return _checked(conn, "rate")


def delete_fx(conn: Connection, book: Book, row_id: int) -> Book:
    """Delete the rate ``row_id``; refused when a transaction then has no rate."""
    delete_row(conn, "fx", _editable_row(conn, "fx", row_id), origin=ORIGIN)
    return _checked(conn, "rate")


# --- uploads: a CSV of transactions or marks, previewed, then applied -----------------------------

#: An upload is one request body: the server's limit (``web.app.DEFAULT_MAX_BODY``).
MAX_UPLOAD = 2_000_000
#: The columns that tell one of the book's CSV files from another (``docs/formats.md``).
_SIGNS = {
    "transactions": ("action", "quantity"),
    "marks": ("kind",),
    "fx": ("pair", "rate"),
}


@dataclass(frozen=True)
class UploadPlan:
    """What an upload changes: rows to add (their line, the row), stored marks to replace
    (line, the stored row, the new row) and lines already stored as they are."""

    kind: str
    file: str
    rows: int
    add: list[tuple[int, Any]]
    change: list[tuple[int, StoredRow, NewMark]]
    unchanged: list[int]


def _upload_text(kind: str, name: str, data: bytes) -> str:
    """The upload's text, refused if it is not a CSV text of ``kind``'s layout."""
    if len(data) > MAX_UPLOAD:
        raise FormatError(
            f"the file is {len(data) / 1e6:.1f} MB; an upload takes at most "
            f"{MAX_UPLOAD / 1e6:g} MB ({MAX_ROWS:,} rows): load a bigger file with "
            "`conviction load`",
            file=name,
        )
    if not data.strip():
        raise FormatError("empty file (expected a header line)", file=name, line=1)
    if b"\x00" in data[:65536]:
        raise FormatError(
            "not a text file (it holds NUL bytes: a binary file?); upload the book's "
            f"{kind}.csv, a UTF-8 CSV file",
            file=name,
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FormatError(
            f"not a UTF-8 text file (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            f"upload the book's {kind}.csv, a UTF-8 CSV file",
            file=name,
            line=line,
        ) from None
    header = {c.strip().strip('"').lower() for c in text.splitlines()[0].split(",")}
    for other, signs in _SIGNS.items():
        if (
            other != kind
            and all(s in header for s in signs)
            and not all(s in header for s in _SIGNS[kind])
        ):
            what = {"transactions": "transactions", "marks": "marks", "fx": "FX rates"}[other]
            hint = f"upload it as {other}" if other != "fx" else "enter rates on /book/fx"
            raise FormatError(
                f"this is a file of {what} (its header has {', '.join(signs)}), not of "
                f"{kind}: {hint}",
                file=name,
                line=1,
            )
    lines = text.count("\n") + (0 if text.endswith("\n") else 1) - 1
    if lines > MAX_ROWS:
        raise FormatError(
            f"the file has {lines:,} rows; an upload takes at most {MAX_ROWS:,}: load a "
            "bigger file with `conviction load`",
            file=name,
        )
    return text


def _read_upload(kind: str, name: str, text: str, book: Book) -> pd.DataFrame:
    """The upload read by ``load``'s own reader (so its messages are load's, with the
    file's name, line and field), from a private temporary file removed at once."""
    import tempfile

    from conviction.io.csv_tables import read_marks_csv, read_transactions_csv

    with tempfile.TemporaryDirectory(prefix="conviction-upload-") as folder:
        path = Path(folder) / "upload.csv"
        path.write_text(text, encoding="utf-8")
        try:
            if kind == "transactions":
                frame = read_transactions_csv(path, book.accounts, book.companies)
            else:
                frame = read_marks_csv(path, book.companies)
        except InputError as exc:
            raise type(exc)(exc.message, file=name, line=exc.line, field=exc.field) from None
    frame["file"] = name
    return frame


def plan_upload(conn: Connection, book: Book, kind: str, name: str, data: bytes) -> UploadPlan:
    """Check an upload as a load checks the book's file (then the whole book with it) and
    say what it would change. Reads only."""
    name = _upload_name(name)
    text = _upload_text(kind, name, data)
    frame = _read_upload(kind, name, text, book)
    if kind == "transactions":
        return _plan_transactions(book, name, frame)
    return _plan_marks(conn, name, frame)


def _upload_name(name: str) -> str:
    shown = Path(name.replace("\\", "/")).name.strip()
    return shown[:100] or "upload.csv"


def _key(values: Sequence[Any]) -> tuple[Any, ...]:
    """A row's values comparable across the stored frame and the upload (NaN: None)."""
    out: list[Any] = []
    for v in values:
        if isinstance(v, float) and v != v:
            out.append(None)
        elif isinstance(v, np.datetime64 | pd.Timestamp):
            out.append(str(pd.Timestamp(v).date()))
        elif isinstance(v, float | np.floating):
            out.append(float(v))
        else:
            out.append("" if v is None else str(v))
    return tuple(out)


_TX_VALUES: tuple[str, ...] = ("date", "account", "company", "action", "quantity", "price")
_TX_VALUES += ("fees", "currency", "fx_rate", "lot")


#: The actions a row of the web app may carry: corporate actions (exchange, spinoff,
#: rename, listing) name the company they lead into, which the web app does not store;
#: they are entered in the book's transactions.csv.
_WEB_ACTIONS = frozenset({"buy", "sell", "deposit", "withdraw", "dividend", "split", "fee"})


def _no_corporate_action(action: str, **where: Any) -> None:
    if action not in _WEB_ACTIONS:
        raise FormatError(
            f"{action} rows (corporate actions) are entered in the book's transactions.csv, "
            "then `conviction load`: the web app enters buy, sell, deposit, withdraw, "
            "dividend, split and fee rows",
            field="action",
            **where,
        )


def _plan_transactions(book: Book, name: str, frame: pd.DataFrame) -> UploadPlan:
    from conviction.io.book_reader import validate_book

    for action, line in zip(frame["action"].tolist(), frame["line"].tolist(), strict=True):
        _no_corporate_action(str(action), file=name, line=int(line))

    stored = book.transactions
    have = (
        {_key(r) for r in zip(*(stored[c].tolist() for c in _TX_VALUES), strict=True)}
        if len(stored)
        else set()
    )
    add, unchanged, keep = [], [], []
    for i, r in enumerate(zip(*(frame[c].tolist() for c in _TX_VALUES), strict=True)):
        line = int(frame["line"].iloc[i])
        if _key(r) in have:
            unchanged.append(line)
            continue
        keep.append(i)
        add.append((line, _new_tx_from(dict(zip(_TX_VALUES, r, strict=True)))))
    new = frame.iloc[keep].reset_index(drop=True)
    if len(new):
        combined = _appended(
            stored, _typed({str(c): _column(new, str(c)) for c in new}, stored, TRANSACTION_COLUMNS)
        )
        try:
            validate_book(replace(book, transactions=combined))
        except InputError as exc:
            if exc.file == name:
                raise
            raise exc.noted("a stored row: the file's rows would make it impossible") from None
        except DataError as exc:
            raise LedgerError(str(exc), file=name) from None
    return UploadPlan("transactions", name, len(frame), add, [], unchanged)


def _column(frame: pd.DataFrame, name: str) -> Any:
    values = frame[name]
    if values.dtype == object or str(values.dtype).startswith("str"):
        return values.tolist()
    return values.to_numpy()


def _new_tx_from(v: dict[str, Any]) -> NewTransaction:
    def num(x: Any) -> float | None:
        return None if x is None or (isinstance(x, float) and x != x) else float(x)

    return NewTransaction(
        date=pd.Timestamp(v["date"]).date(),
        account=str(v["account"] or ""),
        company=str(v["company"] or ""),
        action=str(v["action"]),
        quantity=float(v["quantity"]),
        price=num(v["price"]),
        fees=float(v["fees"] or 0.0),
        currency=str(v["currency"] or ""),
        fx_rate=num(v["fx_rate"]),
        lot=str(v["lot"] or ""),
    )


def _plan_marks(conn: Connection, name: str, frame: pd.DataFrame) -> UploadPlan:
    companies = sorted(set(frame["company"].tolist()))
    stored: dict[tuple[str, str, str], StoredRow] = {}
    if companies:
        found = conn.execute(select(MarkRow.id).where(MarkRow.company_id.in_(companies))).scalars()
        for rid in found.all():
            row = stored_row(conn, "mark", int(rid))
            assert row is not None
            v = row.values
            stored[(str(v["date"]), str(v["company"]), str(v["kind"]))] = row
    add: list[tuple[int, Any]] = []
    change: list[tuple[int, StoredRow, NewMark]] = []
    unchanged: list[int] = []
    for i in range(len(frame)):
        r = frame.iloc[i]
        line = int(r["line"])
        new = NewMark(
            date=pd.Timestamp(r["date"]).date(),
            company=str(r["company"]),
            price=float(r["price"]),
            kind=str(r["kind"]),
            source=str(r["source"]),
            grade=str(r["grade"]),
        )
        old = stored.get((new.date.isoformat(), new.company, new.kind))
        if old is None:
            add.append((line, new))
            continue
        v = old.values
        if (float(v["price"]), str(v["source"]), str(v["grade"] or "")) == (
            new.price,
            new.source,
            new.grade,
        ):
            unchanged.append(line)
        elif editable(old):
            change.append((line, old, new))
        else:
            where = f"{Path(old.origin).name}" + (f" line {old.line}" if old.line else "")
            raise FormatError(
                f"a {new.kind} mark of {new.company} on {new.date} is stored from {where} "
                f"(price {float(v['price']):g}): the book's files are its truth, so correct "
                "it in that file and run `conviction load`",
                file=name,
                line=line,
                field="price",
            )
    return UploadPlan("marks", name, len(frame), add, change, unchanged)


def apply_plan(conn: Connection, plan: UploadPlan) -> Book:
    """Write an upload's plan in the caller's transaction; the book as stored after."""
    from conviction.store import read_book

    recorded = f"upload {plan.file}"
    lines = [line for line, _ in plan.add]
    rows = [row for _, row in plan.add]
    if plan.kind == "transactions":
        append_transactions(conn, rows, origin=ORIGIN, recorded_as=recorded, lines=lines)
    else:
        append_marks(conn, rows, origin=ORIGIN, recorded_as=recorded, lines=lines)
        for line, old, new in plan.change:
            replace_row(conn, "mark", old, new, origin=ORIGIN, line=line, recorded_as=recorded)
    return read_book(conn)


# --- a page's form: one row as the text of a CSV row, read by load's own reader -------------------

#: Each kind's columns as its file has them (``docs/formats.md``), in order.
FORM_COLUMNS: dict[str, tuple[str, ...]] = {
    "transactions": (
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
    ),
    "marks": ("date", "company", "price", "kind", "source", "grade"),
    "fx": ("date", "pair", "rate", "source"),
}


def read_form_row(kind: str, values: dict[str, str], book: Book) -> dict[str, Any]:
    """A form's row (its fields' text) read as one row of ``kind``'s file by the reader
    ``conviction load`` uses, so it is refused with load's message, naming the field
    (no file or line: it is a form); returns the row's values, typed, for the request
    models (``TransactionIn``, ``MarkIn``, ``FxIn``)."""
    import csv
    import io
    import tempfile

    from conviction.io.csv_tables import read_fx_csv, read_marks_csv, read_transactions_csv

    columns = FORM_COLUMNS[kind]
    unknown = sorted(set(values) - set(columns))
    if unknown:
        raise FormatError(
            f"unknown field {unknown[0]!r} (expected: {', '.join(columns)})", field=unknown[0]
        )
    action = values.get("action", "").strip().lower()
    if kind == "transactions" and action in ACTIONS:
        _no_corporate_action(action)  # before the reader asks for the 'into' of one
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerow([values.get(c, "") for c in columns])
    with tempfile.TemporaryDirectory(prefix="conviction-form-") as folder:
        path = Path(folder) / f"{kind}.csv"
        path.write_text(out.getvalue(), encoding="utf-8")
        try:
            if kind == "transactions":
                frame = read_transactions_csv(path, book.accounts, book.companies)
            elif kind == "marks":
                frame = read_marks_csv(path, book.companies)
            else:
                frame = read_fx_csv(path)
        except InputError as exc:
            raise type(exc)(exc.message, field=exc.field) from None
    row = frame.iloc[0]
    if kind == "transactions":
        _no_corporate_action(str(row["action"]))
    typed: dict[str, Any] = {}
    for c in columns:
        if c not in frame.columns:
            continue
        v = row[c]
        if c == "date":
            typed[c] = pd.Timestamp(v).date()
        elif isinstance(v, float | np.floating):
            if v == v:  # not NaN: an empty optional number is left out
                typed[c] = float(v)
        elif v is not None and str(v) != "":
            typed[c] = str(v)
    if kind == "marks" and not values.get("grade", "").strip():
        typed.pop("grade", None)  # the kind's default, as the file's empty grade
    return typed
