"""The yen-holder example: its facts match ../shared/data, and its status in yen and in
dollars matches a plain pandas computation from its own CSV files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conviction.io import read_book
from conviction.ledger import status
from conviction.ledger.returns_by_account import account_returns
from conviction.ledger.valuation import business_days

YEN = Path(__file__).resolve().parents[1] / "examples" / "yen-holder"
AS_OF = dt.date(2025, 11, 14)


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(YEN / name, parse_dates=["date"])


def test_every_rate_and_close_is_the_shared_data(shared_data: Path) -> None:
    fred = pd.read_csv(shared_data / "fx" / "USDJPY.csv", index_col=0, parse_dates=True)["rate"]
    fx = _csv("fx.csv")
    assert set(fx["pair"]) == {"USDJPY"} and fx["source"].str.contains("DEXJPUS").all()
    assert fx["rate"].to_numpy() == pytest.approx(fred.loc[fx["date"]].to_numpy(), rel=0)
    closes = pd.read_csv(shared_data / "prices" / "TSLA.csv", index_col=0, parse_dates=True)
    marks = _csv("marks.csv")
    # the shared closes are split-adjusted x15 (5:1 on 2020-08-31, 3:1 on 2022-08-25)
    factor = np.where(
        marks["date"] < "2020-08-31", 15, np.where(marks["date"] < "2022-08-25", 3, 1)
    )
    adjusted = closes["close"].loc[marks["date"]].to_numpy() * factor
    assert marks["price"].to_numpy() == pytest.approx(adjusted, rel=1e-6)
    tx = _csv("transactions.csv")
    splits = tx[tx["action"] == "split"]
    assert list(zip(splits["date"].dt.strftime("%Y-%m-%d"), splits["quantity"], strict=True)) == [
        ("2020-08-31", 5),
        ("2022-08-25", 3),
    ]


def test_status_in_yen_and_dollars_against_pandas() -> None:
    tx, fx = _csv("transactions.csv"), _csv("fx.csv").set_index("date")["rate"]
    buys = tx[tx["action"] == "buy"]
    later_splits = np.where(
        buys["date"] < "2020-08-31", 15, np.where(buys["date"] < "2022-08-25", 3, 1)
    )
    shares = float((buys["quantity"] * later_splits).sum())
    cost_usd = float((buys["quantity"] * buys["price"]).sum())
    cost_jpy = float((buys["quantity"] * buys["price"] * buys["date"].map(fx)).sum())
    deposits = float(tx.loc[tx["action"] == "deposit", "quantity"].sum())
    close, rate = 404.35, float(fx[pd.Timestamp(AS_OF)])
    value_usd = shares * close

    book = read_book(YEN)
    jpy = status(book, AS_OF)
    assert jpy.currency == "JPY"
    assert jpy.total_value == pytest.approx(deposits - cost_jpy + value_usd * rate)
    assert jpy.total_gain == pytest.approx(value_usd * rate - cost_jpy)
    # the gain had the yen not moved, and what its fall added
    paid_rate = cost_jpy / cost_usd
    assert jpy.price_effect == pytest.approx((value_usd - cost_usd) * paid_rate)
    assert jpy.currency_effect == pytest.approx(value_usd * (rate - paid_rate))
    assert rate > paid_rate  # the yen fell
    usd = status(book, AS_OF, currency="USD")
    assert usd.total_gain == pytest.approx(value_usd - cost_usd)
    assert usd.currency_effect == 0
    assert usd.cash == pytest.approx((deposits - cost_jpy) / rate)


def test_returns_in_yen_beat_returns_in_dollars() -> None:
    book = read_book(YEN)
    days = business_days(dt.date(2014, 1, 2), AS_OF)
    r = account_returns(book, days, currency="USD")
    (usd,), (jpy,) = r.reporting, r.base
    assert jpy.currency == "JPY"
    assert jpy.end_value == pytest.approx(usd.end_value * 154.64)
    # the same money, measured in a currency that fell: a higher return
    assert jpy.twr > usd.twr and jpy.irr > usd.irr
    yen_fall = 154.64 / 104.84  # USDJPY on the last day / on the first
    assert (1 + jpy.twr) / (1 + usd.twr) == pytest.approx(yen_fall, rel=1e-9)
