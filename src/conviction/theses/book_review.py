"""The review of a whole book on a date: the trigger inputs computed from the book.

``triggers`` takes plain inputs; this module derives them from a :class:`Book` with the
ledger (still pure: no files, no database), so the CLI and the web app run one review.

- weights by company and by person: ``ledger.book_status`` on the date (value of all accounts,
  or of ``accounts``, cash included in the total), the same figures ``conviction status``
  shows;
- prices: ``ledger.price_history`` on every date a price was observed up to the date
  (marks and trades), split-adjusted, for companies held or with a thesis;
- private marks: for each private company held, the date of its last price on or before
  the date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from conviction.book.model import Book
from conviction.ledger.book_status import BookStatus, status
from conviction.ledger.corporate import private_on
from conviction.ledger.valuation import price_history
from conviction.theses.model import Scorecard, Thesis
from conviction.theses.triggers import Review, ReviewSettings, review

__all__ = ["ReviewInputs", "review_book", "review_inputs"]


@dataclass(frozen=True)
class ReviewInputs:
    """What the book says on a date, in the shape the triggers take."""

    as_of: dt.date
    prices: pd.DataFrame
    company_weights: dict[str, float]
    person_weights: dict[str, float]
    private_marks: dict[str, dt.date | None]


def review_inputs(
    book: Book,
    as_of: dt.date,
    *,
    theses: Iterable[Thesis] = (),
    accounts: Sequence[str] | None = None,
    book_status: BookStatus | None = None,
) -> ReviewInputs:
    """Weights, price history and private mark dates of ``book`` on ``as_of``.

    ``book_status`` is ``status(book, as_of, accounts=accounts)`` when the caller has it
    already (on a large book it is the expensive part).
    """
    st = book_status if book_status is not None else status(book, as_of, accounts=accounts)
    held = [line for line in st.by_company if line.quantity > 0]
    company_weights = {line.company: float(line.weight) for line in held}
    person_weights = {line.name: float(line.weight) for line in st.by_person}
    private_marks: dict[str, dt.date | None] = {
        line.company: line.mark_date
        for line in held
        if line.company in book.companies and private_on(book, line.company, st.as_of)
    }
    watched = set(company_weights) | {t.subject for t in theses if t.subject_kind == "company"}
    columns = [c for c in book.companies if c in watched]
    end = np.datetime64(as_of, "D")
    seen = np.concatenate(
        [
            book.marks["date"].to_numpy().astype("datetime64[D]"),
            book.transactions["date"].to_numpy().astype("datetime64[D]"),
            [end],
        ]
    )
    days = np.unique(seen[seen <= end])
    prices = price_history(book, days)[columns] if columns else pd.DataFrame()
    return ReviewInputs(as_of, prices, company_weights, person_weights, private_marks)


def review_book(
    book: Book,
    as_of: dt.date,
    *,
    theses: Iterable[Thesis] = (),
    scorecards: Iterable[Scorecard] = (),
    settings: ReviewSettings | None = None,
    accounts: Sequence[str] | None = None,
    book_status: BookStatus | None = None,
) -> tuple[Review, ...]:
    """Every review trigger for ``book`` on ``as_of`` (see ``triggers.review``)."""
    theses = tuple(theses)
    inputs = review_inputs(book, as_of, theses=theses, accounts=accounts, book_status=book_status)
    return review(
        as_of,
        theses=theses,
        scorecards=scorecards,
        settings=settings,
        prices=inputs.prices,
        company_weights=inputs.company_weights,
        person_weights=inputs.person_weights,
        private_marks=inputs.private_marks,
    )
