"""The same schema and code on a real PostgreSQL server, started by the test itself:
loads, the read commands (same numbers as SQLite, nothing changed by a read), a web write.

Runs when PostgreSQL's server binaries and the psycopg driver are installed (the test setup,
`.ci/ensure-services.sh`, installs them); skips with the reason otherwise.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import SQLAlchemyError
from typer.testing import CliRunner

from conviction.cli import app as cli
from conviction.errors import StoreError
from conviction.io import read_book
from conviction.ledger import status
from conviction.store import connect, connect_for_writing, count_rows
from conviction.store import read_book as read_stored
from conviction.store.engine import HEAD_REVISION, MIGRATIONS, REVISIONS
from conviction.store.loading import load_book

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
READS = [["status"], ["history"], ["gains"], ["history", "--freq", "D", "--account", "ron"]]
BUY = {
    "date": "2025-11-14",
    "account": "ron",
    "company": "tesla",
    "action": "buy",
    "quantity": 1000,
    "price": 404.35,
}


def test_example_on_postgres_matches_sqlite(pg_url: str, example_dir: Path, db_url: str) -> None:
    book = read_book(example_dir)
    day = dt.date(2025, 11, 14)
    results = {}
    for url in (pg_url, db_url):
        engine = connect_for_writing(url)
        for _ in range(2):  # loading twice changes nothing
            load_book(engine, example_dir / "book.toml", book)
        with engine.connect() as conn:
            assert count_rows(conn)["transactions"] == len(book.transactions)
        stored = read_stored(engine)
        engine.dispose()
        results[url] = status(stored, day)
    pg, lite = results[pg_url], results[db_url]
    assert pg.total_value == pytest.approx(lite.total_value, rel=1e-12)
    assert [c.company for c in pg.by_company] == [c.company for c in lite.by_company]
    assert pg.stale_marks == lite.stale_marks


def test_failed_load_changes_nothing_on_postgres(
    pg_url: str, example_dir: Path, tmp_path: Path
) -> None:
    engine = connect_for_writing(pg_url)
    load_book(engine, example_dir / "book.toml", read_book(example_dir))
    with engine.connect() as conn:
        before = count_rows(conn)
    bad = tmp_path / "bad"
    shutil.copytree(example_dir, bad)
    with (bad / "transactions.csv").open("a") as fh:
        fh.write("2026-09-30,ron,tesla,sell,1e12,400,0\n")  # after the example's last row
    from conviction.errors import LedgerError

    with pytest.raises(LedgerError):
        book = read_book(bad)
        load_book(engine, bad / "book.toml", book)
    with engine.connect() as conn:
        assert count_rows(conn) == before
    engine.dispose()


# --- reads and a web write on the same schema, against SQLite ----------------------------------


@pytest.fixture
def pg_db(pg_url: str) -> str:
    """A fresh, empty database on the server, for one test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_url.rsplit("/", 1)[0] + "/" + name


def cli_json(url: str, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--db", url, *args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout)


def load(url: str, example_dir: Path) -> None:
    """What ``conviction load`` does, with the engine closed after (no connection left)."""
    engine = connect_for_writing(url)
    load_book(engine, example_dir / "book.toml", read_book(example_dir))
    engine.dispose()


def pg_schema(url: str) -> list[Any]:
    """Every column, index and revision row: equal lists mean an unchanged schema."""
    engine = connect(url)
    with engine.connect() as conn:
        rows = [
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT table_name, column_name, data_type, is_nullable "
                "FROM information_schema.columns WHERE table_schema = current_schema() "
                "ORDER BY table_name, column_name"
            )
        ]
        rows += [
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = current_schema() ORDER BY indexname"
            )
        ]
        rows += [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM alembic_version")]
    engine.dispose()
    return rows


def same(a: Any, b: Any) -> None:
    """Equal JSON documents, floats equal to 1e-9 relative (two drivers, same doubles)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys()
        for k in a:
            same(a[k], b[k])
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            same(x, y)
    elif isinstance(a, float) or isinstance(b, float):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-9)
    else:
        assert a == b


def test_reads_on_postgres_match_sqlite_and_change_nothing(
    pg_db: str, db_url: str, example_dir: Path
) -> None:
    for url in (pg_db, db_url):
        load(url, example_dir)
    before = pg_schema(pg_db)
    assert before[-1] == (HEAD_REVISION,)
    for args in READS:
        same(cli_json(db_url, *args), cli_json(pg_db, *args))
    assert pg_schema(pg_db) == before


def test_the_read_engine_cannot_write_on_postgres(pg_db: str, example_dir: Path) -> None:
    load(pg_db, example_dir)
    engine = connect(pg_db)
    with engine.connect() as conn, pytest.raises(SQLAlchemyError, match="read-only"):
        conn.exec_driver_sql("CREATE TABLE intruder (x integer)")
    with engine.connect() as conn, pytest.raises(SQLAlchemyError, match="read-only"):
        conn.exec_driver_sql("UPDATE book SET name = 'changed'")
    engine.dispose()
    assert "intruder" not in str(pg_schema(pg_db))


def test_a_web_write_on_postgres_matches_sqlite(pg_db: str, db_url: str, example_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from conviction.web import create_app

    answers = {}
    for url in (pg_db, db_url):
        load(url, example_dir)
        engine = connect_for_writing(url)
        with TestClient(create_app(engine, TOKEN, ROOT, allowed_hosts=["testserver"])) as client:
            r = client.post("/api/v1/transactions", json={"transactions": [BUY]}, headers=AUTH)
            assert r.status_code in (200, 201), r.text
            status_after = client.get("/api/v1/status").json()
        engine.dispose()
        answers[url] = (r.json(), status_after, cli_json(url, "status"), cli_json(url, "gains"))
    same(answers[db_url], answers[pg_db])
    tesla = next(x for x in answers[pg_db][2]["by_company"] if x["company"] == "tesla")
    lite = next(x for x in answers[db_url][2]["by_company"] if x["company"] == "tesla")
    assert tesla["quantity"] == lite["quantity"]
    with connect(pg_db).connect() as conn:
        assert count_rows(conn)["transactions"] == len(read_book(example_dir).transactions) + 1


def test_an_older_schema_on_postgres_is_named_and_not_migrated(
    pg_db: str, example_dir: Path
) -> None:
    from alembic import command
    from alembic.config import Config

    load(pg_db, example_dir)
    engine = connect_for_writing(pg_db)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, REVISIONS[0])
    engine.dispose()
    before = pg_schema_raw(pg_db)
    for args in READS[:3]:
        result = CliRunner().invoke(cli, ["--db", pg_db, *args])
        assert isinstance(result.exception, StoreError), result.output
        message = str(result.exception)
        assert f"has schema revision {REVISIONS[0]}, this conviction needs {HEAD_REVISION}" in (
            message
        )
        assert "run `conviction init` (or `conviction load PATH`) to upgrade it" in message
        assert "postgres@127.0.0.1" in message
    assert pg_schema_raw(pg_db) == before


def pg_schema_raw(url: str) -> list[Any]:
    """The schema read without conviction's revision check (it refuses an older one)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, column_name"
        ).fetchall()
        return [*rows, *conn.execute("SELECT * FROM alembic_version").fetchall()]


def test_decimal_amounts_survive_load_and_export_exactly_on_postgres(
    pg_db: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The round trip of test_exact_amounts.py on NUMERIC columns, a few examples (and the
    stored values are NUMERIC with the file's scale: 1.10, not 1.1)."""
    import psycopg
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from test_exact_amounts import MARK, ROW, round_trip, write_book

    @settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        rows=st.lists(ROW, min_size=1, max_size=3),
        marks=st.lists(MARK, max_size=2),
        listing=st.booleans(),
    )
    def trip(rows: Any, marks: Any, listing: bool) -> None:
        work = tmp_path_factory.mktemp("pg-trip")
        write_book(work / "book", rows, marks, listing=listing)
        round_trip(pg_db, work / "book", work / "out")

    trip()
    work = tmp_path_factory.mktemp("pg-exact")
    write_book(
        work / "book", [("1.10", "123456789.123456789", "0.00", "0.9000000000000000001")], []
    )
    round_trip(pg_db, work / "book", work / "out")
    plain = pg_db.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        row = conn.execute(
            "SELECT quantity::text, price::text, fees::text, fx_rate::text, ref, "
            "pg_typeof(quantity)::text FROM transactions"
        ).fetchall()
    assert row == [
        ("1.10", "123456789.123456789", "0.00", "0.9000000000000000001", "broker-0", "numeric")
    ]
    book = read_stored(connect(pg_db))
    assert book.transactions["price"].tolist() == [123456789.12345679]
    assert book.transactions["fx_rate"].tolist() == [0.9]


def test_the_example_exported_from_postgres_is_its_files_and_0008_keeps_0007s_values(
    pg_db: str, example_dir: Path, tmp_path: Path
) -> None:
    """On NUMERIC columns too: the example's files come back byte for byte, its empty
    cells as NULL; at 0007 (downgraded) the defaults are values in NOT NULL columns, and
    the upgrade to 0008 keeps every one of them (the export is then 0007's), with the
    columns nullable; a load after stores the empty cells as NULL again."""
    import psycopg
    from alembic import command
    from alembic.config import Config

    plain = pg_db.replace("postgresql+psycopg://", "postgresql://")
    empty = (
        "SELECT count(*) FILTER (WHERE fees IS NULL), count(*) FILTER (WHERE quantity IS NULL),"
        " (SELECT count(*) FILTER (WHERE grade IS NULL) FROM mark) FROM transactions"
    )
    nullable = (
        "SELECT column_name, is_nullable, data_type FROM information_schema.columns WHERE "
        "table_name = 'transactions' AND column_name IN ('quantity', 'fees') ORDER BY 1"
    )

    def db(sql: str) -> list[Any]:
        with psycopg.connect(plain) as conn:
            return conn.execute(sql).fetchall()

    def export(out: Path) -> None:
        result = CliRunner().invoke(
            cli, ["--db", pg_db, "export", "--format", "csv", "--out", str(out)]
        )
        assert result.exit_code == 0, (result.output, result.exception)

    load(pg_db, example_dir)
    assert db(empty) == [(2, 1, 186)]  # baron: two empty fees, a listing, 186 grades
    assert db(nullable) == [("fees", "YES", "numeric"), ("quantity", "YES", "numeric")]
    export(tmp_path / "head")
    for name in ("transactions.csv", "marks.csv"):
        assert (tmp_path / "head" / name).read_bytes() == (example_dir / name).read_bytes()
    before = status(read_stored(connect(pg_db)), dt.date(2025, 11, 14))

    engine = connect_for_writing(pg_db)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    for verb, target in (("downgrade", "0007_exact_amounts"), ("upgrade", "head")):
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            getattr(command, verb)(config, target)
        if verb == "downgrade":
            assert db(empty) == [(0, 0, 0)]  # 0007: the defaults as values
            assert db(nullable) == [("fees", "NO", "numeric"), ("quantity", "NO", "numeric")]
    engine.dispose()
    assert db(empty) == [(0, 0, 0)]  # kept by the upgrade
    assert db(nullable) == [("fees", "YES", "numeric"), ("quantity", "YES", "numeric")]
    assert status(read_stored(connect(pg_db)), dt.date(2025, 11, 14)) == before
    export(tmp_path / "upgraded")
    text = (tmp_path / "upgraded" / "transactions.csv").read_text()
    assert "2026-06-12,,spacex,listing,1,,0," in text  # as 0007 stored it
    load(pg_db, example_dir)
    assert db(empty) == [(2, 1, 186)]
