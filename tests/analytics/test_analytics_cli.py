"""``conviction stats`` on real price files, through Typer's test runner and main()."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conviction.analytics import summarize
from conviction.cli import app, main
from conviction.io.prices import read_price_csv

runner = CliRunner()
KEYS = (
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "longest_drawdown",
    "current_drawdown",
    "time_under_water",
    "observations",
)


def test_json_values_equal_the_library(prices_dir: Path) -> None:
    path, bench = prices_dir / "TSLA.csv", prices_dir / "SPY.csv"
    result = runner.invoke(app, ["stats", str(path), "--benchmark", str(bench), "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    want = summarize(read_price_csv(path), read_price_csv(bench), kind="prices")
    for key in KEYS:
        assert got[key] == getattr(want, key), key
    assert want.benchmark is not None
    assert got["benchmark"]["beta"] == want.benchmark.beta
    assert got["benchmark"]["information_ratio"] == want.benchmark.information_ratio
    assert got["rolling"][3]["median"] == want.rolling[3].median
    assert got["start"] == "2010-06-29" and got["longest_drawdown_start"] == "2021-11-05"
    assert got["year_convention"].startswith("252 observations per year")
    assert got["desmoothed"] is None


def test_table_states_the_year_convention(prices_dir: Path) -> None:
    result = runner.invoke(app, ["stats", str(prices_dir / "SPY.csv")])
    assert result.exit_code == 0, result.output
    assert "252 observations per year" in result.stdout
    assert "CAGR" in result.stdout and "Rolling annualised returns" in result.stdout


def test_desmoothing_options(prices_dir: Path) -> None:
    path = prices_dir / "QQQ.csv"
    result = runner.invoke(app, ["stats", str(path), "--desmooth", "gml", "--lags", "3", "--json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)["desmoothed"]
    want = summarize(read_price_csv(path), kind="prices", desmooth="gml", lags=3).desmoothed
    assert want is not None
    assert got["method"] == "gml" and len(got["params"]) == 4
    assert got["volatility"] == want.volatility and got["differs"] == want.differs


def _run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["conviction", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0)


def test_malformed_csv_names_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("date,close\n2024-01-02,10\n2024-01-03,abc\n2024-01-04,11\n")
    assert _run_main(monkeypatch, "stats", str(bad)) == 2
    message = capsys.readouterr().err
    assert f"{bad}:3" in message and "field 'close'" in message


def test_bad_benchmark_file_and_bad_option_are_input_errors(
    tmp_path: Path,
    prices_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bench = tmp_path / "bench.csv"
    bench.write_text("date,close\n2024-01-03,10\n2024-01-02,11\n")
    assert (
        _run_main(monkeypatch, "stats", str(prices_dir / "SPY.csv"), "--benchmark", str(bench)) == 2
    )
    assert f"{bench}:3" in capsys.readouterr().err
    assert _run_main(monkeypatch, "stats", str(prices_dir / "SPY.csv"), "--desmooth", "kalman") == 2
    assert "--desmooth" in capsys.readouterr().err
    assert _run_main(monkeypatch, "stats", str(prices_dir / "SPY.csv"), "--lags", "0") == 2
