"""The web app on a fund-shaped book with no ``as_of`` (the benchmark's generator at a
small size): the dashboard and the API answer for the last recorded day, and a second
request is served from the book state's cached index and answers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from typer.testing import CliRunner

from conviction.cli import app as cli
from conviction.store import connect_for_writing
from conviction.web import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_book import make_book  # type: ignore[import-not-found]  # the benchmark's own generator

TOKEN = "test-token-0123456789abcdef"


@pytest.fixture(scope="module")
def fund(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("fund")
    make_book(folder, n_tx=800, n_accounts=12, n_companies=4, years=1)
    url = f"sqlite:///{folder / 'fund.db'}"
    result = CliRunner().invoke(cli, ["--db", url, "load", str(folder)])
    assert result.exit_code == 0, result.output
    engine = connect_for_writing(url)
    with TestClient(create_app(engine, TOKEN, folder, allowed_hosts=["testserver"])) as client:
        yield client
    engine.dispose()


def test_dashboard_of_a_book_without_a_date(fund: TestClient) -> None:
    page = fund.get("/")
    assert page.status_code == 200, page.text[:500]
    # the last trading day of the generated year: 252 business days from 2010-01-01
    assert "2010-12-16" in page.text


def test_the_index_is_built_once_per_book_state(fund: TestClient) -> None:
    ctx = fund.app.state.ctx  # type: ignore[attr-defined]
    first = fund.get("/api/v1/status")
    assert first.status_code == 200
    book = ctx.book()
    index = book.memo["index"]
    again = fund.get("/api/v1/status")
    assert again.json() == first.json()
    assert ctx.book() is book and book.memo["index"] is index


def test_a_read_request_reads_the_book_state_once(fund: TestClient) -> None:
    """The dashboard asks for the book and two cached answers: the row counts behind the
    book-state key are read once per kind of key, not once per question."""
    engine = fund.app.state.ctx.engine  # type: ignore[attr-defined]
    assert fund.get("/").status_code == 200  # warm: answers cached for this state
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "max(" in statement.lower():
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert fund.get("/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # one state without the theses (the book: 3 tables), one with them (5 tables)
    assert 0 < len(statements) <= 8
