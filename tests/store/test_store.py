"""The database: a book reads back as written; fetched prices are cached as marks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from conviction.io import read_book
from conviction.io.yahoo import closes_from_frame
from conviction.ledger import status
from conviction.store import connect_for_writing, write_book
from conviction.store import read_book as read_stored
from conviction.store.prices import store_fetched

DATA = Path(__file__).resolve().parents[1] / "data"


def test_round_trip(example_dir: Path, db_url: str) -> None:
    book = read_book(example_dir)
    engine = connect_for_writing(db_url)
    with engine.begin() as conn:
        write_book(conn, book)
    stored = read_stored(engine)
    assert stored.companies == book.companies
    assert stored.accounts == book.accounts
    assert stored.persons == book.persons
    assert len(stored.transactions) == len(book.transactions)
    for column in ("quantity", "price", "fees"):
        pd.testing.assert_series_equal(
            stored.transactions[column], book.transactions[column], check_names=False
        )
    day = dt.date(2025, 11, 14)
    assert status(stored, day).total_value == pytest.approx(status(book, day).total_value)


def test_recorded_yahoo_closes_are_stored_as_traded(example_dir: Path, db_url: str) -> None:
    """Yahoo's closes are split-adjusted; stored marks are as traded (x3 before 2022-08-25)."""
    frame = pd.read_csv(DATA / "yfinance_tsla_2020-08.csv", index_col=0)
    frame.index = pd.to_datetime(frame.index, utc=True).tz_convert("America/New_York")
    closes = closes_from_frame(frame, "TSLA")
    assert str(closes.index[0].date()) == "2020-08-26"
    engine = connect_for_writing(db_url)
    with engine.begin() as conn:
        write_book(conn, read_book(example_dir))
    book = read_stored(engine)
    with engine.begin() as conn:
        assert store_fetched(conn, book, {"TSLA": closes}) == {"TSLA": 5}
    marks = read_stored(engine).marks
    fetched = marks[marks["file"] == "yahoo"].set_index("date")["price"]
    # 2020-08-28 is already a close in the example's own marks: the file wins
    assert pd.Timestamp("2020-08-28") not in fetched.index
    assert fetched[pd.Timestamp("2020-08-27")] == pytest.approx(149.08 * 15)
    assert fetched[pd.Timestamp("2020-09-01")] == pytest.approx(158.35 * 3)
    # fetching again replaces rather than duplicates
    with engine.begin() as conn:
        store_fetched(conn, read_stored(engine), {"TSLA": closes})
    again = read_stored(engine).marks
    assert (again["file"] == "yahoo").sum() == len(fetched)
