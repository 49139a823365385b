"""Currencies by hand: a yen account buys a dollar stock and sells after the yen fell.

Every expected figure is written as the arithmetic a person does on paper, from the
rows below; none is copied from the code's output.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conviction.book.model import Book
from conviction.io import read_book
from conviction.ledger import status
from conviction.ledger.gains import realized_gains
from conviction.ledger.returns import irr
from conviction.ledger.returns_by_account import account_returns
from conviction.ledger.valuation import value_history

BOOK = """\
[book]
name = "yen"
currency = "{currency}"
as_of = 2023-12-29
transactions = "transactions.csv"
marks = "marks.csv"
fx = "fx.csv"

[[company]]
id = "t"
name = "T"
currency = "USD"

[[account]]
id = "me"
name = "Me"
kind = "personal"
currency = "JPY"
"""
TX = """\
date,account,company,action,quantity,price,fees,fx_rate
2020-01-06,me,,deposit,1100000,,,
2020-01-06,me,t,buy,100,100,0,{buy_rate}
2022-10-20,me,t,sell,40,90,0,
"""
MARKS = "date,company,price,kind,source\n2023-12-29,t,120,close,x\n"
FX = """\
date,pair,rate,source
2020-01-06,USDJPY,108,x
2022-10-20,USDJPY,150,x
2023-12-28,USDJPY,141,x
"""


def yen_book(tmp_path: Path, *, currency: str = "JPY", buy_rate: str = "") -> Book:
    (tmp_path / "book.toml").write_text(BOOK.format(currency=currency))
    (tmp_path / "transactions.csv").write_text(TX.format(buy_rate=buy_rate))
    (tmp_path / "marks.csv").write_text(MARKS)
    (tmp_path / "fx.csv").write_text(FX)
    return read_book(tmp_path)


def test_yen_account_buys_dollar_stock_and_sells_after_the_yen_fell(tmp_path: Path) -> None:
    book = yen_book(tmp_path)
    s = status(book, dt.date(2023, 12, 29))
    t = s.company("t")
    # bought 100 x $100 at 108 yen = 1,080,000 yen; sold 40 x $90 at 150 = 540,000 yen,
    # against 40/100 of the cost = 432,000 yen: a yen gain on a dollar loss
    assert t.realized_gain == pytest.approx(540_000 - 432_000)
    # 60 left at $120 and 141 yen (the rate of 12-28 carried to 12-29)
    assert t.value == pytest.approx(60 * 120 * 141)
    assert t.cost == pytest.approx(60 * 100 * 108)
    assert t.unrealized_gain == pytest.approx(60 * 120 * 141 - 60 * 100 * 108)
    assert s.cash == pytest.approx(1_100_000 - 1_080_000 + 540_000)
    # price effect: the dollar gain at the rate paid; currency effect: the rate's move on value
    sold_price, sold_ccy = (3_600 - 4_000) * 108, 3_600 * (150 - 108)
    held_price, held_ccy = (7_200 - 6_000) * 108, 7_200 * (141 - 108)
    assert t.price_effect == pytest.approx(sold_price + held_price)
    assert t.currency_effect == pytest.approx(sold_ccy + held_ccy)
    assert t.price_effect + t.currency_effect == pytest.approx(t.gain, rel=1e-12)
    assert t.local_currency == "USD"
    assert t.local_gain == pytest.approx((3_600 - 4_000) + (7_200 - 6_000))
    (account,) = s.by_account
    assert account.price_effect + account.currency_effect == pytest.approx(account.gain)
    # the carried-forward rate is reported like a stale mark
    (stale,) = s.stale_rates
    assert (stale.pair, stale.last_rate_date) == ("USDJPY", dt.date(2023, 12, 28))
    assert stale.age_days == 1
    assert stale.rate == 141 and stale.source == "x"


def test_the_same_holding_in_dollars_has_no_currency_effect(tmp_path: Path) -> None:
    s = status(yen_book(tmp_path), dt.date(2023, 12, 29), currency="USD")
    t = s.company("t")
    assert t.realized_gain == pytest.approx(3_600 - 4_000)
    assert t.unrealized_gain == pytest.approx(7_200 - 6_000)
    assert t.currency_effect == 0 and t.price_effect == pytest.approx(t.gain)
    # the yen cash, in dollars at the day's rate
    assert s.cash == pytest.approx((1_100_000 - 1_080_000 + 540_000) / 141)


def test_a_given_fx_rate_is_the_cost_basis(tmp_path: Path) -> None:
    s = status(yen_book(tmp_path, buy_rate="109.5"), dt.date(2023, 12, 29))
    t = s.company("t")
    assert t.cost == pytest.approx(60 * 100 * 109.5)
    assert t.realized_gain == pytest.approx(540_000 - 40 * 100 * 109.5)
    assert s.cash == pytest.approx(1_100_000 - 100 * 100 * 109.5 + 540_000)
    assert t.currency_effect == pytest.approx(3_600 * (150 - 109.5) + 7_200 * (141 - 109.5))


def test_reporting_in_a_third_currency_goes_through_the_cross(tmp_path: Path) -> None:
    """A EUR report of the yen account: every amount at EURUSD x USDJPY of its day."""
    book = yen_book(tmp_path)
    eur = pd.DataFrame(
        {
            "date": np.array(["2020-01-06", "2022-10-20", "2023-12-29"], "datetime64[D]"),
            "pair": "EURUSD",
            "rate": [1.12, 0.98, 1.10],
            "source": "y",
            "file": "fx2.csv",
            "line": [2, 3, 4],
        }
    )
    book = Book(
        book.meta,
        book.persons,
        book.companies,
        book.accounts,
        book.transactions,
        book.marks,
        pd.concat([book.fx, eur], ignore_index=True),
    )
    t = status(book, dt.date(2023, 12, 29), currency="EUR").company("t")
    # cost in EUR at the purchase day's EURUSD; value at today's
    assert t.cost == pytest.approx(60 * 100 / 1.12)
    assert t.value == pytest.approx(60 * 120 / 1.10)
    assert t.realized_gain == pytest.approx(3_600 / 0.98 - 4_000 / 1.12)
    assert t.price_effect + t.currency_effect == pytest.approx(t.gain, rel=1e-12)


def test_history_in_base_and_reporting_currency(tmp_path: Path) -> None:
    book = yen_book(tmp_path, currency="USD")
    days = np.array(["2020-01-06", "2022-10-20", "2023-12-29"], "datetime64[D]")
    r = account_returns(book, days)
    (usd,), (jpy,) = r.reporting, r.base
    assert (usd.currency, jpy.currency) == ("USD", "JPY")
    end_jpy = 560_000 + 60 * 120 * 141
    assert jpy.end_value == pytest.approx(end_jpy)
    assert usd.end_value == pytest.approx(end_jpy / 141)
    # no flows after day one: the time-weighted return is value growth in each currency
    assert jpy.twr == pytest.approx(end_jpy / 1_100_000 - 1)
    assert usd.twr == pytest.approx((end_jpy / 141) / (1_100_000 / 108) - 1)
    assert jpy.irr == pytest.approx(irr(days[[0, 2]], np.array([-1_100_000, end_jpy])))
    # the yen values are the dollar values at each day's rate: converting back is identity
    in_usd = value_history(book, days, currency="USD").value[:, 0]
    assert r.base_value[:, 0] == pytest.approx(in_usd * np.array([108, 150, 141]))


def test_gains_in_the_account_currency(tmp_path: Path) -> None:
    report = realized_gains(yen_book(tmp_path, currency="USD"))
    (sale,) = report.sales
    assert sale.currency == "JPY"
    assert (sale.proceeds, sale.cost) == (pytest.approx(540_000), pytest.approx(432_000))
    (lot,) = sale.lots
    assert lot.holding_days == (dt.date(2022, 10, 20) - dt.date(2020, 1, 6)).days
    assert lot.term == "long"
    (year,) = report.totals
    assert (year.year, year.long_term, year.short_term) == (2022, pytest.approx(108_000), 0)
