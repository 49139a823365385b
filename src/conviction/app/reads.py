"""The read answers of a book: status, history, reviews (``conviction status``,
``history``, ``review`` and ``GET /api/v1/status``, ``/history``, ``/reviews``).

Each takes the inputs as a person gives them (optional dates, account ids, a currency
code in any case), resolves the defaults of ``app.book`` and returns the core's result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from conviction.errors import FormatError

if TYPE_CHECKING:  # each answer imports its module when asked for (start-up of a command)
    from conviction.book.model import Book
    from conviction.ledger.book_status import BookStatus
    from conviction.ledger.gains import GainsReport
    from conviction.ledger.history import Freq, HistoryReport
    from conviction.ledger.private import PrivateReport
    from conviction.theses.model import Scorecard, Thesis
    from conviction.theses.triggers import Review, ReviewSettings

__all__ = [
    "book_gains",
    "book_history",
    "book_private",
    "book_reviews",
    "book_status",
    "currency_code",
]


def currency_code(currency: str | None, *, field: str = "currency") -> str | None:
    """A reporting currency as given (any case): an ISO 4217 code, or ``None``."""
    from conviction.book.currencies import ISO_4217

    if not currency:
        return None
    code = currency.strip().upper()
    if code not in ISO_4217:
        raise FormatError(f"unknown currency code {currency!r} (expected ISO 4217)", field=field)
    return code


def book_status(
    book: Book,
    as_of: dt.date | None = None,
    *,
    currency: str | None = None,
    accounts: Sequence[str] | None = None,
    fields: tuple[str, str] = ("account", "currency"),
) -> BookStatus:
    """The status on ``as_of`` (default: the book's date, else today); ``fields`` name the
    account and currency inputs in errors."""
    from conviction.app.book import as_of_date, check_accounts
    from conviction.ledger.book_status import status

    ids = check_accounts(book, accounts, field=fields[0])
    code = currency_code(currency, field=fields[1])
    return status(book, as_of_date(book, as_of), currency=code, accounts=ids)


def book_history(
    book: Book,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    freq: str = "M",
    currency: str | None = None,
    accounts: Sequence[str] | None = None,
    fields: tuple[str, ...] = ("start", "end", "freq", "account", "currency"),
) -> HistoryReport:
    """Each account's value from ``start`` (default: the first trade) to ``end`` (default:
    the book's date), sampled by ``freq`` ("D" or "M", any case)."""
    from conviction.app.book import check_accounts, history_period
    from conviction.ledger.history import history_report

    f_start, f_end, f_freq, f_account, f_currency = fields
    ids = check_accounts(book, accounts, field=f_account)
    code = currency_code(currency, field=f_currency)
    sample = freq.upper()
    if sample not in ("D", "M"):
        raise FormatError(f"{f_freq} must be D or M, got {freq!r}", field=f_freq)
    period = history_period(book, start, end, fields=(f_start, f_end))
    rows: Freq = "D" if sample == "D" else "M"
    return history_report(book, period.days, currency=code, accounts=ids, freq=rows)


def book_reviews(
    book: Book,
    as_of: dt.date | None = None,
    *,
    theses: Sequence[Thesis] = (),
    scorecards: Sequence[Scorecard] = (),
    settings: ReviewSettings | None = None,
    accounts: Sequence[str] | None = None,
    field: str = "account",
) -> tuple[Review, ...]:
    """What needs a look on ``as_of`` (default: the book's date), and why."""
    from conviction.app.book import as_of_date, check_accounts
    from conviction.theses.book_review import review_book

    ids = check_accounts(book, accounts, field=field)
    return review_book(
        book,
        as_of_date(book, as_of),
        theses=theses,
        scorecards=scorecards,
        settings=settings,
        accounts=ids,
    )


def book_gains(
    book: Book,
    *,
    year: int | None = None,
    accounts: Sequence[str] | None = None,
    field: str = "account",
) -> GainsReport:
    """Realised gains per sale and by tax year (``conviction gains``)."""
    from conviction.app.book import check_accounts
    from conviction.ledger.gains import realized_gains

    return realized_gains(book, year=year, accounts=check_accounts(book, accounts, field=field))


def book_private(
    book: Book,
    as_of: dt.date | None = None,
    *,
    currency: str | None = None,
    accounts: Sequence[str] | None = None,
    fields: tuple[str, str] = ("account", "currency"),
) -> PrivateReport:
    """Paid-in, distributed, residual, multiples and IRR of the private holdings."""
    from conviction.app.book import as_of_date, check_accounts
    from conviction.ledger.private import private_measures

    ids = check_accounts(book, accounts, field=fields[0])
    code = currency_code(currency, field=fields[1])
    return private_measures(book, as_of_date(book, as_of), currency=code, accounts=ids)
