"""A running server sees every change of the stored book, also one that keeps the row
counts and highest ids as they were (a load that changes only a value; SQLite hands ids
out again), because each load and web write adds one to the book's revision."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conviction.cli import app as cli
from conviction.store import connect_for_writing
from conviction.web import create_app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "baron"
TOKEN = "state-token-0123456789abcdef"


def _load(db: Path, folder: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "load", str(folder)])
    assert result.exit_code == 0, result.output


def test_a_load_that_changes_one_value_is_seen_by_the_running_server(tmp_path: Path) -> None:
    folder = tmp_path / "baron"
    shutil.copytree(EXAMPLE, folder)
    db = tmp_path / "b.db"
    _load(db, folder)
    app = create_app(connect_for_writing(f"sqlite:///{db}"), TOKEN, tmp_path)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        before = client.get("/api/v1/status").json()
        file = folder / "transactions.csv"
        text = file.read_text(encoding="utf-8")
        first = "2014-06-10,partners,,deposit,9759380.72,"
        assert text.count(first) == 1
        file.write_text(text.replace(first, "2014-06-10,partners,,deposit,10759380.72,"))
        _load(db, folder)  # another process's load in real life: the same rows, one value
        after = client.get("/api/v1/status").json()
    assert after["cash"] == before["cash"] + 1_000_000
