"""The same schema and code on a real PostgreSQL server, started by the test itself.

Runs when PostgreSQL's server binaries and the psycopg driver are installed (the test setup,
`.ci/ensure-services.sh`, installs them); skips with the reason otherwise.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conviction.io import read_book
from conviction.ledger import status
from conviction.store import connect, count_rows
from conviction.store import read_book as read_stored
from conviction.store.loading import load_books


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    pytest.importorskip("psycopg", reason="the psycopg driver is not installed")
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("PostgreSQL server binaries are not installed")
    bindir = Path(found[-1]).parent
    root = tempfile.mkdtemp(prefix="conviction-pg-")
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = f"{root}/data", _free_port()
    subprocess.run(
        [*as_user, str(bindir / "initdb"), "-D", data, "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_user,
            str(bindir / "pg_ctl"),
            "-D",
            data,
            "-l",
            f"{root}/log",
            "-w",
            "-o",
            f"-p {port} -k {root} -h 127.0.0.1",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 20
        while (
            subprocess.run(
                [str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                check=False,
                capture_output=True,
            ).returncode
            != 0
        ):
            if time.monotonic() > deadline:
                pytest.fail("PostgreSQL did not start: " + Path(f"{root}/log").read_text())
            time.sleep(0.2)
        yield url
    finally:
        subprocess.run(
            [*as_user, str(bindir / "pg_ctl"), "-D", data, "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def test_example_on_postgres_matches_sqlite(pg_url: str, example_dir: Path, db_url: str) -> None:
    book = read_book(example_dir)
    day = dt.date(2025, 11, 14)
    results = {}
    for url in (pg_url, db_url):
        engine = connect(url)
        for _ in range(2):  # loading twice changes nothing
            load_books(engine, [(example_dir / "book.toml", book)])
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
    engine = connect(pg_url)
    load_books(engine, [(example_dir / "book.toml", read_book(example_dir))])
    with engine.connect() as conn:
        before = count_rows(conn)
    bad = tmp_path / "bad"
    shutil.copytree(example_dir, bad)
    with (bad / "transactions.csv").open("a") as fh:
        fh.write("2025-11-14,ron,tesla,sell,1e12,400,0\n")
    from conviction.errors import LedgerError

    with pytest.raises(LedgerError):
        book = read_book(bad)
        load_books(engine, [(bad / "book.toml", book)])
    with engine.connect() as conn:
        assert count_rows(conn) == before
    engine.dispose()
