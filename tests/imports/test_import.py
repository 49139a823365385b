"""conviction import: IBKR Flex XML into the book's transactions file, then status."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conviction import status as book_status
from conviction.cli import app as cli_app
from conviction.errors import InputError
from conviction.imports import load_import_map, plan_import, read_statements, write_import
from conviction.io.book_reader import read_book

DATA = Path(__file__).parent / "data"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    folder = tmp_path / "book"
    shutil.copytree(DATA / "book", folder)
    return folder


def _import(book: Path, xml: Path = DATA / "ibkr.xml", account: str = "me") -> int:
    statements = read_statements("ibkr", [xml])
    plan = plan_import(book, statements, account, mapping=load_import_map(DATA / "map.toml"))
    if plan.rows:
        write_import(plan)
    return len(plan.rows)


def test_ibkr_round_trip_positions(book: Path) -> None:
    assert _import(book) == 10
    status = book_status(read_book(book))
    qty = {c.company: c.quantity for c in status.by_company}
    assert qty["tesla"] == pytest.approx(6)  # bought 10, sold 4
    assert qty["acme"] == pytest.approx(100)  # bought 50, split 2 for 1
    # cash: 10000 + 5000 - 4001 - 2502 - 527 + 1199 + 25 - 3.75 - 10 (USD) + 500 EUR
    usd = 10000 + 5000 - 4001 - 2502 - 527 + 1199 + 25 - 3.75 - 10
    assert status.cash == pytest.approx(usd + 500 * 1.08)


def test_reimport_adds_nothing(book: Path) -> None:
    _import(book)
    before = (book / "transactions.csv").read_text()
    assert _import(book) == 0
    assert (book / "transactions.csv").read_text() == before


def test_other_account_is_refused(book: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.xml"
    other.write_text((DATA / "ibkr.xml").read_text().replace("U1234567", "U7654321"))
    before = (book / "transactions.csv").read_text()
    with pytest.raises(InputError, match="U7654321") as exc:
        _import(book, other)
    assert exc.value.file == str(other)
    assert (book / "transactions.csv").read_text() == before


def test_unmatched_security_is_listed(book: Path, tmp_path: Path) -> None:
    other = tmp_path / "unknown.xml"
    other.write_text(
        (DATA / "ibkr.xml")
        .read_text()
        .replace("TSLA", "ZZZZ")
        .replace("US88160R1014", "US0000000ZZZ")
    )
    with pytest.raises(InputError, match="ZZZZ") as exc:
        _import(book, other)
    assert "tradeID=1001" in str(exc.value)


def test_truncated_xml_names_the_line(book: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.xml"
    cut.write_text((DATA / "ibkr.xml").read_text()[:1500])
    with pytest.raises(InputError) as exc:
        _import(book, cut)
    assert exc.value.file == str(cut) and exc.value.line is not None


def test_cli_dry_run_changes_nothing(book: Path, tmp_path: Path) -> None:
    before = (book / "transactions.csv").read_text()
    db = f"sqlite:///{tmp_path / 'c.db'}"
    args = [
        "--db",
        db,
        "import",
        "ibkr",
        str(DATA / "ibkr.xml"),
        "--book",
        str(book),
        "--account",
        "me",
        "--map",
        str(DATA / "map.toml"),
    ]
    result = CliRunner().invoke(cli_app, [*args, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would add 10 rows" in result.output
    assert (book / "transactions.csv").read_text() == before
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    assert "book loaded into the database" in result.output
