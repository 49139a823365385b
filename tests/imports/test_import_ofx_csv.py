"""conviction import ofx and csv: statements written for the tests, into a temporary book
and SQLite database, through the command line as a user runs it.

Every statement here holds the same five events, so each gives the same status:
a deposit of 5,000 on 2025-01-03, 10 TSLA bought at 400 (fee 1) on 2025-01-06, 4 sold at
300 (fee 1) on 2025-02-10, a dividend of 12.50 on 2025-03-01 and a fee of 2.50 on
2025-03-15, on top of the book's own deposit of 10,000. On 2025-03-31 (TSLA marked 260):
cash 10000 + 5000 - 4001 + 1199 + 12.50 - 2.50 = 12208, six shares worth 1560.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conviction.imports import load_mapping, read_csv_export, shipped_mappings

if TYPE_CHECKING:
    from conftest import ConvictionMain  # the fixture's type (tests/conftest.py)

DATA = Path(__file__).parent / "data"
OFX = DATA / "ofx" / "invest.ofx"
EUROPEAN = DATA / "csv" / "eubroker.toml"

CASH = 10000 + 5000 - 4001 + 1199 + 12.50 - 2.50
SHARES = 6
VALUE = CASH + SHARES * 260


@pytest.fixture
def book(tmp_path: Path) -> Path:
    folder = tmp_path / "book"
    shutil.copytree(DATA / "book", folder)
    return folder


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "c.db"


def _map(tmp_path: Path, number: str) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(f'[accounts]\nme = "{number}"\n')
    return path


def _files(book: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(book.iterdir()) if p.is_file()}


def _dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


def _status(run: ConvictionMain, db: Path) -> dict[str, object]:
    code, out, err = run(["--db", f"sqlite:///{db}", "status", "--json"])
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def _import(run: ConvictionMain, db: Path, book: Path, *args: str) -> tuple[int, str, str]:
    return run(["--db", f"sqlite:///{db}", "import", *args, "--book", str(book), "--account", "me"])


def _check_status(status: dict[str, object]) -> None:
    assert status["cash"] == pytest.approx(CASH)
    assert status["total_value"] == pytest.approx(VALUE)
    rows = {c["company"]: c for c in status["by_company"]}  # type: ignore[attr-defined]
    assert rows["tesla"]["quantity"] == pytest.approx(SHARES)
    assert rows["tesla"]["income"] == pytest.approx(12.50)


# -- round trips ------------------------------------------------------------------------------


def test_ofx_round_trip_into_the_database(
    book: Path, db: Path, tmp_path: Path, conviction_main: ConvictionMain
) -> None:
    code, out, err = _import(
        conviction_main, db, book, "ofx", str(OFX), "--map", str(_map(tmp_path, "X9876"))
    )
    assert code == 0, err
    assert "added 5 rows" in out and "book loaded into the database" in out
    _check_status(_status(conviction_main, db))
    text = (book / "transactions.csv").read_text()
    assert text.splitlines()[0] == "date,account,company,action,quantity,price,fees,currency,ref"
    assert "2025-01-06,me,tesla,buy,10,400,1,USD,ofx:T-002" in text
    assert "2025-03-15,me,,withdraw,2.5,,,USD,ofx:T-005" in text


def test_ofx_bank_statement(book: Path, db: Path, conviction_main: ConvictionMain) -> None:
    code, out, err = _import(conviction_main, db, book, "ofx", str(DATA / "ofx" / "bank.ofx"))
    assert code == 0, err
    assert "added 2 rows" in out
    assert _status(conviction_main, db)["cash"] == pytest.approx(10000 + 1500 - 250.25)


@pytest.mark.parametrize(
    ("mapping", "file"),
    [
        ("schwab", "schwab.csv"),
        ("fidelity", "fidelity.csv"),
        (str(EUROPEAN), "eubroker.csv"),
    ],
)
def test_csv_round_trip_each_layout(
    book: Path, db: Path, conviction_main: ConvictionMain, mapping: str, file: str
) -> None:
    args = ("csv", str(DATA / "csv" / file), "--mapping", mapping)
    code, out, err = _import(conviction_main, db, book, *args)
    assert code == 0, err
    assert "added 5 rows" in out
    _check_status(_status(conviction_main, db))


def test_every_shipped_mapping_has_a_sample() -> None:
    assert shipped_mappings() == ["fidelity", "schwab"]
    for name in shipped_mappings():
        mapping, _ = load_mapping(name)
        statement = read_csv_export(DATA / "csv" / f"{name}.csv", mapping)
        assert [r.action for r in statement.rows] == [
            "deposit",
            "buy",
            "sell",
            "dividend",
            "withdraw",
        ]
        assert [str(r.date) for r in statement.rows] == [
            "2025-01-03",
            "2025-01-06",
            "2025-02-10",  # Schwab's "02/10/2025 as of 02/07/2025": the first date
            "2025-03-01",
            "2025-03-15",
        ]


def test_european_numbers_and_the_ignored_word() -> None:
    mapping, _ = load_mapping(EUROPEAN)
    statement = read_csv_export(DATA / "csv" / "eubroker.csv", mapping)
    assert statement.broker_account == "DE-42"
    assert [str(r.quantity) for r in statement.rows] == ["5000.00", "10", "4", "1", "2.50"]
    assert [r.ref for r in statement.rows][:2] == ["csv:eubroker:B1", "csv:eubroker:B2"]
    assert statement.rows[0].currency == "USD"  # "usd" in the file
    assert statement.skipped == ["line 7: Info"]


def test_two_identical_rows_without_an_id_are_both_kept(tmp_path: Path) -> None:
    # Two real fills that look alike: the hash of the cells alone would call one a duplicate.
    lines = (DATA / "csv" / "schwab.csv").read_text().splitlines()
    path = tmp_path / "twice.csv"
    path.write_text("\n".join([lines[0], lines[1], lines[2], lines[2]]) + "\n")
    mapping, _ = load_mapping("schwab")
    refs = [r.ref for r in read_csv_export(path, mapping).rows]
    assert len(set(refs)) == 3 and refs[2] == refs[1] + "-2"


# -- re-import and dry run --------------------------------------------------------------------


def test_reimport_of_an_overlapping_statement_adds_nothing_twice(
    book: Path, db: Path, tmp_path: Path, conviction_main: ConvictionMain
) -> None:
    args = ("csv", str(DATA / "csv" / "schwab.csv"), "--mapping", "schwab")
    assert _import(conviction_main, db, book, *args)[0] == 0
    before = (book / "transactions.csv").read_bytes()
    code, out, _ = _import(conviction_main, db, book, *args)
    assert code == 0 and "added 0 rows" in out and "5 already imported" in out
    assert (book / "transactions.csv").read_bytes() == before
    # a later export: the last two rows again and one new
    lines = (DATA / "csv" / "schwab.csv").read_text().splitlines()
    later = tmp_path / "later.csv"
    new = '"03/20/2025","Bank Interest","","BANK INT","","","","$0.75"'
    later.write_text("\n".join([lines[0], lines[4], lines[5], new]) + "\n")
    code, out, err = _import(conviction_main, db, book, "csv", str(later), "--mapping", "schwab")
    assert code == 0, err
    assert "added 1 rows" in out and "2 already imported" in out
    assert _status(conviction_main, db)["cash"] == pytest.approx(CASH + 0.75)
    # the OFX statement twice in one command: each row once
    ofx_book = tmp_path / "ofx-book"
    shutil.copytree(DATA / "book", ofx_book)
    code, out, err = _import(
        conviction_main, tmp_path / "o.db", ofx_book, "ofx", str(OFX), str(OFX)
    )
    assert code == 0, err
    assert "added 5 rows" in out and "5 already imported" in out


@pytest.mark.parametrize(
    "args",
    [
        ("ofx", str(OFX)),
        ("csv", str(DATA / "csv" / "fidelity.csv"), "--mapping", "fidelity"),
    ],
)
def test_dry_run_changes_nothing(
    book: Path, db: Path, conviction_main: ConvictionMain, args: tuple[str, ...]
) -> None:
    assert conviction_main(["--db", f"sqlite:///{db}", "load", str(book)])[0] == 0
    files, rows = _files(book), _dump(db)
    code, out, err = _import(conviction_main, db, book, *args, "--dry-run")
    assert code == 0, err
    assert "would add 5 rows" in out and "ofx:T-002" in out if args[0] == "ofx" else True
    assert _files(book) == files
    assert _dump(db) == rows
    assert _status(conviction_main, db)["cash"] == pytest.approx(10000)


# -- bad input --------------------------------------------------------------------------------


def _bad(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _ofx_text() -> str:
    return OFX.read_text()


def _case_truncated_ofx(tmp: Path) -> tuple[list[str], list[str]]:
    cut = _bad(tmp, "cut.ofx", _ofx_text()[:1100])
    return ["ofx", str(cut)], [str(cut), ":18", "'OFX'", "ends before </OFX>"]


def _case_ofx_missing_field(tmp: Path) -> tuple[list[str], list[str]]:
    path = _bad(tmp, "nofund.ofx", _ofx_text().replace("<SUBACCTSEC>CASH", "", 1))
    return ["ofx", str(path)], [str(path), ":17", "INVBUY.SUBACCTSEC", "missing"]


def _case_ofx_bad_number(tmp: Path) -> tuple[list[str], list[str]]:
    path = _bad(tmp, "price.ofx", _ofx_text().replace("<UNITPRICE>300.00", "<UNITPRICE>3OO"))
    return ["ofx", str(path)], [str(path), ":18", "UNITPRICE", "'3OO'"]


def _case_ofx_bad_date(tmp: Path) -> tuple[list[str], list[str]]:
    path = _bad(tmp, "date.ofx", _ofx_text().replace("<DTTRADE>20250210", "<DTTRADE>10/02/2025"))
    return ["ofx", str(path)], [str(path), ":18", "INVTRAN.DTTRADE", "10/02/2025"]


def _case_ofx_other_account(tmp: Path) -> tuple[list[str], list[str]]:
    return (
        ["ofx", str(OFX), "--map", str(_map(tmp, "U1234567"))],
        [str(OFX), ":14", "INVACCTFROM.ACCTID", "X9876", "U1234567"],
    )


def _case_ofx_unmatched(tmp: Path) -> tuple[list[str], list[str]]:
    text = _ofx_text().replace("88160R101", "000000ZZ9").replace("<TICKER>TSLA", "<TICKER>ZZZZ")
    path = _bad(tmp, "unknown.ofx", text)
    return ["ofx", str(path)], [
        "1 securities match no company",
        "ZZZZ (CUSIP 000000ZZ9)",
        f"{path} (BUYSTOCK FITID=T-002) and 2 more",
        "'company'",
    ]


def _european(tmp: Path, old: str, new: str) -> Path:
    return _bad(tmp, "eu.csv", (DATA / "csv" / "eubroker.csv").read_text().replace(old, new))


def _case_csv_unknown_word(tmp: Path) -> tuple[list[str], list[str]]:
    path = _european(tmp, "DE-42;Verkauf;", "DE-42;Tausch;")
    return ["csv", str(path), "--mapping", str(EUROPEAN)], [
        f"{path}:4",
        "'Vorgang'",
        "unknown action word 'Tausch'",
        "dividende, einzahlung",
    ]


def _case_csv_other_account(tmp: Path) -> tuple[list[str], list[str]]:
    return (
        [
            "csv",
            str(DATA / "csv" / "eubroker.csv"),
            "--mapping",
            str(EUROPEAN),
            "--map",
            str(_map(tmp, "DE-7")),
        ],
        [f"{DATA / 'csv' / 'eubroker.csv'}:2", "'Konto'", "DE-42", "DE-7"],
    )


def _case_csv_two_accounts(tmp: Path) -> tuple[list[str], list[str]]:
    path = _european(tmp, "10.02.2025;DE-42", "10.02.2025;DE-43")
    return ["csv", str(path), "--mapping", str(EUROPEAN)], [
        f"{path}:4",
        "'Konto'",
        "several accounts: DE-42, DE-43",
    ]


def _case_csv_unmatched(tmp: Path) -> tuple[list[str], list[str]]:
    path = _european(
        tmp, "10.02.2025;DE-42;Verkauf;US88160R1014", "10.02.2025;DE-42;Verkauf;US0000000999"
    )
    return ["csv", str(path), "--mapping", str(EUROPEAN)], [
        "Tesla Inc (ISIN US0000000999)",
        f"{path} (line 4)",
    ]


def _case_csv_bad_number(tmp: Path) -> tuple[list[str], list[str]]:
    path = _european(tmp, "10;400,00;1,00", "10;vierhundert;1,00")
    return ["csv", str(path), "--mapping", str(EUROPEAN)], [
        f"{path}:3",
        "'Kurs'",
        "'vierhundert'",
    ]


def _case_csv_bad_date(tmp: Path) -> tuple[list[str], list[str]]:
    path = _european(tmp, "01.03.2025", "2025-03-01")
    return ["csv", str(path), "--mapping", str(EUROPEAN)], [f"{path}:5", "'Datum'", "%d.%m.%Y"]


def _case_mapping_unknown_action(tmp: Path) -> tuple[list[str], list[str]]:
    mapping = _bad(
        tmp, "m.toml", EUROPEAN.read_text().replace('"Kauf" = "buy"', '"Kauf" = "purchase"')
    )
    return ["csv", str(DATA / "csv" / "eubroker.csv"), "--mapping", str(mapping)], [
        str(mapping),
        "'actions.Kauf'",
    ]


def _case_not_ofx(tmp: Path) -> tuple[list[str], list[str]]:
    path = _bad(tmp, "junk.ofx", "date,amount\n" * 500 + "</OFX>\n")
    return ["ofx", str(path)], [str(path), "not an OFX file ofxtools can read (OFX header"]


CASES = {
    f.__name__.removeprefix("_case_"): f
    for f in (
        _case_truncated_ofx,
        _case_not_ofx,
        _case_ofx_missing_field,
        _case_ofx_bad_number,
        _case_ofx_bad_date,
        _case_ofx_other_account,
        _case_ofx_unmatched,
        _case_csv_unknown_word,
        _case_csv_other_account,
        _case_csv_two_accounts,
        _case_csv_unmatched,
        _case_csv_bad_number,
        _case_csv_bad_date,
        _case_mapping_unknown_action,
    )
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_and_changes_nothing(
    case: str, book: Path, db: Path, tmp_path: Path, conviction_main: ConvictionMain
) -> None:
    assert conviction_main(["--db", f"sqlite:///{db}", "load", str(book)])[0] == 0
    files, rows = _files(book), _dump(db)
    args, expected = CASES[case](tmp_path)
    code, out, err = _import(conviction_main, db, book, *args)
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    assert err.startswith("error: ")
    message = " ".join(err.split())  # rich wraps long lines
    for part in expected:
        assert " ".join(part.split()) in message, (part, err)
    assert len(err) < 2000  # the message names what is wrong; it does not quote the file
    assert _files(book) == files
    assert _dump(db) == rows


def test_create_companies_adds_the_unmatched_to_the_book(
    book: Path, db: Path, tmp_path: Path, conviction_main: ConvictionMain
) -> None:
    text = _ofx_text().replace("88160R101", "67066G104").replace("<TICKER>TSLA", "<TICKER>NVDA")
    text = text.replace("<SECNAME>Tesla Inc", "<SECNAME>NVIDIA Corp")
    path = _bad(tmp_path, "nvda.ofx", text)
    before = _files(book)
    code, out, err = _import(
        conviction_main, db, book, "ofx", str(path), "--create-companies", "--dry-run"
    )
    assert code == 0, err
    assert "would add 5 rows" in out and "new companies: nvda" in out
    assert _files(book) == before
    code, out, err = _import(conviction_main, db, book, "ofx", str(path), "--create-companies")
    assert code == 0, err
    toml = (book / "book.toml").read_text()
    assert toml.startswith(before["book.toml"].decode())  # the book's own text is kept
    assert 'id = "nvda"\nname = "NVIDIA Corp"\nticker = "NVDA"\ncurrency = "USD"\n' in toml
    rows = {c["company"]: c for c in _status(conviction_main, db)["by_company"]}  # type: ignore[attr-defined]
    assert rows["nvda"]["quantity"] == pytest.approx(SHARES)
    # the next statement matches the new company by its ticker
    code, out, _ = _import(conviction_main, db, book, "ofx", str(path))
    assert code == 0 and "5 already imported" in out


def test_a_file_that_cannot_be_written_is_an_error_and_changes_nothing(
    book: Path, db: Path, conviction_main: ConvictionMain
) -> None:
    assert conviction_main(["--db", f"sqlite:///{db}", "load", str(book)])[0] == 0
    (book / ".transactions.csv.import-tmp").mkdir()  # where the new file would be written
    files, rows = _files(book), _dump(db)
    code, out, err = _import(conviction_main, db, book, "ofx", str(OFX))
    assert code == 2 and "Traceback" not in out + err, err
    assert "cannot write the book's files" in err and ".transactions.csv.import-tmp" in err
    assert _files(book) == files and _dump(db) == rows


def test_an_import_that_fails_to_load_leaves_no_new_file(
    tmp_path: Path, db: Path, conviction_main: ConvictionMain
) -> None:
    # a book whose transactions file does not exist yet: the import would create it, but
    # the sale in the statement is larger than the position, so the load refuses it
    folder = tmp_path / "fresh"
    folder.mkdir()
    shutil.copy(DATA / "book" / "book.toml", folder / "book.toml")
    shutil.copy(DATA / "book" / "marks.csv", folder / "marks.csv")
    shutil.copy(DATA / "book" / "fx.csv", folder / "fx.csv")
    text = _ofx_text().replace("<UNITS>-4<", "<UNITS>-40<")
    path = _bad(tmp_path, "oversell.ofx", text)
    code, out, err = _import(conviction_main, db, folder, "ofx", str(path))
    assert code == 2 and "Traceback" not in out + err, err
    assert "transactions.csv" in err and "quantity" in err
    assert sorted(p.name for p in folder.iterdir()) == ["book.toml", "fx.csv", "marks.csv"]
