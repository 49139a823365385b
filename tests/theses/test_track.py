"""`conviction track` and `project --theses` on the Baron example, in a real SQLite file."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conviction.app.reads import book_status
from conviction.cli import app
from conviction.io.projection_toml import Overrides, read_projection
from conviction.io.theses_toml import read_theses_file
from conviction.projection import Projection
from conviction.store import connect, read_book
from conviction.theses import apply_outcomes

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
CONFIG = EXAMPLE / "projection.toml"
WHAT_IF = EXAMPLE / "theses-what-if.toml"
PATHS = "512"
runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('track') / 'baron.db'}"
    result = runner.invoke(app, ["--db", url, "load", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    return url


def track(db: str, *args: str, env: dict[str, str] | None = None) -> Any:
    result = runner.invoke(
        app, ["--db", db, "track", "--config", str(CONFIG), "--paths", PATHS, *args], env=env
    )
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout) if "--json" in args else result.stdout


def without_effects(tmp_path: Path) -> Path:
    text = WHAT_IF.read_text("utf-8")
    kept = re.sub(r"\[\[thesis\.milestone\.effect\]\]\n(?:[a-z_]+ = [^\n]*\n)+", "", text)
    assert "[[thesis.milestone.effect]]" not in kept and "hit = 1.3" not in kept
    path = tmp_path / "theses-no-effects.toml"
    path.write_text(kept, encoding="utf-8")
    return path


def test_track_json_moves_with_the_evidence(db: str) -> None:
    doc = track(db, "--theses", str(WHAT_IF), "--json")
    rows = doc["rows"]
    assert [r["date"] for r in rows] == [
        "2025-11-14",
        "2026-07-15",
        "2027-06-30",
        "2027-12-31",
        "2028-12-31",
    ]
    assert (doc["paths"], doc["seed"], doc["as_of"], doc["runs"]) == (512, 7, "2025-11-14", 5)
    first, grok, ai5, slip, hit = rows
    assert first["driver_factors"] == {}
    assert {e["status"] for e in first["evidence"]} == {"pending"}
    assert len(first["evidence"]) == 4
    assert grok["driver_factors"] == {"grok_frontier_value": 1.3}
    (ev,) = grok["evidence"]
    assert (ev["thesis"], ev["milestone"], ev["status"]) == ("xai", "grok-5", "hit")
    assert ev["effects"] == [{"driver": "grok_frontier_value", "factor": 1.3}]
    assert ev["evidence"].startswith("HYPOTHETICAL: Grok 5 released")
    # By hand: a slip of 1 year at growth -15% multiplies by 1/0.85; at 35%, by 1/1.35.
    assert ai5["driver_factors"]["ai5_cost_vs_nvidia"] == pytest.approx(1 / 0.85)
    assert slip["driver_factors"]["optimus_units"] == pytest.approx(1 / 1.35)
    assert hit["driver_factors"] == pytest.approx(
        {
            "grok_frontier_value": 1.3,
            "ai5_cost_vs_nvidia": 1 / 0.85,
            "optimus_units": 1.5,
            "optimus_unit_cost": 0.9,
        }
    )
    for before, after in itertools.pairwise(rows):
        assert after["prob_target_change"] == pytest.approx(
            after["prob_target"] - before["prob_target"]
        )
        assert after["median_multiple_change"] == pytest.approx(
            after["median_multiple"] - before["median_multiple"]
        )
    # A more valuable frontier lab raises the odds; a slipped Optimus lowers them.
    assert grok["median_multiple_change"] > 0 and slip["median_multiple_change"] < 0
    assert doc["prob_target_moved"] == pytest.approx(hit["prob_target"] - first["prob_target"])


def test_each_row_is_the_projection_with_that_days_outcomes(db: str) -> None:
    doc = track(db, "--theses", str(WHAT_IF), "--json")
    book = read_book(connect(db))
    theses = read_theses_file(WHAT_IF, book.companies, book.persons).theses
    st = book_status(book, None)
    values = {line.company: line.value for line in st.by_company}
    spec = read_projection(  # the whole book, as project counts it: cash included
        CONFIG, book=book, start_values=values, overrides=Overrides(paths=int(PATHS)), cash=st.cash
    )
    p50 = list(spec.percentiles).index(50.0)
    for row in (doc["rows"][1], doc["rows"][-1]):
        on = dt.date.fromisoformat(row["date"])
        r = Projection(apply_outcomes(spec, theses, on)).run()
        assert row["prob_target"] == r.prob_target
        assert row["median_multiple"] == float(r.terminal_multiple[p50])


def test_a_track_without_effects_is_flat(db: str, tmp_path: Path) -> None:
    doc = track(db, "--theses", str(without_effects(tmp_path)), "--json")
    rows = doc["rows"]
    assert len(rows) == 5 and doc["runs"] == 1
    assert {(r["prob_target"], r["median_multiple"]) for r in rows} == {
        (rows[0]["prob_target"], rows[0]["median_multiple"])
    }
    assert all(r["prob_target_change"] == 0 and r["median_multiple_change"] == 0 for r in rows)
    assert all(r["driver_factors"] == {} for r in rows)
    assert not any(r["drivers_changed"] for r in rows[1:])


def test_the_table_fits_80_columns(db: str) -> None:
    # as the installed script runs in an 80-column terminal (the in-process runner's
    # console does not read COLUMNS)
    argv = ["--db", db, "track", "--config", str(CONFIG), "--theses", str(WHAT_IF)]
    done = subprocess.run(
        [sys.executable, "-c", "from conviction.cli import main; main()", *argv, "--paths=256"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout
    # prose lines are soft-wrapped by the terminal; the table is laid out for it
    table = [line for line in text.splitlines() if line[:1] in "┏┃┡│└"]
    assert len(table) > 10
    assert max(len(line) for line in table) <= 80
    assert "…" not in text
    for needle in ("2026-07-15", "xai/grok-5", "grok_frontier_value ×1.3", "2028-12-31"):
        assert needle in text
    assert "P(target)" in text


def test_an_effect_on_an_unknown_driver_is_exit_2_naming_file_line_field(
    db: str, tmp_path: Path
) -> None:
    bad = tmp_path / "theses.toml"
    bad.write_text(
        WHAT_IF.read_text("utf-8").replace('driver = "orbital_gw_per_year"', 'driver = "orbital"'),
        encoding="utf-8",
    )
    line = next(
        n for n, text in enumerate(bad.read_text().splitlines(), 1) if 'driver = "orbital"' in text
    )
    for command in ("track", "project"):
        argv = ["--db", db, command, "--config", str(CONFIG), "--theses", str(bad), "--paths=64"]
        done = subprocess.run(
            [sys.executable, "-c", "from conviction.cli import main; main()", *argv],
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
            timeout=600,
        )
        assert done.returncode == 2, done.stderr
        assert f"{bad}:{line}" in done.stderr
        assert "field 'thesis[1].milestone[0].effect[0].driver'" in done.stderr
        assert "driver 'orbital'" in done.stderr
        assert "Traceback" not in done.stderr


def test_project_applies_the_outcomes_up_to_as_of(db: str) -> None:
    args = ["--db", db, "project", "--config", str(CONFIG), "--paths", PATHS, "--json"]
    plain = runner.invoke(app, args)
    same = runner.invoke(app, [*args, "--theses", str(WHAT_IF)])  # book's date: all pending
    assert plain.exit_code == same.exit_code == 0, (plain.output, same.output)
    assert json.loads(plain.stdout)["prob_target"] == json.loads(same.stdout)["prob_target"]
    text = runner.invoke(
        app,
        [*args[:-1], "--theses", str(WHAT_IF), "--as-of", "2026-08-01"],
    )
    assert text.exit_code == 0, text.output
    assert "xai/grok-5 hit on 2026-07-15: grok_frontier_value x1.3" in text.stdout


def test_the_report_charts_the_track(db: str, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    args = ["--db", db, "report", "--out", str(out), "--projection", str(CONFIG)]
    result = runner.invoke(app, [*args, "--theses", str(WHAT_IF), "--paths", "256", "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert json.loads(result.stdout)["track"] == 5
    html = out.read_text("utf-8")
    assert 'id="fig-track"' in html
    assert "Track: the odds at each milestone update" in html
    # the table under the chart holds its numbers: every date and the evidence
    for needle in ("2026-07-15", "xai/grok-5 hit", "<code>grok_frontier_value</code> &times;1.300"):
        assert needle in html
    without = runner.invoke(app, ["--db", db, "report", "--out", str(tmp_path / "r2.html")])
    assert without.exit_code == 0
    assert 'id="fig-track"' not in (tmp_path / "r2.html").read_text("utf-8")
    refused = runner.invoke(app, ["--db", db, "report", "--out", str(tmp_path / "r3.html"),
                                  "--theses", str(WHAT_IF)])  # fmt: skip
    assert refused.exit_code != 0
    assert not (tmp_path / "r3.html").exists()


def test_updates_recorded_in_the_database_move_the_track(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'baron.db'}"
    assert runner.invoke(app, ["--db", url, "load", str(EXAMPLE)]).exit_code == 0
    args = ["thesis", "update", "xai", "--milestone", "grok-5", "--status", "missed"]
    when = ["--date", "2026-08-01", "--evidence", "HYPOTHETICAL: Grok 5 withdrawn"]
    update = runner.invoke(app, ["--db", url, *args, *when])
    assert update.exit_code == 0, update.output
    doc = track(url, "--theses", str(WHAT_IF), "--json")
    (row,) = (r for r in doc["rows"] if r["date"] == "2026-08-01")
    (ev,) = row["evidence"]
    assert (ev["milestone"], ev["status"], ev["effects"]) == (
        "grok-5",
        "missed",
        [{"driver": "grok_frontier_value", "factor": 0.6}],
    )
    assert row["driver_factors"] == {"grok_frontier_value": 0.6}  # the miss replaces the hit
    assert row["median_multiple_change"] < 0
    # Without --theses: the theses `load` stored (the example's effects) and the update.
    stored = track(url, "--json")
    assert stored["theses"] == "the stored theses"
    assert [r["date"] for r in stored["rows"]] == ["2025-11-14", "2026-08-01"]
    assert stored["rows"][1]["driver_factors"] == {"grok_frontier_value": 0.6}


def test_without_a_seed_every_row_shares_one_drawn_seed(db: str, tmp_path: Path) -> None:
    text = CONFIG.read_text("utf-8")
    assert "\nseed = 7\n" in text
    config = tmp_path / "projection.toml"
    config.write_text(text.replace("\nseed = 7\n", "\n"), encoding="utf-8")
    args = ["--db", db, "track", "--config", str(config), "--theses", str(WHAT_IF)]
    result = runner.invoke(app, [*args, "--paths", "128", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert isinstance(doc["seed"], int) and doc["runs"] == 5
    # the seed it reports repeats every run of the track (one seed for all of them)
    again = runner.invoke(app, [*args, "--paths", "128", "--seed", str(doc["seed"]), "--json"])
    assert json.loads(again.stdout)["rows"] == doc["rows"]


def test_thesis_show_and_the_report_list_the_stored_effects(db: str, tmp_path: Path) -> None:
    shown = runner.invoke(app, ["--db", db, "thesis", "show", "tesla", "--json"])
    assert shown.exit_code == 0, shown.output
    optimus = next(
        m for m in json.loads(shown.stdout)["milestones"] if m["id"] == "optimus-v3-cost"
    )
    assert optimus["effects"] == [
        {
            "driver": "optimus_units",
            "hit": 1.5,
            "missed": 0.5,
            "slipped_years": 1.0,
            "growth": 0.35,
        },
        {
            "driver": "optimus_unit_cost",
            "hit": 0.9,
            "missed": 1.25,
            "slipped_years": None,
            "growth": None,
        },
    ]
    out = tmp_path / "report.html"
    assert runner.invoke(app, ["--db", db, "report", "--out", str(out)]).exit_code == 0
    html = out.read_text("utf-8")
    assert "moves <code>optimus_units</code>: hit &times;1.500 missed &times;0.500" in html
