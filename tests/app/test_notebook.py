"""``conviction.project`` and ``conviction.compare`` in a notebook: the CLI's answers, as
DataFrames and HTML."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import conviction as cv
from conviction.cli import app as cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
SPEC = EXAMPLE / "projection.toml"
POLICIES = [EXAMPLE / "policies" / "hold.toml", EXAMPLE / "policies" / "baron.toml"]


@pytest.fixture(scope="module")
def book() -> cv.Book:
    return cv.read_book(EXAMPLE)


@pytest.fixture(scope="module")
def cli_json(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:  # type: ignore[type-arg]
    """``project --json`` and ``compare --json`` on the example, as the CLI prints them."""
    db = f"sqlite:///{tmp_path_factory.mktemp('nb') / 'b.db'}"
    run = CliRunner()
    assert run.invoke(cli, ["--db", db, "load", str(EXAMPLE)]).exit_code == 0
    project = run.invoke(
        cli, ["--db", db, "project", "--config", str(SPEC), "--paths", "2000", "--json"]
    )
    assert project.exit_code == 0, project.output
    compare = run.invoke(
        cli,
        ["--db", db, "compare", "--config", str(SPEC), "--paths", "1000", "--json"]
        + [f"--policy={p}" for p in POLICIES],
    )
    assert compare.exit_code == 0, compare.output
    return {"project": json.loads(project.output), "compare": json.loads(compare.output)}


def test_project_is_the_clis_answer_as_frames(book: cv.Book, cli_json: dict) -> None:  # type: ignore[type-arg]
    report = cv.project(book, SPEC, paths=2000)
    printed = cli_json["project"]
    assert report.prob_target.estimate == printed["prob_target"]["estimate"]
    terminal = report.to_frame()
    assert list(terminal.index) == [
        "value",
        "multiple",
        "cagr",
        "holdings_multiple",
        "max_drawdown",
    ]
    for label, value in printed["holdings"]["multiple"].items():
        assert terminal.loc["holdings_multiple", label] == pytest.approx(value, rel=1e-12)
    for label, value in printed["terminal"]["multiple"].items():
        got = terminal.loc["multiple", label]
        assert (value is None and math.isnan(got)) or got == pytest.approx(value, rel=1e-12)
    fan = report.to_frame("fan")
    assert list(fan.index) == list(range(printed["years"] + 1))
    assert fan.loc[0, "p50"] == pytest.approx(printed["start_value"], rel=1e-12)
    assert fan.loc[printed["years"], "p95"] == pytest.approx(printed["fan"][-1]["p95"], rel=1e-12)
    companies = report.to_frame("companies")
    assert list(companies.index) == [c["company"] for c in printed["companies"]]
    html = report._repr_html_()
    assert "P(whole book &gt;= 5x in 10 years)" in html and "<table" in html
    assert "holdings alone" in html
    with pytest.raises(ValueError, match="unknown table 'nope'"):
        report.to_frame("nope")


def test_compare_is_the_clis_answer_as_frames(book: cv.Book, cli_json: dict) -> None:  # type: ignore[type-arg]
    report = cv.compare(book, SPEC, [str(p) for p in POLICIES], paths=1000)
    printed = cli_json["compare"]
    frame = report.to_frame()
    assert list(frame.index) == [p["policy"] for p in printed["policies"]]
    for p in printed["policies"]:
        assert frame.loc[p["policy"], "p(5x)"] == p["book"]["prob_target"]["5"]
        assert frame.loc[p["policy"], "median_multiple"] == p["book"]["median_multiple"]
    accounts = report.to_frame("accounts")
    assert set(accounts.index.get_level_values("account")) == {"partners", "ron"}
    assert len(accounts) == 2 * len(POLICIES)
    assert "<table" in report._repr_html_()
