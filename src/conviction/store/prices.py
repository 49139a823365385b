"""Cache fetched prices in the database: closes as marks, ``XXXYYY=X`` pairs as FX rates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, insert

from conviction.book.model import Book
from conviction.errors import UnknownIdError
from conviction.ledger.prices import split_factors
from conviction.store.tables import FxRow, MarkRow

__all__ = ["store_fetched"]

ORIGIN = "yahoo"
_FOREVER = np.datetime64("9999-12-31", "D")


def store_fetched(conn: Connection, book: Book, fetched: dict[str, pd.Series]) -> dict[str, int]:
    """Store fetched closes, replacing earlier fetched rows of the same company or pair.

    Yahoo's closes are split-adjusted; marks are stored as they traded, so each close is
    multiplied back by the book's splits that came after its date.
    """
    by_ticker = {c.ticker.upper(): c.id for c in book.companies.values() if c.ticker}
    counts: dict[str, int] = {}
    for ticker, closes in fetched.items():
        days = closes.index.to_numpy().astype("datetime64[D]")
        if ticker.upper().endswith("=X"):
            pair = ticker.upper()[:-2]
            pair = pair if len(pair) == 6 else "USD" + pair  # Yahoo's "JPY=X" is USDJPY
            values = closes.to_numpy(float)
            stored = book.fx[book.fx["file"] != ORIGIN]
            if pair not in set(stored["pair"]) and pair[3:] + pair[:3] in set(stored["pair"]):
                pair, values = pair[3:] + pair[:3], 1.0 / values  # keep the book's orientation
            conn.execute(delete(FxRow).where(FxRow.origin == ORIGIN, FxRow.pair == pair))
            # a rate the book's own files give for that day wins, as for marks
            own = stored[stored["pair"] == pair]
            taken = set(own["date"].to_numpy().astype("datetime64[D]"))
            rows = [
                {
                    "date": _date(d),
                    "pair": pair,
                    "rate": float(r),
                    "source": ticker,
                    "origin": ORIGIN,
                    "line": None,
                }
                for d, r in zip(days, values, strict=True)
                if d not in taken
            ]
            if rows:
                conn.execute(insert(FxRow), rows)
        else:
            company = by_ticker.get(ticker.upper())
            if company is None:
                raise UnknownIdError(
                    f"unknown ticker {ticker!r}: no company in the book has it", field="ticker"
                )
            factors = split_factors(book, [company], days)[:, 0]
            every_split = split_factors(book, [company], np.array([_FOREVER]))[0, 0]
            as_traded = closes.to_numpy(float) * (every_split / factors)
            conn.execute(
                delete(MarkRow).where(MarkRow.origin == ORIGIN, MarkRow.company_id == company)
            )
            # A close already given by the book's own files for that day wins.
            marks = book.marks
            own = marks[
                (marks["company"] == company)
                & (marks["kind"] == "close")
                & (marks["file"] != ORIGIN)
            ]
            taken = set(own["date"].to_numpy().astype("datetime64[D]"))
            rows = [
                {
                    "date": _date(d),
                    "company_id": company,
                    "price": float(p),
                    "kind": "close",
                    "source": f"Yahoo Finance {ticker}",
                    "grade": "A",
                    "origin": ORIGIN,
                    "line": None,
                }
                for d, p in zip(days, as_traded, strict=True)
                if d not in taken
            ]
            if rows:
                conn.execute(insert(MarkRow), rows)
        counts[ticker] = len(closes)
    return counts


def _date(day: np.datetime64) -> dt.date:
    return dt.date.fromisoformat(str(day))
