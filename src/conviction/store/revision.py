"""The schema revision a database is at, checked with one SELECT and no Alembic.

Every connection that reads (SQLAlchemy's reading engine, the direct SQLite reader) asks
``check_revision`` first; only ``connect_for_writing`` migrates.
"""

from __future__ import annotations

from typing import Any

from conviction.errors import DataError, StoreError

__all__ = ["HEAD_REVISION", "REVISIONS", "UPGRADE_HINT", "check_revision", "unknown_message"]

#: Every schema revision of ``migrations/versions``, oldest first; the last is the head.
#: Kept by hand so that reads need not import Alembic; a test checks it against Alembic.
REVISIONS = (
    "0001_book",
    "0002_theses",
    "0003_milestone_effects",
    "0004_book_changes",
    "0005_corporate_actions",
    "0006_refs_and_calendar",
    "0007_exact_amounts",
    "0008_empty_cells",
)
HEAD_REVISION = REVISIONS[-1]

UPGRADE_HINT = "run `conviction init` (or `conviction load PATH`) to upgrade it"
NO_BOOK = "holds no book yet: run `conviction load PATH` first"


def check_revision(
    dbapi_connection: Any, dialect: str, dbapi_error: type[Exception], where: str
) -> None:
    """Raise unless the database is at ``HEAD_REVISION``: one SELECT when it is.

    ``StoreError`` for an older, unknown or missing revision; ``DataError`` when the
    database holds no book at all.
    """
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
            raise DataError(f"the database at {where} {NO_BOOK}")
    finally:
        cursor.close()
    unknown = [r for r in found if r not in REVISIONS]
    if unknown:
        raise StoreError(unknown_message(where, unknown))
    raise StoreError(
        f"the database at {where} has schema revision {', '.join(found)}, this conviction "
        f"needs {HEAD_REVISION}: {UPGRADE_HINT}"
    )


def unknown_message(where: str, unknown: list[str]) -> str:
    return (
        f"the database at {where} has schema revision {', '.join(unknown)}, which this "
        f"conviction does not know (it knows {', '.join(REVISIONS)}): the database was "
        "written by a newer conviction, or is not a conviction database"
    )


def _table_names(cursor: Any, dialect: str) -> set[str]:
    if dialect == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    return {str(row[0]) for row in cursor.fetchall()} - {"alembic_version"}
