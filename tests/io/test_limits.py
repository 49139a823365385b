"""Types and ranges are strict: a book with a value of the wrong type or out of range is
refused by ``conviction load`` (exit 2) with the file, line and field, and the database
keeps exactly what it held (a full SQL dump before and after)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from conviction.cli import main
from conviction.io.limits import MAX_DATE, MAX_ID, MAX_MAGNITUDE, MAX_NAME, MIN_DATE

# The real entry point (its error handling gives the exit codes), run through CliRunner.
shell = typer.Typer(add_completion=False)


@shell.command(
    context_settings={
        "ignore_unknown_options": True,
        "allow_extra_args": True,
        "help_option_names": [],
    }
)
def conviction(ctx: typer.Context) -> None:
    sys.argv = ["conviction", *ctx.args]
    main()


BOOK = """\
[book]
name = "limits"
currency = "USD"
as_of = 2024-12-31
transactions = "transactions.csv"
marks = "marks.csv"
fx = "fx.csv"

[[company]]
id = "a"
name = "A Corp"
public = true

[[account]]
id = "me"
name = "Me"
max_weight = 0.5
"""
TRANSACTIONS = (
    "date,account,company,action,quantity,price,fees\n"
    "2024-01-02,me,,deposit,1000,,\n"
    "2024-01-03,me,a,buy,10,10,0\n"
)
MARKS = "date,company,price,kind,source\n2024-01-03,a,10,close,x\n"
FX = "date,pair,rate,source\n2024-01-03,USDJPY,150,x\n"
FILES = {"book.toml": BOOK, "transactions.csv": TRANSACTIONS, "marks.csv": MARKS, "fx.csv": FX}


def _write(folder: Path, **replace: str) -> Path:
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(replace.get(name.replace(".", "_"), text))
    return folder / "book.toml"


def _dump(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def _load(db: Path, book: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        shell, ["--db", f"sqlite:///{db}", "load", str(book)], env={"COLUMNS": "2000"}
    )
    return result.exit_code, result.output


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database holding the good book."""
    path = tmp_path / "limits.db"
    code, output = _load(path, _write(tmp_path / "good"))
    assert code == 0, output
    return path


def _refused(
    db: Path, tmp_path: Path, file: str, line: int, field: str, message: str, **replace: str
) -> None:
    before = _dump(db)
    book = _write(tmp_path / "bad", **replace)
    code, output = _load(db, book)
    assert code == 2, output
    assert output == f"error: {book.parent / file}:{line}, field '{field}': {message}\n"
    assert _dump(db) == before


# --- the book TOML: values of the wrong type, and out of range -------------------------------

LONG_ID = "x" * 150
TOML_CASES = [
    # (text replaced, by, line, field, message)
    (
        "public = true",
        'public = "yes"',
        12,
        "company[0].public",
        "'public' must be true or false, got 'yes'",
    ),
    (
        "public = true",
        "public = 1",
        12,
        "company[0].public",
        "'public' must be true or false, got 1",
    ),
    (
        "max_weight = 0.5",
        'max_weight = "0.41"',
        17,
        "account[0].max_weight",
        "'max_weight' must be a number, got '0.41'",
    ),
    (
        "max_weight = 0.5",
        "max_weight = nan",
        17,
        "account[0].max_weight",
        "'max_weight' must be a finite number, got nan",
    ),
    (
        "as_of = 2024-12-31",
        'as_of = "2025-11-14"',
        4,
        "book.as_of",
        "'as_of' must be a TOML date like 2025-11-14 (not in quotes), got '2025-11-14'",
    ),
    ('name = "Me"', "name = 5", 16, "account[0].name", "'name' must be text in quotes, got 5"),
    (
        "as_of = 2024-12-31",
        "as_of = 1600-01-01",
        4,
        "book.as_of",
        "date 1600-01-01 is outside 1900-01-01..2199-12-31",
    ),
    (
        "as_of = 2024-12-31",
        "as_of = 0001-01-01",
        4,
        "book.as_of",
        "date 0001-01-01 is outside 1900-01-01..2199-12-31",
    ),
    (
        "as_of = 2024-12-31",
        "as_of = 2300-01-01",
        4,
        "book.as_of",
        "date 2300-01-01 is outside 1900-01-01..2199-12-31",
    ),
    ('id = "me"', f'id = "{LONG_ID}"', 15, "account[0].id", "'id' is longer than 100 characters"),
    (
        'name = "Me"',
        f'name = "{"n" * 201}"',
        16,
        "account[0].name",
        "'name' is longer than 200 characters",
    ),
    ('id = "a"', f'id = "{LONG_ID}"', 10, "company[0].id", "'id' is longer than 100 characters"),
]


@pytest.mark.parametrize(("old", "new", "line", "field", "message"), TOML_CASES)
def test_bad_toml_values_are_refused(
    db: Path, tmp_path: Path, old: str, new: str, line: int, field: str, message: str
) -> None:
    assert BOOK.count(old) == 1
    _refused(db, tmp_path, "book.toml", line, field, message, book_toml=BOOK.replace(old, new))


def test_an_integer_is_a_number(tmp_path: Path) -> None:
    book = _write(tmp_path / "whole", book_toml=BOOK.replace("max_weight = 0.5", "max_weight = 1"))
    code, output = _load(tmp_path / "whole.db", book)
    assert code == 0, output
    conn = sqlite3.connect(tmp_path / "whole.db")
    try:
        assert conn.execute("SELECT max_weight FROM account").fetchall() == [(1.0,)]
    finally:
        conn.close()


def test_a_long_account_id_in_the_transactions_is_unknown(db: Path, tmp_path: Path) -> None:
    rows = TRANSACTIONS + f"2024-01-04,{LONG_ID},,deposit,1,,\n"
    _refused(
        db,
        tmp_path,
        "transactions.csv",
        4,
        "account",
        f"unknown account {LONG_ID!r}",
        transactions_csv=rows,
    )


# --- the CSV tables: numbers and dates out of range ------------------------------------------

TOO_LARGE = f"is too large (magnitude must be below {MAX_MAGNITUDE:g})"
TX_CASES = [
    # (the row after the two good ones, field, message)
    ("2024-01-04,me,a,buy,1e308,10,0", "quantity", f"1e308 {TOO_LARGE}"),
    ("2024-01-04,me,,deposit,1e308,,", "quantity", f"1e308 {TOO_LARGE}"),
    ("2024-01-04,me,a,buy,1e15,10,0", "quantity", f"1e15 {TOO_LARGE}"),
    ("2024-01-04,me,a,buy,inf,10,0", "quantity", "expected a finite number, got 'inf'"),
    ("2024-01-04,me,a,buy,nan,10,0", "quantity", "expected a number, got 'nan'"),
    ("2024-01-04,me,a,buy,1,1e308,0", "price", f"1e308 {TOO_LARGE}"),
    ("2024-01-04,me,a,buy,1,inf,0", "price", "expected a finite number, got 'inf'"),
    ("2024-01-04,me,a,buy,1,nan,0", "price", "expected a number, got 'nan'"),
    ("2024-01-04,me,a,buy,1,1,1e308", "fees", f"1e308 {TOO_LARGE}"),
    ("1600-01-01,me,,deposit,1,,", "date", "date 1600-01-01 is outside 1900-01-01..2199-12-31"),
    ("0001-01-01,me,,deposit,1,,", "date", "date 0001-01-01 is outside 1900-01-01..2199-12-31"),
    ("2300-01-01,me,,deposit,1,,", "date", "date 2300-01-01 is outside 1900-01-01..2199-12-31"),
]


@pytest.mark.parametrize(("row", "field", "message"), TX_CASES)
def test_bad_transaction_values_are_refused(
    db: Path, tmp_path: Path, row: str, field: str, message: str
) -> None:
    rows = TRANSACTIONS + row + "\n"
    _refused(db, tmp_path, "transactions.csv", 4, field, message, transactions_csv=rows)


def test_an_fx_rate_of_a_transaction_is_bounded(db: Path, tmp_path: Path) -> None:
    rows = TRANSACTIONS.replace("fees\n", "fees,fx_rate\n", 1) + "2024-01-04,me,a,buy,1,1,0,1e308\n"
    _refused(
        db, tmp_path, "transactions.csv", 4, "fx_rate", f"1e308 {TOO_LARGE}", transactions_csv=rows
    )


def test_a_long_lot_label_is_refused(db: Path, tmp_path: Path) -> None:
    rows = (
        TRANSACTIONS.replace("fees\n", "fees,lot\n", 1) + f"2024-01-04,me,a,buy,1,1,0,{'L' * 201}\n"
    )
    _refused(
        db,
        tmp_path,
        "transactions.csv",
        4,
        "lot",
        "lot label is longer than 200 characters",
        transactions_csv=rows,
    )


MARK_CASES = [
    ("2024-01-04,a,1e308,close,x", "price", f"1e308 {TOO_LARGE}"),
    ("2024-01-04,a,inf,close,x", "price", "expected a finite number, got 'inf'"),
    ("2024-01-04,a,nan,close,x", "price", "expected a number, got 'nan'"),
    ("1600-01-01,a,10,close,x", "date", "date 1600-01-01 is outside 1900-01-01..2199-12-31"),
    ("2300-01-01,a,10,close,x", "date", "date 2300-01-01 is outside 1900-01-01..2199-12-31"),
]


@pytest.mark.parametrize(("row", "field", "message"), MARK_CASES)
def test_bad_mark_values_are_refused(
    db: Path, tmp_path: Path, row: str, field: str, message: str
) -> None:
    _refused(db, tmp_path, "marks.csv", 3, field, message, marks_csv=MARKS + row + "\n")


FX_CASES = [
    ("2024-01-04,USDJPY,1e308,x", "rate", f"1e308 {TOO_LARGE}"),
    ("2024-01-04,USDJPY,inf,x", "rate", "expected a finite number, got 'inf'"),
    ("2024-01-04,USDJPY,nan,x", "rate", "expected a number, got 'nan'"),
    ("0001-01-01,USDJPY,150,x", "date", "date 0001-01-01 is outside 1900-01-01..2199-12-31"),
    ("2300-01-01,USDJPY,150,x", "date", "date 2300-01-01 is outside 1900-01-01..2199-12-31"),
]


@pytest.mark.parametrize(("row", "field", "message"), FX_CASES)
def test_bad_fx_values_are_refused(
    db: Path, tmp_path: Path, row: str, field: str, message: str
) -> None:
    _refused(db, tmp_path, "fx.csv", 3, field, message, fx_csv=FX + row + "\n")


def test_the_bounds_are_inside_what_the_tables_hold() -> None:
    # The column lengths of conviction.store.tables, the datetime64[ns] calendar.
    from conviction.store.tables import AccountRow, BookRow

    assert AccountRow.__table__.c.id.type.length == MAX_ID  # type: ignore[attr-defined]
    assert BookRow.__table__.c.name.type.length == MAX_NAME  # type: ignore[attr-defined]
    assert MIN_DATE.year >= 1678 and MAX_DATE.year <= 2261
    assert MAX_MAGNITUDE * 1e6 < 1e300


# --- the other TOML files: theses, policies, projections -------------------------------------


@pytest.mark.parametrize(
    ("line_text", "line", "field", "message"),
    [
        (
            'opened = "2024-01-01"',
            4,
            "thesis[0].opened",
            "'opened' must be a TOML date like 2025-11-14 (not in quotes), got '2024-01-01'",
        ),
        (
            "opened = 1600-01-01",
            4,
            "thesis[0].opened",
            "date 1600-01-01 is outside 1900-01-01..2199-12-31",
        ),
    ],
)
def test_theses_toml_is_strict(
    tmp_path: Path, line_text: str, line: int, field: str, message: str
) -> None:
    from conviction.errors import FormatError
    from conviction.io.theses_toml import read_theses_file

    path = tmp_path / "theses.toml"
    path.write_text(f'[[thesis]]\nid = "t"\nstatement = "s"\n{line_text}\nhorizon = 2026-01-01\n')
    with pytest.raises(FormatError) as info:
        read_theses_file(path, set(), set())
    assert (info.value.line, info.value.field, info.value.message) == (line, field, message)


@pytest.mark.parametrize(
    ("head", "field", "words"),
    [
        (
            "margin = inf",
            "policy.margin",
            "expected a finite number below 1e+15 in magnitude, got inf",
        ),
        ("margin = 1e308", "policy.margin", "expected a finite number below 1e+15 in magnitude"),
        ("start = 1600-01-01", "policy.start", "date 1600-01-01 is outside 1900-01-01..2199-12-31"),
    ],
)
def test_policy_numbers_and_dates_are_bounded(head: str, field: str, words: str) -> None:
    from conviction.errors import FormatError
    from conviction.io.policy_toml import read_policy_text

    with pytest.raises(FormatError) as info:
        read_policy_text(f'[policy]\n{head}\n[[rules]]\nrule = "hold"\n', file="p.toml")
    assert (info.value.line, info.value.field) == (2, field)
    assert words in info.value.message


def test_projection_floats_are_finite(tmp_path: Path) -> None:
    from conviction.errors import FormatError
    from conviction.io.projection_toml import read_projection

    example = Path(__file__).resolve().parents[2] / "examples" / "baron" / "projection.toml"
    text = example.read_text()
    assert text.count("target_multiple = 5.0 ") == 1
    path = tmp_path / "projection.toml"
    path.write_text(text.replace("target_multiple = 5.0 ", "target_multiple = nan "))
    line = (
        text.splitlines().index(
            next(t for t in text.splitlines() if t.startswith("target_multiple"))
        )
        + 1
    )
    with pytest.raises(FormatError) as info:
        read_projection(path)
    assert (info.value.line, info.value.field) == (line, "projection.target_multiple")
    assert info.value.message == "expected a finite number, got nan"
