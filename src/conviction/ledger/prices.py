"""Prices on any day from marks: the last mark on or before it, with splits applied.

Marks are stored as they traded (before later splits). Working in *original shares*
(the share count before every split) makes splits disappear from the arithmetic: a
mark ``p`` on day ``m`` is worth ``p × F(m)`` per original share, where ``F(t)`` is the
product of the split ratios up to ``t``; a holding of ``q`` shares bought on day ``t`` is
``q / F(t)`` original shares. Value = original shares × price per original share.

A trade's own price is also an observation of the price (kind ``trade``, used only when
no mark is newer), so a position always has a value from its first day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from conviction._typing import Float64Array, IntArray
from conviction.book.model import Book
from conviction.ledger.columns import codes_in, objects

__all__ = [
    "MarkIndex",
    "MarkInfo",
    "MarkedPrices",
    "Splits",
    "mark_index",
    "marked_prices",
    "split_factors",
    "splits_of",
]

#: On one day, a later entry wins: a close beats a round, a round a tender, and so on.
_PRIORITY = {"trade": 0, "model": 1, "tender": 2, "round": 3, "close": 4}
KINDS: tuple[str, ...] = ("trade", "model", "tender", "round", "close")


Splits = dict[str, tuple[np.ndarray, Float64Array]]


def splits_of(book: Book) -> Splits:
    """Each company's split days and the cumulative ratio from each of them on (a split
    given twice on one day counts once). Once per book (``Book.memo``): several answers
    ask, and on a small book a frame's filter and group-by cost milliseconds each."""
    known: Splits | None = book.memo.get("splits")
    if known is not None:
        return known
    tx = book.transactions
    rows = np.flatnonzero(objects(tx["action"]) == "split") if len(tx) else np.empty(0, int)
    days: dict[str, list[np.datetime64]] = {}
    ratios: dict[str, list[float]] = {}
    if rows.size:  # a few rows at most: the loop is over them only
        when = tx["date"].to_numpy().astype("datetime64[D]")[rows]
        company = objects(tx["company"])[rows]
        ratio = tx["quantity"].to_numpy(float)[rows]
        seen: set[tuple[np.datetime64, str]] = set()
        for d, c, r in zip(when, company, ratio, strict=True):
            if (d, c) not in seen:  # rows are in date order: each company's days ascend
                seen.add((d, c))
                days.setdefault(str(c), []).append(d)
                ratios.setdefault(str(c), []).append(float(r))
    out: Splits = {
        c: (np.array(days[c], dtype="datetime64[D]"), np.cumprod(np.array(ratios[c], dtype=float)))
        for c in days
    }
    return book.memo.setdefault("splits", out)  # type: ignore[no-any-return]


def split_factors(
    book: Book, companies: Sequence[str], days: np.ndarray, splits: Splits | None = None
) -> Float64Array:
    """F[d, c]: product of the split ratios of company c on or before day d."""
    days = np.asarray(days).astype("datetime64[D]")
    out = np.ones((days.size, len(companies)))
    splits = splits_of(book) if splits is None else splits
    for j, company in enumerate(companies):
        if company in splits:
            when, cum = splits[company]
            k = np.searchsorted(when, days, side="right") - 1
            out[:, j] = np.where(k >= 0, cum[np.maximum(k, 0)], 1.0)
    return out


@dataclass(frozen=True, slots=True)
class MarkInfo:
    """Where one price came from."""

    date: np.datetime64
    kind: str
    grade: str
    source: str


@dataclass(frozen=True)
class MarkIndex:
    """Every price observation of a book, sorted for as-of look-ups: the book's marks and
    each trade's own price (kind ``trade``), ordered by (company, day, priority) so that the
    last row of a company on or before a day is the price on that day.

    Built once per book state (``conviction.ledger.index``); a look-up is one binary search
    per company. ``source_row[i] >= 0`` is a row of the book's mark table, ``-(1 + r)`` a
    transaction row ``r``.
    """

    companies: tuple[str, ...]
    day: np.ndarray  # datetime64[D], sorted within each company
    price: Float64Array  # per original share, company currency
    source_row: IntArray
    bounds: IntArray  # company j's rows are [bounds[j], bounds[j + 1])
    marks: pd.DataFrame  # the book's own mark table

    def info(self, row: int) -> MarkInfo:
        ref = int(self.source_row[row])
        if ref < 0:
            return MarkInfo(self.day[row], "trade", "B", "trade price")
        mark = self.marks.iloc[ref]
        return MarkInfo(self.day[row], str(mark["kind"]), str(mark["grade"]), str(mark["source"]))

    def lookup(self, days: np.ndarray, companies: Sequence[str] | None = None) -> MarkedPrices:
        """Last price on or before each day for each company, per original share."""
        days = np.asarray(days).astype("datetime64[D]")
        companies = tuple(companies if companies is not None else self.companies)
        code = {c: j for j, c in enumerate(self.companies)}
        price = np.full((days.size, len(companies)), np.nan)
        rows = np.full((days.size, len(companies)), -1, dtype=np.int64)
        for j, company in enumerate(companies):
            k = code.get(company)
            if k is None:
                continue
            lo, hi = int(self.bounds[k]), int(self.bounds[k + 1])
            found = lo + np.searchsorted(self.day[lo:hi], days, side="right") - 1
            ok = found >= lo
            rows[ok, j] = found[ok]
            price[ok, j] = self.price[found[ok]]
        return MarkedPrices(days, companies, price, rows, self)


def mark_index(book: Book, splits: Splits | None = None) -> MarkIndex:
    """The sorted price observations of ``book`` (see ``MarkIndex``)."""
    companies = tuple(book.companies)
    marks, tx = book.marks, book.transactions
    trade = np.flatnonzero(np.isin(objects(tx["action"]), ["buy", "sell"]))
    m_company = codes_in(marks["company"], companies)
    t_company = codes_in(tx["company"], companies)[trade]
    kind_codes, kinds = pd.factorize(marks["kind"])
    m_priority = np.array([_PRIORITY[str(k)] for k in kinds], dtype=np.int64)[kind_codes]
    company = np.concatenate([m_company, t_company]).astype(np.int64)
    day = np.concatenate(
        [
            marks["date"].to_numpy().astype("datetime64[D]"),
            tx["date"].to_numpy()[trade].astype("datetime64[D]"),
        ]
    )
    price = np.concatenate([marks["price"].to_numpy(float), tx["price"].to_numpy(float)[trade]])
    priority = np.concatenate([m_priority, np.full(trade.size, _PRIORITY["trade"])])
    source_row = np.concatenate([np.arange(len(marks)), -1 - trade]).astype(np.int64)
    order = np.lexsort((priority, day.astype(np.int64), company))  # the last key sorts first
    company, day, price, source_row = company[order], day[order], price[order], source_row[order]
    bounds = np.searchsorted(company, np.arange(len(companies) + 1), side="left")
    splits = splits_of(book) if splits is None else splits
    for j, c in enumerate(companies):
        if c in splits:
            lo, hi = bounds[j], bounds[j + 1]
            price[lo:hi] *= split_factors(book, [c], day[lo:hi], splits)[:, 0]
    return MarkIndex(companies, day, price, source_row, bounds.astype(np.int64), marks)


@dataclass(frozen=True)
class MarkedPrices:
    """Prices per original share on each day, and where each came from.

    ``price[d, c]`` is NaN before company c's first mark. ``mark_row[d, c]`` indexes the
    ``MarkIndex`` it was looked up in, or is -1.
    """

    days: np.ndarray
    companies: tuple[str, ...]
    price: Float64Array  # per original share, company currency
    mark_row: IntArray
    index: MarkIndex

    def mark_day(self) -> np.ndarray:
        out = np.full(self.mark_row.shape, np.datetime64("NaT"), dtype="datetime64[D]")
        ok = self.mark_row >= 0
        out[ok] = self.index.day[self.mark_row[ok]]
        return out

    def mark(self, d: int, c: int) -> MarkInfo | None:
        """Where the price of company ``c`` on day ``d`` came from (None: no price)."""
        row = int(self.mark_row[d, c])
        return None if row < 0 else self.index.info(row)


def marked_prices(
    book: Book | MarkIndex, days: np.ndarray, companies: Sequence[str] | None = None
) -> MarkedPrices:
    """Last mark on or before each day for each company, per original share."""
    if isinstance(book, MarkIndex):
        return book.lookup(days, companies)
    from conviction.ledger.index import as_index  # the index imports this module

    return as_index(book).marks.lookup(days, companies)  # the book's own, built once
