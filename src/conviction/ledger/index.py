"""The book, indexed once: the arrays every ledger answer is computed from.

A ``Book`` is what the files (or the database) say: tables of text and numbers. Every
answer — status, history, gains, private measures, the review, a backtest's start — needs
the same derived arrays first: integer codes for accounts and companies, day numbers, each
row's amounts with its currency conversions resolved, exchange rates, cumulative split
factors and the marks sorted for as-of look-ups. ``BookIndex`` holds them, built once per
book state; answers take it (or a ``Book``, which they index on the spot).

Corporate actions (exchanges, spin-offs, renames) are written out per holding account
first (``conviction.ledger.corporate.expand``): ``BookIndex.book`` is that expanded book,
whose rows every array here follows, and ``carries`` says which rows carry lots.

Lot replays are the one sequential step and depend on the date and the currency: the index
keeps each one it has computed, so the status and the gains of one date share a replay.
The index is frozen; its replay cache only ever grows with values that are pure functions
of the index, so sharing one index between threads (the web app) is safe.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

import numpy as np
import pandas as pd

from conviction._typing import Float64Array
from conviction.book.model import Book, BookMeta
from conviction.ledger.columns import objects
from conviction.ledger.corporate import Carry, expand, replay_with_carries
from conviction.ledger.fx import FxRates
from conviction.ledger.lot_kernels import ReplayArrays
from conviction.ledger.prices import MarkIndex, Splits, mark_index, splits_of
from conviction.ledger.trades import TradeArrays, rates_into, trade_arrays

__all__ = ["BookIndex", "as_index", "index_book"]


@dataclass(frozen=True, eq=False)
class BookIndex:
    """A book and the arrays derived from it (see the module docstring)."""

    book: Book
    accounts: tuple[str, ...]
    companies: tuple[str, ...]
    fx: FxRates
    trades: TradeArrays  # every transaction row, in the book's (date) order
    splits: Splits
    marks: MarkIndex
    carries: tuple[Carry, ...] = ()
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def currency(self) -> str:
        return self.book.currency

    @property
    def meta(self) -> BookMeta:
        """The book's settings (its currency, date, calendar), as ``Book.meta``."""
        return self.book.meta

    def rows_until(self, day: dt.date | np.datetime64 | None) -> int:
        """How many rows (a prefix: rows are in date order) fall on or before ``day``."""
        if day is None:
            return int(self.trades.day.size)
        when = np.asarray([day], dtype="datetime64[D]")
        return int(np.searchsorted(self.trades.day, when, side="right")[0])

    def rates_into(self, currency: str) -> Float64Array:
        """Per row, the rate from its company's currency into ``currency`` on its day (kept
        as the row traded at where ``currency`` is its account's)."""
        rates: Float64Array = self.memo(
            ("rates_into", currency),
            lambda: rates_into(self.book, self.trades, self.companies, currency, self.fx),
        )
        return rates

    def replay(self, until: int, currency: str | None = None) -> ReplayArrays:
        """The lots after rows ``[0, until)``, costs in ``currency`` at the rates paid
        (None: each account's own currency)."""
        state: ReplayArrays = self.memo(
            ("replay", until, currency), lambda: _replay(self, until, currency)
        )
        return state

    def memo(self, key: Any, compute: Any) -> Any:
        """``compute()`` once per key for this index (a pure function of the index)."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        value = compute()
        with self._lock:
            return self._memo.setdefault(key, value)


def index_book(book: Book) -> BookIndex:
    """Derive the index of ``book`` (raises ``LedgerError`` for a row that needs an
    exchange rate the book does not have, naming the row)."""
    accounts, companies = tuple(book.accounts), tuple(book.companies)
    fx = FxRates(book.fx)
    book, carries = expand(book, strict=False)  # checked at load; a part may hold none
    splits = splits_of(book)
    trades = trade_arrays(book, accounts, companies, fx, splits)
    marks = mark_index(book, splits)
    return BookIndex(book, accounts, companies, fx, trades, splits, marks, carries)


def as_index(book: Book | BookIndex) -> BookIndex:
    """The index of a book (built on first use and kept with the book), or the index."""
    if isinstance(book, BookIndex):
        return book
    ix = book.memo.get("index")
    if ix is None:
        ix = book.memo.setdefault("index", index_book(book))
    return cast(BookIndex, ix)


def _replay(ix: BookIndex, until: int, currency: str | None) -> ReplayArrays:
    from conviction.ledger.lot_kernels import METHOD_CODES, replay_arrays

    ta, tx = ix.trades, ix.book.transactions
    rates = ta.to_account if currency is None else ix.rates_into(currency)
    columns = ix.memo(
        "replay columns",
        lambda: (
            ta.day.astype(np.int64),
            _action_codes(ta.action),
            tx["price"].to_numpy(float),
            tx["fees"].to_numpy(float),
            np.array([METHOD_CODES[ix.book.accounts[a].lot_method] for a in ix.accounts]),
            objects(tx["lot"]),
        ),
    )
    day, action, price, fees, method, lot = columns
    # a replay past an exchange or spin-off gives the carried lots their old ids and dates
    carried = any(c.row_in < until for c in ix.carries)
    replay = partial(replay_with_carries, ix.carries) if carried else replay_arrays
    return replay(
        day,
        ta.account,
        ta.company,
        action,
        ta.quantity,
        price,
        fees,
        rates,
        method,
        lot,
        len(ix.accounts),
        len(ix.companies),
        until,
        account_ids=ix.accounts,
        company_ids=ix.companies,
        file=objects(tx["file"]),
        line=tx["line"].to_numpy(dtype=np.int64),
    )


def _action_codes(actions: np.ndarray) -> np.ndarray:
    """The kernel's action codes, converting each distinct action once."""
    from conviction.ledger.lot_kernels import action_codes

    codes, distinct = pd.factorize(actions)
    return action_codes(np.asarray(distinct, dtype=object))[codes]
