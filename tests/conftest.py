"""Shared fixtures: paths to the real data beside the project, books built by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from needs_data import need

#: ``conviction ARGV`` as the installed script runs it: (exit code, stdout, stderr).
ConvictionMain = Callable[[list[str]], tuple[int, str, str]]

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
EXAMPLE = ROOT / "examples" / "baron"


@pytest.fixture
def shared_data() -> Path:
    return need(SHARED_DATA)


@pytest.fixture
def example_dir() -> Path:
    return EXAMPLE


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A real SQLite database file, fresh for each test."""
    return f"sqlite:///{tmp_path / 'test.db'}"


BOOK_TOML = """\
[book]
name = "test"
currency = "USD"
as_of = {as_of}
transactions = "transactions.csv"
marks = "marks.csv"

[[person]]
id = "p1"
name = "Person One"

[[person]]
id = "p2"
name = "Person Two"

[[company]]
id = "a"
name = "A Corp"
ticker = "AAA"
key_people = ["p1"]
themes = ["x"]

[[company]]
id = "b"
name = "B Corp"
public = false
key_people = ["p1", "p2"]
key_people_weights = [3, 1]
themes = ["x", "y"]

[[account]]
id = "c1"
name = "Client"
kind = "client"

[[account]]
id = "me"
name = "Me"
kind = "personal"
lot_method = "{lot_method}"
"""


@pytest.fixture
def write_book(tmp_path: Path) -> Callable[..., Path]:
    """Write a small book (TOML + CSVs) into tmp_path and return the TOML's path."""

    def write(
        transactions: str,
        marks: str = "date,company,price,kind,source\n",
        *,
        as_of: dt.date = dt.date(2024, 12, 31),
        lot_method: str = "fifo",
        folder: str = "book",
    ) -> Path:
        d = tmp_path / folder
        d.mkdir(exist_ok=True)
        (d / "book.toml").write_text(BOOK_TOML.format(as_of=as_of, lot_method=lot_method))
        (d / "transactions.csv").write_text(transactions)
        (d / "marks.csv").write_text(marks)
        return d / "book.toml"

    return write


@pytest.fixture
def conviction_main(capsys: pytest.CaptureFixture[str]) -> ConvictionMain:
    """Run ``conviction.cli.main`` (error mapping and exit codes included) in process."""
    import sys

    from conviction.cli import main

    def run(argv: list[str]) -> tuple[int, str, str]:
        old = sys.argv
        sys.argv = ["conviction", *argv]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            sys.argv = old
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
