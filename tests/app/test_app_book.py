"""The application layer's defaults and checks, shared by the CLI and the web app."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conviction.app.book import (
    UnknownId,
    as_of_date,
    check_accounts,
    history_period,
    last_recorded_day,
    open_book,
)
from conviction.app.reads import book_history, book_status, currency_code
from conviction.app.runs import backtest_book, projection_file, unique_names
from conviction.book.model import Book
from conviction.cli import app as cli
from conviction.errors import FormatError
from conviction.io.book_reader import read_book
from conviction.io.policy_toml import read_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "baron"


@pytest.fixture(scope="module")
def book() -> Book:
    return read_book(EXAMPLE)


def test_open_book_reads_the_stored_book(tmp_path: Path, book: Book) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    loaded = CliRunner().invoke(cli, ["--db", url, "load", str(EXAMPLE)])
    assert loaded.exit_code == 0, loaded.output
    opened = open_book(url)
    assert opened.as_of == book.meta.as_of
    assert set(opened.book.accounts) == set(book.accounts)
    assert len(opened.book.transactions) == len(book.transactions)
    opened.engine.dispose()


def test_unknown_account_names_the_field_and_the_known_ids(book: Book) -> None:
    assert check_accounts(book, None) is None
    assert check_accounts(book, ["ron"]) == ("ron",)
    with pytest.raises(UnknownId) as caught:
        check_accounts(book, ["ron", "nobody"], field="--account")
    err = caught.value
    assert (err.field, err.what, err.key) == ("--account", "account", "nobody")
    assert "ron" in str(err) and set(err.known) == set(book.accounts)


def test_dates_default_to_the_books(book: Book) -> None:
    assert as_of_date(book) == book.meta.as_of
    assert as_of_date(book, dt.date(2020, 1, 2)) == dt.date(2020, 1, 2)
    last = last_recorded_day(book)
    # the example goes on past its as_of (examples/baron/README.md, "2026")
    assert last == max(book.transactions["date"].max(), book.marks["date"].max()).date()


def test_history_period_defaults_and_errors(book: Book) -> None:
    period = history_period(book)
    first_trade = book.transactions["date"].min().date()
    assert period.start == first_trade and period.end == book.meta.as_of
    with pytest.raises(FormatError) as caught:
        history_period(book, dt.date(2025, 1, 2), dt.date(2024, 1, 2))
    assert caught.value.field == "start"
    with pytest.raises(FormatError) as caught:  # a weekend: no business day to value
        history_period(book, dt.date(2025, 11, 8), dt.date(2025, 11, 9), fields=("--start", "e"))
    assert caught.value.field == "--start"


def test_reads_check_their_inputs(book: Book) -> None:
    assert currency_code(" usd ") == "USD" and currency_code(None) is None
    with pytest.raises(FormatError) as caught:
        book_status(book, currency="XYZ", fields=("--account", "--currency"))
    assert caught.value.field == "--currency"
    with pytest.raises(FormatError) as caught:
        book_history(book, freq="W")
    assert caught.value.field == "freq"
    st = book_status(book, currency="usd", accounts=["ron"])
    assert st.currency == "USD" and [a.account for a in st.by_account] == ["ron"]


def test_runs_check_their_inputs(book: Book, tmp_path: Path) -> None:
    with pytest.raises(FormatError) as caught:
        projection_file(tmp_path / "missing.toml")
    assert caught.value.field == "--config"
    assert projection_file(EXAMPLE) == EXAMPLE / "projection.toml"
    hold = read_policy(EXAMPLE / "policies" / "hold.toml")
    with pytest.raises(FormatError) as caught:
        backtest_book(book, hold, max_gap_days=-1)
    assert caught.value.field == "max_gap"
    names = [p.name for p in unique_names([hold, hold, hold])]
    assert names == ["hold", "hold#2", "hold#3"]


def test_an_unknown_id_among_many_names_the_nearest_and_the_count() -> None:
    """A fund's thousand accounts are not all listed: the nearest to the id asked for
    first, then the first in order, then how many there are."""
    from conviction.app.book import UnknownId

    known = [f"a{i:04d}" for i in range(1, 1001)]
    message = UnknownId("account", "a0999x", known, field="account").message
    assert message.startswith("unknown account 'a0999x' (known: a0999, a0998, ")
    assert message.endswith(", … (1,000 in all))")
    assert len(message) < 200
    few = UnknownId("account", "x", ["ron", "partners"], field="account").message
    assert few == "unknown account 'x' (known: partners, ron)"
    pasted = UnknownId("company", "z" * 3000, ["tesla"], field="company").message
    assert "… (3,000 characters)" in pasted and len(pasted) < 120
