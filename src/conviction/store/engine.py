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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from conviction.errors import DataError, StoreError
from conviction.store.revision import HEAD_REVISION, REVISIONS, check_revision, unknown_message
from conviction.store.sqlite_files import read_only_sqlite_uri

__all__ = [
    "HEAD_REVISION",
    "REVISIONS",
    "connect",
    "connect_for_writing",
    "lock_for_writing",
    "place_of",
    "read_only_sqlite_uri",
    "upgrade",
    "writing",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def connect(url: str) -> Engine:
    """An engine that only reads ``url`` (``sqlite:///file.db`` or
    ``postgresql+psycopg://...``), at the schema revision this code needs.

    Never migrates and never changes the database. Raises ``StoreError`` (on the first
    connection) when the schema is older or unknown, ``DataError`` when there is no book.
    """
    parsed = _parse(url)
    where = place_of(parsed)
    # no pool: a read holds no connection open after it (a command's reads leave nothing)
    engine = _create(parsed, url, poolclass=NullPool)
    if engine.dialect.name == "sqlite" and parsed.database not in (None, "", ":memory:"):
        event.listen(engine, "do_connect", _open_sqlite_read_only(where))
    dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
    name = engine.dialect.name

    def on_connect(dbapi_connection: Any, _record: object) -> None:
        try:
            check_revision(dbapi_connection, name, dbapi_error, where)
            _read_only_session(dbapi_connection, name)
        except dbapi_error as exc:
            dbapi_connection.close()
            raise StoreError(f"cannot read the database at {where}: {exc}") from None
        except BaseException:
            dbapi_connection.close()
            raise

    event.listen(engine, "connect", on_connect)
    return engine


#: Set once this process has opened a database for writing (``connect_for_writing``).
#: From then on SQLite is never read through ADBC in it: ADBC's driver carries its own copy
#: of SQLite, and two copies in one process release each other's POSIX file locks, so a
#: read through one while the other writes can see a WAL reset under it (the web server,
#: reading through ADBC beside its own writes, died of SIGBUS under a mixed load).
writes_in_process = False


def connect_for_writing(url: str) -> Engine:
    """An engine that may write ``url``, with the schema migrated to the newest revision
    (on SQLite, in WAL mode). Only commands that change the database use it."""
    global writes_in_process
    writes_in_process = True
    engine = _create(_parse(url), url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_write_pragmas)
    upgrade(engine)
    return engine


@contextmanager
def writing(url: str) -> Iterator[Engine]:
    """``connect_for_writing(url)`` for one command: its pooled connections are closed
    when the block ends (a command run in process, as the tests run them, leaves none)."""
    engine = connect_for_writing(url)
    try:
        yield engine
    finally:
        engine.dispose()


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
            lock_for_writing(conn)  # two first loads of a new file: one migrates, one waits
            found = MigrationContext.configure(conn).get_current_heads()
            unknown = [r for r in found if r not in REVISIONS]
            if unknown:
                raise StoreError(unknown_message(place_of(engine.url), unknown))
            config.attributes["connection"] = conn
            command.upgrade(config, "heads")
    except (SQLAlchemyError, CommandError) as exc:
        raise StoreError(f"cannot migrate the database at {place_of(engine.url)}: {exc}") from None


#: The PostgreSQL advisory lock every load and migration takes (conviction's own number).
_WRITE_LOCK = 0x636F6E76  # "conv"
#: How long a load waits for another writer before it gives up (SQLite's driver default).
LOCK_WAIT_S = 5

BUSY = "another load or write is running on the database at {where}: try again when it ends"


def lock_for_writing(conn: Connection) -> None:
    """Make ``conn``'s transaction (begun here) hold the database's write lock, waiting up
    to ``LOCK_WAIT_S`` for another writer: SQLite's ``BEGIN IMMEDIATE`` (the driver would
    begin a deferred one, which a concurrent writer can invalidate), PostgreSQL's
    transaction-scoped advisory lock. Raises ``StoreError`` (``BUSY``) after the wait."""
    where = place_of(conn.engine.url)
    try:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT_S}s'")
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITE_LOCK})")
    except OperationalError as exc:
        if is_busy(exc):
            raise StoreError(BUSY.format(where=where)) from None
        raise


def is_busy(exc: OperationalError) -> bool:
    """Whether the database refused ``exc``'s statement because another writer holds it."""
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text or "lock timeout" in text


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


def place_of(url: URL) -> str:
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
