"""Storage: SQLAlchemy tables, Alembic migrations, reading and writing a book.

Reads use ``connect(url)``, which never writes; writes use ``connect_for_writing(url)``,
which brings the schema up to date first. The caller owns the transaction:
``with connect_for_writing(url).begin() as conn: write_book(conn, book)``.
"""

from conviction.store.book_store import count_rows, read_book, write_book
from conviction.store.engine import connect, connect_for_writing, upgrade

__all__ = ["connect", "connect_for_writing", "count_rows", "read_book", "upgrade", "write_book"]
