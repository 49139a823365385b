"""Realised gains for tax: lots consumed, holding periods, short/long term, tax years."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from conviction.io import read_book
from conviction.ledger.gains import realized_gains

HEADER = "date,account,company,action,quantity,price,fees\n"
TX = (
    HEADER
    + "2020-01-02,me,,deposit,100000,,\n"
    + "2020-01-02,me,a,buy,100,10,0\n"  # lot a-1
    + "2020-12-01,me,a,buy,100,20,0\n"  # lot a-2
    + "2021-01-02,me,a,sell,150,30,3\n"  # a-1 held 366 days, a-2 held 32 days
    + "2021-12-01,me,a,sell,10,25,0\n"  # a-2 held 365 days: not more than 365
    + "2022-01-03,me,a,sell,10,25,0\n"  # a-2 held 398 days
    + "2022-01-03,c1,,deposit,1000,,\n"
    + "2022-01-03,c1,a,buy,10,25,0\n"
    + "2022-06-01,c1,a,sell,10,26,0\n"
)


def test_lots_terms_and_totals_by_hand(write_book: Callable[..., Path]) -> None:
    book = read_book(write_book(TX))
    report = realized_gains(book, accounts=["me"])
    first, second, third = report.sales
    # 150 sold for 4,500 less 3 fees; fifo: all of a-1, then 50 of a-2
    assert first.proceeds == pytest.approx(4_497) and first.cost == pytest.approx(1_000 + 1_000)
    lot1, lot2 = first.lots
    assert (lot1.lot, lot1.quantity, lot1.holding_days, lot1.term) == ("a-1", 100, 366, "long")
    assert (lot2.lot, lot2.quantity, lot2.holding_days, lot2.term) == ("a-2", 50, 32, "short")
    assert lot1.proceeds == pytest.approx(4_497 * 100 / 150)
    assert lot1.gain == pytest.approx(4_497 * 100 / 150 - 1_000)
    assert first.long_term == pytest.approx(lot1.gain)
    assert first.short_term == pytest.approx(4_497 * 50 / 150 - 1_000)
    assert (second.lots[0].holding_days, second.lots[0].term) == (365, "short")
    assert (third.lots[0].holding_days, third.lots[0].term) == (398, "long")
    y2021, y2022 = report.totals
    assert (y2021.year, y2021.sales, y2022.year, y2022.sales) == (2021, 2, 2022, 1)
    assert y2021.short_term == pytest.approx(first.short_term + (250 - 200))
    assert y2021.long_term == pytest.approx(first.long_term)
    assert y2022.long_term == pytest.approx(250 - 200) and y2022.short_term == 0
    assert y2021.gain == pytest.approx(first.gain + second.gain)


def test_year_and_account_filters(write_book: Callable[..., Path]) -> None:
    book = read_book(write_book(TX))
    report = realized_gains(book, year=2022)
    assert [(s.account, s.date) for s in report.sales] == [
        ("me", dt.date(2022, 1, 3)),
        ("c1", dt.date(2022, 6, 1)),
    ]
    assert {t.account for t in report.totals} == {"me", "c1"}
    c1 = realized_gains(book, year=2022, accounts=["c1"])
    (sale,) = c1.sales
    assert sale.gain == pytest.approx(10 * 26 - 10 * 25)
    assert sale.lots[0].term == "short"


def test_threshold_comes_from_the_book(write_book: Callable[..., Path]) -> None:
    book = read_book(write_book(TX))
    book = dataclasses.replace(book, meta=dataclasses.replace(book.meta, long_term_days=30))
    report = realized_gains(book, year=2021, accounts=["me"])
    assert report.long_term_days == 30
    assert [lot.term for lot in report.sales[0].lots] == ["long", "long"]


@pytest.mark.parametrize(
    ("method", "lots"),
    [
        ("fifo", [("a-1", 100), ("a-2", 50)]),
        ("lifo", [("a-2", 100), ("a-1", 50)]),
        ("hifo", [("a-2", 100), ("a-1", 50)]),
        ("average", [("a-1", 150)]),  # one pool, opened with the first buy
    ],
)
def test_each_method_consumes_its_own_lots(
    write_book: Callable[..., Path], method: str, lots: list[tuple[str, float]]
) -> None:
    book = read_book(write_book(TX, lot_method=method))
    first = realized_gains(book, accounts=["me"]).sales[0]
    assert [(lot.lot, lot.quantity) for lot in first.lots] == lots
    expected_cost = {"fifo": 1_000 + 50 * 20, "lifo": 2_000 + 500, "hifo": 2_000 + 500}
    assert first.cost == pytest.approx(expected_cost.get(method, 150 * 15))
