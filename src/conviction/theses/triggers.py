"""Review triggers: which theses, positions and people need a look on a date, and why.

Each trigger is a small pure function of plain inputs that returns frozen :class:`Review`
objects. Triggers that need the book take what the book gives on that date (a price
history frame, weights by company and by person, the dates of the last private marks), so
this module never reads a book, a file or a database; the CLI computes those inputs.

Boundaries, so a reader knows which day a trigger starts firing:

=======================  ==================================================================
trigger                  fires on ``on`` when
=======================  ==================================================================
milestone_overdue        ``on > due`` and the status in force is not ``hit``; or the status
                         in force is ``missed`` (whatever the due date)
milestone_slipped        entries with status ``slipped`` dated on or before ``on`` number
                         more than ``max_slips``
drawdown                 ``1 - last / peak > drawdown_bound``; peak and last over the prices
                         on or before ``on``
company_concentration    a company's weight ``> company_cap``
person_concentration     a person's weight ``> person_cap``
stale_private_mark       ``(on - last private mark).days > mark_max_age_days``, or no mark
score_drop               a pillar's score in force on ``on`` is at least ``score_drop`` below
                         the highest score in force at any time in the ``score_window_days``
                         before ``on``
=======================  ==================================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd

from conviction.book.model import Company
from conviction.theses.model import PILLARS, Scorecard, Thesis

__all__ = [
    "TRIGGERS",
    "Figure",
    "Review",
    "ReviewSettings",
    "TriggerName",
    "company_concentration",
    "drawdowns",
    "overdue_milestones",
    "person_concentration",
    "person_weights",
    "review",
    "score_drops",
    "slipped_milestones",
    "stale_private_marks",
]

TriggerName: TypeAlias = Literal[
    "milestone_overdue",
    "milestone_slipped",
    "drawdown",
    "company_concentration",
    "person_concentration",
    "stale_private_mark",
    "score_drop",
]
#: Every trigger, in the order reviews are listed.
TRIGGERS: tuple[TriggerName, ...] = (
    "milestone_overdue",
    "milestone_slipped",
    "drawdown",
    "company_concentration",
    "person_concentration",
    "stale_private_mark",
    "score_drop",
)

Figure: TypeAlias = float | int | str | None


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    """Bounds and caps of the triggers (the ``[review]`` table; these are the defaults)."""

    max_slips: int = 1
    drawdown_bound: float = 0.40
    company_cap: float = 0.25
    person_cap: float = 0.50
    mark_max_age_days: int = 180
    score_drop: float = 2.0
    score_window_days: int = 365


@dataclass(frozen=True, slots=True)
class Review:
    """One reason to look again: which rule, about what, in words and in figures."""

    trigger: TriggerName
    subject: str
    detail: str
    figures: Mapping[str, Figure]

    def to_dict(self) -> dict[str, object]:
        return {
            "trigger": self.trigger,
            "subject": self.subject,
            "detail": self.detail,
            "figures": dict(self.figures),
        }


def overdue_milestones(theses: Iterable[Thesis], on: dt.date) -> list[Review]:
    """Milestones past due and not hit on ``on``, and milestones marked missed."""
    found: list[Review] = []
    for thesis in theses:
        for m in thesis.milestones:
            state = m.state_on(on)
            if state is None or state.status == "hit":
                continue
            late = (on - state.due).days
            if late <= 0 and state.status != "missed":
                continue
            if state.status == "missed":
                why = f"marked missed on {state.date}"
            else:
                why = f"{late} days past due ({state.due}), status {state.status}"
            found.append(
                Review(
                    trigger="milestone_overdue",
                    subject=f"{thesis.id}/{m.id}",
                    detail=f"{m.title} ({thesis.subject}): {why}",
                    figures={
                        "thesis": thesis.id,
                        "milestone": m.id,
                        thesis.subject_kind: thesis.subject,
                        "due": state.due.isoformat(),
                        "status": state.status,
                        "days_overdue": late,
                    },
                )
            )
    return found


def slipped_milestones(theses: Iterable[Thesis], on: dt.date, max_slips: int) -> list[Review]:
    """Milestones marked slipped more than ``max_slips`` times by ``on``."""
    found: list[Review] = []
    for thesis in theses:
        for m in thesis.milestones:
            slips = m.slips(on)
            if slips <= max_slips:
                continue
            state = m.state_on(on)
            due = state.due.isoformat() if state is not None else None
            found.append(
                Review(
                    trigger="milestone_slipped",
                    subject=f"{thesis.id}/{m.id}",
                    detail=(
                        f"{m.title} ({thesis.subject}): slipped {slips} times "
                        f"(more than {max_slips}); now due {due}"
                    ),
                    figures={
                        "thesis": thesis.id,
                        "milestone": m.id,
                        thesis.subject_kind: thesis.subject,
                        "slips": slips,
                        "max_slips": max_slips,
                        "due": due,
                    },
                )
            )
    return found


def drawdowns(prices: pd.DataFrame, on: dt.date, bound: float) -> list[Review]:
    """Companies whose last price on or before ``on`` is more than ``bound`` below its peak.

    ``prices`` is dates x company ids (NaN before a company's first mark). The peak is the
    highest price on or before ``on``; prices must be comparable over time (split-adjusted).
    """
    if not prices.index.is_monotonic_increasing:
        prices = prices.sort_index()
    index = pd.DatetimeIndex(prices.index)
    n = int(np.searchsorted(index.to_numpy(), np.datetime64(on, "D"), side="right"))
    if n == 0 or prices.shape[1] == 0:
        return []
    # Reductions down the date axis of the (dates, companies) array: fmax skips NaN without
    # warnings. A gap at the end (a frame that is not forward-filled) is looked up per column.
    # Slicing (not fancy indexing) keeps pandas' column-major block a view: no copy.
    values = prices.to_numpy(dtype=float)[:n]
    peak = np.fmax.reduce(values, axis=0)
    last = values[-1].copy()
    for j in np.flatnonzero(np.isnan(last) & ~np.isnan(peak)).tolist():
        column = values[:, j]
        last[j] = column[~np.isnan(column)][-1]
    with np.errstate(invalid="ignore"):
        drawdown = 1.0 - last / peak
    days = index[:n].to_numpy().astype("datetime64[D]")
    found: list[Review] = []
    for j in np.flatnonzero(drawdown > bound).tolist():
        company, dd = str(prices.columns[j]), float(drawdown[j])
        peak_date: dt.date = days[int(np.nanargmax(values[:, j]))].astype(dt.date)
        found.append(
            Review(
                trigger="drawdown",
                subject=company,
                detail=(
                    f"{company} is {dd:.1%} below its peak of {float(peak[j]):,.2f} "
                    f"({peak_date}); bound {bound:.0%}"
                ),
                figures={
                    "company": company,
                    "price": float(last[j]),
                    "peak": float(peak[j]),
                    "peak_date": peak_date.isoformat(),
                    "drawdown": dd,
                    "bound": bound,
                },
            )
        )
    return found


def _over_cap(
    weights: Mapping[str, float], cap: float, trigger: TriggerName, kind: str
) -> list[Review]:
    return [
        Review(
            trigger=trigger,
            subject=name,
            detail=f"{kind} {name} is {w:.1%} of the book, over the cap of {cap:.0%}",
            figures={kind: name, "weight": float(w), "cap": cap},
        )
        for name, w in weights.items()
        if w > cap
    ]


def company_concentration(company_weights: Mapping[str, float], cap: float) -> list[Review]:
    """Companies whose weight in the book is over ``cap``."""
    return _over_cap(company_weights, cap, "company_concentration", "company")


def person_concentration(person_weights: Mapping[str, float], cap: float) -> list[Review]:
    """People whose companies together weigh more than ``cap`` of the book."""
    return _over_cap(person_weights, cap, "person_concentration", "person")


def person_weights(
    company_weights: Mapping[str, float], companies: Mapping[str, Company]
) -> dict[str, float]:
    """A person's weight: the sum of their companies' weights times their share of each."""
    weights: dict[str, float] = {}
    for company, w in company_weights.items():
        if company not in companies:
            continue
        for person, share in companies[company].person_weights().items():
            weights[person] = weights.get(person, 0.0) + w * share
    return weights


def stale_private_marks(
    last_marks: Mapping[str, dt.date | None], on: dt.date, max_age_days: int
) -> list[Review]:
    """Private holdings whose last mark on or before ``on`` is older than ``max_age_days``.

    ``last_marks`` maps each private company held to the date of its last mark on or
    before ``on``, or None when it has never been marked.
    """
    found: list[Review] = []
    for company, last in last_marks.items():
        age = None if last is None else (on - last).days
        if age is not None and age <= max_age_days:
            continue
        what = "has no mark" if last is None else f"was last marked {age} days ago ({last})"
        found.append(
            Review(
                trigger="stale_private_mark",
                subject=company,
                detail=f"private holding {company} {what}; limit {max_age_days} days",
                figures={
                    "company": company,
                    "last_mark": None if last is None else last.isoformat(),
                    "age_days": age,
                    "max_age_days": max_age_days,
                },
            )
        )
    return found


def score_drops(
    scorecards: Iterable[Scorecard], on: dt.date, drop: float, window_days: int
) -> list[Review]:
    """Pillars whose score fell by ``drop`` or more from their high within the window."""
    start = on - dt.timedelta(days=window_days)
    found: list[Review] = []
    for card in scorecards:
        for pillar in PILLARS:
            now = card.score_on(pillar, on)
            if now is None:
                continue
            at_start = card.score_on(pillar, start)
            candidates = [e for e in card.history(pillar) if start < e.date <= on]
            if at_start is not None:
                candidates.append(at_start)
            high = max(candidates, key=lambda e: e.score)
            fall = high.score - now.score
            if fall < drop:
                continue
            found.append(
                Review(
                    trigger="score_drop",
                    subject=card.person,
                    detail=(
                        f"{card.person}'s {pillar} score fell from {high.score:g} "
                        f"({high.date}) to {now.score:g} ({now.date})"
                    ),
                    figures={
                        "person": card.person,
                        "pillar": pillar,
                        "score": now.score,
                        "high": high.score,
                        "high_date": high.date.isoformat(),
                        "fall": fall,
                        "drop": drop,
                    },
                )
            )
    return found


def review(
    on: dt.date,
    *,
    theses: Iterable[Thesis] = (),
    scorecards: Iterable[Scorecard] = (),
    settings: ReviewSettings | None = None,
    prices: pd.DataFrame | None = None,
    company_weights: Mapping[str, float] | None = None,
    person_weights: Mapping[str, float] | None = None,
    private_marks: Mapping[str, dt.date | None] | None = None,
) -> tuple[Review, ...]:
    """Every trigger on ``on``, in ``TRIGGERS`` order then by subject.

    Inputs left as None skip the triggers that need them (no prices: no drawdowns).
    """
    s = settings if settings is not None else ReviewSettings()
    theses = tuple(theses)
    found = overdue_milestones(theses, on) + slipped_milestones(theses, on, s.max_slips)
    if prices is not None:
        found += drawdowns(prices, on, s.drawdown_bound)
    if company_weights is not None:
        found += company_concentration(company_weights, s.company_cap)
    if person_weights is not None:
        found += person_concentration(person_weights, s.person_cap)
    if private_marks is not None:
        found += stale_private_marks(private_marks, on, s.mark_max_age_days)
    found += score_drops(scorecards, on, s.score_drop, s.score_window_days)
    order = {name: i for i, name in enumerate(TRIGGERS)}
    return tuple(sorted(found, key=lambda r: (order[r.trigger], r.subject)))
