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

__all__ = ["MarkedPrices", "Splits", "marked_prices", "split_factors", "splits_of"]

#: On one day, a later entry wins: a close beats a round, a round a tender, and so on.
_PRIORITY = {"trade": 0, "model": 1, "tender": 2, "round": 3, "close": 4}
KINDS: tuple[str, ...] = ("trade", "model", "tender", "round", "close")


Splits = dict[str, tuple[np.ndarray, Float64Array]]


def splits_of(book: Book) -> Splits:
    """Each company's split days and the cumulative ratio from each of them on."""
    tx = book.transactions
    rows = tx[(tx["action"] == "split").to_numpy()].drop_duplicates(["date", "company"])
    out: Splits = {}
    for company, group in rows.groupby("company", sort=False):
        when = group["date"].to_numpy().astype("datetime64[D]")
        out[str(company)] = (when, np.cumprod(group["quantity"].to_numpy(float)))
    return out


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


@dataclass(frozen=True)
class MarkedPrices:
    """Prices per original share on each day, and where each came from.

    ``price[d, c]`` is NaN before company c's first mark. ``mark_row[d, c]`` indexes
    ``marks`` (the combined, sorted mark table) or is -1.
    """

    days: np.ndarray
    companies: tuple[str, ...]
    price: Float64Array  # per original share, company currency
    mark_row: IntArray
    marks: pd.DataFrame  # columns: date, company, price, kind, source, grade

    def mark_day(self) -> np.ndarray:
        d = self.marks["date"].to_numpy().astype("datetime64[D]")
        out = np.full(self.mark_row.shape, np.datetime64("NaT"), dtype="datetime64[D]")
        ok = self.mark_row >= 0
        out[ok] = d[self.mark_row[ok]]
        return out


def _all_marks(book: Book) -> pd.DataFrame:
    marks = book.marks[["date", "company", "price", "kind", "source", "grade"]]
    tx = book.transactions
    trades = tx[np.isin(tx["action"].to_numpy(), ["buy", "sell"])]
    implied = pd.DataFrame(
        {
            "date": trades["date"].to_numpy(),
            "company": trades["company"].to_numpy(),
            "price": trades["price"].to_numpy(float),
            "kind": "trade",
            "source": "trade price",
            "grade": "B",
        }
    )
    parts = [p for p in (marks, implied) if len(p)]
    if not parts:
        return marks.iloc[:0].copy()
    both = pd.concat(parts, ignore_index=True)
    both["date"] = both["date"].to_numpy().astype("datetime64[D]")
    return both


def _order(marks: pd.DataFrame) -> tuple[np.ndarray, IntArray, IntArray]:
    """Company names, each row's company code, and the row order by (company, day, priority).

    Sorting positions instead of the table keeps the text columns where they are.
    """
    kind_codes, kinds = pd.factorize(marks["kind"])
    priority = np.array([_PRIORITY[str(k)] for k in kinds], dtype=np.int64)[kind_codes]
    company, names = pd.factorize(marks["company"])
    day = marks["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    order = np.lexsort((priority, day, company))  # the last key sorts first
    return np.asarray(names), company, order


def marked_prices(
    book: Book, days: np.ndarray, companies: Sequence[str] | None = None
) -> MarkedPrices:
    """Last mark on or before each day for each company, per original share."""
    days = np.asarray(days).astype("datetime64[D]")
    companies = tuple(companies if companies is not None else book.companies)
    marks = _all_marks(book)
    price = np.full((days.size, len(companies)), np.nan)
    rows = np.full((days.size, len(companies)), -1, dtype=np.int64)
    if len(marks):
        names, company_code, order = _order(marks)
        mark_days = marks["date"].to_numpy().astype("datetime64[D]")[order]
        factor_at_mark = np.ones(len(marks))
        splits = splits_of(book)
        # sorted by company, each company's rows are one slice of `order`
        codes = company_code[order]
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        ends = np.r_[starts[1:], len(codes)]
        bounds = {str(names[codes[lo]]): (lo, hi) for lo, hi in zip(starts, ends, strict=True)}
        for j, company in enumerate(companies):
            if company not in bounds:
                continue
            lo, hi = bounds[company]
            sel = np.arange(lo, hi)
            when = mark_days[sel]
            factor_at_mark[sel] = split_factors(book, [company], when, splits)[:, 0]
            k = np.searchsorted(when, days, side="right") - 1
            ok = k >= 0
            picked = sel[np.maximum(k, 0)]
            rows[ok, j] = picked[ok]
        ok = rows >= 0
        base0 = marks["price"].to_numpy(float)[order] * factor_at_mark
        price[ok] = base0[rows[ok]]
        rows[ok] = order[rows[ok]]  # rows of `marks` as it stands
    return MarkedPrices(days, companies, price, rows, marks)
