"""The model keeps history: an update is a new dated entry, the state on a date the latest."""

from __future__ import annotations

import datetime as dt

import pytest

from conviction.errors import FormatError, UnknownIdError
from conviction.theses import (
    Evidence,
    Milestone,
    MilestoneEntry,
    PillarScore,
    Scorecard,
    Thesis,
    scorecards_by_person,
    update_milestone,
)

D = dt.date


def make_thesis() -> Thesis:
    m = Milestone(
        id="optimus",
        title="Optimus V3 under $20,000",
        history=(MilestoneEntry(D(2025, 11, 14), "pending", D(2027, 12, 31), "target set"),),
        metric="optimus_unit_cost",
        op="<=",
        target=20000.0,
    )
    return Thesis(
        id="tesla",
        subject_kind="company",
        subject="tesla",
        statement="Tesla builds the machine that builds the machine.",
        opened=D(2025, 11, 14),
        horizon=D(2035, 11, 14),
        milestones=(m,),
    )


def test_update_appends_and_keeps_the_old_state() -> None:
    t0 = make_thesis()
    t1, e1 = update_milestone(
        t0, "optimus", status="slipped", on=D(2027, 6, 1), evidence="cost 28k", due=D(2028, 6, 30)
    )
    t2, _ = update_milestone(t1, "optimus", status="hit", on=D(2028, 3, 1), evidence="19.5k")
    m = t2.milestone("optimus")
    assert [e.status for e in m.history] == ["pending", "slipped", "hit"]
    assert e1.origin == "update"
    # The hit keeps the due date set by the slip.
    assert m.latest.due == D(2028, 6, 30)
    assert m.state_on(D(2027, 5, 31)).status == "pending"  # type: ignore[union-attr]
    assert m.state_on(D(2027, 6, 1)).status == "slipped"  # type: ignore[union-attr]
    assert m.state_on(D(2025, 11, 13)) is None
    assert m.status == "hit"
    # The earlier objects are untouched.
    assert len(t0.milestone("optimus").history) == 1
    assert len(t1.milestone("optimus").history) == 2


def test_same_day_entries_the_later_one_wins() -> None:
    t, _ = update_milestone(make_thesis(), "optimus", status="hit", on=D(2026, 1, 1), evidence="a")
    t, _ = update_milestone(t, "optimus", status="missed", on=D(2026, 1, 1), evidence="b")
    assert t.milestone("optimus").state_on(D(2026, 1, 1)).evidence == "b"  # type: ignore[union-attr]


def test_metric_target() -> None:
    m = make_thesis().milestone("optimus")
    assert m.meets(19999.0) is True
    assert m.meets(20000.0) is True
    assert m.meets(20001.0) is False
    assert m.target_text == "optimus_unit_cost <= 20000"


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"milestone_id": "nope"}, UnknownIdError, "milestone"),
        ({"status": "done"}, FormatError, "status"),
        ({"evidence": "  "}, FormatError, "evidence"),
        ({"on": D(2025, 1, 1)}, FormatError, "date"),
        ({"due": D(2025, 1, 1)}, FormatError, "due"),
    ],
)
def test_bad_updates_raise_and_name_the_field(
    kwargs: dict[str, object], error: type[Exception], field: str
) -> None:
    args: dict[str, object] = {
        "milestone_id": "optimus",
        "status": "hit",
        "on": D(2026, 1, 1),
        "evidence": "x",
    }
    args.update(kwargs)
    with pytest.raises(error) as info:
        update_milestone(make_thesis(), **args)  # type: ignore[arg-type]
    assert info.value.field == field  # type: ignore[attr-defined]


def test_scorecard_history_and_state_on_a_date() -> None:
    ev = Evidence("mortgaged his house to pay salaries", D(2025, 11, 14), "seed")
    entries = [
        PillarScore("musk", "execution", 4, D(2020, 1, 1)),
        PillarScore("musk", "execution", 5, D(2025, 11, 14), (ev,)),
        PillarScore("musk", "resilience", 5, D(2025, 11, 14)),
        PillarScore("other", "execution", 3, D(2025, 1, 1)),
    ]
    cards = scorecards_by_person(reversed(entries))
    card = cards["musk"]
    assert [e.score for e in card.history("execution")] == [4, 5]
    assert card.score_on("execution", D(2025, 11, 13)).score == 4  # type: ignore[union-attr]
    assert card.score_on("execution", D(2025, 11, 14)).evidence == (ev,)  # type: ignore[union-attr]
    assert set(card.on(D(2021, 1, 1))) == {"execution"}
    assert set(card.on(D(2025, 11, 14))) == {"execution", "resilience"}
    later = card.with_entry(PillarScore("musk", "execution", 3, D(2026, 1, 1)))
    assert later.score_on("execution", D(2026, 1, 1)).score == 3  # type: ignore[union-attr]
    assert len(card.entries) == 3
    assert isinstance(cards["other"], Scorecard)
