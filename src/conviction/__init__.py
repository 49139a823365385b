"""conviction: long-horizon, concentrated, founder-centric investing.

The public API in one place (the parts also have their own, fuller ``__all__``)::

    import conviction as cv
    book = cv.read_book("examples/baron")            # files -> a validated Book
    state = cv.status(book, datetime.date(2025, 11, 14))
    state.company("tesla").gain, [p.weight for p in state.by_person]

Importing conviction does nothing else: no files, databases or network are touched.
"""

from conviction.book import Account, Book, BookMeta, Company, Link, Person
from conviction.errors import (
    ConvictionError,
    DataError,
    FormatError,
    InputError,
    LedgerError,
    ReferenceError_,
    SpecError,
    StoreError,
)
from conviction.io import read_book, read_price_csv
from conviction.ledger import (
    BookStatus,
    FxRates,
    ValueHistory,
    business_days,
    cash,
    positions,
    price_history,
    replay,
    status,
    value_history,
)
from conviction.ledger.returns import irr, time_weighted_returns, twr
from conviction.store import connect, write_book
from conviction.store import read_book as read_stored_book

__version__ = "0.1.0"

__all__ = [
    "Account",
    "Book",
    "BookMeta",
    "BookStatus",
    "Company",
    "ConvictionError",
    "DataError",
    "FormatError",
    "FxRates",
    "InputError",
    "LedgerError",
    "Link",
    "Person",
    "ReferenceError_",
    "SpecError",
    "StoreError",
    "ValueHistory",
    "__version__",
    "business_days",
    "cash",
    "connect",
    "irr",
    "positions",
    "price_history",
    "read_book",
    "read_price_csv",
    "read_stored_book",
    "replay",
    "status",
    "time_weighted_returns",
    "twr",
    "value_history",
    "write_book",
]
