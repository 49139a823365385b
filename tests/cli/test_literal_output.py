"""User text is printed as it is, never read as rich markup: ids like ``[/]`` and
``[/red]`` neither crash a command nor vanish, bracketed words stay in messages, and emoji
codes (``:rocket:``) stay as written."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from conviction.cli import app

if TYPE_CHECKING:
    from conftest import ConvictionMain  # the fixture's type (tests/conftest.py)

BOOK = """\
[book]
name = "[bold]fund"
currency = "USD"
as_of = 2024-12-31
transactions = "transactions.csv"
marks = "marks.csv"

[[person]]
id = "[p]:rocket:"
name = "[i]Ann"

[[company]]
id = "[/red]"
name = "[red]Red Corp"
ticker = "RED"
key_people = ["[p]:rocket:"]

[[account]]
id = "[/]"
name = "[/] account"
kind = "personal"
"""

TRANSACTIONS = """\
date,account,company,action,quantity,price,fees
2024-01-02,[/],,deposit,1000,,
2024-01-03,[/],[/red],buy,10,10,0
2024-06-03,[/],[/red],sell,4,12,0
"""

MARKS = "date,company,price,kind,source\n2024-12-30,[/red],15,close,[/bold] feed\n"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    folder = tmp_path / "[red]book"
    folder.mkdir()
    (folder / "book.toml").write_text(BOOK, encoding="utf-8")
    (folder / "transactions.csv").write_text(TRANSACTIONS, encoding="utf-8")
    (folder / "marks.csv").write_text(MARKS, encoding="utf-8")
    return folder


def test_bracketed_ids_load_and_print_literally(
    book: Path, db_url: str, conviction_main: ConvictionMain
) -> None:
    code, out, err = conviction_main(["--db", db_url, "load", str(book)])
    assert code == 0, err
    assert f"loaded {book / 'book.toml'}: " in out

    code, out, err = conviction_main(["--db", db_url, "status"])
    assert code == 0, err
    assert out.startswith("[bold]fund on 2024-12-31 (USD)")
    assert "│ [/red] " in out and "│ [/] " in out
    assert "│ [p]:rocket: " in out  # not rich's emoji either

    code, out, err = conviction_main(["--db", db_url, "gains"])
    assert code == 0, err
    assert "[/red]" in out and "[/]" in out

    code, out, err = conviction_main(["--db", db_url, "history"])
    assert code == 0, err
    assert "[/]" in out


def test_cli_runner_sees_no_markup_errors(book: Path, db_url: str) -> None:
    runner = CliRunner()
    for args in (["load", str(book)], ["status"], ["gains"], ["history"]):
        result = runner.invoke(app, ["--db", db_url, *args])
        assert result.exit_code == 0, (args, result.output, result.exception)
    assert "[/red]" in runner.invoke(app, ["--db", db_url, "status"]).output


def test_error_message_with_a_bracketed_id_prints_whole(
    book: Path, db_url: str, conviction_main: ConvictionMain
) -> None:
    tx = book / "transactions.csv"
    tx.write_text(TRANSACTIONS + "2024-07-01,[/],[/red],sell,100,12,0\n", encoding="utf-8")
    code, _, err = conviction_main(["--db", db_url, "load", str(book)])
    assert code == 2
    assert err == (
        f"error: {tx}:5, field 'quantity': sale of 100 [/red] is larger than the position "
        "of 6 in [/]\n"
    )


def test_bracketed_words_stay_in_messages(
    tmp_path: Path, db_url: str, conviction_main: ConvictionMain
) -> None:
    code, _, err = conviction_main(["--db", db_url, "load", str(tmp_path)])
    assert code == 2
    assert err == (
        f"error: {tmp_path}: expected one book TOML (with a [book] table) here, found none\n"
    )
