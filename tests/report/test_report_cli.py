"""``conviction report``: writes one file, clean --json on stdout, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conviction.cli import app as cli
from conviction.errors import FormatError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"


@pytest.fixture(scope="module")
def baron_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'baron.db'}"
    assert CliRunner().invoke(cli, ["--db", url, "load", str(EXAMPLE)]).exit_code == 0
    return url


def _conviction(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command in its own process: exit codes and streams as a user sees them."""
    env = {**os.environ, "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-c", "from conviction.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        check=False,
    )


def test_report_json_is_clean_and_the_file_is_written(baron_url: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    done = _conviction(
        "--db",
        baron_url,
        "report",
        "--out",
        str(out),
        "--from",
        str(EXAMPLE),
        "--paths",
        "2048",
        "--json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # stdout is one JSON document, progress went elsewhere
    assert summary["out"] == str(out.resolve())
    assert summary["bytes"] == out.stat().st_size
    assert summary["projection"] is True
    assert {"baron", "hold", "index"} <= set(summary["policies"])
    text = out.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>") and "</html>" in text[-100:]


def test_out_into_a_missing_folder_is_a_clear_error(baron_url: str, tmp_path: Path) -> None:
    done = _conviction("--db", baron_url, "report", "--out", "missing/r.html", cwd=tmp_path)
    assert done.returncode == 2  # bad input, as every command reports it
    assert "--out" in done.stderr and "does not exist" in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "missing").exists()  # no folder made behind the user's back


@pytest.mark.parametrize(
    ("target", "message"),
    [("missing/deeper/report.html", "does not exist"), (".", "is a folder")],
)
def test_out_must_be_a_file_in_an_existing_folder(
    baron_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(cli, ["--db", baron_url, "report", "--out", target])
    assert isinstance(done.exception, FormatError)
    assert done.exception.field == "--out" and message in done.exception.message
    assert not (tmp_path / "missing").exists()


def test_bad_options_are_errors_before_any_work(baron_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    out = str(tmp_path / "r.html")
    bad_date = runner.invoke(cli, ["--db", baron_url, "report", "--out", out, "--as-of", "soon"])
    assert isinstance(bad_date.exception, FormatError)
    assert bad_date.exception.field == "--as-of"
    paths = runner.invoke(cli, ["--db", baron_url, "report", "--out", out, "--paths", "0"])
    assert isinstance(paths.exception, FormatError) and paths.exception.field == "--paths"
    missing = runner.invoke(
        cli, ["--db", baron_url, "report", "--out", out, "--benchmark", "nope.csv"]
    )
    assert isinstance(missing.exception, FormatError)
    assert not Path(out).exists()


def test_load_json_is_clean_too(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    done = _conviction("--db", url, "load", str(EXAMPLE), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)  # progress never on stdout
    rows = (EXAMPLE / "transactions.csv").read_text("utf-8").strip().splitlines()
    assert loaded["database"]["transactions"] == len(rows) - 1
