"""Rows from the book's files, corrected and deleted from the browser: written into the
file, then the book loaded as ``conviction load`` loads it, in the write's transaction.

The files are the book's truth: after a load the database holds exactly what they say.
So an edit of a row a load took from ``transactions.csv``, ``marks.csv`` or ``fx.csv``
(its stored origin is the file's path, its line the row's line) changes *that line of
that file*, and then the book is loaded again, so that file and database agree:

1. the file (only a path a load stored: never one from the request) is read again, and
   its rows, and those of the book's other files, must be what the last load stored:
   otherwise someone changed them since, and the edit is refused (409, "run `conviction
   load`") rather than writing over their change;
2. the new text is the old one with that row replaced or removed, every other byte kept
   (``conviction.io.file_edits``);
3. the new text is written to a temporary file beside the old one and the whole book is
   read from the files with it, by load's own readers, and validated as a load validates
   it: a refusal is load's message, naming the form's field, and changes nothing;
4. the book is stored by load's own code (``store.loading.store_loaded``) on the write's
   connection (the web app's write lock and the database's); every row it stored gets
   its id back (by file and line), the edited one a new id, as the web app's edits give
   one; the change is recorded in ``book_change`` as the web app's writes are;
5. only then does the temporary file replace the old one (``os.replace``: all or nothing,
   the file's mode kept); the transaction commits after. Should that commit fail, the old
   bytes are put back (``FileWrite.undo``).

A server started without ``edit_files`` (tests over the repository's example), a file
outside the workspace, a read-only file or folder: refused (409), nothing changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, insert, select, update

from conviction.book.model import Book
from conviction.errors import ConvictionError, DataError, FormatError, InputError, LedgerError
from conviction.io.book_toml import BookFile
from conviction.store.appends import BookChangeRow, StoredRow, What, now
from conviction.store.book_store import KEPT_ORIGINS
from conviction.store.tables import FxRow, MarkRow, TransactionRow

__all__ = ["FileConflict", "FileWrite", "change_file_row", "from_file"]

#: Which of the book TOML's tables holds each kind of row.
_TABLE = {"transaction": "transactions", "mark": "marks", "fx": "fx"}
#: The form field prefix of each kind's errors (as the web app's own edits name them).
_WHERE = {"transaction": "transaction", "mark": "mark", "fx": "rate"}
_NOUN = {"transaction": "transaction", "mark": "mark", "fx": "FX rate"}
_ROWS: dict[What, tuple[Any, Any]] = {
    "transaction": (TransactionRow, TransactionRow.source),
    "mark": (MarkRow, MarkRow.origin),
    "fx": (FxRow, FxRow.origin),
}


class FileConflict(ConvictionError):
    """The edit cannot be written into the book's file (changed since the last load,
    read-only, outside the workspace, not the book's): the API answers 409."""


def from_file(row: StoredRow) -> bool:
    """Whether ``row`` came from one of the book's files (its origin a file's path)."""
    return row.origin not in KEPT_ORIGINS and Path(row.origin).is_absolute()


@dataclass(frozen=True)
class FileWrite:
    """A file an edit replaced: its bytes before and after."""

    path: Path
    old: bytes
    new: bytes

    def undo(self) -> None:
        """Put the old bytes back (the write's transaction did not commit), unless the
        file changed again since."""
        with contextlib.suppress(OSError, ConvictionError):  # never hide the first error
            if self.path.read_bytes() == self.new:
                _write_beside(self.path, self.old)


def change_file_row(
    conn: Connection,
    book: Book,
    what: What,
    old: StoredRow,
    new: Any | None,
    *,
    workspace: Path,
    writes: list[FileWrite],
) -> tuple[Book, int | None]:
    """Replace (``new``: a ``NewTransaction``, ``NewMark`` or ``NewFx``) or delete
    (``None``) the row ``old`` in the file it came from, and load the book on ``conn``
    (the caller's transaction, which holds the write lock). ``book`` is the book as
    stored. Returns the book as stored after and the new row's id; the file written is
    appended to ``writes``."""
    from conviction.io import file_edits
    from conviction.store import read_book
    from conviction.store.loading import store_loaded

    path = Path(old.origin)
    name, line = path.name, old.line
    where = f"{name} line {line}"
    if line is None:
        raise FileConflict(f"{_NOUN[what]} {old.id} comes from {name}, no line stored")
    if not path.is_relative_to(workspace):
        raise FileConflict(
            f"{_NOUN[what]} {old.id} comes from {path}, outside this server's workspace "
            f"({workspace}): correct it there and run `conviction load`"
        )
    toml, spec = _book_of(path, workspace)
    declared = getattr(spec, _TABLE[what])
    if declared is None or declared.resolve() != path:
        raise FileConflict(
            f"{_NOUN[what]} {old.id} comes from {where}, which is not the book's "
            f"{_TABLE[what]} file (a price file?): correct it there and run `conviction load`"
        )
    data = _read(path)
    text = data.decode("utf-8", errors="strict")
    _as_loaded(book, spec, what, path)
    try:
        if new is None:
            new_text = file_edits.removed(text, line)
        else:
            new_text = file_edits.replaced(text, line, _changes(old, new), file=name)
    except LookupError:
        raise _changed(name, f"no row starts on line {line} any more") from None
    except FormatError as exc:
        raise FormatError(exc.message, field=f"{_WHERE[what]}.{exc.field}") from None
    new_bytes = new_text.encode("utf-8")
    gone = 0 if new is not None else _lines_removed(text, line)
    tmp = _temp_beside(path)
    try:
        tmp.write_bytes(new_bytes)
        loaded = _read_with(spec, what, tmp, path, line, gone, new is not None)
        _same_elsewhere(book, loaded, path, toml.name)
        before = {w: _file_ids(conn, w) for w in _ROWS}
        floor = _highest_id(conn, what)
        try:
            store_loaded(conn, toml, loaded)
        except InputError as exc:  # a row entered here that the new file makes impossible
            raise exc.noted("a stored row: this change would make it impossible") from None
        moved = (str(path), line, gone)
        for w in _ROWS:
            _keep_ids(conn, w, before[w], floor, moved if w == what else None)
        new_id = None if new is None else _id_at(conn, what, path, line)
        _record(conn, what, old, new_id, name)
        after = read_book(conn)
        os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise FileConflict(
            f"cannot write {name} ({exc.strerror or exc}): nothing was changed"
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    writes.append(FileWrite(path, data, new_bytes))
    return after, new_id


# --- the book's files ----------------------------------------------------------------------------


def _book_of(path: Path, workspace: Path) -> tuple[Path, BookFile]:
    """The book TOML that names ``path`` as one of its tables: in the file's folder or
    one above it, within the workspace."""
    from conviction.io.book_reader import find_book_toml
    from conviction.io.book_toml import read_book_toml

    folder = path.parent
    while True:
        try:
            toml = find_book_toml(folder)
        except FormatError:
            toml = None
        if toml is not None and toml.is_file():
            try:
                spec = read_book_toml(toml)
            except InputError as exc:
                raise _changed(toml.name, f"it no longer reads: {exc}") from None
            tables = (spec.transactions, spec.marks, spec.fx, *spec.prices.values())
            if any(t is not None and t.resolve() == path for t in tables):
                return toml.resolve(), spec
        if folder == workspace or folder.parent == folder:
            break
        folder = folder.parent
    raise FileConflict(
        f"no book TOML in {path.parent} or above (within the workspace) names {path.name} "
        "any more: run `conviction load`"
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _changed(path.name, f"it cannot be read: {exc.strerror or exc}") from None


def _changed(name: str, why: str = "") -> FileConflict:
    detail = f" ({why})" if why else ""
    return FileConflict(
        f"{name} changed since the last load{detail}: run `conviction load`, then edit again"
    )


def _temp_beside(path: Path) -> Path:
    """A new empty file in ``path``'s folder (so that ``os.replace`` is one rename);
    refused where the file or its folder is read-only."""
    folder = path.parent
    for target, what in ((path, path.name), (folder, f"the folder {folder}")):
        mode = stat.S_IMODE(os.stat(target).st_mode)
        if not mode & 0o222:
            raise FileConflict(
                f"{what} is read-only (mode {mode:o}): this server cannot write the book's "
                "files, so nothing was changed; correct the row there and run `conviction load`"
            )
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".edit")
    except OSError as exc:
        raise FileConflict(
            f"cannot write into {folder} ({exc.strerror or exc}): this server cannot write "
            "the book's files, so nothing was changed"
        ) from None
    os.close(handle)
    return Path(name)


def _write_beside(path: Path, data: bytes) -> None:
    tmp = _temp_beside(path)
    try:
        tmp.write_bytes(data)
        os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _lines_removed(text: str, line: int) -> int:
    from conviction.io.file_edits import record_span

    try:
        start, end = record_span(text, line)
    except LookupError:
        return 0
    chunk = text[start:end]
    return chunk.count("\n") + chunk.count("\r") - chunk.count("\r\n")


# --- what changes ---------------------------------------------------------------------------------


def _changes(old: StoredRow, new: Any) -> dict[str, str]:
    """The fields of ``new`` that differ from the stored row, as the file's text."""
    from conviction.io.file_edits import number_text

    out: dict[str, str] = {}
    for name, value in asdict(new).items():
        if _same(old.values.get(name), value):
            continue
        if value is None:
            out[name] = ""
        elif isinstance(value, dt.date):
            out[name] = value.isoformat()
        elif isinstance(value, float | int) and not isinstance(value, bool):
            out[name] = number_text(float(value))
        else:
            out[name] = str(value)
    return out


def _same(a: Any, b: Any) -> bool:
    def norm(v: Any) -> Any:
        if v is None or (isinstance(v, float) and v != v):
            return None
        if isinstance(v, str) and v == "":
            return None
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
        return v

    return bool(norm(a) == norm(b))


# --- the book read with the new file -------------------------------------------------------------


def _read_with(
    spec: BookFile, what: What, tmp: Path, path: Path, line: int, gone: int, edit: bool
) -> Book:
    """The book read from its files, ``tmp`` standing for ``path``, validated as a load
    validates it; its rows say they come from ``path``. A refusal names the form's field
    (an error in the edited row) or the file and line of the row the change makes
    impossible (its line in the file as it is now)."""
    from conviction.io.book_reader import book_from_files

    table = _TABLE[what]
    try:
        changed: dict[str, Any] = {table: tmp}
        book = book_from_files(replace(spec, **changed))
    except InputError as exc:
        raise _placed(exc, what, tmp, path, line, gone, edit) from None
    except DataError as exc:  # e.g. a currency left with no rate to convert it
        raise LedgerError(str(exc), field=_WHERE[what]) from None
    frames = {}
    for name in ("transactions", "marks", "fx"):
        frame = getattr(book, name)
        if len(frame):  # each file as a load stores it: its absolute path
            named = frame["file"].unique()
            files = {f: str(path if f == str(tmp) else Path(f).resolve()) for f in named}
            frame = frame.copy()
            frame["file"] = frame["file"].map(files)
        frames[name] = frame
    return replace(book, **frames)


def _placed(
    exc: InputError, what: What, tmp: Path, path: Path, line: int, gone: int, edit: bool
) -> InputError:
    field = f"{_WHERE[what]}.{exc.field}" if exc.field else _WHERE[what]
    message = exc.message.replace(str(tmp), path.name).replace(tmp.name, path.name)
    if exc.file == str(tmp) and edit and exc.line == line:
        return type(exc)(message, field=field)
    if exc.file == str(tmp) and edit and "sort by date" in message and exc.field == "date":
        return type(exc)(
            f"{message}: the row stays on line {line} of {path.name}, among rows of "
            "nearby dates (move it in the file itself to give it a date far from theirs)",
            field=field,
        )
    file = path if exc.file == str(tmp) else exc.file
    at = exc.line
    if exc.file == str(tmp) and at is not None and not edit and at >= line:
        at += gone  # the line as the file has it now
    return type(exc)(
        f"{message} (a row of the book's files: this change would make it impossible)",
        file=file,
        line=at,
        field=exc.field,
    )


def _as_loaded(book: Book, spec: BookFile, what: What, path: Path) -> None:
    """Refuse when ``path`` does not hold what the last load stored from it."""
    from conviction.io.csv_tables import read_fx_csv, read_marks_csv, read_transactions_csv

    try:
        if what == "transaction":
            public = {c: spec.companies[c].public for c in spec.companies}
            frame = read_transactions_csv(path, spec.accounts, spec.companies, public)
        elif what == "mark":
            frame = read_marks_csv(path, spec.companies)
        else:
            frame = read_fx_csv(path)
    except InputError as exc:
        raise _changed(path.name, f"it no longer loads: {exc.message}") from None
    stored = getattr(book, _TABLE[what])
    if not _same_rows(stored, frame, str(path)):
        raise _changed(path.name)


def _same_elsewhere(stored: Book, loaded: Book, path: Path, toml: str) -> None:
    """Refuse when another of the book's files (or the TOML's companies, accounts and
    people) is not what the last load stored: loading it now would take that change in
    unseen."""
    for name in ("transactions", "marks", "fx"):
        mine = getattr(stored, name)
        theirs = getattr(loaded, name)
        files = {
            str(f) for f in pd.unique(mine["file"]) if str(f) not in KEPT_ORIGINS and "/" in str(f)
        }
        files |= {str(f) for f in pd.unique(theirs["file"])}
        for file in sorted(files - {str(path)}):
            if not _same_rows(mine, theirs, file):
                raise _changed(Path(file).name)
    same = (
        stored.meta == loaded.meta
        and stored.accounts == loaded.accounts
        and stored.companies == loaded.companies
        and stored.persons == loaded.persons
    )
    if not same:
        raise _changed(toml)


def _same_rows(a: pd.DataFrame, b: pd.DataFrame, file: str) -> bool:
    """Whether ``a`` and ``b`` hold the same rows from ``file`` (the columns both have)."""
    columns = [c for c in a.columns if c in b.columns and c not in ("file", "line")]
    return _rows(a, file, columns) == _rows(b, file, columns)


def _rows(frame: pd.DataFrame, file: str, columns: list[str]) -> list[tuple[Any, ...]]:
    """The rows of ``frame`` from ``file``, comparable: by line, NaN as None."""
    from conviction.web.writes import _key

    if not len(frame):
        return []
    mine = frame[frame["file"].astype(str) == file]
    lines = mine["line"].to_numpy().astype("int64").tolist()
    values = [_key(r) for r in zip(*(mine[c].tolist() for c in columns), strict=True)]
    return sorted((line, *v) for line, v in zip(lines, values, strict=True))


# --- the store -----------------------------------------------------------------------------------


def _highest_id(conn: Connection, what: What) -> int:
    """The highest id ``what``'s rows have had: stored or recorded."""
    table = _ROWS[what][0]
    stored = conn.execute(select(func.max(table.id))).scalar() or 0
    recorded = conn.execute(
        select(func.max(BookChangeRow.row_id), func.max(BookChangeRow.old_id)).where(
            BookChangeRow.what == what
        )
    ).one()
    return max(int(stored), *(int(x or 0) for x in recorded))


def _file_ids(conn: Connection, what: What) -> dict[tuple[str, int], int]:
    """The ids of ``what``'s rows from files, by (file, line)."""
    table, origin = _ROWS[what]
    found = conn.execute(select(table.id, origin, table.line).where(origin.not_in(KEPT_ORIGINS)))
    return {(str(o), int(n)): int(i) for i, o, n in found.all() if n is not None}


def _keep_ids(
    conn: Connection,
    what: What,
    before: dict[tuple[str, int], int],
    floor: int,
    moved: tuple[str, int, int] | None,
) -> None:
    """Give the rows the load just stored from files the ids they had before (by file and
    line), so that a file edit changes the ids of no other row, as an edit of the web
    app's rows does. The edited row (``moved``: its file, line and, after a delete, the
    lines the rows below it moved up) keeps a fresh id, past ``floor`` (the highest id
    stored or recorded: SQLite would otherwise reuse a deleted row's id)."""
    table, origin = _ROWS[what]
    loaded = origin.not_in(KEPT_ORIGINS)
    if conn.dialect.name == "sqlite":  # out of the way of the old ids first (one statement)
        low = conn.execute(select(func.min(table.id)).where(loaded)).scalar()
        if low is None:
            return
        top = max(floor, int(conn.execute(select(func.max(table.id))).scalar() or 0))
        conn.execute(update(table).where(loaded).values(id=table.id + (top - int(low) + 1)))
    found = conn.execute(select(table.id, origin, table.line).where(loaded)).all()
    keep = []
    for current, file, line in found:
        if line is None:
            continue
        was = int(line)
        if moved is not None and str(file) == moved[0]:
            if moved[2] == 0 and was == moved[1]:
                continue  # the edited row: a new id
            if moved[2] and was >= moved[1]:
                was += moved[2]  # below a deleted row: its line before the delete
        old = before.get((str(file), was))
        if old is not None and old != current:
            keep.append({"old": old, "now": int(current)})
    if keep:
        from sqlalchemy import bindparam

        core = table.__table__
        conn.execute(
            update(core).where(core.c.id == bindparam("now")).values(id=bindparam("old")), keep
        )


def _id_at(conn: Connection, what: What, path: Path, line: int) -> int | None:
    table, origin = _ROWS[what]
    found = conn.execute(
        select(table.id).where(origin == str(path), table.line == line).limit(1)
    ).scalar()
    return None if found is None else int(found)


def _record(conn: Connection, what: What, old: StoredRow, new_id: int | None, name: str) -> None:
    """The change in ``book_change``, as the web app's writes are recorded."""
    values = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in old.values.items()}
    old_json = json.dumps({**values, "origin": old.origin, "line": old.line}, sort_keys=True)
    conn.execute(
        insert(BookChangeRow).values(
            recorded=now(),
            what=what,
            op="delete" if new_id is None else "edit",
            row_id=new_id,
            old_id=old.id,
            old=old_json,
            origin=f"file {name}",
        )
    )


def undo_all(writes: Sequence[FileWrite]) -> None:
    """Put back every file in ``writes``, the last written first."""
    for write in reversed(writes):
        write.undo()
