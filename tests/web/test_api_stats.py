"""`GET /api/v1/stats` answers what the report and the dashboard show for the same book
(`conviction.app.stats.book_stats`, one definition), at the frequency of the marks by
default, with `frequency` to ask for another; bad input is a 4xx naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conviction.app.report import ReportRequest, gather
from conviction.report.data import ReportData
from conviction.store import connect
from needs_data import need

ROOT = Path(__file__).resolve().parents[2]
GSPC = ROOT.parent / "shared" / "data" / "prices" / "GSPC.csv"


@pytest.fixture(scope="module", autouse=True)
def _gspc() -> None:
    need(GSPC)  # first of the module's fixtures: they read it


@pytest.fixture(scope="module")
def report(baron_template: Path) -> ReportData:
    """`conviction report --benchmark GSPC.csv`'s data (the report's workflow)."""
    engine = connect(f"sqlite:///{baron_template}")
    try:
        return gather(engine, ReportRequest(benchmark=GSPC))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def api(baron_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The API over a copy of the example, the workspace a folder holding GSPC.csv."""
    import shutil

    from conftest import TEST_HOSTS, TOKEN
    from conviction.store import connect_for_writing
    from conviction.web import create_app

    where = tmp_path_factory.mktemp("stats")
    shutil.copy(baron_template, where / "baron.db")
    shutil.copy(GSPC, where / "GSPC.csv")
    engine = connect_for_writing(f"sqlite:///{where / 'baron.db'}")
    with TestClient(create_app(engine, TOKEN, where, allowed_hosts=TEST_HOSTS)) as c:
        yield c
    engine.dispose()


def test_the_api_answers_the_reports_statistics(api: TestClient, report: ReportData) -> None:
    got = api.get("/api/v1/stats", params={"benchmark": "GSPC.csv"})
    assert got.status_code == 200, got.text
    stats = got.json()
    mine = report.stats
    assert mine.frequency == "monthly"  # the example's marks: about monthly
    assert stats["frequency"] == mine.frequency and stats["periods"] == 12
    assert stats["marks"]["frequency"] == "monthly"
    assert stats["observations"] == mine.observations
    assert stats["cagr"] == pytest.approx(mine.cagr, rel=1e-12)
    assert stats["volatility"] == pytest.approx(mine.volatility, rel=1e-12)
    assert stats["max_drawdown"] == pytest.approx(mine.max_drawdown, rel=1e-12)
    assert mine.benchmark is not None
    assert stats["benchmark"]["beta"] == pytest.approx(mine.benchmark.beta, rel=1e-12)
    assert stats["benchmark"]["correlation"] == pytest.approx(mine.benchmark.correlation, rel=1e-12)
    assert round(stats["benchmark"]["beta"], 2) == 1.44  # the daily figure was 0.03
    assert stats["warnings"] == []


def test_the_api_equals_conviction_stats_on_the_books_index(
    api: TestClient, report: ReportData, tmp_path: Path
) -> None:
    """The book's growth of 1 (the report's, on the XNYS sessions) written as a price file:
    `conviction stats FILE --benchmark GSPC.csv` finds the same frequency, CAGR and beta."""
    import json

    from conviction.cli import app

    h = report.history
    lines = [f"{d},{v!r}" for d, v in zip(h.days, h.index.tolist(), strict=True)]
    book = tmp_path / "book.csv"
    book.write_text("date,close\n" + "\n".join(lines) + "\n")
    run = CliRunner().invoke(app, ["stats", str(book), "--benchmark", str(GSPC), "--json"])
    assert run.exit_code == 0, run.output
    cli = json.loads(run.stdout)
    stats = api.get("/api/v1/stats", params={"benchmark": "GSPC.csv"}).json()
    assert cli["frequency"] == stats["frequency"] == "monthly"
    assert stats["cagr"] == pytest.approx(cli["cagr"], rel=1e-9)
    assert stats["benchmark"]["beta"] == pytest.approx(cli["benchmark"]["beta"], rel=1e-9)


def test_a_frequency_asked_for(api: TestClient, report: ReportData) -> None:
    daily = api.get("/api/v1/stats", params={"frequency": "daily"}).json()
    assert daily["frequency"] == "daily" and daily["periods"] == 252  # XNYS sessions
    assert daily["observations"] == report.history.days.size - 1
    assert "forward-filled" in daily["warnings"][0]  # daily figures of monthly marks
    quarterly = api.get("/api/v1/stats", params={"frequency": "quarterly"}).json()
    assert quarterly["frequency"] == "quarterly" and quarterly["periods"] == 4
    assert quarterly["benchmark"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"frequency": "hourly"}, "frequency"),
        ({"frequency": "weekly"}, "frequency"),  # the marks are about monthly
        ({"benchmark": "nope.csv"}, None),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(
    api: TestClient, params: dict[str, str], field: str | None
) -> None:
    r = api.get("/api/v1/stats", params=params)
    assert 400 <= r.status_code < 500, r.text
    detail = r.json()["detail"]
    if params.get("frequency") == "hourly":  # refused by the query's own schema
        assert detail[0]["loc"] == ["query", "frequency"]
    elif field is not None:
        assert detail["field"] == field
        assert detail["message"].startswith("the book: weekly statistics need a mark every week")
        assert "no mark between 2014-06-10 and 2014-06-30" in detail["message"]
