"""JSON shapes shared by the CLI and the web app, so both answer the same thing.

``status_payload`` is the document of ``conviction status --json`` and of
``GET /api/v1/status``; ``history_payload`` that of ``conviction history --json`` and
``GET /api/v1/history`` (documented in docs/formats.md); ``thesis_payload`` that of
``conviction thesis show --json`` and ``GET /api/v1/theses/{id}``. Plain dicts of plain values;
dates and NaN are left for the printer (JSON: ISO text and null).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from conviction.book.model import Book
from conviction.ledger.status import BookStatus
from conviction.theses.model import Milestone, MilestoneEntry, Scorecard, Thesis

__all__ = [
    "MILESTONE_STATUSES",
    "history_payload",
    "milestone_entry_payload",
    "sample_rows",
    "scores_payload",
    "status_payload",
    "thesis_payload",
]

#: Milestone statuses in the order tables and counts show them.
MILESTONE_STATUSES = ("pending", "slipped", "hit", "missed")


def status_payload(result: BookStatus) -> dict[str, Any]:
    """The JSON shape of ``conviction status --json`` (documented in docs/formats.md)."""
    return {
        "as_of": result.as_of,
        "currency": result.currency,
        "total_value": result.total_value,
        "cash": result.cash,
        "total_gain": result.total_gain,
        "price_effect": result.price_effect,
        "currency_effect": result.currency_effect,
        "hhi": result.hhi,
        "by_company": [
            {
                "company": c.company,
                "quantity": c.quantity,
                "price": c.price,
                "value": c.value,
                "weight": c.weight,
                "cost": c.cost,
                "unrealized_gain": c.unrealized_gain,
                "realized_gain": c.realized_gain,
                "income": c.income,
                "gain": c.gain,
                "price_effect": c.price_effect,
                "currency_effect": c.currency_effect,
                "local_currency": c.local_currency,
                "local_gain": c.local_gain,
                "mark": {
                    "date": c.mark_date,
                    "kind": c.mark_kind,
                    "grade": c.mark_grade,
                    "age_days": c.mark_age_days,
                },
            }
            for c in result.by_company
        ],
        "by_person": [
            {"person": p.name, "value": p.value, "weight": p.weight, "gain": p.gain}
            for p in result.by_person
        ],
        "by_theme": [
            {"theme": t.name, "value": t.value, "weight": t.weight, "gain": t.gain}
            for t in result.by_theme
        ],
        "by_account": [
            {
                "account": a.account,
                "kind": a.kind,
                "value": a.value,
                "cash": a.cash,
                "gain": a.gain,
                "price_effect": a.price_effect,
                "currency_effect": a.currency_effect,
                "weights": a.weights,
            }
            for a in result.by_account
        ],
        "stale_marks": [
            {
                "company": s.company,
                "last_mark_date": s.last_mark_date,
                "age_days": s.age_days,
                "kind": s.kind,
                "grade": s.grade,
                "source": s.source,
            }
            for s in result.stale_marks
        ],
        "stale_fx": result.stale_fx,
        "stale_rates": [
            {
                "pair": r.pair,
                "last_rate_date": r.last_rate_date,
                "age_days": r.age_days,
                "rate": r.rate,
                "source": r.source,
            }
            for r in result.stale_rates
        ],
    }


def sample_rows(days: np.ndarray, freq: str) -> list[int]:
    """Row numbers to show: every day ("D") or each month's last day ("M")."""
    if freq == "D":
        return list(range(days.size))
    months = days.astype("datetime64[M]")
    last = np.flatnonzero(np.append(months[1:] != months[:-1], True))
    return [int(i) for i in last]


def history_payload(
    book: Book,
    days: np.ndarray,
    *,
    currency: str | None = None,
    accounts: Sequence[str] | None = None,
    freq: str = "M",
) -> dict[str, Any]:
    """Value of each account on ``days`` (sampled by ``freq``: "D" or "M") with time- and
    money-weighted returns, in the reporting currency and each account's own."""
    from conviction.ledger.account_returns import account_returns

    accounts = tuple(accounts) if accounts is not None else tuple(book.accounts)
    returns = account_returns(book, days, currency=currency, accounts=accounts)
    vh = returns.history
    value = vh.value
    summary: list[dict[str, Any]] = [
        {
            "account": line.account,
            "start_value": line.start_value,
            "end_value": line.end_value,
            "net_flows": line.net_flows,
            "twr": line.twr,
            "irr": line.irr,
            "base": {
                "currency": base.currency,
                "start_value": base.start_value,
                "end_value": base.end_value,
                "net_flows": base.net_flows,
                "twr": base.twr,
                "irr": base.irr,
            },
        }
        for line, base in zip(returns.reporting, returns.base, strict=True)
    ]
    series: list[dict[str, Any]] = [
        {"date": str(days[i]), **{a: float(value[i, j]) for j, a in enumerate(accounts)}}
        for i in sample_rows(days, freq)
    ]
    return {
        "currency": vh.currency,
        "accounts": summary,
        "series": series,
        "stale_fx_days": int(returns.stale_fx.sum()),
    }


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
