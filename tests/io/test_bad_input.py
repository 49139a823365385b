"""Bad input: each case gets an error naming file, line and field, and the database
holds exactly what it held before the failed load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conviction.cli import app
from conviction.errors import FormatError, InputError, LedgerError, UnknownIdError
from conviction.io import read_book
from conviction.store import connect, count_rows

HEADER = "date,account,company,action,quantity,price,fees\n"
GOOD = HEADER + "2024-01-02,me,,deposit,1000,,\n2024-01-03,me,a,buy,10,10,0\n"
MARKS = "date,company,price,kind,source\n2024-01-03,a,10,close,x\n"

TX_CASES = [
    # (transactions body after the two good rows, error class, line, field, words)
    ("2024-13-01,me,a,buy,1,1,0\n", FormatError, 4, "date", "expected a date"),
    ("2024-01-04,me,a,buy,ten,1,0\n", FormatError, 4, "quantity", "expected a number"),
    ("2024-01-04,me,a,buy,1,1.2.3,0\n", FormatError, 4, "price", "expected a number"),
    ("2024-01-04,nobody,a,buy,1,1,0\n", UnknownIdError, 4, "account", "unknown account"),
    ("2024-01-04,me,zzz,buy,1,1,0\n", UnknownIdError, 4, "company", "unknown company"),
    ("2024-01-04,me,a,buy,-5,1,0\n", FormatError, 4, "quantity", "must be positive"),
    ("2024-01-04,me,a,buy,0,1,0\n", FormatError, 4, "quantity", "must be positive"),
    ("2024-01-04,me,a,sell,11,1,0\n", LedgerError, 4, "quantity", "larger than the position"),
    ("2024-01-01,me,a,buy,1,1,0\n", FormatError, 4, "date", "earlier than the row before"),
    ("2024-01-03,me,a,buy,10,10,0\n", FormatError, 4, "date", "duplicate transaction"),
    ("2024-01-04,me,a,gift,1,1,0\n", FormatError, 4, "action", "not one of"),
    ("2024-01-04,me,a,buy,1,,0\n", FormatError, 4, "price", "required"),
    ("2024-01-04,me,a,deposit,1,,0\n", FormatError, 4, "company", "take no company"),
    ("2024-01-04,me,a,buy,1,1,-1\n", FormatError, 4, "fees", "cannot be negative"),
]


@pytest.mark.parametrize(("body", "cls", "line", "field", "words"), TX_CASES)
def test_bad_transactions(
    write_book: Callable[..., Path],
    db_url: str,
    body: str,
    cls: type[InputError],
    line: int,
    field: str,
    words: str,
) -> None:
    engine = connect(db_url)
    good = write_book(GOOD, MARKS, folder="good")
    runner = CliRunner()
    assert runner.invoke(app, ["--db", db_url, "load", str(good)]).exit_code == 0
    with engine.connect() as conn:
        before = count_rows(conn)

    bad = write_book(GOOD + body, MARKS, folder="bad")
    with pytest.raises(cls, match=words) as info:
        read_book(bad)
    assert info.value.file is not None and info.value.file.endswith("transactions.csv")
    assert (info.value.line, info.value.field) == (line, field)

    result = runner.invoke(app, ["--db", db_url, "load", str(bad)])
    assert result.exit_code != 0
    with engine.connect() as conn:
        assert count_rows(conn) == before


MARK_CASES = [
    ("2024-01-04,zzz,1,close,x\n", UnknownIdError, 3, "company", "unknown company"),
    ("2024-01-04,a,-1,close,x\n", FormatError, 3, "price", "must be positive"),
    ("2024-01-04,a,1,guess,x\n", FormatError, 3, "kind", "not one of"),
    ("2024-01-03,a,11,close,x\n", FormatError, 3, "date", "duplicate mark"),
    ("2024-01-02,a,11,close,x\n", FormatError, 3, "date", "earlier than the row before"),
]


@pytest.mark.parametrize(("body", "cls", "line", "field", "words"), MARK_CASES)
def test_bad_marks(
    write_book: Callable[..., Path],
    db_url: str,
    body: str,
    cls: type[InputError],
    line: int,
    field: str,
    words: str,
) -> None:
    engine = connect(db_url)
    runner = CliRunner()
    good = write_book(GOOD, MARKS, folder="good")
    assert runner.invoke(app, ["--db", db_url, "load", str(good)]).exit_code == 0
    with engine.connect() as conn:
        before = count_rows(conn)

    bad = write_book(GOOD, MARKS + body, folder="bad")
    with pytest.raises(cls, match=words) as info:
        read_book(bad)
    assert info.value.file is not None and info.value.file.endswith("marks.csv")
    assert (info.value.line, info.value.field) == (line, field)
    assert runner.invoke(app, ["--db", db_url, "load", str(bad)]).exit_code != 0
    with engine.connect() as conn:
        assert count_rows(conn) == before


def test_toml_missing_required_key(tmp_path: Path) -> None:
    path = tmp_path / "book.toml"
    path.write_text('[book]\nname = "x"\n\n[[account]]\nid = "a"\nkind = "client"\n')
    with pytest.raises(FormatError, match="missing required key 'name'") as info:
        read_book(path)
    assert info.value.line == 4 and info.value.field == "account[0].name"


def test_toml_unknown_key_and_syntax(tmp_path: Path) -> None:
    path = tmp_path / "book.toml"
    path.write_text('[book]\nname = "x"\ncurrencyy = "USD"\n')
    with pytest.raises(FormatError, match="unknown key 'currencyy'") as info:
        read_book(path)
    assert info.value.line == 3
    path.write_text('[book]\nname = "x\n')
    with pytest.raises(FormatError, match="invalid TOML") as info:
        read_book(path)
    assert info.value.line == 2


def test_toml_unknown_person_and_currency(tmp_path: Path) -> None:
    path = tmp_path / "book.toml"
    path.write_text(
        '[book]\nname = "x"\n\n[[company]]\nid = "c"\nname = "C"\nkey_people = ["ghost"]\n'
    )
    with pytest.raises(UnknownIdError, match="unknown person 'ghost'") as info:
        read_book(path)
    assert info.value.line == 7 and info.value.field == "company[0].key_people"
    path.write_text('[book]\nname = "x"\ncurrency = "XYZ"\n')
    with pytest.raises(FormatError, match="ISO 4217") as info:
        read_book(path)
    assert info.value.line == 3


def test_load_twice_does_not_duplicate(write_book: Callable[..., Path], db_url: str) -> None:
    path = write_book(GOOD, MARKS)
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(app, ["--db", db_url, "load", str(path)])
        assert result.exit_code == 0, result.output
    with connect(db_url).connect() as conn:
        counts = count_rows(conn)
    assert counts["transactions"] == 2 and counts["marks"] == 1


def test_cli_error_message_names_file_line_field(
    write_book: Callable[..., Path], db_url: str
) -> None:
    import subprocess
    import sys

    bad = write_book(GOOD + "2024-01-04,me,a,sell,11,1,0\n", MARKS)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from conviction.cli import main; main()",
            "--db",
            db_url,
            "load",
            str(bad),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "transactions.csv:4" in proc.stderr and "field 'quantity'" in proc.stderr
