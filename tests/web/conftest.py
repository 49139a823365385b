"""Fixtures of the web tests: the Baron example loaded into a real SQLite file once,
copied for each test that writes; a TestClient on an app over it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from typer.testing import CliRunner

from conviction.cli import app as cli
from conviction.store import connect_for_writing
from conviction.web import create_app

# A browser's page on a 2-core machine running the whole suite takes seconds: these are
# not timing tests (bench_pages.py times the pages).
expect.set_options(timeout=20_000)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
#: The hosts a test app answers to: the local names and TestClient's "testserver".
TEST_HOSTS = ("127.0.0.1", "localhost", "::1", "testserver")


@pytest.fixture(scope="session")
def baron_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example loaded once by ``conviction load`` (the file is copied per test)."""
    path = tmp_path_factory.mktemp("baron") / "baron.db"
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{path}", "load", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(path)  # fold the write-ahead log in, so one file holds it all
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return path


@pytest.fixture
def db_path(baron_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "baron.db"
    shutil.copy(baron_template, path)
    return path


@pytest.fixture
def db_url(db_path: Path) -> str:
    return f"sqlite:///{db_path}"


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    """An app over a fresh copy of the example; the workspace is the repository."""
    engine = connect_for_writing(db_url)
    with TestClient(create_app(engine, TOKEN, ROOT, allowed_hosts=TEST_HOSTS)) as c:
        yield c
    engine.dispose()


@pytest.fixture
def token() -> str:
    return TOKEN


@pytest.fixture
def auth() -> dict[str, str]:
    return dict(AUTH)


@pytest.fixture
def snapshot(db_path: Path) -> Callable[[], list[str]]:
    """Every row of every table as SQL text: equal snapshots mean an unchanged database."""

    def dump() -> list[str]:
        conn = sqlite3.connect(db_path)
        try:
            return list(conn.iterdump())
        finally:
            conn.close()

    return dump


@pytest.fixture
def cli_json(db_url: str) -> Callable[..., Any]:
    """Run a CLI command with --json on the same database and parse its stdout."""

    def run(*args: str) -> Any:
        result = CliRunner().invoke(cli, ["--db", db_url, *args, "--json"])
        assert result.exit_code == 0, (result.output, result.exception)
        return json.loads(result.stdout)

    return run
