"""conviction: long-horizon, concentrated, founder-centric investing.

The public API in one place (the parts also have their own, fuller ``__all__``)::

    import conviction as cv
    book = cv.read_book("examples/baron")            # files -> a validated Book
    state = cv.status(book, datetime.date(2025, 11, 14))
    state.company("tesla").gain, [p.weight for p in state.by_person]
    state.to_frame()                                 # pandas; a notebook shows it as HTML
    cv.history(book).to_frame(), cv.gains(book).to_frame("lot")   # docs/notebook.md
    cv.project(book, "examples/baron/projection.toml").to_frame("fan")

Importing conviction does nothing else: no files, databases or network are touched, and
the names below are imported on first use (so ``import conviction.theses`` stays light).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conviction.app.notebook import compare, project
    from conviction.app.reads import book_gains as gains
    from conviction.app.reads import book_history as history
    from conviction.book import Account, Book, BookMeta, Company, Link, Person
    from conviction.errors import (
        ConvictionError,
        DataError,
        FormatError,
        InputError,
        LedgerError,
        SpecError,
        StoreError,
        UnknownIdError,
    )
    from conviction.io import read_book, read_price_csv
    from conviction.ledger import (
        BookStatus,
        FxRates,
        GainsReport,
        PrivateReport,
        ValueHistory,
        account_returns,
        business_days,
        cash,
        positions,
        price_history,
        private_measures,
        realized_gains,
        replay,
        status,
        value_history,
    )
    from conviction.ledger.returns import irr, time_weighted_returns, twr
    from conviction.store import connect, write_book
    from conviction.store import read_book as read_stored_book

_WHERE = {
    **dict.fromkeys(
        ["Account", "Book", "BookMeta", "Company", "Link", "Person"], "conviction.book"
    ),
    **dict.fromkeys(
        [
            "ConvictionError",
            "DataError",
            "FormatError",
            "InputError",
            "LedgerError",
            "UnknownIdError",
            "SpecError",
            "StoreError",
        ],
        "conviction.errors",
    ),
    **dict.fromkeys(["read_book", "read_price_csv"], "conviction.io"),
    **dict.fromkeys(
        [
            "BookStatus",
            "GainsReport",
            "PrivateReport",
            "account_returns",
            "private_measures",
            "realized_gains",
            "FxRates",
            "ValueHistory",
            "business_days",
            "cash",
            "positions",
            "price_history",
            "replay",
            "status",
            "value_history",
        ],
        "conviction.ledger",
    ),
    **dict.fromkeys(["irr", "time_weighted_returns", "twr"], "conviction.ledger.returns"),
    **dict.fromkeys(["connect", "write_book"], "conviction.store"),
    **dict.fromkeys(["compare", "project"], "conviction.app.notebook"),
}
_RENAMED = {
    "read_stored_book": ("conviction.store", "read_book"),
    "history": ("conviction.app.reads", "book_history"),
    "gains": ("conviction.app.reads", "book_gains"),
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
    elif name in _RENAMED:
        module, attr = _RENAMED[name]
        value = getattr(importlib.import_module(module), attr)
    else:
        raise AttributeError(f"module 'conviction' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


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
    "GainsReport",
    "InputError",
    "LedgerError",
    "Link",
    "Person",
    "PrivateReport",
    "SpecError",
    "StoreError",
    "UnknownIdError",
    "ValueHistory",
    "__version__",
    "account_returns",
    "business_days",
    "cash",
    "compare",
    "connect",
    "gains",
    "history",
    "irr",
    "positions",
    "price_history",
    "private_measures",
    "project",
    "read_book",
    "read_price_csv",
    "read_stored_book",
    "realized_gains",
    "replay",
    "status",
    "time_weighted_returns",
    "twr",
    "value_history",
    "write_book",
]
