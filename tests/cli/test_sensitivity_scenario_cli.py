"""`conviction project --scenario`, `sensitivity` and `solve` on a real SQLite file holding the
Baron example: --json parses with the documented keys, bad input exits 2 naming file, line
and field, with no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conviction.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
CONFIG = EXAMPLE / "projection.toml"
runner = CliRunner()


def invoke(db: str, *args: str) -> Any:
    result = runner.invoke(app, ["--db", db, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


def run_main(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """``conviction ARGV`` as the installed script runs it (main() maps errors to codes)."""
    from conviction.cli import main

    monkeypatch.setattr("sys.argv", ["conviction", *argv])
    with pytest.raises(SystemExit) as info:
        main()
    code = info.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


@pytest.fixture(scope="module")
def baron(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'baron.db'}"
    invoke(url, "load", str(EXAMPLE))
    return url


def _bad_copy(tmp_path: Path, old: str, new: str, extra: str = "") -> tuple[Path, int]:
    """A copy of the example with ``old`` replaced (and ``extra`` appended); the line of the
    replacement."""
    text = CONFIG.read_text()
    assert text.count(old) == 1, old
    at = text.index(old)
    text = text.replace(old, new) + extra
    path = tmp_path / "projection.toml"
    path.write_text(text)
    return path, text[:at].count("\n") + 1


# ---------------------------------------------------------------------------- scenarios


def test_scenarios_json_has_the_base_and_each_scenario(baron: str) -> None:
    d = invoke(
        baron,
        "project",
        "--config",
        str(CONFIG),
        "--paths",
        "2000",
        "--scenario",
        "xai-marked-down-50",
        "--scenario",
        "key-person-gone-year-3",
        "--json",
    )
    assert {"paths", "years", "seed", "start_value", "target_multiple", "cases"} <= set(d)
    assert [c["name"] for c in d["cases"]] == [
        "base",
        "xai-marked-down-50",
        "key-person-gone-year-3",
    ]
    base, xai, gone = d["cases"]
    assert set(base) >= {"terminal", "prob_target", "prob_target_change", "fan", "companies"}
    assert base["value_today"] == pytest.approx(d["start_value"], rel=1e-12)
    xai_today = next(c["start_value"] for c in base["companies"] if c["company"] == "xai")
    assert xai["value_today"] == pytest.approx(d["start_value"] - 0.5 * xai_today, rel=1e-12)
    assert xai["changes"] == ["xai marked down 50% today"]
    assert base["prob_target_change"] == 0.0
    assert gone["prob_target"]["estimate"] < base["prob_target"]["estimate"]
    # the base case is the plain projection's, on the same random numbers
    plain = invoke(baron, "project", "--config", str(CONFIG), "--paths", "2000", "--json")
    assert base["prob_target"] == plain["prob_target"]
    assert base["terminal"]["multiple"] == plain["terminal"]["multiple"]


def test_scenarios_table(baron: str) -> None:
    text = invoke(
        baron,
        "project",
        "--config",
        str(CONFIG),
        "--paths",
        "500",
        "--scenario",
        "key-person-gone-year-3",
    )
    assert "base" in text and "key-person-gone-year-3" in text and "P(>= 5x)" in text
    assert "musk's companies lose 35% in year 3" in text


def test_an_unknown_scenario_name_exits_2(
    baron: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run_main(
        ["--db", baron, "project", "--config", str(CONFIG), "--scenario", "typo"],
        monkeypatch,
        capsys,
    )
    assert code == 2
    assert f"{CONFIG}, field '--scenario'" in err and "unknown scenario 'typo'" in err
    assert "xai-marked-down-50" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("old", "new", "field", "says"),
    [
        (
            'company = "xai"\nfraction = 0.5',
            'company = "xai"\nfraction = 1.5',
            "scenario[2].markdown[1].fraction",
            "fraction must lie in [0, 1)",
        ),
        (
            'company = "xai"\nfraction',
            'company = "twitter"\nfraction',
            "scenario[2].markdown[1].company",
            "unknown company 'twitter'",
        ),
        (
            'person = "musk"\nyear',
            'person = "elon"\nyear',
            "scenario[1].shock[1].person",
            "unknown person 'elon'",
        ),
    ],
)
def test_a_bad_scenario_exits_2_naming_file_line_and_field(
    baron: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    field: str,
    says: str,
) -> None:
    path, line = _bad_copy(tmp_path, old, new)
    line += new[: new.index(field.rsplit(".", 1)[-1])].count("\n")
    code, err = run_main(
        ["--db", baron, "project", "--config", str(path), "--scenario", "xai-marked-down-50"],
        monkeypatch,
        capsys,
    )
    assert code == 2, err
    assert f"{path}:{line}, field '{field}'" in err, err
    assert says in err and "Traceback" not in err


def test_a_scenario_on_an_unknown_driver_exits_2(
    baron: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = (
        '\n[[scenario]]\nname = "robots"\n[[scenario.pin]]\ndriver = "robot_units"\nvalue = 1e6\n'
    )
    path = tmp_path / "projection.toml"
    text = CONFIG.read_text() + extra
    path.write_text(text)
    line = text.split("\n").index('driver = "robot_units"') + 1
    code, err = run_main(
        ["--db", baron, "project", "--config", str(path), "--scenario", "robots"],
        monkeypatch,
        capsys,
    )
    assert code == 2
    assert f"{path}:{line}, field 'scenario[3].pin[1].driver'" in err, err
    assert "unknown driver 'robot_units'" in err and "optimus_units" in err


# ---------------------------------------------------------------------------- sensitivity, solve


def test_sensitivity_json(baron: str) -> None:
    d = invoke(baron, "sensitivity", "--config", str(CONFIG), "--paths", "512", "--json")
    assert {"paths", "years", "seed", "target_multiple", "base", "tornado", "sobol"} <= set(d)
    assert (d["paths"], d["years"], d["seed"], d["target_multiple"]) == (512, 10, 7, 5.0)
    assert set(d["base"]) == {"prob_target", "prob_target_se", "median_multiple"}
    names = [b["input"] for b in d["tornado"]]
    assert "driver.optimus_units" in names and "jump.key-person.loss" in names
    assert "correlation.tesla.spacex" in names and "asset.xai.volatility" in names
    bar = d["tornado"][0]
    assert {"p_low", "p_high", "p_swing", "p_swing_se", "median_low", "median_high"} <= set(bar)
    swings = [abs(b["p_swing"]) for b in d["tornado"]]
    assert swings == sorted(swings, reverse=True)
    assert {s["driver"] for s in d["sobol"]["indices"]} >= {"optimus_units", "pe_multiple"}
    for s in d["sobol"]["indices"]:
        assert s["first_order_low"] <= s["first_order_high"]


def test_solve_json(baron: str) -> None:
    d = invoke(baron, "solve", "--config", str(CONFIG), "--paths", "512", "--json")
    assert {"paths", "target_multiple", "probability", "base", "requirements"} <= set(d)
    assert d["probability"] == 0.5
    by = {r["input"]: r for r in d["requirements"]}
    assert {"company.tesla", "company.spacex", "company.xai"} <= set(by)
    assert any(name.startswith("driver.") for name in by)
    tesla = by["company.tesla"]
    assert {"for_median", "cagr_median", "for_probability", "reachable_median"} <= set(tesla)
    if tesla["reachable_median"]:  # tesla alone to 5x of the book: its CAGR over 10 years
        assert tesla["cagr_median"] == pytest.approx(tesla["for_median"] ** 0.1 - 1, rel=1e-9)


def test_a_bad_sensitivity_range_exits_2_naming_file_and_line(baron: str, tmp_path: Path) -> None:
    extra = '\n[[sensitivity]]\ninput = "asset.twitter.volatility"\nlow = 0.1\nhigh = 0.2\n'
    path = tmp_path / "projection.toml"
    text = CONFIG.read_text() + extra
    path.write_text(text)
    line = text.split("\n").index('input = "asset.twitter.volatility"') + 1
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "conviction"),
            "--db",
            baron,
            "sensitivity",
            "--config",
            str(path),
            "--paths",
            "64",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert f"{path}:{line}, field 'sensitivity[1].input'" in done.stderr, done.stderr
    assert "unknown input 'asset.twitter.volatility'" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_sensitivity_range_with_low_above_high_exits_2(
    baron: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = '\n[[sensitivity]]\ninput = "asset.tesla.volatility"\nlow = 0.6\nhigh = 0.2\n'
    path = tmp_path / "projection.toml"
    text = CONFIG.read_text() + extra
    path.write_text(text)
    line = text.split("\n").index("low = 0.6") + 1
    code, err = run_main(
        ["--db", baron, "sensitivity", "--config", str(path), "--paths", "64"], monkeypatch, capsys
    )
    assert code == 2
    assert f"{path}:{line}, field 'sensitivity[1].low'" in err, err
    assert "must not lie above high" in err and "Traceback" not in err
