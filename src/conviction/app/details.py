"""One company, one key person, one account: what the web app's detail answers show.

``GET /api/v1/companies/{id}``, ``/persons/{id}`` and ``/accounts/{id}``: the entity as the
book declares it, its line of the status on a date, and the rows and theses about it.
Theses and scores are the documents of ``conviction thesis show`` (``report.payloads``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from conviction.book.model import Book, Link
from conviction.ledger.book_status import AccountLine, BookStatus, CompanyLine
from conviction.theses.model import Scorecard, Thesis

__all__ = [
    "AccountDetail",
    "CompanyDetail",
    "MarkRow",
    "PersonDetail",
    "TransactionRow",
    "account_detail",
    "company_detail",
    "person_detail",
]


@dataclass(frozen=True, slots=True)
class MarkRow:
    date: dt.date
    price: float
    kind: str
    grade: str
    source: str


@dataclass(frozen=True, slots=True)
class TransactionRow:
    date: dt.date
    company: str  # empty for cash rows
    action: str
    quantity: float
    price: float | None  # null where the row has none (deposits, withdrawals)
    fees: float
    file: str  # relative to the workspace when inside it
    line: int


@dataclass(frozen=True)
class CompanyDetail:
    id: str
    name: str
    public: bool
    ticker: str | None
    currency: str
    key_people: tuple[str, ...]
    themes: tuple[str, ...]
    links: tuple[Link, ...]
    status: CompanyLine | None  # None when not held on the date
    holdings: dict[str, float]  # account -> the company's weight in it
    marks: tuple[MarkRow, ...]
    theses: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class PersonDetail:
    id: str
    name: str
    companies: tuple[str, ...]
    value: float | None  # None when nothing of the person is held on the date
    weight: float | None
    gain: float | None
    scores: dict[str, Any]
    theses: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class AccountDetail:
    id: str
    name: str
    kind: str
    currency: str
    max_weight: float | None
    lot_method: str
    status: AccountLine
    transactions: tuple[TransactionRow, ...]


def _days(frame: pd.DataFrame) -> list[dt.date]:
    days = frame["date"].to_numpy().astype("datetime64[D]")
    return [dt.date.fromisoformat(str(d)) for d in np.datetime_as_string(days)]


def _theses(theses: Sequence[Thesis], kind: str, subject: str, on: dt.date) -> tuple[Any, ...]:
    from conviction.report.payloads import thesis_payload

    return tuple(
        thesis_payload(t, on, full=False)
        for t in theses
        if t.subject_kind == kind and t.subject == subject
    )


def company_detail(
    book: Book, st: BookStatus, company_id: str, *, theses: Sequence[Thesis] = ()
) -> CompanyDetail:
    """``company_id`` must be one of the book's (the caller says 404 otherwise)."""
    c = book.companies[company_id]
    marks = book.marks[book.marks["company"] == company_id]
    return CompanyDetail(
        id=c.id,
        name=c.name,
        public=c.public,
        ticker=c.ticker,
        currency=c.currency,
        key_people=c.key_people,
        themes=c.themes,
        links=c.links,
        status=next((x for x in st.by_company if x.company == company_id), None),
        holdings={
            a.account: a.weights[company_id] for a in st.by_account if company_id in a.weights
        },
        marks=tuple(
            MarkRow(day, float(r["price"]), str(r["kind"]), str(r["grade"]), str(r["source"]))
            for day, r in zip(_days(marks), marks.to_dict("records"), strict=True)
        ),
        theses=_theses(theses, "company", company_id, st.as_of),
    )


def person_detail(
    book: Book,
    st: BookStatus,
    person_id: str,
    *,
    theses: Sequence[Thesis] = (),
    scorecards: Sequence[Scorecard] = (),
) -> PersonDetail:
    """``person_id`` must be one of the book's."""
    from conviction.report.payloads import scores_payload

    line = next((p for p in st.by_person if p.name == person_id), None)
    card = next((c for c in scorecards if c.person == person_id), None)
    return PersonDetail(
        id=person_id,
        name=book.persons[person_id].name,
        companies=tuple(c.id for c in book.companies.values() if person_id in c.key_people),
        value=None if line is None else line.value,
        weight=None if line is None else line.weight,
        gain=None if line is None else line.gain,
        scores=scores_payload(card, st.as_of),
        theses=_theses(theses, "person", person_id, st.as_of),
    )


def account_detail(
    book: Book,
    st: BookStatus,
    account_id: str,
    *,
    relative: Callable[[str], str | None] = lambda f: f,
) -> AccountDetail:
    """``account_id`` must be one of the book's; ``relative`` shows each row's file."""
    a = book.accounts[account_id]
    tx = book.transactions[book.transactions["account"] == account_id]
    rows = []
    for day, r in zip(_days(tx), tx.to_dict("records"), strict=True):
        price = float(r["price"])
        file = str(r["file"])
        rows.append(
            TransactionRow(
                date=day,
                company=str(r["company"]),
                action=str(r["action"]),
                quantity=float(r["quantity"]),
                price=price if np.isfinite(price) else None,
                fees=float(r["fees"]),
                file=(relative(file) or file) if "/" in file else file,
                line=int(r["line"]),
            )
        )
    return AccountDetail(
        id=a.id,
        name=a.name,
        kind=a.kind,
        currency=a.currency,
        max_weight=a.max_weight,
        lot_method=a.lot_method,
        status=next(x for x in st.by_account if x.account == account_id),
        transactions=tuple(rows),
    )
