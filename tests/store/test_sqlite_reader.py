"""The SQLite reader without SQLAlchemy: the same book as the engine's read, at a fraction
of the imports, with the same errors."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conviction.errors import DataError, StoreError
from conviction.io import read_book
from conviction.store import connect, connect_for_writing, read_book_at, write_book
from conviction.store import read_book as read_stored
from conviction.store.revision import HEAD_REVISION
from conviction.store.sqlite_files import plain_sqlite_file

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "baron"


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reader") / "baron.db"
    engine = connect_for_writing(f"sqlite:///{path}")
    with engine.begin() as conn:
        write_book(conn, read_book(EXAMPLE))
    engine.dispose()
    return path


def assert_same_book(a: object, b: object) -> None:
    for name in ("meta", "persons", "companies", "accounts"):
        assert getattr(a, name) == getattr(b, name), name
    for name in ("transactions", "marks", "fx"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_dtype=False)


def test_the_direct_read_is_the_engines_read(stored: Path) -> None:
    url = f"sqlite:///{stored}"
    direct = read_book_at(url)
    assert_same_book(direct, read_stored(connect(url)))
    assert len(direct.transactions) == 119  # the example's rows, sorted by date
    assert direct.transactions["date"].is_monotonic_increasing


def test_a_large_book_reads_the_same_through_arrow_and_through_tuples(
    stored: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past 5,000 rows the direct read takes ADBC's Arrow columns: the same frames."""
    from conviction.store import engine
    from conviction.store.columns import sqlite_column_reader

    monkeypatch.setattr(engine, "writes_in_process", False)  # as in a read command's process
    path = tmp_path / "large.db"
    shutil.copy(stored, path)
    with sqlite3.connect(path) as conn:  # 60 copies of the example's rows, ids interleaved
        conn.execute(
            "INSERT INTO transactions (date, account_id, company_id, action, quantity, price,"
            " fees, currency, fx_rate, lot, source, line) SELECT t.date, account_id,"
            " company_id, action, quantity, price, fees, currency, fx_rate, lot, source,"
            " line + 1000 * n.k FROM transactions t, (WITH RECURSIVE r(k) AS (SELECT 1 UNION"
            " ALL SELECT k + 1 FROM r WHERE k < 59) SELECT k FROM r) n ORDER BY random()"
        )
    url = f"sqlite:///{path}"
    assert sqlite_column_reader(str(path)) is not None  # ADBC's driver is installed
    direct = read_book_at(url)
    assert len(direct.transactions) == 119 * 60
    with sqlite3.connect(path) as conn:  # what SQLite's own ORDER BY gives
        lines = [r[0] for r in conn.execute("SELECT line FROM transactions ORDER BY date, id")]
    assert direct.transactions["line"].tolist() == lines
    assert_same_book(direct, read_stored(connect(url).connect()))


def test_a_process_that_writes_never_reads_sqlite_through_adbc(stored: Path) -> None:
    """ADBC's driver has its own copy of SQLite: beside this process's writes, two copies
    would release each other's file locks. After ``connect_for_writing`` it is not used."""
    from conviction.store import engine
    from conviction.store.columns import column_reader, sqlite_column_reader

    connect_for_writing(f"sqlite:///{stored}").dispose()
    assert engine.writes_in_process
    assert sqlite_column_reader(str(stored)) is None
    assert column_reader(connect(f"sqlite:///{stored}")) is None


def test_a_status_process_does_not_import_sqlalchemy(stored: Path) -> None:
    code = (
        "import sys\n"
        "from conviction.cli import main\n"
        f"sys.argv = ['conviction', '--db', {f'sqlite:///{stored}'!r}, 'status', '--json']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'alembic'}),"
        " file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert '"total_value"' in result.stdout
    assert result.stderr.strip() == "[]"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////tmp/a.db", "/tmp/a.db"),
        ("sqlite+pysqlite:////tmp/b c.db", "/tmp/b c.db"),
        ("sqlite:///:memory:", None),
        ("sqlite://", None),
        ("sqlite:///file:x.db?mode=ro&uri=true", None),
        ("sqlite:////tmp/a%20b.db", None),
        ("postgresql+psycopg://u@h/db", None),
    ],
)
def test_which_urls_the_direct_reader_takes(url: str, path: str | None) -> None:
    found = plain_sqlite_file(url)
    assert (str(found) if found else None) == path


def test_a_missing_file_and_an_older_schema_are_the_same_errors(
    stored: Path, tmp_path: Path
) -> None:
    with pytest.raises(DataError, match=r"there is no database at .* yet"):
        read_book_at(f"sqlite:///{tmp_path / 'none.db'}")
    assert not (tmp_path / "none.db").exists()
    older = tmp_path / "older.db"
    shutil.copy(stored, older)
    with sqlite3.connect(older) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001_book'")
    before = older.read_bytes()
    with pytest.raises(StoreError, match=f"needs {HEAD_REVISION}: run `conviction init`"):
        read_book_at(f"sqlite:///{older}")
    assert older.read_bytes() == before
