"""to_frame() and the notebook HTML of status, history and gains, on a book written here.

The book: 10,000 deposited on 2025-01-02; 10 shares of "<b>co</b>" (an id that is HTML)
bought at 400 with a fee of 1 on 2025-01-06, 4 sold at 300 (fee 1) on 2025-02-10, a
dividend of 12.50 on 2025-03-03; the close on 2025-03-31 is 260. By hand: cash
10000 - 4001 + 1199 + 12.50 = 7210.50; six shares worth 1560 at a cost of 6 x 400.1 =
2400.60; the sale's cost 4 x 400.1 = 1600.40 against net proceeds 1199: a gain of -401.40.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import conviction as cv

CO = "<b>co</b>"

BOOK = f"""\
[book]
name = "frames"
currency = "USD"
as_of = 2025-03-31
transactions = "transactions.csv"
marks = "marks.csv"

[[person]]
id = "p"
name = "P"

[[company]]
id = "{CO}"
name = "Co"
key_people = ["p"]

[[account]]
id = "me"
name = "Me"
kind = "personal"
"""

ROWS = f"""\
date,account,company,action,quantity,price,fees
2025-01-02,me,,deposit,10000,,0
2025-01-06,me,{CO},buy,10,400,1
2025-02-10,me,{CO},sell,4,300,1
2025-03-03,me,{CO},dividend,6,2.0833333333333335,0
"""


@pytest.fixture
def book(tmp_path: Path) -> cv.Book:
    (tmp_path / "book.toml").write_text(BOOK)
    (tmp_path / "transactions.csv").write_text(ROWS)
    (tmp_path / "marks.csv").write_text(
        f"date,company,price,kind,source\n2025-03-31,{CO},260,close,t\n"
    )
    return cv.read_book(tmp_path)


def test_status_frame(book: cv.Book) -> None:
    status = cv.status(book)
    frame = status.to_frame()
    assert list(frame.index) == [CO] and frame.index.name == "company"
    row = frame.loc[CO]
    assert row["quantity"] == 6 and row["value"] == pytest.approx(1560)
    assert row["cost"] == pytest.approx(2400.6)
    assert row["realized_gain"] == pytest.approx(-401.4)
    assert row["income"] == pytest.approx(12.5)
    assert row["gain"] == pytest.approx(1560 - 2400.6 - 401.4 + 12.5)
    assert frame["mark_date"].dtype.kind == "M" and row["mark_date"] == pd.Timestamp("2025-03-31")
    # the columns are the --json keys of by_company, in their order
    assert list(frame.columns)[:4] == ["quantity", "price", "value", "weight"]
    assert list(frame.columns)[-1] == "gain"
    accounts = status.to_frame("account")
    assert accounts.loc["me", "cash"] == pytest.approx(7210.5)
    assert status.to_frame("person").loc["p", "value"] == pytest.approx(1560)
    assert status.to_frame("stale_marks").empty
    with pytest.raises(ValueError, match="unknown table 'companies'"):
        status.to_frame("companies")


def test_history_frame(book: cv.Book) -> None:
    report = cv.history(book, freq="M")
    series = report.to_frame()
    assert isinstance(series.index, pd.DatetimeIndex) and list(series.columns) == ["me"]
    assert series.index[-1] == pd.Timestamp("2025-03-31")
    assert series["me"].iloc[-1] == pytest.approx(7210.5 + 1560)
    accounts = report.to_frame("accounts")
    assert accounts.loc["me", "net_flows"] == pytest.approx(10000)
    assert accounts.loc["me", "end_value"] == pytest.approx(8770.5)


def test_gains_frame(book: cv.Book) -> None:
    report = cv.gains(book)
    sales = report.to_frame()
    assert len(sales) == 1
    assert sales.loc[0, "date"] == pd.Timestamp("2025-02-10")
    assert sales.loc[0, "proceeds"] == pytest.approx(1199)
    assert sales.loc[0, "cost"] == pytest.approx(1600.4)
    assert sales.loc[0, "gain"] == pytest.approx(-401.4)
    lots = report.to_frame("lot")
    assert lots[["account", "company", "lot", "quantity"]].values.tolist() == [
        ["me", CO, f"{CO}-1", 4.0]
    ]
    assert lots.loc[0, "term"] == "short" and lots.loc[0, "holding_days"] == 35
    years = report.to_frame("year")
    assert years[["year", "account", "sales"]].values.tolist() == [[2025, "me", 1]]


def test_html_reprs_escape_ids(book: cv.Book) -> None:
    status_html = cv.status(book)._repr_html_()
    assert "total value 8,770.50" in status_html and "<table" in status_html
    assert CO not in status_html and "&lt;b&gt;co&lt;/b&gt;" in status_html
    assert "17.8%" in status_html  # the weight: 1560 of 8770.50, as a percent
    history_html = cv.history(book)._repr_html_()
    assert "History 2025-01-02 to 2025-03-31 (USD)" in history_html
    gains_html = cv.gains(book)._repr_html_()
    assert "1 sales" in gains_html and "total -401.40" in gains_html
