"""Opening a stored book, and the defaults every face resolves the same way.

``open_book`` reads the book once; the date, account and period defaults of the status,
the history and the reviews live here, so the CLI, the web app and the report agree on
what "no date given" means and on the error an unknown account id gets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from conviction.book.model import Account, Book, Company, Person
from conviction.errors import DataError, FormatError, UnknownIdError

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "HOLDINGS",
    "LARGE_BOOK_ROWS",
    "LOTS",
    "BookReference",
    "OpenBook",
    "Period",
    "UnknownId",
    "as_of_date",
    "book_reference",
    "check_accounts",
    "history_period",
    "last_recorded_day",
    "only_accounts",
    "open_book",
    "report_date",
]


@dataclass(frozen=True, eq=False)
class OpenBook:
    """A book read from the store, and where it came from (an engine, or a database URL)."""

    book: Book
    source: Engine | str

    @property
    def as_of(self) -> dt.date | None:
        return self.book.meta.as_of

    @cached_property
    def engine(self) -> Engine:
        """A reading engine of the book's database (made on first use: a read that needs
        none never imports SQLAlchemy)."""
        from conviction.store import connect

        return connect(self.source) if isinstance(self.source, str) else self.source


#: The numba kernels each answer runs on a large book (``conviction.warmup``).
LOTS = ("conviction.ledger.lot_kernels",)
HOLDINGS = ("conviction.ledger.holdings",)

#: From this many transactions on, a book's answers run on the numba kernels.
LARGE_BOOK_ROWS = 20_000


def open_book(engine_or_url: Engine | str, *, kernels: Sequence[str] = ()) -> OpenBook:
    """Read the stored book from an engine or a database URL (reads never migrate).

    ``kernels``: the numba kernel modules the caller's answers will run (``LOTS``,
    ``HOLDINGS``). On a large book they load on a background thread while the book is
    read, which takes as long and leaves the interpreter free (about a second saved).
    """
    from conviction.store.reading import read_book_at

    book = read_book_at(engine_or_url, before_read=_warm_if_large(kernels))
    return OpenBook(book=book, source=engine_or_url)


def _warm_if_large(kernels: Sequence[str]) -> Callable[[int], None]:
    def warm(transactions: int) -> None:
        if kernels and transactions >= LARGE_BOOK_ROWS:
            from conviction.warmup import warm_in_background

            warm_in_background(kernels)

    return warm


class UnknownId(UnknownIdError):
    """An id the book does not hold: what kind, the id, and the ids it does hold."""

    def __init__(self, what: str, key: str, known: Sequence[str], *, field: str) -> None:
        listed = _some(key, known)
        super().__init__(f"unknown {what} {quoted_id(key)} (known: {listed})", field=field)
        self.what = what
        self.key = key
        self.known = tuple(known)


def quoted_id(key: str, limit: int = 60) -> str:
    """``key`` quoted; one pasted by mistake (kilobytes) cut, with its length said."""
    if len(key) <= limit:
        return repr(key)
    return f"{key[:limit]!r}… ({len(key):,} characters)"


def _some(key: str, known: Sequence[str], most: int = 12) -> str:
    """The known ids: all of a few; of many (a fund's thousand accounts), the nearest to
    ``key`` and then the first in order, with how many there are."""
    ids = sorted(known)
    if len(ids) <= most:
        return ", ".join(ids) or "none"
    import difflib

    near = difflib.get_close_matches(key[:200], ids, n=5)
    shown = near + [i for i in ids if i not in near][: most - len(near)]
    return f"{', '.join(shown)}, … ({len(ids):,} in all)"


def check_accounts(
    book: Book, wanted: Sequence[str] | None, *, field: str = "account"
) -> tuple[str, ...] | None:
    """The accounts asked for (``None``: all), each known to the book."""
    for a in wanted or ():
        if a not in book.accounts:
            raise UnknownId("account", a, tuple(book.accounts), field=field)
    return tuple(wanted) if wanted else None


def as_of_date(book: Book, as_of: dt.date | None = None) -> dt.date:
    """The date of a status or review: the one given, else the book's, else today."""
    return as_of or book.meta.as_of or dt.date.today()


def report_date(book: Book, as_of: dt.date | None = None) -> dt.date:
    """The date of a report or dashboard: the one given, else the book's, else the last day
    anything was recorded (a report of an empty future day would show nothing)."""
    on = as_of or book.meta.as_of or last_recorded_day(book)
    if on is None:
        raise DataError("the book has no transactions or marks to report on")
    return on


def last_recorded_day(book: Book) -> dt.date | None:
    """The last day with a transaction or a mark (a report's date when the book sets none)."""
    seen = np.concatenate(
        [
            book.marks["date"].to_numpy().astype("datetime64[D]"),
            book.transactions["date"].to_numpy().astype("datetime64[D]"),
        ]
    )
    return None if not seen.size else dt.date.fromisoformat(str(seen.max()))


@dataclass(frozen=True)
class Period:
    """The days a history values: the sessions of the book's trading calendar."""

    start: dt.date
    end: dt.date
    days: np.ndarray  # datetime64[D], sessions (and ``end``, when it is no session)


def history_period(
    book: Book,
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    fields: tuple[str, str] = ("start", "end"),
) -> Period:
    """From ``start`` (default: the first transaction) to ``end`` (default: the book's
    date, else today), on the sessions of the book's calendar (``book.meta.calendar``).
    ``fields`` name the inputs in errors."""
    from conviction.ledger.sessions import valuation_days

    tx_days = book.transactions["date"].to_numpy().astype("datetime64[D]")
    if not tx_days.size:
        raise DataError("the book has no transactions")
    first = start or dt.date.fromisoformat(str(tx_days.min()))
    last = end or as_of_date(book)
    if first > last:
        raise FormatError(f"{fields[0]} {first} is after {fields[1]} {last}", field=fields[0])
    days = valuation_days(first, last, book.meta.calendar)
    if not days.size:
        raise FormatError(
            f"no {book.meta.calendar} session from {first} to {last}",
            field=fields[0],
        )
    return Period(first, last, days)


@dataclass(frozen=True)
class BookReference:
    """The reference data of a stored book (``GET /api/v1/book``): people, companies and
    accounts as the book's TOML declares them, and the rows of each stored table."""

    name: str
    currency: str
    as_of: dt.date | None
    persons: tuple[Person, ...]
    companies: tuple[Company, ...]
    accounts: tuple[Account, ...]
    rows: dict[str, int]


def book_reference(opened: OpenBook) -> BookReference:
    from conviction.store import count_rows

    book = opened.book
    with opened.engine.connect() as conn:
        rows = count_rows(conn)
    return BookReference(
        name=book.meta.name,
        currency=book.currency,
        as_of=book.meta.as_of,
        persons=tuple(book.persons.values()),
        companies=tuple(book.companies.values()),
        accounts=tuple(book.accounts.values()),
        rows=dict(rows),
    )


def only_accounts(book: Book, accounts: Sequence[str] | None) -> Book:
    """The book of ``accounts`` alone (the whole book with ``None`` or none): their
    transactions and the book-wide ones (splits name no account), every company and mark.
    The dashboard's, the tear sheet's and the statistics' view of some accounts."""
    from dataclasses import replace

    if not accounts:
        return book
    tx = book.transactions
    of = tx["account"]
    keep = of.isin(list(accounts)) | ~of.isin(list(book.accounts))
    return replace(book, accounts={a: book.accounts[a] for a in accounts}, transactions=tx[keep])
