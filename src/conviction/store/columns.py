"""Reading a book's large tables as columns, through ADBC (Arrow Database Connectivity).

A million transactions fetched as Python tuples (the DB-API way) cost about 2.5 s in the
``sqlite3`` driver alone, before any conversion: one Python object per value. ADBC's
SQLite and PostgreSQL drivers hand back Arrow columns instead, with no per-value Python
object, so the whole table arrives in about half that time and converts to NumPy at C speed
(measured in ``benchmarks/bench_commands.py``; figures in docs/benchmarks.md).

Only a read of committed rows goes this way (``open_adbc`` opens a read-only connection of
its own). A read inside a caller's transaction (a load re-validating what it is about to
commit) uses that transaction's connection instead (``store.reading``). Where ADBC or its
driver is not installed, or the database is another kind, ``open_adbc`` returns None and
the caller falls back to the DB-API cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["ColumnReader", "column_reader", "sqlite_column_reader"]

#: Runs a SELECT of the given columns (with their kinds) and returns the rows as a frame.
ColumnReader = Callable[[str, Sequence[str], dict[str, str]], pd.DataFrame]


def column_reader(engine: Engine) -> ColumnReader | None:
    """The columnar reader of ``engine``'s committed rows; None where ADBC cannot read it."""
    url = engine.url
    name = engine.dialect.name
    if name == "sqlite" and url.database not in (None, "", ":memory:"):
        if str(url.database).startswith("file:"):
            return None
        return sqlite_column_reader(str(url.database))
    if name == "postgresql":
        try:
            import adbc_driver_postgresql.dbapi as adbc_pg
        except ImportError:
            return None
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return _reader(lambda: adbc_pg.connect(plain), "postgresql")
    return None


def sqlite_column_reader(filename: str) -> ColumnReader | None:
    """The columnar reader of the SQLite file ``filename`` (opened read-only: a read must
    never create, migrate or re-journal the file); None without ADBC's SQLite driver, and
    in a process that writes a database (``engine.writes_in_process``: why there)."""
    from conviction.store import engine

    if engine.writes_in_process:
        return None
    try:
        import adbc_driver_sqlite.dbapi as adbc_sqlite
    except ImportError:
        return None
    from conviction.store.sqlite_files import read_only_sqlite_uri

    return _reader(lambda: adbc_sqlite.connect(read_only_sqlite_uri(filename)), "sqlite")


def _reader(connect: Callable[[], Any], dialect: str) -> ColumnReader:
    def read(sql: str, columns: Sequence[str], kinds: dict[str, str]) -> pd.DataFrame:
        return _read_columns(connect(), dialect, sql, columns, kinds)

    return read


def _read_columns(
    connection: Any, dialect: str, sql: str, columns: Sequence[str], kinds: dict[str, str]
) -> pd.DataFrame:
    """Run ``sql`` (selecting ``columns``, in that order) and return its rows as a frame,
    each column converted by its kind: "date", "float", "int" or "text" (NULL → "")."""
    try:
        cursor = connection.cursor()
        if dialect == "sqlite":
            # SQLite's driver infers each column's type from its first batch, so a column
            # that is NULL in the first rows and REAL later would fail: one batch for the
            # whole result lets it see every value. Sized to the result (the driver
            # reserves memory for a whole batch: a fixed huge size would reserve hundreds
            # of GB of address space, and then fork() fails).
            cursor.execute(f"SELECT count(*) FROM ({sql})")
            rows = int(cursor.fetchone()[0])
            batch = str(max(1024, rows + rows // 8))  # room for rows added meanwhile
            cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": batch})
        cursor.execute(sql)
        table = cursor.fetch_arrow_table()
        cursor.close()
    finally:
        connection.close()
    return pd.DataFrame(
        {name: _convert(table.column(i), kinds[name]) for i, name in enumerate(columns)},
        columns=list(columns),
    )


def _convert(column: Any, kind: str) -> np.ndarray | pd.Series:
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == "float":
        return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False))
    if kind == "int":
        filled = pc.fill_null(pc.cast(column, pa.int64()), 0)
        return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.int64)
    if kind == "date":
        if pa.types.is_date(column.type):  # PostgreSQL: a real DATE column
            days = column.cast(pa.date32()).to_numpy(zero_copy_only=False)
            return np.asarray(days).astype("datetime64[D]")
        # SQLite stores ISO text: convert each distinct date once
        encoded = pc.dictionary_encode(column).combine_chunks()
        distinct = np.array(encoded.dictionary.to_pylist(), dtype="datetime64[D]")
        codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        return distinct[codes]
    # kept as Arrow strings: pandas' own text dtype, with no Python object per value
    text: pd.Series = pd.Series(pc.fill_null(pc.cast(column, pa.string()), ""), dtype="str")
    return text
