"""Connecting to the database: reads that never write, and one explicit write path.

``connect(url)`` is for reading. It never migrates, never runs DDL and never changes the
file: on SQLite it opens the file read-only (a ``file:...?mode=ro`` URI), so a read works
on a read-only file or in a read-only folder, and it leaves the journal mode alone; on
PostgreSQL its sessions are read-only. Each new connection checks, with one SELECT of
``alembic_version``, that the schema is the one this code needs, and says which command
upgrades it when it is older.

``connect_for_writing(url)`` is for the commands that change the database (``init``,
``load``, ``serve``, thesis updates, ``prices fetch``): it brings the schema up to date
with Alembic, and on SQLite switches the file to write-ahead logging (WAL), so readers
and the one writer do not block each other.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from conviction.errors import DataError, StoreError

__all__ = [
    "HEAD_REVISION",
    "REVISIONS",
    "connect",
    "connect_for_writing",
    "read_only_sqlite_uri",
    "upgrade",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

#: Every schema revision of ``migrations/versions``, oldest first; the last is the head.
#: Kept by hand so that reads need not import Alembic; a test checks it against Alembic.
REVISIONS = ("0001_book", "0002_theses")
HEAD_REVISION = REVISIONS[-1]

_UPGRADE_HINT = "run `conviction init` (or `conviction load PATH`) to upgrade it"
_NO_BOOK = "holds no book yet: run `conviction load PATH` first"


def connect(url: str) -> Engine:
    """An engine that only reads ``url`` (``sqlite:///file.db`` or
    ``postgresql+psycopg://...``), at the schema revision this code needs.

    Never migrates and never changes the database. Raises ``StoreError`` (on the first
    connection) when the schema is older or unknown, ``DataError`` when there is no book.
    """
    parsed = _parse(url)
    where = _where(parsed)
    # no pool: a read holds no connection open after it (a command's reads leave nothing)
    engine = _create(parsed, url, poolclass=NullPool)
    if engine.dialect.name == "sqlite" and parsed.database not in (None, "", ":memory:"):
        event.listen(engine, "do_connect", _open_sqlite_read_only(where))
    dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
    name = engine.dialect.name

    def on_connect(dbapi_connection: Any, _record: object) -> None:
        try:
            _check_revision(dbapi_connection, name, dbapi_error, where)
            _read_only_session(dbapi_connection, name)
        except dbapi_error as exc:
            dbapi_connection.close()
            raise StoreError(f"cannot read the database at {where}: {exc}") from None
        except BaseException:
            dbapi_connection.close()
            raise

    event.listen(engine, "connect", on_connect)
    return engine


def connect_for_writing(url: str) -> Engine:
    """An engine that may write ``url``, with the schema migrated to the newest revision
    (on SQLite, in WAL mode). Only commands that change the database use it."""
    engine = _create(_parse(url), url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_write_pragmas)
    upgrade(engine)
    return engine


def upgrade(engine: Engine) -> None:
    """Apply every migration the database lacks, in one transaction (a writing engine:
    see ``connect_for_writing``)."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.util import CommandError

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            found = MigrationContext.configure(conn).get_current_heads()
            unknown = [r for r in found if r not in REVISIONS]
            if unknown:
                raise StoreError(_unknown_message(_where(engine.url), unknown))
            config.attributes["connection"] = conn
            command.upgrade(config, "heads")
    except (SQLAlchemyError, CommandError) as exc:
        raise StoreError(f"cannot migrate the database at {_where(engine.url)}: {exc}") from None


def has_book(engine: Engine) -> bool:
    return "book" in inspect(engine).get_table_names()


# --- engines --------------------------------------------------------------------------------


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(f"cannot use database URL {url!r}: {exc}") from None


def _create(url: URL, given: str, **options: Any) -> Engine:
    try:
        return create_engine(url, **options)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise StoreError(f"cannot use database URL {given!r}: {exc}") from None


def _where(url: URL) -> str:
    """The database as a person names it: the file for SQLite, the URL without password."""
    if url.get_backend_name() == "sqlite":
        path = _sqlite_file(url)
        if path is not None:
            return str(path)
    return url.render_as_string(hide_password=True)


def _sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL; None for an in-memory database or a ``file:`` URI."""
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(os.path.abspath(db))


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
    import sqlite3

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


def _open_sqlite_read_only(where: str) -> Any:
    """The ``do_connect`` hook of a reading SQLite engine: open the file read-only."""

    def do_connect(dialect: Any, _record: object, cargs: list[Any], cparams: dict[str, Any]) -> Any:
        filename = str(cargs[0])
        if cparams.get("uri") and filename.startswith("file:"):  # a URI of the caller's
            head, _, query = filename.partition("?")
            params = [p for p in query.split("&") if p and not p.startswith("mode=")]
            uri = f"{head}?{'&'.join([*params, 'mode=ro'])}"
        else:
            if not Path(filename).is_file():
                raise DataError(
                    f"there is no database at {where} yet: run `conviction load PATH` first"
                )
            uri = read_only_sqlite_uri(filename)
        cparams["uri"] = True
        return dialect.connect(uri, *cargs[1:], **cparams)

    return do_connect


def _sqlite_write_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: durable at checkpoints
    cursor.close()


def _read_only_session(dbapi_connection: Any, dialect: str) -> None:
    """Make every later statement on this connection a read (the database refuses writes)."""
    cursor = dbapi_connection.cursor()
    try:
        if dialect == "sqlite":
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA query_only=ON")
        elif dialect == "postgresql":
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_connection.commit()  # a SET rolled back would be undone
    finally:
        cursor.close()


# --- the schema revision --------------------------------------------------------------------


def _check_revision(
    dbapi_connection: Any, dialect: str, dbapi_error: type[Exception], where: str
) -> None:
    """Raise unless the database is at ``HEAD_REVISION``: one SELECT when it is."""
    cursor = dbapi_connection.cursor()
    try:
        try:
            cursor.execute("SELECT version_num FROM alembic_version")
            found = sorted({str(row[0]) for row in cursor.fetchall()})
        except dbapi_error:
            found = []
        dbapi_connection.rollback()  # end the reading transaction (PostgreSQL aborted it)
        if found == [HEAD_REVISION]:
            return
        if not found:
            tables = _table_names(cursor, dialect)
            dbapi_connection.rollback()
            if "book" in tables:
                raise StoreError(
                    f"the database at {where} has conviction's tables but no schema revision "
                    f"(no row in alembic_version): it was not made by `conviction init`"
                )
            raise DataError(f"the database at {where} {_NO_BOOK}")
    finally:
        cursor.close()
    unknown = [r for r in found if r not in REVISIONS]
    if unknown:
        raise StoreError(_unknown_message(where, unknown))
    raise StoreError(
        f"the database at {where} has schema revision {', '.join(found)}, this conviction "
        f"needs {HEAD_REVISION}: {_UPGRADE_HINT}"
    )


def _table_names(cursor: Any, dialect: str) -> set[str]:
    if dialect == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    return {str(row[0]) for row in cursor.fetchall()} - {"alembic_version"}


def _unknown_message(where: str, unknown: list[str]) -> str:
    return (
        f"the database at {where} has schema revision {', '.join(unknown)}, which this "
        f"conviction does not know (it knows {', '.join(REVISIONS)}): the database was "
        "written by a newer conviction, or is not a conviction database"
    )
