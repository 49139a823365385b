"""Valuation, attribution and returns on hand-checked books, plus invariants (hypothesis)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from conviction.book.model import Account, Book, BookMeta, Company
from conviction.io import read_book
from conviction.ledger import positions, price_history, replay, status, value_history
from conviction.ledger.returns import irr, time_weighted_returns, twr

HEADER = "date,account,company,action,quantity,price,fees\n"
TX = (
    HEADER
    + "2024-01-02,c1,,deposit,10000,,\n"
    + "2024-01-02,c1,a,buy,100,10,1\n"
    + "2024-01-02,c1,b,buy,50,20,0\n"
    + "2024-01-02,me,,deposit,5000,,\n"
    + "2024-01-02,me,a,buy,200,10,0\n"
    + "2024-03-01,c1,a,sell,40,15,2\n"
)
MARKS = (
    "date,company,price,kind,source\n"
    + "2024-01-02,a,10,close,x\n"
    + "2024-02-01,b,30,round,series B\n"
    + "2024-03-01,a,15,close,x\n"
    + "2024-06-28,a,12,close,x\n"
)


@pytest.fixture
def book(write_book: Callable[..., Path]) -> Book:
    return read_book(write_book(TX, MARKS))


def test_status_hand_checked(book: Book) -> None:
    s = status(book, dt.date(2024, 6, 28))
    a, b = s.company("a"), s.company("b")
    assert a.quantity == 260 and a.value == pytest.approx(260 * 12)
    # c1 bought 100 @10 + fee 1 -> 10.01 per share; sold 40 -> cost 400.4; proceeds 600-2
    assert a.realized_gain == pytest.approx(598 - 400.4)
    assert a.cost == pytest.approx(60 * 10.01 + 200 * 10)
    assert a.unrealized_gain == pytest.approx(260 * 12 - (60 * 10.01 + 2000))
    assert b.value == pytest.approx(50 * 30) and b.mark_kind == "round"
    assert b.mark_age_days == (dt.date(2024, 6, 28) - dt.date(2024, 2, 1)).days
    cash = (10000 - 1001 - 1000 + 598) + (5000 - 2000)
    assert s.cash == pytest.approx(cash)
    assert s.total_value == pytest.approx(cash + 260 * 12 + 1500)
    # key people: a -> p1; b -> p1 3/4, p2 1/4
    people = {p.name: p for p in s.by_person}
    assert people["p1"].value == pytest.approx(260 * 12 + 0.75 * 1500)
    assert people["p2"].value == pytest.approx(0.25 * 1500)
    assert people["p1"].gain + people["p2"].gain == pytest.approx(s.total_gain)
    weights = np.array([a.value, b.value]) / (a.value + b.value)
    assert s.hhi == pytest.approx(float(np.sum(weights**2)))
    themes = {t.name: t.value for t in s.by_theme}
    assert themes == pytest.approx({"x": a.value + b.value, "y": b.value})
    stale = {m.company for m in s.stale_marks}
    assert stale == {"b"}  # a has a close on the date itself


def test_missing_price_on_date_uses_last_mark_and_reports_stale(book: Book) -> None:
    s = status(book, dt.date(2024, 7, 15))
    assert s.company("a").value == pytest.approx(260 * 12)
    assert {m.company: m.last_mark_date for m in s.stale_marks}["a"] == dt.date(2024, 6, 28)


def test_value_history_matches_status_every_day(book: Book) -> None:
    days = np.array(["2024-01-02", "2024-02-15", "2024-03-01", "2024-06-28"], "datetime64[D]")
    vh = value_history(book, days)
    for i, d in enumerate(days):
        s = status(book, dt.date.fromisoformat(str(d)))
        assert vh.value[i].sum() == pytest.approx(s.total_value)
        by_account = {x.account: x.value for x in s.by_account}
        assert vh.value[i] == pytest.approx([by_account[a] for a in vh.accounts])


def test_positions_and_price_history(book: Book) -> None:
    q = positions(book, dt.date(2024, 3, 1))
    assert q.loc["c1", "a"] == 60 and q.loc["me", "a"] == 200 and q.loc["c1", "b"] == 50
    prices = price_history(book, pd.to_datetime(["2024-01-01", "2024-03-04"]))
    assert np.isnan(prices.loc["2024-01-01", "a"])
    assert prices.loc["2024-03-04", "a"] == 15 and prices.loc["2024-03-04", "b"] == 30


def test_time_weighted_return_ignores_flows() -> None:
    value = np.array([100.0, 110.0, 260.0, 286.0])
    flows = np.array([100.0, 0.0, 150.0, 0.0])
    r = time_weighted_returns(value, flows)
    assert r == pytest.approx([0.0, 0.10, (260 - 150) / 110 - 1, 0.10])
    assert twr(value, flows) == pytest.approx(1.1 * 1.0 * 1.1 - 1)


def test_irr_solves_xnpv() -> None:
    days = np.array(["2020-01-01", "2020-07-01", "2022-03-15"], "datetime64[D]")
    amounts = np.array([-1000.0, -500.0, 1900.0])
    years = (days - days[0]).astype(int) / 365.0
    expected = brentq(lambda r: float(np.sum(amounts / (1 + r) ** years)), -0.5, 1.0, xtol=1e-15)
    assert irr(days, amounts) == pytest.approx(expected, rel=1e-9)
    assert np.isnan(irr(days, np.abs(amounts)))


# --- invariants --------------------------------------------------------------------------


def _book(rows: list[tuple[int, str, float, float, float]], marks: list[float]) -> Book:
    """One account, one company; rows are (day, action, quantity, price, fees)."""
    start = np.datetime64("2024-01-01")
    tx = pd.DataFrame(
        {
            "date": [start + np.timedelta64(d, "D") for d, *_ in rows],
            "account": "acc",
            "company": ["" if a in ("deposit", "withdraw") else "co" for _, a, *_ in rows],
            "action": [a for _, a, *_ in rows],
            "quantity": [q for _, _, q, _, _ in rows],
            "price": [p for *_, p, _ in rows],
            "fees": [f for *_, f in rows],
            "currency": "",
            "fx_rate": np.nan,
            "lot": "",
            "file": "t.csv",
            "line": np.arange(len(rows)) + 2,
        }
    )
    mk = pd.DataFrame(
        {
            "date": [start + np.timedelta64(i * 7, "D") for i in range(len(marks))],
            "company": "co",
            "price": marks,
            "kind": "close",
            "source": "",
            "grade": "A",
            "file": "m.csv",
            "line": 0,
        }
    )
    return Book(
        BookMeta("prop", as_of=dt.date(2024, 12, 31)),
        companies={"co": Company("co", "Co")},
        accounts={"acc": Account("acc", "Acc", "personal", lot_method="fifo")},
        transactions=tx.sort_values("date", kind="stable").reset_index(drop=True),
        marks=mk,
    )


trades = st.lists(
    st.tuples(
        st.integers(0, 200),
        st.sampled_from(["buy", "sell"]),
        st.floats(1, 100),
        st.floats(1, 500),
        st.floats(0, 5),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    trades=trades,
    marks=st.lists(st.floats(1, 500), min_size=1, max_size=40),
    method=st.sampled_from(["fifo", "lifo", "hifo", "average"]),
)
def test_ledger_invariants(
    trades: list[tuple[int, str, float, float, float]], marks: list[float], method: str
) -> None:
    # Turn sells larger than the position into buys, so every sequence is valid.
    rows: list[tuple[int, str, float, float, float]] = [(0, "deposit", 1e6, np.nan, 0.0)]
    held = 0.0
    for day, action, q, p, f in sorted(trades, key=lambda t: t[0]):
        if action == "sell" and q > held:
            action = "buy"
        held += q if action == "buy" else -q
        rows.append((day, action, q, p, f))
    book = _book(rows, marks)
    book = Book(
        book.meta,
        {},
        book.companies,
        {"acc": Account("acc", "Acc", "personal", lot_method=method)},  # type: ignore[arg-type]
        book.transactions,
        book.marks,
    )
    state = replay(book.transactions, book.accounts)
    assert all(lot.quantity >= 0 for lot in state.lots)
    s = status(book, dt.date(2024, 12, 31))
    line = s.company("co")
    # value = cash + quantity x mark
    assert s.total_value == pytest.approx(s.cash + line.quantity * line.price, rel=1e-9)
    # realised + unrealised = total gain = value - money put in
    assert line.realized_gain + line.unrealized_gain == pytest.approx(
        s.total_value - 1e6, rel=1e-9, abs=1e-6
    )


@settings(max_examples=40, deadline=None)
@given(q=st.floats(1, 1000), p=st.floats(0.5, 1000), fees=st.floats(0, 10))
def test_round_trip_changes_value_only_by_fees(q: float, p: float, fees: float) -> None:
    rows = [(0, "deposit", 1e7, np.nan, 0.0), (1, "buy", q, p, fees), (2, "sell", q, p, fees)]
    s = status(_book(rows, [p]), dt.date(2024, 12, 31))
    assert s.total_value == pytest.approx(1e7 - 2 * fees, rel=1e-12)
