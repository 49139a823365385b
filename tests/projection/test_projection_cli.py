"""`conviction project` on a real SQLite file holding the Baron example."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conviction.cli import app
from conviction.errors import FormatError, UnknownIdError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
CONFIG = EXAMPLE / "projection.toml"
runner = CliRunner()

ISSUE_KEYS = {
    "paths",
    "years",
    "seed",
    "start_value",
    "terminal",
    "prob_target",
    "required_cagr",
    "cagr",
    "max_drawdown",
    "fan",
    "companies",
}
PCTS = ["p5", "p25", "p50", "p75", "p95"]


def invoke(db: str, *args: str) -> Any:
    result = runner.invoke(app, ["--db", db, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


@pytest.fixture(scope="module")
def baron(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'baron.db'}"
    invoke(url, "load", str(EXAMPLE))
    return url


def test_json_has_what_the_issue_lists(baron: str) -> None:
    d = invoke(baron, "project", "--config", str(CONFIG), "--paths", "3000", "--json")
    assert set(d) >= ISSUE_KEYS
    assert (d["paths"], d["years"], d["seed"], d["target_multiple"]) == (3000, 10, 7, 5.0)
    for kind in ("value", "multiple"):
        assert set(d["terminal"][kind]) == {*PCTS, "mean"}
    assert set(d["prob_target"]) == {"estimate", "se"}
    assert d["required_cagr"] == pytest.approx(5**0.1 - 1)
    assert [row["year"] for row in d["fan"]] == list(range(11))
    assert d["fan"][0]["p50"] == pytest.approx(d["start_value"])
    assert d["fan"][-1]["p50"] == pytest.approx(d["terminal"]["value"]["p50"])
    assert [c["company"] for c in d["companies"]] == ["tesla", "spacex", "xai"]
    assert set(d["max_drawdown"]) == set(PCTS)
    # the start comes from the ledger: the whole book on the book's date, the holdings'
    # values and the cash (earning 0% a year by default)
    status = invoke(baron, "status", "--json")
    values = {line["company"]: line["value"] for line in status["by_company"]}
    assert d["holdings"]["start_value"] == pytest.approx(sum(values.values()))
    assert d["start_value"] == pytest.approx(sum(values.values()) + status["cash"])
    for c in d["companies"]:
        assert c["start_value"] == pytest.approx(values[c["company"]])
    assert d["cash"] == {
        "value": pytest.approx(status["cash"]),
        "rate": 0.0,
        "at_horizon": pytest.approx(status["cash"]),
    }
    # percentiles ordered, CAGR is the multiple's
    v = [d["terminal"]["multiple"][p] for p in PCTS]
    assert v == sorted(v)
    assert d["cagr"]["p50"] == pytest.approx(v[2] ** 0.1 - 1)


def test_overrides_and_reproducibility(baron: str) -> None:
    args = ["project", "--config", str(CONFIG), "--paths", "2000", "--years", "5"]
    args += ["--seed", "3", "--target-multiple", "2", "--steps-per-year", "4", "--json"]
    a = invoke(baron, *args)
    assert (a["paths"], a["years"], a["seed"], a["target_multiple"]) == (2000, 5, 3, 2.0)
    assert a["steps_per_year"] == 4
    assert len(a["fan"]) == 6
    assert a == invoke(baron, *args)
    two = invoke(baron, *args[:-1], "--workers", "2", "--json")
    assert two["prob_target"] == a["prob_target"]
    assert two["terminal"] == a["terminal"]


def test_table_output(baron: str) -> None:
    text = invoke(baron, "project", "--config", str(CONFIG), "--paths", "2000")
    assert "P(whole book >= 5x in 10 years)" in text
    assert "P(projected holdings alone >= 5x)" in text
    assert "the target needs 17.5% a year" in text
    assert "Value by year" in text
    assert "earns 0% a year (cash_rate)" in text


def test_missing_config_names_the_file(baron: str, tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no projection file") as info:
        invoke(baron, "project", "--config", str(tmp_path / "nope.toml"))
    assert info.value.file == str(tmp_path / "nope.toml")


def test_bad_config_names_file_line_and_key(baron: str, tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text(CONFIG.read_text().replace('people = ["musk"]', 'people = ["elon"]'))
    with pytest.raises(UnknownIdError, match="unknown person 'elon'") as info:
        invoke(baron, "project", "--config", str(bad))
    err = info.value
    assert err.file == str(bad)
    assert err.field == "projection.jump[1].people"
    assert bad.read_text().splitlines()[(err.line or 0) - 1].startswith("people =")


def test_main_maps_bad_input_to_exit_code_2(
    baron: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from conviction.cli import main

    missing = str(tmp_path / "x.toml")
    monkeypatch.setattr("sys.argv", ["conviction", "--db", baron, "project", "--config", missing])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    assert "no projection file" in capsys.readouterr().err
