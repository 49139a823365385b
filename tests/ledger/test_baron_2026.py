"""The Baron example carried past the article's day: xAI's Series E, the xAI -> SpaceX
exchange (0.1433), SpaceX's 5-for-1 split and its listing at $135 (examples/baron/README.md).
Expected values from the example's own rows, by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conviction.book.model import Book
from conviction.io import read_book
from conviction.ledger.book_status import BookStatus, CompanyLine, status
from conviction.ledger.corporate import listing_dates, private_on
from conviction.ledger.gains import realized_gains
from conviction.ledger.index import as_index
from conviction.ledger.private import private_measures

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "baron"
XAI_SHARES = 17_945_490  # the fund's xAI buy of 2024-05-31 at $7.2442
XAI_COST = XAI_SHARES * 7.2442


@pytest.fixture(scope="module")
def book() -> Book:
    return read_book(EXAMPLE)


def company(st: BookStatus, name: str) -> CompanyLine:
    return next(c for c in st.by_company if c.company == name)


def test_the_exchange_moves_xai_into_spacex_at_its_cost(book: Book) -> None:
    before = status(book, dt.date(2026, 2, 1), accounts=["partners"])
    after = status(book, dt.date(2026, 2, 2), accounts=["partners"])
    xai, spacex = company(before, "xai"), company(before, "spacex")
    assert xai.quantity == XAI_SHARES
    assert xai.cost == pytest.approx(XAI_COST)
    new = company(after, "spacex")
    assert new.quantity == pytest.approx(spacex.quantity + XAI_SHARES * 0.1433)
    assert new.cost == pytest.approx(spacex.cost + XAI_COST)  # total basis kept
    assert new.value == pytest.approx(new.quantity * 526.59)  # the deal's SpaceX price
    assert after.cash == before.cash  # no cash moved
    assert not any(c.company == "xai" and c.quantity for c in after.by_company)


def test_no_gain_is_realised_and_the_lot_keeps_its_date(book: Book) -> None:
    sales = realized_gains(book).sales
    assert [s.date for s in sales] == [
        dt.date(2021, 3, 31),
        dt.date(2024, 6, 28),
        dt.date(2025, 3, 31),
        dt.date(2025, 6, 30),
    ]
    ix = as_index(book)
    lots = ix.replay(len(ix.trades.day)).lots
    (k,) = [i for i, lot in enumerate(lots.lot_id.tolist()) if lot == "xai-1"]
    assert ix.companies[lots.company[k]] == "spacex"  # the fund's xAI lot, now SpaceX
    assert lots.opened[k] == dt.date(2024, 5, 31).toordinal() - dt.date(1970, 1, 1).toordinal()
    assert lots.cost[k] == pytest.approx(XAI_COST)
    assert lots.quantity[k] == pytest.approx(XAI_SHARES * 0.1433 * 5)


def test_split_and_listing_value_spacex_at_the_ipo_price(book: Book) -> None:
    feb = company(status(book, dt.date(2026, 2, 2)), "spacex")
    sep = status(book, dt.date(2026, 9, 30))
    spacex = company(sep, "spacex")
    assert spacex.quantity == pytest.approx(feb.quantity * 5)  # 5-for-1 on 2026-06-01
    assert spacex.cost == pytest.approx(feb.cost)
    assert spacex.value == pytest.approx(feb.quantity * 5 * 135)
    assert (spacex.mark_date, spacex.mark_kind) == (dt.date(2026, 6, 11), "round")
    assert listing_dates(book) == {"spacex": dt.date(2026, 6, 12)}
    assert private_on(book, "spacex", dt.date(2026, 6, 11))
    assert not private_on(book, "spacex", dt.date(2026, 6, 12))


def test_private_measures_before_and_after_the_listing(book: Book) -> None:
    march = {h.company: h for h in private_measures(book, dt.date(2026, 3, 31)).holdings}
    # xAI distributed its shares into SpaceX at the deal's $75.46
    assert march["xai"].paid_in == pytest.approx(XAI_COST)
    assert march["xai"].distributed == pytest.approx(XAI_SHARES * 75.46)
    assert march["xai"].residual == 0
    assert march["spacex"].residual == pytest.approx(
        company(status(book, dt.date(2026, 3, 31)), "spacex").value
    )
    september = {h.company for h in private_measures(book, dt.date(2026, 9, 30)).holdings}
    assert september == {"xai"}  # SpaceX is public from 2026-06-12


def test_the_series_e_marks_xai_in_january(book: Book) -> None:
    xai = company(status(book, dt.date(2026, 1, 31)), "xai")
    assert xai.price == pytest.approx(69.4232)  # $230B / 3.313B shares (README)
    assert (xai.mark_date, xai.mark_kind, xai.mark_grade) == (dt.date(2026, 1, 6), "round", "B")
