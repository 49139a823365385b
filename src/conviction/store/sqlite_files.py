"""Opening a SQLite database file for reading only, without SQLAlchemy.

The read commands of a SQLite book (``status``, ``history``, ``gains`` ...) open the file
with the standard library's ``sqlite3``: SQLAlchemy alone costs a read command about 0.3 s
of imports, longer than the whole read of a small book (docs/benchmarks.md). URLs this
module does not recognise (a query string, percent-escapes, another database) go through
``connect`` instead.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from conviction.errors import DataError, StoreError
from conviction.store.revision import check_revision

__all__ = ["open_read_only", "plain_sqlite_file", "read_only_sqlite_uri"]

_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")


def plain_sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///path`` URL, as an absolute path; None for any other
    URL (in memory, a ``file:`` URI, a query string, escapes: SQLAlchemy reads those)."""
    for prefix in _PREFIXES:
        if url.startswith(prefix):
            name = url[len(prefix) :]
            if not name or name == ":memory:" or name.startswith("file:"):
                return None
            if "?" in name or "%" in name:
                return None
            return Path(os.path.abspath(name))
    return None


def open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to the conviction database at ``path``, at the schema
    revision this code needs (``DataError`` when there is none, ``StoreError`` otherwise)."""
    where = str(path)
    if not path.is_file():
        raise DataError(f"there is no database at {where} yet: run `conviction load PATH` first")
    try:
        conn = sqlite3.connect(read_only_sqlite_uri(where), uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read the database at {where}: {exc}") from None
    try:
        check_revision(conn, "sqlite", sqlite3.Error, where)
        conn.execute("PRAGMA query_only=ON")
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(f"cannot read the database at {where}: {exc}") from None
    except BaseException:
        conn.close()
        raise
    return conn


def read_only_sqlite_uri(filename: str) -> str:
    """The ``file:`` URI that opens the SQLite file ``filename`` for reading only.

    ``mode=ro`` always. A WAL database also needs its ``-shm`` file, which a read-only
    connection creates when it is missing; in a folder this process may not write, and with
    no ``-wal`` file to read (the whole database in the main file), ``immutable=1`` is added
    so that SQLite reads the file without it. For every reader of the file (ADBC too).
    """
    path = os.path.abspath(filename)
    uri = f"file:{quote(path, safe='/')}?mode=ro"
    return f"{uri}&immutable=1" if _wal_unreadable_in_place(path, uri) else uri


def _wal_unreadable_in_place(path: str, uri: str) -> bool:
    try:
        with open(path, "rb") as fh:
            header = fh.read(20)
    except OSError:
        return False
    if header[18:20] != b"\x02\x02":  # not a WAL database: mode=ro always reads it
        return False
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return False  # rows in the log: immutable would not see them
    conn = sqlite3.connect(uri, uri=True)
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").close()
        return False
    except sqlite3.Error as exc:
        return getattr(exc, "sqlite_errorname", "") in (
            "SQLITE_READONLY_DIRECTORY",
            "SQLITE_READONLY_CANTINIT",
        )
    finally:
        conn.close()
