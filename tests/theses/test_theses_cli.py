"""The people/thesis/review commands on the Baron example, in a real SQLite file."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conviction.cli import app
from conviction.errors import FormatError, UnknownIdError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
D = dt.date
runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'baron.db'}"
    result = runner.invoke(app, ["--db", url, "load", str(EXAMPLE)])
    assert result.exit_code == 0, result.output  # `load` stores the theses too
    return url


def run(db: str, *args: str) -> Any:
    result = runner.invoke(app, ["--db", db, *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.stdout) if "--json" in args else result.stdout


def expected_review(db: str, on: dt.date, accounts: tuple[str, ...] = ()) -> set[tuple[str, str]]:
    """What the review must say, worked out from the files and `conviction status`."""
    settings = tomllib.loads((EXAMPLE / "theses.toml").read_text("utf-8"))
    review, theses = settings["review"], settings["thesis"]
    args = ["status", "--as-of", on.isoformat(), "--json"]
    for a in accounts:
        args += ["--account", a]
    status = run(db, *args)
    total = status["total_value"]
    want = set()
    for line in status["by_company"]:
        if line["quantity"] > 0 and line["value"] / total > review["company_cap"]:
            want.add(("company_concentration", line["company"]))
    musk = sum(c["value"] for c in status["by_company"]) / total  # one key person throughout
    if musk > review["person_cap"]:
        want.add(("person_concentration", "musk"))
    seen: dict[str, dt.date] = {}
    with (EXAMPLE / "marks.csv").open() as f:
        for row in csv.DictReader(f):
            day = D.fromisoformat(row["date"])
            if day <= on:
                seen[row["company"]] = max(seen.get(row["company"], day), day)
    with (EXAMPLE / "transactions.csv").open() as f:
        for row in csv.DictReader(f):
            day = D.fromisoformat(row["date"])
            if row["action"] in ("buy", "sell") and day <= on:
                seen[row["company"]] = max(seen.get(row["company"], day), day)
    held = {c["company"] for c in status["by_company"] if c["quantity"] > 0}
    for company in ("spacex", "xai"):  # the private ones
        if company == "spacex" and on >= D(2026, 6, 12):  # listed: public from then on
            continue
        if company in held and (on - seen[company]).days > review["mark_max_age_days"]:
            want.add(("stale_private_mark", company))
    for t in theses:
        for m in t["milestone"]:
            if m["due"] < on:
                want.add(("milestone_overdue", f"{t['id']}/{m['id']}"))
    return want


def test_review_of_the_example_on_the_conference_day(db: str) -> None:
    on = D(2025, 11, 14)
    found = run(db, "review", "--as-of", on.isoformat(), "--json")
    assert {(r["trigger"], r["subject"]) for r in found} == expected_review(db, on)
    assert ("person_concentration", "musk") in {(r["trigger"], r["subject"]) for r in found}
    for r in found:
        assert set(r) == {"trigger", "subject", "detail", "figures"}
    # The book's own date is the default.
    assert run(db, "review", "--json") == found
    text = run(db, "review", "--as-of", on.isoformat())
    assert "person_concentration" in text and "musk" in text


def test_review_on_a_later_date_finds_the_overdue_milestone(db: str) -> None:
    on = D(2027, 1, 1)
    found = run(db, "review", "--as-of", on.isoformat(), "--json")
    got = {(r["trigger"], r["subject"]) for r in found}
    assert got == expected_review(db, on)
    assert ("milestone_overdue", "xai/grok-5") in got
    (grok,) = (r for r in found if r["subject"] == "xai/grok-5")
    assert grok["figures"]["days_overdue"] == (on - D(2026, 6, 30)).days


def test_review_of_one_account(db: str) -> None:
    on = D(2025, 11, 14)
    found = run(db, "review", "--as-of", on.isoformat(), "--account", "ron", "--json")
    assert {(r["trigger"], r["subject"]) for r in found} == expected_review(db, on, ("ron",))
    result = runner.invoke(app, ["--db", db, "review", "--account", "nobody"])
    assert isinstance(result.exception, UnknownIdError)


def test_people(db: str) -> None:
    (musk,) = run(db, "people", "--json")
    assert musk["id"] == "musk" and musk["name"] == "Elon Musk"
    assert sorted(musk["companies"]) == ["spacex", "tesla", "xai"]
    assert set(musk["scores"]) == {"execution", "long_term", "integration", "resilience"}
    texts = " ".join(e["text"] for s in musk["scores"].values() for e in s["evidence"])
    assert "mortgaged his house" in texts
    status = run(db, "status", "--json")
    assert musk["weight"] == pytest.approx(
        sum(c["value"] for c in status["by_company"]) / status["total_value"]
    )
    # Before the scorecard's date there are no scores yet.
    (early,) = run(db, "people", "--as-of", "2020-01-01", "--json")
    assert early["scores"] == {}
    text = run(db, "people", "--evidence")
    assert "Elon Musk" in text and "execution" in text and "mortgaged" in text


def test_thesis_list_and_show(db: str) -> None:
    rows = run(db, "thesis", "list", "--json")
    assert [r["id"] for r in rows] == ["musk", "tesla", "spacex", "xai"]
    (tesla,) = (r for r in rows if r["id"] == "tesla")
    assert tesla["milestones_by_status"]["pending"] == 2
    assert tesla["next_due"] == "2027-06-30"
    shown = run(db, "thesis", "show", "tesla", "--json")
    targets = {m["id"]: m["target"] for m in shown["milestones"]}
    assert targets["optimus-v3-cost"] == "optimus_unit_cost_usd <= 20000"
    assert shown["kill_criteria"]
    text = run(db, "thesis", "show", "tesla")
    assert "Optimus V3 unit cost under $20,000" in text
    assert "theses on" in run(db, "thesis", "list")
    result = runner.invoke(app, ["--db", db, "thesis", "show", "nope"])
    assert isinstance(result.exception, UnknownIdError)


def test_update_keeps_history_and_drives_the_triggers(db: str) -> None:
    def slip(on: str, due: str) -> None:
        run(
            db, "thesis", "update", "xai", "--milestone", "grok-5", "--status", "slipped",
            "--evidence", f"not out by {on}", "--date", on, "--due", due,
        )  # fmt: skip

    slip("2026-06-15", "2026-12-31")
    # The slip moved the due date: nothing is overdue on the old due date + 1.
    found = run(db, "review", "--as-of", "2026-07-01", "--json")
    assert "xai/grok-5" not in {r["subject"] for r in found}
    slip("2026-12-15", "2027-06-30")
    before = {r["subject"] for r in run(db, "review", "--as-of", "2026-12-14", "--json")
              if r["trigger"] == "milestone_slipped"}  # fmt: skip
    after = run(db, "review", "--as-of", "2026-12-15", "--json")
    assert before == set()
    (slipped,) = (r for r in after if r["trigger"] == "milestone_slipped")
    assert slipped["subject"] == "xai/grok-5" and slipped["figures"]["slips"] == 2
    shown = run(db, "thesis", "show", "xai", "--as-of", "2027-01-01", "--json")
    (m,) = shown["milestones"]
    assert [(h["date"], h["status"], h["due"]) for h in m["history"]] == [
        ("2025-11-14", "pending", "2026-06-30"),
        ("2026-06-15", "slipped", "2026-12-31"),
        ("2026-12-15", "slipped", "2027-06-30"),
    ]
    # Reloading the book keeps the updates.
    run(db, "load", str(EXAMPLE))
    again = run(db, "thesis", "show", "xai", "--json")
    assert len(again["milestones"][0]["history"]) == 3


@pytest.mark.parametrize(
    ("args", "error", "field"),
    [
        (["nope", "--milestone", "grok-5", "--status", "hit"], UnknownIdError, "thesis"),
        (["xai", "--milestone", "grok-9", "--status", "hit"], UnknownIdError, "milestone"),
        (["xai", "--milestone", "grok-5", "--status", "done"], FormatError, "status"),
        (
            ["xai", "--milestone", "grok-5", "--status", "hit", "--date", "2026-13-01"],
            FormatError,
            "--date",
        ),
    ],
)
def test_bad_update_is_refused_and_changes_nothing(
    db: str, args: list[str], error: type[Exception], field: str
) -> None:
    before = run(db, "thesis", "show", "xai", "--json")
    result = runner.invoke(app, ["--db", db, "thesis", "update", *args, "--evidence", "e"])
    assert isinstance(result.exception, error)
    assert result.exception.field == field  # type: ignore[attr-defined]
    assert run(db, "thesis", "show", "xai", "--json") == before


def test_exit_code_and_message_of_a_bad_update(db: str) -> None:
    exe = Path(sys.executable).parent / "conviction"
    if not exe.exists():
        pytest.skip("the conviction script is not installed beside this Python")
    proc = subprocess.run(
        [str(exe), "--db", db, "thesis", "update", "nope", "--milestone", "m", "--status",
         "hit", "--evidence", "e"],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "no thesis 'nope'" in proc.stderr and "thesis" in proc.stderr
