"""The CLI faces of issue 8 on the bundled examples: gains, private, status and history
in another currency, as tables and as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conviction.cli import app
from conviction.io import read_book
from conviction.ledger import status
from conviction.ledger.gains import realized_gains
from conviction.ledger.private import private_measures

ROOT = Path(__file__).resolve().parents[2]
BARON, YEN = ROOT / "examples" / "baron", ROOT / "examples" / "yen-holder"


def _run(db_url: str, *args: str) -> str:
    result = CliRunner().invoke(app, ["--db", db_url, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def baron_db(db_url: str) -> str:
    _run(db_url, "load", str(BARON))
    return db_url


@pytest.fixture
def yen_db(db_url: str) -> str:
    _run(db_url, "load", str(YEN))
    return db_url


def test_gains_json_matches_the_api(baron_db: str) -> None:
    doc = json.loads(_run(baron_db, "gains", "--year", "2025", "--account", "partners", "--json"))
    report = realized_gains(read_book(BARON), year=2025, accounts=["partners"])
    assert doc["long_term_days"] == 365
    assert [s["date"] for s in doc["sales"]] == [str(s.date) for s in report.sales]
    for got, want in zip(doc["sales"], report.sales, strict=True):
        assert got["gain"] == pytest.approx(want.gain)
        assert len(got["lots"]) == len(want.lots)
        assert sum(lot["quantity"] for lot in got["lots"]) == pytest.approx(want.quantity)
    (year,) = doc["totals"]
    assert (year["year"], year["account"], year["currency"]) == (2025, "partners", "USD")
    assert year["gain"] == pytest.approx(sum(s["gain"] for s in doc["sales"]))
    table = _run(baron_db, "gains", "--year", "2025")
    assert "totals by tax year" in table and "long" in table


def test_private_table_and_json(baron_db: str) -> None:
    doc = json.loads(_run(baron_db, "private", "--json"))
    report = private_measures(read_book(BARON))
    assert [h["company"] for h in doc["holdings"]] == ["spacex", "xai"]
    for got, want in zip(doc["holdings"], report.holdings, strict=True):
        assert got["tvpi"] == pytest.approx(want.tvpi)
        assert got["mark_grade"] == want.mark_grade and got["mark_kind"] == want.mark_kind
    assert doc["total"]["company"] == "all private"
    # the residual is the value status gives the same holdings
    st = status(read_book(BARON))
    residual = sum(st.company(c).value for c in ("spacex", "xai"))
    assert doc["total"]["residual"] == pytest.approx(residual)
    table = _run(baron_db, "private", "--as-of", "2025-11-14")
    assert "TVPI" in table and "all private" in table


def test_status_and_history_in_another_currency(yen_db: str) -> None:
    doc = json.loads(_run(yen_db, "status", "--json"))
    assert doc["currency"] == "JPY"
    assert doc["price_effect"] + doc["currency_effect"] == pytest.approx(doc["total_gain"])
    (tesla,) = doc["by_company"]
    assert tesla["local_currency"] == "USD" and tesla["currency_effect"] > 0
    usd = json.loads(_run(yen_db, "status", "--currency", "usd", "--json"))
    assert usd["currency"] == "USD" and usd["currency_effect"] == 0
    assert usd["total_value"] * 154.64 == pytest.approx(doc["total_value"])
    hist = json.loads(_run(yen_db, "history", "--currency", "USD", "--json"))
    (acc,) = hist["accounts"]
    assert acc["base"]["currency"] == "JPY"
    assert acc["base"]["end_value"] == pytest.approx(doc["total_value"])
    table = _run(yen_db, "status")
    assert "currency effect" in table


def test_stale_rate_listed_on_a_day_without_one(yen_db: str) -> None:
    doc = json.loads(_run(yen_db, "status", "--as-of", "2025-11-17", "--json"))
    (rate,) = doc["stale_rates"]
    assert (rate["pair"], rate["last_rate_date"], rate["age_days"]) == ("USDJPY", "2025-11-14", 3)
    assert "DEXJPUS" in rate["source"]
    assert "stale exchange rates" in _run(yen_db, "status", "--as-of", "2025-11-17")


def test_a_report_currency_without_rates_is_missing_data(yen_db: str) -> None:
    from conviction.errors import DataError

    result = CliRunner().invoke(app, ["--db", yen_db, "status", "--currency", "EUR"])
    assert isinstance(result.exception, DataError)
    assert "USDEUR" in str(result.exception)
