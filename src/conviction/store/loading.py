"""Loading a book: one database transaction, validated as a whole, one load at a time.

A load takes the database's write lock before it reads anything (``lock_for_writing``),
so two loads never merge: the second waits for the first (a few seconds at most), then
either goes on from what the first committed or is refused with a clear message, and
nothing of it is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from conviction.book.model import Book
from conviction.errors import StoreError
from conviction.store.book_store import count_rows, read_book, write_book

__all__ = ["load_book", "store_loaded"]


def load_book(engine: Engine, toml: Path, book: Book, *, replace: bool = False) -> dict[str, Any]:
    """Store ``book`` (read from ``toml``) as the database's book, in one transaction.

    ``replace``: replace a stored book of another name (refused otherwise). Returns the
    rows written per table (``"book"``) and the rows the database then holds
    (``"database"``).
    """
    from conviction.store.engine import BUSY, is_busy, place_of

    try:
        return _load(engine, toml, book, replace=replace)
    except OperationalError as exc:
        if is_busy(exc):
            raise StoreError(BUSY.format(where=place_of(engine.url))) from None
        raise StoreError(f"the database refused the load, nothing was changed: {exc}") from None
    except SQLAlchemyError as exc:
        raise StoreError(f"the database refused the load, nothing was changed: {exc}") from None


def _load(engine: Engine, toml: Path, book: Book, *, replace: bool) -> dict[str, Any]:
    from conviction.store.engine import lock_for_writing

    with engine.connect() as conn:
        lock_for_writing(conn)
        written = store_loaded(conn, toml, book, replace=replace)
        conn.commit()
    return written


def store_loaded(conn: Any, toml: Path, book: Book, *, replace: bool = False) -> dict[str, Any]:
    """What a load writes, on ``conn`` (which holds the write lock), without committing:
    the web app's edits of the book's files load the book through this too, in the
    transaction of their write. Returns what ``load_book`` returns."""
    from conviction.io.book_reader import validate_book

    counts = write_book(conn, book, replace=replace)
    counts.update(_load_extras(conn, toml, book))
    totals = count_rows(conn)
    if totals["transactions"] != len(book.transactions):  # API rows beside the file's
        validate_book(read_book(conn))
    return {"book": counts, "database": totals}


def _load_extras(conn: Any, toml: Path, book: Book) -> dict[str, int]:
    """Sections other parts own (theses), loaded in the same transaction when present."""
    from conviction.io.book_toml import read_book_toml
    from conviction.store.theses_tables import load_theses

    if read_book_toml(toml).theses is None:
        return {}
    return load_theses(conn, toml.resolve(), list(book.companies), list(book.persons))
