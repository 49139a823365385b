"""`prices fetch` of currency pairs: Yahoo's ``XXXYYY=X`` closes are cached as FX rates.

Real USD/JPY rates (FRED, in ../shared/data) stand in for a Yahoo response.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from conviction.io import read_book
from conviction.ledger import status
from conviction.store import connect_for_writing, write_book
from conviction.store import read_book as read_stored
from conviction.store.prices import store_fetched

YEN = Path(__file__).resolve().parents[2] / "examples" / "yen-holder"


@pytest.fixture
def usdjpy(shared_data: Path) -> pd.Series:
    return pd.read_csv(shared_data / "fx" / "USDJPY.csv", index_col=0, parse_dates=True)["rate"]


def _engine(db_url: str) -> Engine:
    engine = connect_for_writing(db_url)
    with engine.begin() as conn:
        write_book(conn, read_book(YEN))
    return engine


@pytest.mark.parametrize("ticker", ["JPY=X", "USDJPY=X"])
def test_fetched_pair_is_stored_as_rates_and_used(
    db_url: str, usdjpy: pd.Series, ticker: str
) -> None:
    engine = _engine(db_url)
    after = usdjpy["2025-11-17":"2025-11-20"]  # days after the book's last rate
    with engine.begin() as conn:
        assert store_fetched(conn, read_stored(engine), {ticker: after}) == {ticker: 4}
    book = read_stored(engine)
    fetched = book.fx[book.fx["file"] == "yahoo"]
    assert set(fetched["pair"]) == {"USDJPY"}  # Yahoo's "JPY=X" is yen per dollar
    assert fetched["rate"].tolist() == after.tolist()
    s = status(book, dt.date(2025, 11, 19))
    assert s.stale_rates == ()  # the fetched rate of the day is used
    tesla = s.company("tesla")
    assert tesla.price == pytest.approx(404.35 * usdjpy["2025-11-19"])  # last close, today's rate
    with engine.begin() as conn:  # fetching again replaces, never duplicates
        store_fetched(conn, read_stored(engine), {ticker: after})
    assert (read_stored(engine).fx["file"] == "yahoo").sum() == 4


def test_fetched_rates_overlapping_the_file_keep_the_file(db_url: str, usdjpy: pd.Series) -> None:
    engine = _engine(db_url)
    overlap = usdjpy["2025-11-10":"2025-11-20"]  # 2025-11-14 is in the book's fx.csv
    with engine.begin() as conn:
        store_fetched(conn, read_stored(engine), {"JPY=X": overlap})
    fx = read_stored(engine).fx
    on_day = fx[fx["date"] == pd.Timestamp("2025-11-14")]
    assert len(on_day) == 1 and on_day["file"].iloc[0] != "yahoo"


def test_fetched_pair_keeps_the_books_orientation(
    tmp_path: Path, db_url: str, usdjpy: pd.Series
) -> None:
    """A book that stores JPYUSD gets Yahoo's USDJPY inverted: a pair is never stored twice."""
    for name in ("book.toml", "transactions.csv", "marks.csv"):
        (tmp_path / name).write_text((YEN / name).read_text())
    rates = pd.read_csv(YEN / "fx.csv")
    rates["pair"], rates["rate"] = "JPYUSD", 1.0 / rates["rate"]
    rates.to_csv(tmp_path / "fx.csv", index=False)
    engine = connect_for_writing(db_url)
    with engine.begin() as conn:
        write_book(conn, read_book(tmp_path))
    after = usdjpy["2025-11-17":"2025-11-20"]
    with engine.begin() as conn:
        store_fetched(conn, read_stored(engine), {"JPY=X": after})
    fx = read_stored(engine).fx
    assert set(fx["pair"]) == {"JPYUSD"}
    fetched = fx[fx["file"] == "yahoo"]
    assert fetched["rate"].to_numpy() == pytest.approx(1.0 / after.to_numpy())
