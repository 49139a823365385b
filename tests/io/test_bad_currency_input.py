"""Bad input of currencies, rates, lots and grades: each error names the file, the line and
the field, and a failed load leaves the database as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conviction.cli import app
from conviction.errors import FormatError, InputError, LedgerError
from conviction.io import read_book
from conviction.store import connect, count_rows

TOML = """\
[book]
name = "yen"
currency = "USD"
transactions = "transactions.csv"
marks = "marks.csv"
fx = "fx.csv"

[[company]]
id = "t"
name = "T"
currency = "{company_ccy}"

[[account]]
id = "jp"
name = "JP"
currency = "{account_ccy}"
lot_method = "{method}"
"""
TX = (
    "date,account,company,action,quantity,price,fees,currency,fx_rate,lot\n"
    "2024-01-02,jp,,deposit,1000000,,,,,\n"
    "2024-01-03,jp,t,buy,10,100,0,,,\n"
    "2024-01-04,jp,t,buy,10,110,0,,,\n"
)
MARKS = "date,company,price,kind,source,grade\n2024-01-03,t,100,close,x,\n"
FX = "date,pair,rate,source\n2024-01-02,USDJPY,141.5,FRED\n"


def write(
    folder: Path,
    *,
    tx: str = TX,
    marks: str = MARKS,
    fx: str = FX,
    company_ccy: str = "USD",
    account_ccy: str = "JPY",
    method: str = "fifo",
) -> Path:
    folder.mkdir(exist_ok=True)
    toml = TOML.format(company_ccy=company_ccy, account_ccy=account_ccy, method=method)
    (folder / "book.toml").write_text(toml)
    (folder / "transactions.csv").write_text(tx)
    (folder / "marks.csv").write_text(marks)
    (folder / "fx.csv").write_text(fx)
    return folder


CASES: list[tuple[str, dict[str, str], type[InputError], str, int, str, str]] = [
    # (id, what to change, error, file, line, field, words)
    (
        "company currency",
        {"company_ccy": "ABC"},
        FormatError,
        "book.toml",
        11,
        "company[0].currency",
        "ISO 4217",
    ),
    (
        "account currency",
        {"account_ccy": "YEN"},
        FormatError,
        "book.toml",
        16,
        "account[0].currency",
        "ISO 4217",
    ),
    (
        "lot method",
        {"method": "cheapest"},
        FormatError,
        "book.toml",
        17,
        "account[0].lot_method",
        "fifo",
    ),
    (
        "row currency",
        {"tx": TX + "2024-01-05,jp,t,buy,1,100,0,XYZ,,\n"},
        FormatError,
        "transactions.csv",
        5,
        "currency",
        "ISO 4217",
    ),
    (
        "row fx_rate zero",
        {"tx": TX + "2024-01-05,jp,t,buy,1,100,0,JPY,0,\n"},
        FormatError,
        "transactions.csv",
        5,
        "fx_rate",
        "must be positive",
    ),
    (
        "row fx_rate negative",
        {"tx": TX + "2024-01-05,jp,t,buy,1,100,0,JPY,-140,\n"},
        FormatError,
        "transactions.csv",
        5,
        "fx_rate",
        "must be positive",
    ),
    (
        "pair code",
        {"fx": FX + "2024-01-03,USDXYZ,1.5,x\n"},
        FormatError,
        "fx.csv",
        3,
        "pair",
        "ISO 4217",
    ),
    (
        "rate zero",
        {"fx": FX + "2024-01-03,USDJPY,0,x\n"},
        FormatError,
        "fx.csv",
        3,
        "rate",
        "must be positive",
    ),
    (
        "rate negative",
        {"fx": FX + "2024-01-03,EURUSD,-1.1,x\n"},
        FormatError,
        "fx.csv",
        3,
        "rate",
        "must be positive",
    ),
    (
        "pair and inverse",
        {"fx": FX + "2024-01-03,JPYUSD,0.007,x\n"},
        FormatError,
        "fx.csv",
        2,
        "pair",
        "inverse",
    ),
    (
        "grade",
        {"marks": MARKS + "2024-01-04,t,101,close,x,D\n"},
        FormatError,
        "marks.csv",
        3,
        "grade",
        "A, B, C",
    ),
    # a pair that cannot be derived at all: the first row that needs it is named
    (
        "no pair",
        {"fx": "date,pair,rate,source\n2024-01-02,EURUSD,1.1,ECB\n"},
        LedgerError,
        "transactions.csv",
        2,
        "currency",
        "cannot be derived",
    ),
    # a pair whose first rate comes after the first day that needs it
    (
        "rate too late",
        {"fx": "date,pair,rate,source\n2024-01-03,USDJPY,141.5,x\n"},
        LedgerError,
        "transactions.csv",
        2,
        "date",
        "on or before 2024-01-02",
    ),
    (
        "specific lot missing",
        {"method": "specific", "tx": TX + "2024-01-05,jp,t,sell,5,120,0,,,t-9\n"},
        LedgerError,
        "transactions.csv",
        5,
        "lot",
        "does not exist",
    ),
    (
        "specific lot used up",
        {
            "method": "specific",
            "tx": TX + "2024-01-05,jp,t,sell,10,120,0,,,t-1\n2024-01-08,jp,t,sell,1,120,0,,,t-1\n",
        },
        LedgerError,
        "transactions.csv",
        6,
        "lot",
        "already sold",
    ),
]


@pytest.mark.parametrize(
    ("change", "cls", "file", "line", "field", "words"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_bad_currency_input_names_file_line_field_and_changes_nothing(
    tmp_path: Path,
    db_url: str,
    change: dict[str, str],
    cls: type[InputError],
    file: str,
    line: int,
    field: str,
    words: str,
) -> None:
    runner = CliRunner()
    good = write(tmp_path / "good")
    result = runner.invoke(app, ["--db", db_url, "load", str(good)])
    assert result.exit_code == 0, result.output
    with connect(db_url).connect() as conn:
        before = count_rows(conn)

    bad = write(tmp_path / "bad", **change)
    with pytest.raises(cls, match=words) as info:
        read_book(bad)
    assert info.value.file is not None and Path(info.value.file).name == file
    assert (info.value.line, info.value.field) == (line, field)

    assert runner.invoke(app, ["--db", db_url, "load", str(bad)]).exit_code != 0
    with connect(db_url).connect() as conn:
        assert count_rows(conn) == before
