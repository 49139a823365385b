"""Review triggers on hand-built inputs: each fires on the first day it should, not before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conviction.book.model import Company
from conviction.theses import (
    TRIGGERS,
    Milestone,
    MilestoneEntry,
    PillarScore,
    ReviewSettings,
    Scorecard,
    Thesis,
    company_concentration,
    drawdowns,
    overdue_milestones,
    person_concentration,
    person_weights,
    review,
    score_drops,
    slipped_milestones,
    stale_private_marks,
)
from needs_data import need

D = dt.date
DAY = dt.timedelta(days=1)
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def thesis(*entries: MilestoneEntry, opened: dt.date = D(2025, 1, 1)) -> Thesis:
    m = Milestone(id="m1", title="Ship it", history=entries)
    return Thesis(
        id="t1",
        subject_kind="company",
        subject="acme",
        statement="Acme ships.",
        opened=opened,
        horizon=D(2035, 1, 1),
        milestones=(m,),
    )


def entry(on: dt.date, status: str, due: dt.date) -> MilestoneEntry:
    return MilestoneEntry(date=on, status=status, due=due, evidence="x")  # type: ignore[arg-type]


# --- milestone past due and not hit -------------------------------------------------------


def test_overdue_fires_the_day_after_due_not_on_due() -> None:
    due = D(2026, 6, 30)
    t = thesis(entry(D(2025, 1, 1), "pending", due))
    assert overdue_milestones([t], due) == []
    (r,) = overdue_milestones([t], due + DAY)
    assert r.trigger == "milestone_overdue"
    assert r.subject == "t1/m1"
    assert r.figures["days_overdue"] == 1
    assert r.figures["company"] == "acme"
    (r,) = overdue_milestones([t], due + 10 * DAY)
    assert r.figures["days_overdue"] == 10


def test_overdue_stops_once_hit_and_uses_the_state_in_force() -> None:
    due = D(2026, 6, 30)
    hit_on = D(2026, 8, 1)
    t = thesis(entry(D(2025, 1, 1), "pending", due), entry(hit_on, "hit", due))
    assert len(overdue_milestones([t], hit_on - DAY)) == 1
    assert overdue_milestones([t], hit_on) == []
    # Looking back at a date before the hit still sees it as overdue: history is kept.
    assert len(overdue_milestones([t], D(2026, 7, 15))) == 1


def test_a_slip_with_a_new_due_date_moves_the_trigger() -> None:
    due, new_due = D(2026, 6, 30), D(2026, 12, 31)
    t = thesis(entry(D(2025, 1, 1), "pending", due), entry(D(2026, 6, 1), "slipped", new_due))
    assert overdue_milestones([t], due + DAY) == []
    assert overdue_milestones([t], new_due) == []
    assert len(overdue_milestones([t], new_due + DAY)) == 1


def test_missed_fires_from_the_day_it_is_marked_even_before_due() -> None:
    due = D(2027, 1, 1)
    missed_on = D(2026, 3, 1)
    t = thesis(entry(D(2025, 1, 1), "pending", due), entry(missed_on, "missed", due))
    assert overdue_milestones([t], missed_on - DAY) == []
    (r,) = overdue_milestones([t], missed_on)
    assert r.figures["status"] == "missed"


def test_no_trigger_before_the_milestone_exists() -> None:
    t = thesis(entry(D(2025, 1, 1), "pending", D(2025, 2, 1)))
    assert overdue_milestones([t], D(2024, 12, 31)) == []


# --- milestone slipped more than N times ----------------------------------------------------


def test_slipped_fires_on_the_slip_that_exceeds_n() -> None:
    t = thesis(
        entry(D(2025, 1, 1), "pending", D(2025, 6, 1)),
        entry(D(2025, 5, 1), "slipped", D(2025, 9, 1)),
        entry(D(2025, 8, 1), "slipped", D(2026, 1, 1)),
    )
    assert slipped_milestones([t], D(2025, 7, 31), max_slips=1) == []
    assert slipped_milestones([t], D(2025, 8, 1) - DAY, max_slips=1) == []
    (r,) = slipped_milestones([t], D(2025, 8, 1), max_slips=1)
    assert r.figures["slips"] == 2
    assert r.figures["due"] == "2026-01-01"
    # With N = 2 two slips are not "more than N".
    assert slipped_milestones([t], D(2030, 1, 1), max_slips=2) == []


# --- drawdown from peak ---------------------------------------------------------------------


def prices_frame() -> pd.DataFrame:
    idx = pd.DatetimeIndex(["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07", "2025-01-08"])
    return pd.DataFrame(
        {
            "acme": [100.0, 150.0, 95.0, 89.0, 120.0],
            "late": [np.nan, np.nan, 10.0, 10.0, 4.0],
        },
        index=idx,
    )


def test_drawdown_fires_past_the_bound_and_not_before() -> None:
    frame = prices_frame()
    # acme: peak 150, then 95 (dd 1/3 + 0.0333 = 0.3667), then 89 (dd 0.40667).
    assert drawdowns(frame, D(2025, 1, 6), 0.40) == []
    (r,) = drawdowns(frame, D(2025, 1, 7), 0.40)
    assert r.subject == "acme"
    assert r.figures["peak"] == 150.0
    assert r.figures["peak_date"] == "2025-01-03"
    assert r.figures["drawdown"] == pytest.approx(1 - 89 / 150)
    # Recovered to 120 (dd 0.2); "late" fell 60% from its own first mark.
    (r,) = drawdowns(frame, D(2025, 1, 8), 0.40)
    assert r.subject == "late"
    assert r.figures["drawdown"] == pytest.approx(0.6)


def test_drawdown_ignores_prices_after_the_date_and_weekend_dates_use_last_price() -> None:
    frame = prices_frame()
    # Saturday 2025-01-04: the last price is Friday's peak, so no drawdown at all.
    assert drawdowns(frame, D(2025, 1, 4), 0.0) == []
    assert drawdowns(frame, D(2024, 12, 31), 0.0) == []


def test_drawdown_agrees_with_quantstats_on_real_tsla() -> None:
    import quantstats

    from conviction.io.prices import read_price_csv

    close = read_price_csv(need(DATA / "prices" / "TSLA.csv"))
    close = close.loc["2019-01-01":"2023-12-31"]
    returns = close.pct_change().iloc[1:]
    # quantstats rebuilds prices from returns with a phantom base of 1 = the first close.
    reference = -quantstats.stats.to_drawdown_series(returns)
    frame = close.to_frame("tesla")
    bound = 0.60
    first = reference.index[int(np.argmax(reference.to_numpy() > bound))]
    before = reference.index[reference.index.get_loc(first) - 1]
    assert drawdowns(frame, before.date(), bound) == []
    (r,) = drawdowns(frame, first.date(), bound)
    assert r.figures["drawdown"] == pytest.approx(float(reference.loc[first]), rel=1e-9)
    on = pd.Timestamp("2022-12-30")
    (r,) = drawdowns(frame, on.date(), bound)
    assert r.figures["drawdown"] == pytest.approx(float(reference.loc[on]), rel=1e-9)


# --- concentration --------------------------------------------------------------------------


def test_concentration_fires_strictly_over_the_cap() -> None:
    weights = {"tesla": 0.40, "spacex": 0.25, "xai": 0.05}
    assert [r.subject for r in company_concentration(weights, 0.25)] == ["tesla"]
    assert company_concentration(weights, 0.40) == []
    (r,) = company_concentration(weights, 0.399)
    assert r.figures == {"company": "tesla", "weight": 0.40, "cap": 0.399}


def test_person_weights_sum_company_weights_by_share() -> None:
    companies = {
        "tesla": Company(id="tesla", name="Tesla", key_people=("musk",)),
        "spacex": Company(
            id="spacex",
            name="SpaceX",
            key_people=("musk", "shotwell"),
            key_people_weights=(3.0, 1.0),
        ),
        "apple": Company(id="apple", name="Apple"),
    }
    weights = person_weights({"tesla": 0.40, "spacex": 0.20, "apple": 0.3}, companies)
    assert weights == pytest.approx({"musk": 0.40 + 0.15, "shotwell": 0.05})
    (r,) = person_concentration(weights, 0.50)
    assert r.subject == "musk"
    assert person_concentration(weights, 0.55) == []


# --- stale private marks --------------------------------------------------------------------


def test_stale_mark_fires_the_day_after_the_limit() -> None:
    last = D(2025, 1, 1)
    limit = 180
    edge = last + limit * DAY
    assert stale_private_marks({"spacex": last}, edge, limit) == []
    (r,) = stale_private_marks({"spacex": last}, edge + DAY, limit)
    assert r.figures["age_days"] == limit + 1
    (r,) = stale_private_marks({"xai": None}, edge, limit)
    assert r.figures["last_mark"] is None


# --- scorecard pillar fell by 2 or more -----------------------------------------------------


def score(on: dt.date, pillar: str, value: float) -> PillarScore:
    return PillarScore(person="p", pillar=pillar, score=value, date=on)  # type: ignore[arg-type]


def test_score_drop_fires_on_the_day_of_the_fall() -> None:
    card = Scorecard(
        "p",
        (
            score(D(2025, 1, 1), "execution", 5),
            score(D(2025, 3, 1), "execution", 4),
            score(D(2025, 6, 1), "execution", 3),
            score(D(2025, 1, 1), "resilience", 5),
            score(D(2025, 6, 1), "resilience", 4),
        ),
    )
    assert score_drops([card], D(2025, 6, 1) - DAY, 2, 365) == []
    (r,) = score_drops([card], D(2025, 6, 1), 2, 365)
    assert r.figures["pillar"] == "execution"
    assert r.figures["high"] == 5
    assert r.figures["fall"] == 2
    assert r.figures["high_date"] == "2025-01-01"


def test_score_drop_leaves_the_window_after_window_days() -> None:
    card = Scorecard(
        "p", (score(D(2024, 1, 1), "integration", 5), score(D(2024, 7, 1), "integration", 2))
    )
    # The 5 stays in force until 2024-07-01, so it is the high while that day is in window.
    last_day = D(2024, 7, 1) + 364 * DAY
    assert len(score_drops([card], last_day, 2, 365)) == 1
    assert score_drops([card], last_day + DAY, 2, 365) == []


def test_score_rise_never_fires() -> None:
    card = Scorecard(
        "p", (score(D(2024, 1, 1), "long_term", 1), score(D(2024, 2, 1), "long_term", 5))
    )
    assert score_drops([card], D(2024, 2, 1), 2, 365) == []


# --- all together ---------------------------------------------------------------------------


def test_review_orders_by_trigger_then_subject_and_skips_missing_inputs() -> None:
    t = thesis(entry(D(2025, 1, 1), "pending", D(2025, 2, 1)))
    settings = ReviewSettings(company_cap=0.3, person_cap=0.5)
    found = review(
        D(2025, 3, 1),
        theses=[t],
        settings=settings,
        company_weights={"b": 0.35, "a": 0.31},
        person_weights={"musk": 0.66},
        private_marks={"spacex": D(2024, 1, 1)},
    )
    assert [(r.trigger, r.subject) for r in found] == [
        ("milestone_overdue", "t1/m1"),
        ("company_concentration", "a"),
        ("company_concentration", "b"),
        ("person_concentration", "musk"),
        ("stale_private_mark", "spacex"),
    ]
    assert {r.trigger for r in found} <= set(TRIGGERS)
    assert found[0].to_dict()["figures"] == dict(found[0].figures)
    assert review(D(2025, 3, 1)) == ()


def test_drawdown_on_a_gappy_unsorted_frame_matches_a_plain_reference() -> None:
    rng = np.random.default_rng(3)
    idx = pd.bdate_range("2024-01-01", periods=300)
    frame = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.03, (300, 6)), axis=0)), index=idx)
    frame.columns = [f"c{j}" for j in range(6)]
    frame.iloc[:100, 0] = np.nan  # marked late
    frame.iloc[::7, 1] = np.nan  # marked with gaps, not forward-filled
    frame.iloc[-5:, 2] = np.nan  # no mark in the last days
    frame.iloc[:, 3] = np.nan  # never marked
    on = idx[-1].date()
    reference = {}
    for c in frame.columns:
        col = frame[c].dropna()
        if len(col):
            reference[c] = 1 - col.iloc[-1] / col.max()
    for bound in (0.0, 0.2, 0.5):
        got = drawdowns(frame.sample(frac=1.0, random_state=1), on, bound)
        want = {c: v for c, v in reference.items() if v > bound}
        assert {r.subject: r.figures["drawdown"] for r in got} == pytest.approx(want)
        for r in got:
            peak_day = frame[r.subject].idxmax().date()
            assert r.figures["peak_date"] == peak_day.isoformat()
