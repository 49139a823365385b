"""Invariants of currencies and lot methods (hypothesis).

- every lot method gives the same total gain and the same position; only the split
  between realised and unrealised moves (and HIFO realises the least on a first sale);
- average cost never leaves a negative or a second lot;
- price effect + currency effect = total gain, to 1e-9 relative, in any currency;
- converting to a currency and back is the identity; a cross is the product of its legs.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conviction.book.model import Account, Book, BookMeta, Company
from conviction.ledger import FxRates, positions, replay, status
from conviction.ledger.valuation import value_history

START = np.datetime64("2021-01-04", "D")
AS_OF = dt.date(2021, 12, 31)
METHODS = ("fifo", "lifo", "hifo", "average")

Trade = tuple[int, str, str, float, float, float]  # day, company, action, qty, price, fees


def _fx(usdjpy: list[tuple[int, float]], eurusd: list[tuple[int, float]]) -> pd.DataFrame:
    rows = [(d, "USDJPY", r) for d, r in usdjpy] + [(d, "EURUSD", r) for d, r in eurusd]
    return pd.DataFrame(
        {
            "date": [START + np.timedelta64(d, "D") for d, _, _ in rows],
            "pair": [p for _, p, _ in rows],
            "rate": [r for _, _, r in rows],
            "source": "",
            "file": "fx.csv",
            "line": 0,
        }
    ).sort_values("date", kind="stable", ignore_index=True)


def _book(
    trades: list[Trade],
    marks: list[tuple[int, str, float]],
    fx: pd.DataFrame,
    method: str,
) -> Book:
    rows: list[Trade] = [(0, "", "deposit", 1e8, np.nan, 0.0)]
    held = {"u": 0.0, "e": 0.0}
    for day, company, action, q, p, f in sorted(trades, key=lambda t: t[0]):
        if action == "sell" and q > held[company]:
            action = "buy"  # keep every sequence valid: never sell more than is held
        held[company] += q if action == "buy" else -q
        rows.append((day, company, action, q, p, f))
    tx = pd.DataFrame(
        {
            "date": [START + np.timedelta64(r[0], "D") for r in rows],
            "account": "jp",
            "company": [r[1] for r in rows],
            "action": [r[2] for r in rows],
            "quantity": [r[3] for r in rows],
            "price": [r[4] for r in rows],
            "fees": [r[5] for r in rows],
            "currency": "",
            "fx_rate": np.nan,
            "lot": "",
            "file": "t.csv",
            "line": np.arange(len(rows)) + 2,
        }
    )
    mk = pd.DataFrame(
        {
            "date": [START + np.timedelta64(d, "D") for d, _, _ in marks],
            "company": [c for _, c, _ in marks],
            "price": [p for _, _, p in marks],
            "kind": "close",
            "source": "",
            "grade": "A",
            "file": "m.csv",
            "line": 0,
        }
    ).sort_values("date", kind="stable", ignore_index=True)
    return Book(
        BookMeta("prop", currency="JPY", as_of=AS_OF),
        companies={"u": Company("u", "U", currency="USD"), "e": Company("e", "E", currency="EUR")},
        accounts={"jp": Account("jp", "JP", "personal", "JPY", lot_method=method)},  # type: ignore[arg-type]
        transactions=tx,
        marks=mk,
        fx=fx,
    )


day = st.integers(0, 300)
rate_lists = st.lists(st.tuples(st.integers(1, 360), st.floats(0.5, 2.0)), max_size=8)
trades = st.lists(
    st.tuples(
        day,
        st.sampled_from(["u", "e"]),
        st.sampled_from(["buy", "sell"]),
        st.floats(1, 100),
        st.floats(1, 500),
        st.floats(0, 5),
    ),
    min_size=1,
    max_size=20,
)
marks = st.lists(st.tuples(day, st.sampled_from(["u", "e"]), st.floats(1, 500)), max_size=10)


def _fx_from(jpy: list[tuple[int, float]], eur: list[tuple[int, float]]) -> pd.DataFrame:
    # a rate on day 0 for each pair, then moves; one rate per pair per day
    usdjpy = dict([(0, 110.0), *((d, 110.0 * m) for d, m in jpy)])
    eurusd = dict([(0, 1.2), *((d, 1.2 * m) for d, m in eur)])
    return _fx(sorted(usdjpy.items()), sorted(eurusd.items()))


SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(trades=trades, marks=marks, jpy=rate_lists, eur=rate_lists)
def test_lot_methods_agree_on_total_gain_and_position(
    trades: list[Trade],
    marks: list[tuple[int, str, float]],
    jpy: list[tuple[int, float]],
    eur: list[tuple[int, float]],
) -> None:
    fx = _fx_from(jpy, eur)
    books = {m: _book(trades, marks, fx, m) for m in METHODS}
    for currency in ("JPY", "USD"):
        results = {m: status(b, AS_OF, currency=currency) for m, b in books.items()}
        totals = np.array([r.total_gain for r in results.values()])
        scale = max(1.0, float(np.abs(totals).max()))
        assert np.ptp(totals) <= 1e-9 * scale
        for r in results.values():
            for line in r.by_company:
                assert line.realized_gain + line.unrealized_gain == pytest.approx(
                    line.gain, rel=1e-9, abs=1e-9 * scale
                )
    held = [positions(b, AS_OF) for b in books.values()]
    for other in held[1:]:
        pd.testing.assert_frame_equal(held[0], other, rtol=1e-9)
    # the first sale of a company: HIFO sells the dearest lots, so it realises the least
    first: dict[str, dict[str, float]] = {}
    for m, b in books.items():
        sales = replay(b.transactions, b.accounts).sales
        for company in ("u", "e"):
            mine = [s for s in sales if s.company == company]
            if mine:
                first.setdefault(company, {})[m] = mine[0].gain
    for gains in first.values():
        assert gains["hifo"] <= min(gains.values()) + 1e-9 * max(1.0, abs(gains["hifo"]))


@SETTINGS
@given(trades=trades, jpy=rate_lists)
def test_average_cost_keeps_one_non_negative_lot(
    trades: list[Trade], jpy: list[tuple[int, float]]
) -> None:
    book = _book(trades, [], _fx_from(jpy, []), "average")
    state = replay(book.transactions, book.accounts)
    keys = [(lot.account, lot.company) for lot in state.lots]
    assert len(keys) == len(set(keys))
    for lot in state.lots:
        assert lot.quantity >= 0 and lot.cost >= -1e-9 * max(1.0, abs(lot.cost))
        assert lot.cost_account >= -1e-9 * max(1.0, abs(lot.cost_account))


@SETTINGS
@given(trades=trades, marks=marks, jpy=rate_lists, eur=rate_lists)
def test_price_and_currency_effects_add_up_to_the_gain(
    trades: list[Trade],
    marks: list[tuple[int, str, float]],
    jpy: list[tuple[int, float]],
    eur: list[tuple[int, float]],
) -> None:
    book = _book(trades, marks, _fx_from(jpy, eur), "fifo")
    for currency in ("JPY", "USD", "EUR"):
        s = status(book, AS_OF, currency=currency)
        for line in s.by_company:
            # relative to the amounts the gain is made of (a gain can cancel to ~0)
            parts = (line.gain, line.price_effect, line.currency_effect, line.value, line.cost)
            scale = max(*map(abs, parts), abs(line.realized_gain), 1e-9)
            assert abs(line.price_effect + line.currency_effect - line.gain) <= 1e-9 * scale
            if line.local_currency == currency:
                assert line.currency_effect == pytest.approx(0.0, abs=1e-9 * scale)


@SETTINGS
@given(trades=trades, marks=marks, jpy=rate_lists, eur=rate_lists)
def test_converting_and_back_is_identity(
    trades: list[Trade],
    marks: list[tuple[int, str, float]],
    jpy: list[tuple[int, float]],
    eur: list[tuple[int, float]],
) -> None:
    fx_table = _fx_from(jpy, eur)
    book = _book(trades, marks, fx_table, "fifo")
    days = START + np.arange(0, 361, 7).astype("timedelta64[D]")
    in_jpy = value_history(book, days, currency="JPY").value[:, 0]
    in_eur = value_history(book, days, currency="EUR").value[:, 0]
    fx = FxRates(fx_table)
    back = in_eur * fx.rate("EUR", "JPY", days).rates
    assert back == pytest.approx(in_jpy, rel=1e-9)
    for a, b in (("USD", "JPY"), ("EUR", "JPY"), ("EUR", "USD")):
        there = fx.rate(a, b, days).rates * fx.rate(b, a, days).rates
        assert there == pytest.approx(np.ones(days.size), rel=1e-12)


@SETTINGS
@given(jpy=rate_lists, eur=rate_lists, probe=st.lists(st.integers(0, 400), min_size=1))
def test_cross_rate_is_the_product_of_its_legs(
    jpy: list[tuple[int, float]], eur: list[tuple[int, float]], probe: list[int]
) -> None:
    fx = FxRates(_fx_from(jpy, eur))
    days = START + np.array(sorted(probe)).astype("timedelta64[D]")
    legs = fx.rate("EUR", "USD", days).rates * fx.rate("USD", "JPY", days).rates
    cross = fx.rate("EUR", "JPY", days)
    assert cross.rates == pytest.approx(legs, rel=1e-12)
    # each leg is the last stored rate on or before the day
    usdjpy = dict([(0, 110.0), *((d, 110.0 * m) for d, m in jpy)])
    for d, got in zip(sorted(probe), fx.rate("USD", "JPY", days).rates, strict=True):
        last = max(k for k in usdjpy if k <= d)
        assert got == pytest.approx(usdjpy[last], rel=1e-15)
    stale = cross.stale
    eurusd = dict([(0, 1.2), *((d, 1.2 * m) for d, m in eur)])
    for d, flag in zip(sorted(probe), stale, strict=True):
        assert flag == (d not in usdjpy or d not in eurusd)
