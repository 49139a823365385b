"""Valuation grids follow the book's trading calendar (exchange_calendars), and the CAGR of
the time-weighted return is given both ways: sessions a year and calendar time."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from conviction.book.model import Book
from conviction.errors import FormatError
from conviction.io import read_book
from conviction.ledger.sessions import (
    calendar_error,
    sessions,
    sessions_per_year,
    valuation_days,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"

#: The New York stock exchange's closed weekdays of 2025, from its published holiday list
#: (the national day of mourning for President Carter on 9 January included).
NYSE_2025_HOLIDAYS = [
    "2025-01-01", "2025-01-09", "2025-01-20", "2025-02-17", "2025-04-18", "2025-05-26",
    "2025-06-19", "2025-07-04", "2025-09-01", "2025-11-27", "2025-12-25",
]  # fmt: skip


@pytest.fixture(scope="module")
def baron() -> Book:
    return read_book(EXAMPLE)


def test_xnys_sessions_of_2025_are_the_weekdays_less_the_holidays() -> None:
    weekdays = np.arange("2025-01-01", "2026-01-01", dtype="datetime64[D]")
    weekdays = weekdays[np.is_busday(weekdays)]
    expected = np.setdiff1d(weekdays, np.array(NYSE_2025_HOLIDAYS, dtype="datetime64[D]"))
    got = sessions(dt.date(2025, 1, 1), dt.date(2025, 12, 31), "XNYS")
    np.testing.assert_array_equal(got, expected)
    assert got.size == 250 and weekdays.size == 261


def test_tokyo_closes_on_its_own_holidays() -> None:
    got = set(sessions(dt.date(2024, 12, 30), dt.date(2025, 11, 14), "XTKS").astype(str))
    for closed in ("2024-12-31", "2025-01-01", "2025-01-02", "2025-01-03", "2025-11-03"):
        assert closed not in got  # year-end break and Culture Day (a Monday)
    assert {"2024-12-30", "2025-01-06", "2025-07-04", "2025-11-14"} <= got  # NYSE shut 4 July


def test_sessions_per_year_count_the_calendar() -> None:
    assert sessions_per_year("XNYS") == 252  # 251.6 sessions a year over 2000-2024
    assert sessions_per_year("XTKS") == 245


def test_the_grid_ends_on_the_day_given_even_when_it_is_no_session() -> None:
    days = valuation_days(dt.date(2025, 7, 1), dt.date(2025, 7, 5), "XNYS")  # Saturday
    assert days.astype(str).tolist() == ["2025-07-01", "2025-07-02", "2025-07-03", "2025-07-05"]
    assert valuation_days(dt.date(2025, 11, 8), dt.date(2025, 11, 9)).size == 0  # a weekend


def test_the_history_grid_is_the_books_sessions(baron: Book) -> None:
    from conviction.app.book import history_period
    from conviction.ledger.valuation import value_history

    assert baron.meta.calendar == "XNYS"
    period = history_period(baron)
    days = period.days.astype(str)
    assert "2024-07-04" not in days and "2025-01-09" not in days  # New York was closed
    assert days[0] == "2014-06-10" and days[-1] == "2025-11-14"
    expected = sessions(period.start, period.end, "XNYS")
    np.testing.assert_array_equal(period.days, expected)
    np.testing.assert_array_equal(value_history(baron).days, expected)


def test_history_states_both_cagrs_computed_by_hand(baron: Book) -> None:
    from conviction.app.reads import book_history

    report = book_history(baron)
    assert report.calendar == "XNYS" and report.sessions_per_year == 252
    first, last = dt.date.fromisoformat("2014-06-10"), dt.date.fromisoformat("2025-11-14")
    n = report.days - 1  # returns between the sessions valued
    for line in report.accounts:
        growth = 1.0 + line.twr
        assert line.cagr_sessions == pytest.approx(growth ** (252 / n) - 1, rel=1e-12)
        assert line.cagr_calendar == pytest.approx(
            growth ** (365.25 / (last - first).days) - 1, rel=1e-12
        )
        # on the sessions of a year the two agree (on weekdays they were 1.4 points apart)
        assert abs(line.cagr_sessions - line.cagr_calendar) < 0.002


def test_a_book_names_its_calendar(write_book: Callable[..., Path], db_url: str) -> None:
    from conviction.store import connect_for_writing
    from conviction.store import read_book as read_stored
    from conviction.store.loading import load_book

    path = write_book("date,account,company,action,quantity,price,fees,into\n")
    text = path.read_text().replace('currency = "USD"\n', 'currency = "USD"\ncalendar = "XTKS"\n')
    path.write_text(text)
    book = read_book(path)
    assert book.meta.calendar == "XTKS"
    engine = connect_for_writing(db_url)
    load_book(engine, path, book)
    assert read_stored(engine).meta.calendar == "XTKS"  # book.calendar in the store


def test_a_tokyo_book_is_valued_on_tokyo_sessions(write_book: Callable[..., Path]) -> None:
    from conviction.app.reads import book_history

    path = write_book(
        "date,account,company,action,quantity,price,fees,into\n"
        "2024-12-27,me,,deposit,1000,,0,\n"
        "2024-12-27,me,a,buy,10,10,0,\n",
        "date,company,price,kind,source\n2024-12-27,a,10,close,test\n2025-01-06,a,11,close,test\n",
        as_of=dt.date(2025, 1, 7),
    )
    text = path.read_text().replace('currency = "USD"\n', 'currency = "USD"\ncalendar = "XTKS"\n')
    path.write_text(text)
    report = book_history(read_book(path), freq="D")
    # Tokyo shuts from 31 December to 3 January (New York opens on 31 December, 2 January)
    assert [r["date"] for r in report.series] == [
        "2024-12-27",
        "2024-12-30",
        "2025-01-06",
        "2025-01-07",
    ]
    assert report.calendar == "XTKS" and report.sessions_per_year == 245
    (me,) = [a for a in report.accounts if a.account == "me"]
    assert me.twr == pytest.approx(0.01)  # 100 of 1,000 in A, up 10%
    assert me.cagr_sessions == pytest.approx(1.01 ** (245 / 3) - 1, rel=1e-12)
    assert me.cagr_calendar == pytest.approx(1.01 ** (365.25 / 11) - 1, rel=1e-12)


def test_an_unknown_calendar_is_an_error_naming_file_line_and_field(
    write_book: Callable[..., Path],
) -> None:
    path = write_book("date,account,company,action,quantity,price,fees,into\n")
    text = path.read_text().replace('currency = "USD"\n', 'currency = "USD"\ncalendar = "NYSEE"\n')
    path.write_text(text)
    with pytest.raises(FormatError) as caught:
        read_book(path)
    err = caught.value
    assert err.field == "book.calendar" and err.line == 4 and str(path) in str(err)
    assert "unknown trading calendar 'NYSEE'" in str(err) and "XNYS" in str(err)
    assert calendar_error("XNYS") is None and calendar_error("XTKS") is None


def test_status_does_not_import_exchange_calendars() -> None:
    code = (
        "import sys; from conviction.io import read_book; "
        "from conviction.ledger.book_status import status; "
        f"b = read_book({str(EXAMPLE)!r}); status(b, b.meta.as_of); "
        "print('exchange_calendars' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
