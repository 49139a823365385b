"""Lot matching by hand-checked cases, one per method, and through splits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from conviction.errors import LedgerError
from conviction.io import read_book
from conviction.ledger import replay, status

HEADER = "date,account,company,action,quantity,price,fees,lot\n"
THREE_LOTS = (
    HEADER
    + "2020-01-02,me,,deposit,100000,,,\n"
    + "2020-01-02,me,a,buy,100,10,0,\n"
    + "2020-02-03,me,a,buy,100,30,0,\n"
    + "2020-03-02,me,a,buy,100,20,0,\n"
)
SALE = "2020-04-01,me,a,sell,250,40,5,{lot}\n"


def sold(write_book: Callable[..., Path], method: str, lot: str = "") -> tuple[float, float]:
    book = read_book(write_book(THREE_LOTS + SALE.format(lot=lot), lot_method=method))
    state = replay(book.transactions, book.accounts)
    (sale,) = state.sales
    return sale.cost, sum(lot.cost for lot in state.lots)


@pytest.mark.parametrize(
    ("method", "lot", "sold_cost", "left_cost"),
    [
        # 250 shares of lots 100@10, 100@30, 100@20 (fees 0 on buys)
        ("fifo", "", 100 * 10 + 100 * 30 + 50 * 20, 50 * 20),
        ("lifo", "", 100 * 20 + 100 * 30 + 50 * 10, 50 * 10),
        ("hifo", "", 100 * 30 + 100 * 20 + 50 * 10, 50 * 10),
        ("average", "", 250 * 20, 50 * 20),
        ("specific", "a-3:100;a-1:100;a-2:50", 100 * 20 + 100 * 10 + 50 * 30, 50 * 30),
    ],
)
def test_partial_sale_across_three_lots(
    write_book: Callable[..., Path], method: str, lot: str, sold_cost: float, left_cost: float
) -> None:
    cost, left = sold(write_book, method, lot)
    assert cost == pytest.approx(sold_cost)
    assert left == pytest.approx(left_cost)


def test_every_method_gives_same_total_gain(write_book: Callable[..., Path]) -> None:
    marks = "date,company,price,kind,source\n2020-12-31,a,50,close,test\n"
    totals = set()
    for method in ("fifo", "lifo", "hifo", "average"):
        book = read_book(
            write_book(THREE_LOTS + SALE.format(lot=""), marks, lot_method=method, folder=method)
        )
        s = status(book, dt.date(2020, 12, 31))
        totals.add(round(s.total_gain, 6))
    # bought 300 for 6000, sold 250 at 40 less 5 fees, 50 left at 50
    assert totals == {(250 * 40 - 5 + 50 * 50 - 6000)}


def test_split_multiplies_lots_and_keeps_cost(write_book: Callable[..., Path]) -> None:
    tx = (
        HEADER
        + "2020-01-02,me,,deposit,10000,,,\n"
        + "2020-01-02,me,a,buy,10,100,0,\n"
        + "2020-06-01,,a,split,5,,,\n"
        + "2020-07-01,me,a,sell,20,30,0,\n"
    )
    marks = "date,company,price,kind,source\n2020-05-29,a,150,close,pre-split close\n"
    book = read_book(write_book(tx, marks))
    state = replay(book.transactions, book.accounts)
    (lot,) = state.lots
    assert lot.quantity == pytest.approx(30)
    assert lot.cost == pytest.approx(600)  # 1000 * 30/50
    assert state.sales[0].gain == pytest.approx(20 * 30 - 400)
    # valued on 2020-06-15 from the pre-split mark 150 -> 30 per post-split share
    s = status(book, dt.date(2020, 6, 15))
    assert s.company("a").quantity == pytest.approx(50)
    assert s.company("a").value == pytest.approx(50 * 30)


def test_sale_larger_than_position_names_the_row(write_book: Callable[..., Path]) -> None:
    tx = HEADER + "2020-01-02,me,a,buy,10,1,0,\n2020-01-03,me,a,sell,11,1,0,\n"
    with pytest.raises(LedgerError) as info:
        read_book(write_book(tx))
    assert info.value.line == 3
    assert info.value.field == "quantity"
    assert info.value.file is not None and info.value.file.endswith("transactions.csv")


@pytest.mark.parametrize(
    ("tail", "line", "words"),
    [
        ("2020-04-01,me,a,sell,5,40,0,nope:5\n", 6, "does not exist"),
        (
            "2020-04-01,me,a,sell,100,40,0,a-1:100\n2020-04-02,me,a,sell,5,40,0,a-1:5\n",
            7,
            "already sold",
        ),
        ("2020-04-01,me,a,sell,150,40,0,a-1:150\n", 6, "holds 100"),
        ("2020-04-01,me,a,sell,20,40,0,a-1:5;a-2:6\n", 6, "add up to 11"),
    ],
)
def test_specific_lot_errors(
    write_book: Callable[..., Path], tail: str, line: int, words: str
) -> None:
    with pytest.raises(LedgerError, match=words) as info:
        read_book(write_book(THREE_LOTS + tail, lot_method="specific"))
    assert info.value.field == "lot"
    assert info.value.line == line
