"""Loading books: one database transaction for all of them, validated as a whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from conviction.book.model import Book
from conviction.errors import StoreError
from conviction.store.book_store import count_rows, read_book, write_book

__all__ = ["load_books"]


def load_books(engine: Engine, books: list[tuple[Path, Book]]) -> dict[str, Any]:
    """Write every book in one transaction; re-validate the stored whole when rows from
    other origins (API writes, fetched prices, other books) share the database."""
    try:
        return _load(engine, books)
    except SQLAlchemyError as exc:
        raise StoreError(f"the database refused the load, nothing was changed: {exc}") from None


def _load(engine: Engine, books: list[tuple[Path, Book]]) -> dict[str, Any]:
    from conviction.io.book_reader import validate_book

    with engine.begin() as conn:
        per_book = []
        for toml, book in books:
            counts = write_book(conn, book)
            counts.update(_load_extras(conn, toml, book))
            per_book.append(counts)
        totals = count_rows(conn)
        loaded = sum(len(b.transactions) for _, b in books)
        if totals["transactions"] != loaded or len(books) > 1:
            validate_book(read_book(conn))
    return {"books": per_book, "database": totals}


def _load_extras(conn: Any, toml: Path, book: Book) -> dict[str, int]:
    """Sections other parts own (theses), loaded in the same transaction when present."""
    from conviction.io.book_toml import read_book_toml
    from conviction.store.theses_tables import load_theses

    if read_book_toml(toml).theses is None:
        return {}
    return load_theses(conn, toml.resolve(), list(book.companies), list(book.persons))
