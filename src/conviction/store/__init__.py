"""Storage: SQLAlchemy tables, Alembic migrations, reading and writing a book.

The caller owns the transaction: ``with engine.begin() as conn: write_book(conn, book)``.
"""

from conviction.store.book_store import count_rows, read_book, write_book
from conviction.store.engine import connect, upgrade

__all__ = ["connect", "count_rows", "read_book", "upgrade", "write_book"]
