"""The bundled example reproduces the article's headline figures (DESIGN.md, seed facts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from conviction.cli import app


@pytest.fixture(scope="module")
def status_2025(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db = f"sqlite:///{tmp_path_factory.mktemp('example') / 'baron.db'}"
    runner = CliRunner()
    example = Path(__file__).resolve().parents[1] / "examples" / "baron"
    loaded = runner.invoke(app, ["--db", db, "load", str(example)])
    assert loaded.exit_code == 0, loaded.output
    result = runner.invoke(app, ["--db", db, "status", "--as-of", "2025-11-14", "--json"])
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    personal = runner.invoke(
        app, ["--db", db, "status", "--as-of", "2025-11-14", "--account", "ron", "--json"]
    )
    payload["personal"] = json.loads(personal.stdout)
    return payload


def by(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {r[key]: r for r in rows}


def test_status_json_has_the_documented_shape(status_2025: dict[str, Any]) -> None:
    for key in (
        "as_of",
        "total_value",
        "cash",
        "by_company",
        "by_person",
        "by_account",
        "hhi",
        "stale_marks",
    ):
        assert key in status_2025
    company = status_2025["by_company"][0]
    assert {"company", "value", "weight", "cost", "unrealized_gain", "realized_gain"} <= set(
        company
    )
    assert {"name", "value", "weight", "gain"} <= set(status_2025["by_person"][0])
    assert {"account", "kind", "value", "gain"} <= set(status_2025["by_account"][0])
    assert status_2025["as_of"] == "2025-11-14"


def test_gains_match_the_article(status_2025: dict[str, Any]) -> None:
    companies = by(status_2025["by_company"], "company")
    tesla, spacex = companies["tesla"], companies["spacex"]
    tesla_gain = tesla["unrealized_gain"] + tesla["realized_gain"]
    spacex_gain = spacex["unrealized_gain"] + spacex["realized_gain"]
    assert tesla_gain == pytest.approx(8e9, rel=0.05)  # "$8B from Tesla"
    assert spacex_gain == pytest.approx(4e9, rel=0.05)  # "$4B from SpaceX"
    assert tesla_gain + spacex_gain > 12e9 * 0.98  # "more than $12B"


def test_personal_account_matches_the_article(status_2025: dict[str, Any]) -> None:
    personal = status_2025["personal"]
    weights = by(personal["by_company"], "company")
    assert weights["tesla"]["weight"] == pytest.approx(0.40, abs=0.02)
    assert weights["spacex"]["weight"] == pytest.approx(0.25, abs=0.02)
    musk = by(personal["by_person"], "name")["musk"]
    assert musk["weight"] == pytest.approx(0.65, abs=0.02)
    # the last seller: the personal account has sold nothing
    assert weights["tesla"]["realized_gain"] == 0


def test_private_marks_are_reported_with_age(status_2025: dict[str, Any]) -> None:
    stale = by(status_2025["stale_marks"], "company")
    assert set(stale) == {"spacex", "xai"}
    assert stale["spacex"]["last_mark_date"] == "2025-07-15"
    assert stale["spacex"]["age_days"] == 122


def test_example_marks_are_real_closes(shared_data: Path) -> None:
    """Each Tesla close written into the example equals the real (split-adjusted) series
    times the splits that came after it."""
    example = Path(__file__).resolve().parents[1] / "examples" / "baron"
    marks = pd.read_csv(example / "marks.csv")
    closes = pd.read_csv(shared_data / "prices" / "TSLA.csv", index_col=0)["close"]
    tesla = marks[marks["company"] == "tesla"]
    assert len(tesla) >= 5
    for _, row in tesla.iterrows():
        factor = 15 if row["date"] < "2020-08-31" else 3 if row["date"] < "2022-08-25" else 1
        assert row["price"] == pytest.approx(closes[row["date"]] * factor, rel=1e-6)
