"""JSON shapes of the theses shared by the CLI and the web app, so both answer the same.

``thesis_payload`` is the document of ``conviction thesis show --json`` and of
``GET /api/v1/theses/{id}``. Plain dicts of plain values; dates and NaN are left for the
printer (JSON: ISO text and null). The answers of the ledger (status, history...) are not
written here: their JSON comes from their result classes (``conviction.app.answers``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from conviction.theses.model import Milestone, MilestoneEntry, Scorecard, Thesis

__all__ = [
    "MILESTONE_STATUSES",
    "milestone_entry_payload",
    "scores_payload",
    "thesis_payload",
]

#: Milestone statuses in the order tables and counts show them.
MILESTONE_STATUSES = ("pending", "slipped", "hit", "missed")


def milestone_entry_payload(e: MilestoneEntry) -> dict[str, Any]:
    """One dated entry of a milestone's history."""
    return {
        "date": e.date,
        "status": e.status,
        "due": e.due,
        "evidence": e.evidence,
        "source": e.source,
        "value": e.value,
        "origin": e.origin,
    }


def _milestone_payload(m: Milestone, on: dt.date) -> dict[str, Any]:
    state = m.state_on(on)
    return {
        "id": m.id,
        "title": m.title,
        "target": m.target_text,
        "status": state.status if state else None,
        "due": state.due if state else None,
        "evidence": state.evidence if state else None,
        "slips": m.slips(on),
        "history": [milestone_entry_payload(e) for e in m.history],
        "effects": [
            {
                "driver": e.driver,
                "hit": e.hit,
                "missed": e.missed,
                "slipped_years": e.slipped_years,
                "growth": e.growth,
            }
            for e in m.effects
        ],
    }


def thesis_payload(t: Thesis, on: dt.date, *, full: bool) -> dict[str, Any]:
    """A thesis on a date (``full=False``: the line of ``thesis list``)."""
    states = [m.state_on(on) for m in t.milestones]
    counts = {
        s: sum(1 for x in states if x is not None and x.status == s) for s in MILESTONE_STATUSES
    }
    open_dues = [x.due for x in states if x is not None and x.status in ("pending", "slipped")]
    payload: dict[str, Any] = {
        "id": t.id,
        t.subject_kind: t.subject,
        "statement": t.statement,
        "opened": t.opened,
        "horizon": t.horizon,
        "milestones_by_status": counts,
        "next_due": min(open_dues) if open_dues else None,
    }
    if full:
        payload["kill_criteria"] = list(t.kill_criteria)
        payload["milestones"] = [_milestone_payload(m, on) for m in t.milestones]
    return payload


def scores_payload(card: Scorecard | None, on: dt.date) -> dict[str, Any]:
    """The four-pillar scores in force on a date, each with its dated evidence."""
    scores = card.on(on) if card is not None else {}
    return {
        p: {
            "score": s.score,
            "date": s.date,
            "evidence": [{"text": e.text, "date": e.date, "source": e.source} for e in s.evidence],
        }
        for p, s in scores.items()
    }
