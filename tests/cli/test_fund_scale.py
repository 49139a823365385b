"""The CLI on a fund-shaped book (many accounts, many sales): tables show the largest rows
and say how to see the rest; --json keeps every one. The book is the benchmark's generator
at a small size, written to real files and loaded into a real SQLite database."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conviction.cli import app

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_book import make_book  # type: ignore[import-not-found]  # the benchmark's own generator


def _run(db_url: str, *args: str) -> str:
    result = CliRunner().invoke(app, ["--db", db_url, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def fund_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("fund")
    make_book(folder, n_tx=1_500, n_accounts=25, n_companies=5, years=2)
    url = f"sqlite:///{folder / 'fund.db'}"
    _run(url, "load", str(folder))
    return url


def test_status_lists_the_largest_accounts_and_json_all(fund_db: str) -> None:
    text = _run(fund_db, "status", "--as-of", "2011-12-30")
    assert "by account (the 20 largest)" in text
    assert "5 more accounts: see them with --account ID or --json" in text
    payload = json.loads(_run(fund_db, "status", "--as-of", "2011-12-30", "--json"))
    shown = [a for a in payload["by_account"]]
    assert len(shown) == 25
    # the table's 20 are the 20 largest by value
    largest = sorted(shown, key=lambda a: -a["value"])[:20]
    for line in largest:
        assert line["account"] in text


def test_gains_shows_the_largest_sales_and_json_all(fund_db: str) -> None:
    payload = json.loads(_run(fund_db, "gains", "--json"))
    assert len(payload["sales"]) > 30
    text = _run(fund_db, "gains")
    assert f"the 30 sales with the largest gains or losses, of {len(payload['sales'])}" in text
    assert f"every sale and lot: --json ({len(payload['sales'])} sales)" in text


def test_history_shows_the_largest_accounts_and_the_total(fund_db: str) -> None:
    text = _run(fund_db, "history", "--end", "2011-12-30")
    assert "the 20 largest of 25" in text
    assert "total" in text.split("value at month ends")[1]
    payload = json.loads(_run(fund_db, "history", "--end", "2011-12-30", "--json"))
    assert len(payload["accounts"]) == 25
