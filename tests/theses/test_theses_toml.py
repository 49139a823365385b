"""Reading scorecards and theses: the example reads; bad input names file, line and key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conviction.errors import FormatError, InputError, UnknownIdError
from conviction.io.theses_toml import parse_metric, read_theses, read_theses_file
from conviction.theses import PILLARS, ReviewSettings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
COMPANIES = ["tesla", "spacex", "xai"]
PEOPLE = ["musk"]
SEED_SOURCE = "Baron Investment Conference via the seed article"

GOOD = """\
[[scorecard]]
person = "musk"
date = 2025-11-14
source = "seed"

[scorecard.execution]
score = 5
evidence = [{ text = "mortgaged his house to pay salaries" }]

[scorecard.resilience]
score = 4.5
evidence = [{ text = "three failed launches", date = 2025-11-01, source = "other" }]

[[scorecard]]
person = "musk"
date = 2026-01-01

[scorecard.execution]
score = 3

[[thesis]]
id = "t-tesla"
company = "tesla"
statement = "The machine that builds the machine."
opened = 2025-11-14
horizon = 2035-11-14
kill_criteria = ["a", "b"]

[[thesis.milestone]]
id = "optimus"
title = "Optimus V3 under $20,000"
due = 2027-12-31
metric = "optimus_unit_cost <= 20_000"

[[thesis.milestone.update]]
date = 2027-06-01
status = "slipped"
due = 2028-06-30
evidence = "cost still 28k"

[[thesis.milestone.update]]
date = 2028-03-01
status = "hit"
evidence = "19.5k"
value = 19500

[[thesis]]
id = "t-musk"
person = "musk"
statement = "Bet on the person."
opened = 2025-11-14
horizon = 2035-11-14

[[thesis.milestone]]
id = "five-x"
title = "5x"
due = 2035-11-14
status = "pending"
"""


def write_book(folder: Path, body: str, *, separate: bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    head = '[book]\nname = "t"\n'
    if separate:
        (folder / "book.toml").write_text(head + 'theses = "theses.toml"\n', encoding="utf-8")
        (folder / "theses.toml").write_text(body, encoding="utf-8")
        return folder / "theses.toml"
    (folder / "book.toml").write_text(head + "\n" + body, encoding="utf-8")
    return folder / "book.toml"


@pytest.mark.parametrize("separate", [False, True])
def test_reads_scorecards_theses_and_history(tmp_path: Path, separate: bool) -> None:
    write_book(tmp_path, GOOD, separate=separate)
    got = read_theses(tmp_path, COMPANIES, PEOPLE)
    (card,) = got.scorecards
    assert [e.score for e in card.history("execution")] == [5, 3]
    (ev,) = card.score_on("resilience", dt.date(2026, 1, 1)).evidence  # type: ignore[union-attr]
    assert (ev.date, ev.source) == (dt.date(2025, 11, 1), "other")
    (ev,) = card.history("execution")[0].evidence
    assert (ev.date, ev.source) == (dt.date(2025, 11, 14), "seed")  # defaults from the card
    tesla, musk = got.theses
    assert (tesla.subject_kind, tesla.subject) == ("company", "tesla")
    assert (musk.subject_kind, musk.subject) == ("person", "musk")
    m = tesla.milestone("optimus")
    assert [(e.date, e.status, e.due) for e in m.history] == [
        (dt.date(2025, 11, 14), "pending", dt.date(2027, 12, 31)),
        (dt.date(2027, 6, 1), "slipped", dt.date(2028, 6, 30)),
        (dt.date(2028, 3, 1), "hit", dt.date(2028, 6, 30)),
    ]
    assert (m.metric, m.op, m.target) == ("optimus_unit_cost", "<=", 20000.0)
    assert m.meets(m.latest.value) is True  # type: ignore[arg-type]
    assert got.review == ReviewSettings()


def test_the_example_has_the_seed_scorecard_and_theses() -> None:
    got = read_theses(EXAMPLE, COMPANIES, PEOPLE)
    (card,) = got.scorecards
    assert card.person == "musk"
    current = card.on(dt.date(2025, 11, 14))
    assert set(current) == set(PILLARS)
    texts = " ".join(e.text for s in current.values() for e in s.evidence)
    for fact in ("mortgaged his house", "first three rockets", "within 18 months", "Optimus"):
        assert fact in texts
    for score in current.values():
        assert 0 <= score.score <= 5
        for e in score.evidence:
            assert (e.date, e.source) == (dt.date(2025, 11, 14), SEED_SOURCE)
    subjects = {t.subject for t in got.theses}
    assert {"tesla", "spacex", "xai", "musk"} <= subjects
    targets = {m.target_text for t in got.theses for m in t.milestones}
    assert {
        "optimus_unit_cost_usd <= 20000",
        "ai5_cost_vs_nvidia <= 0.1",
        "orbital_ai_gw_per_year >= 100",
        "grok5_parameters_trillions >= 6",
    } <= targets
    # The due dates are illustrative; say so where they stand.
    text = (EXAMPLE / "theses.toml").read_text("utf-8")
    for line in text.splitlines():
        if line.startswith("due =") and "2035-11-14" not in line:
            assert "ILLUSTRATIVE" in line, line


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The line of the n-th line holding ``needle`` (1-based, as in an editor)."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return hits[occurrence - 1]


BAD = [
    # (replace this, with this, error class, field, line needle, which occurrence)
    ("score = 5\n", "score = 7\n", FormatError, "scorecard[0].execution.score", "score = 7", 1),
    (
        "[scorecard.resilience]",
        "[scorecard.stamina]",
        FormatError,
        "scorecard[0].stamina",
        "[scorecard.stamina]",
        1,
    ),
    (
        'status = "slipped"',
        'status = "late"',
        FormatError,
        "thesis[0].milestone[0].update[0].status",
        'status = "late"',
        1,
    ),
    (
        'status = "pending"',
        'status = "done"',
        FormatError,
        "thesis[1].milestone[0].status",
        'status = "done"',
        1,
    ),
    (
        "due = 2027-12-31",
        "due = 2025-01-01",
        FormatError,
        "thesis[0].milestone[0].due",
        "due = 2025-01-01",
        1,
    ),
    (
        'company = "tesla"',
        'company = "rivian"',
        UnknownIdError,
        "thesis[0].company",
        'company = "rivian"',
        1,
    ),
    (
        'person = "musk"\ndate = 2026',
        'person = "bezos"\ndate = 2026',
        UnknownIdError,
        "scorecard[1].person",
        'person = "bezos"',
        1,
    ),
    (
        "kill_criteria",
        "kill_criterion",
        FormatError,
        "thesis[0].kill_criterion",
        "kill_criterion",
        1,
    ),
    (
        'id = "t-musk"\nperson',
        'id = "t-musk"\ncompany = "xai"\nperson',
        FormatError,
        "thesis[1].company",
        'company = "xai"',
        1,
    ),
    (
        "date = 2028-03-01",
        "date = 2027-01-01",
        FormatError,
        "thesis[0].milestone[0].update[1].date",
        "date = 2027-01-01",
        1,
    ),
    (
        'metric = "optimus_unit_cost <= 20_000"',
        'metric = "cheap"',
        FormatError,
        "thesis[0].milestone[0].metric",
        'metric = "cheap"',
        1,
    ),
    (
        'evidence = "19.5k"',
        'evidence = ""',
        FormatError,
        "thesis[0].milestone[0].update[1].evidence",
        'evidence = ""',
        1,
    ),
    (
        'id = "t-musk"',
        'id = "t-tesla"',
        FormatError,
        "thesis[1].id",
        'id = "t-tesla"',
        2,
    ),
]


@pytest.mark.parametrize(("old", "new", "error", "field", "needle", "occurrence"), BAD)
@pytest.mark.parametrize("separate", [False, True])
def test_bad_input_names_file_line_and_key(
    tmp_path: Path,
    separate: bool,
    old: str,
    new: str,
    error: type[InputError],
    field: str,
    needle: str,
    occurrence: int,
) -> None:
    assert old in GOOD
    body = GOOD.replace(old, new, 1)
    path = write_book(tmp_path, body, separate=separate)
    with pytest.raises(error) as info:
        read_theses(tmp_path, COMPANIES, PEOPLE)
    exc = info.value
    assert exc.file == str(path)
    assert exc.field == field
    text = path.read_text("utf-8")
    assert exc.line == line_of(text, needle, occurrence), (exc, text)
    assert str(path) in str(exc)


def test_review_settings_are_validated(tmp_path: Path) -> None:
    path = tmp_path / "theses.toml"
    path.write_text("[review]\nmax_slips = 2\ncompany_cap = 1.5\n", encoding="utf-8")
    with pytest.raises(FormatError) as info:
        read_theses_file(path, COMPANIES, PEOPLE)
    assert info.value.field == "review.company_cap"
    assert info.value.line == 3
    path.write_text("[review]\nmax_slips = 2\n", encoding="utf-8")
    assert read_theses_file(path, COMPANIES, PEOPLE).review.max_slips == 2


def test_a_separate_file_cannot_hold_book_tables(tmp_path: Path) -> None:
    path = tmp_path / "theses.toml"
    path.write_text('[[company]]\nid = "x"\n', encoding="utf-8")
    with pytest.raises(FormatError, match="unknown key 'company'"):
        read_theses_file(path, COMPANIES, PEOPLE)


def test_missing_theses_file_and_bad_toml(tmp_path: Path) -> None:
    (tmp_path / "book.toml").write_text('[book]\nname = "t"\ntheses = "nope.toml"\n', "utf-8")
    with pytest.raises(FormatError, match="file not found"):
        read_theses(tmp_path, COMPANIES, PEOPLE)
    (tmp_path / "nope.toml").write_text("[[thesis]\n", "utf-8")
    with pytest.raises(FormatError, match="invalid TOML") as info:
        read_theses(tmp_path, COMPANIES, PEOPLE)
    assert info.value.line == 1


def test_a_book_without_theses_is_empty(tmp_path: Path) -> None:
    (tmp_path / "book.toml").write_text('[book]\nname = "t"\n', "utf-8")
    got = read_theses(tmp_path / "book.toml", COMPANIES, PEOPLE)
    assert got.theses == () and got.scorecards == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("optimus_unit_cost <= 20000", ("optimus_unit_cost", "<=", 20000.0)),
        ("x>=1e3", ("x", ">=", 1000.0)),
        ("ratio == 0.1", ("ratio", "==", 0.1)),
        ("gw > -5", ("gw", ">", -5.0)),
    ],
)
def test_parse_metric(text: str, expected: tuple[str, str, float]) -> None:
    assert parse_metric(text) == expected


@pytest.mark.parametrize("text", ["x <= ", "<= 3", "x => 3", "x <= 3 y"])
def test_parse_metric_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_metric(text)


def test_the_first_error_in_the_file_is_the_one_reported(tmp_path: Path) -> None:
    body = GOOD.replace("score = 5\n", "score = 7\n").replace('status = "pending"', 'status = "x"')
    write_book(tmp_path, body, separate=True)
    with pytest.raises(FormatError) as info:
        read_theses(tmp_path, COMPANIES, PEOPLE)
    assert info.value.field == "scorecard[0].execution.score"
