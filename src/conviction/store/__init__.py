"""Storage: SQLAlchemy tables, Alembic migrations, reading and writing a book.

Reads use ``connect(url)``, which never writes; writes use ``connect_for_writing(url)``,
which brings the schema up to date first. The caller owns the transaction:
``with connect_for_writing(url).begin() as conn: write_book(conn, book)``. A plain SQLite
file is also read without SQLAlchemy (``read_book_at``), which a read command uses.

The names are imported on first use, so that the SQLite reader's modules do not pull in
SQLAlchemy.
"""

from typing import TYPE_CHECKING

from conviction._lazy import lazy_exports

if TYPE_CHECKING:
    from conviction.store.book_store import count_rows, read_book, write_book
    from conviction.store.engine import connect, connect_for_writing, upgrade
    from conviction.store.reading import read_book_at

__all__ = [
    "connect",
    "connect_for_writing",
    "count_rows",
    "read_book",
    "read_book_at",
    "upgrade",
    "write_book",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "conviction.store.book_store": ("count_rows", "read_book", "write_book"),
        "conviction.store.engine": ("connect", "connect_for_writing", "upgrade"),
        "conviction.store.reading": ("read_book_at",),
    },
)
