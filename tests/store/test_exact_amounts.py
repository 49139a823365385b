"""Exact amounts (migration 0007): what a book's files say comes back digit for digit.

Decimal texts written in the book's CSV files are loaded into a fresh database and
exported again (``conviction export --format csv``): every amount's text is the same,
more digits than a float holds included, and a cell left empty (a fee, an FX rate, a
listing's quantity, a mark's grade) comes back empty (stored as NULL: migration 0008),
while the ledger reads the default it stands for. A database at 0006 with float rows
keeps its values when upgraded; one at 0007 keeps its values (defaults included) at
0008. A transaction's broker ``ref`` is stored and read back.
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conviction.cli import app as cli
from conviction.io import read_book
from conviction.store import connect, connect_for_writing, read_book_at
from conviction.store.engine import MIGRATIONS
from conviction.store.loading import load_book

TOML = """[book]
name = "exact"
currency = "USD"
transactions = "transactions.csv"
marks = "marks.csv"
fx = "fx.csv"

[[company]]
id = "acme"
name = "Acme"
public = true
currency = "EUR"

[[company]]
id = "pvt"
name = "Private"
public = false
currency = "EUR"

[[account]]
id = "a"
name = "A"
kind = "personal"
currency = "USD"
"""


def decimals(places: int, low: str, high: str) -> st.SearchStrategy[str]:
    """Decimal texts with up to ``places`` digits after the point, in [low, high]."""
    return st.decimals(
        min_value=Decimal(low),
        max_value=Decimal(high),
        places=places,
        allow_nan=False,
        allow_infinity=False,
    ).map(lambda d: format(d, "f"))


# within what the loader accepts: positive quantities, prices and rates, fees >= 0, all
# below 1e15 in magnitude; up to 17 significant digits (more than a float keeps)
AMOUNT = st.integers(0, 8).flatmap(lambda p: decimals(p, "0.00000001", "999999999"))
FEE = st.integers(0, 6).flatmap(lambda p: decimals(p, "0", "99999"))
# an empty fee (no fee) and an empty fx_rate (the day's rate) are cells of their own
ROW = st.tuples(AMOUNT, AMOUNT, FEE | st.just(""), AMOUNT | st.just(""))
# a mark's price and grade, an empty grade (its kind's) included
MARK = st.tuples(AMOUNT, st.sampled_from(["", "A", "B", "C"]))


def write_book(
    folder: Path,
    rows: list[tuple[str, str, str, str]],
    marks: list[tuple[str, str]],
    *,
    listing: bool = False,
) -> None:
    """Rows of (quantity, price, fees, fx_rate) buying acme, marks of (price, grade), and
    with ``listing`` a listing of pvt (its quantity, price and fees empty) at the end."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "book.toml").write_text(TOML, encoding="utf-8")
    tx = ["date,account,company,action,quantity,price,fees,currency,fx_rate,ref"]
    for i, (q, p, f, fx) in enumerate(rows):
        tx.append(f"2024-01-{1 + i:02d},a,acme,buy,{q},{p},{f},EUR,{fx},broker-{i}")
    if listing:
        tx.append("2024-03-01,,pvt,listing,,,,,,")
    (folder / "transactions.csv").write_text("\n".join(tx) + "\n", encoding="utf-8")
    lines = ["date,company,price,kind,source,grade"]
    lines += [f"2024-02-{1 + i:02d},acme,{m},close,test,{g}" for i, (m, g) in enumerate(marks)]
    (folder / "marks.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    fx = ["date,pair,rate,source"]
    fx += [f"2024-01-{1 + i:02d},EURUSD,{r[3] or '1.1'},test" for i, r in enumerate(rows)]
    (folder / "fx.csv").write_text("\n".join(fx) + "\n", encoding="utf-8")


def cells(path: Path, columns: tuple[str, ...]) -> list[tuple[str, ...]]:
    with path.open(newline="", encoding="utf-8") as fh:
        # a column an export leaves out is one no row fills (fx_rate when all are empty)
        return [tuple(r.get(c, "") for c in columns) for r in csv.DictReader(fh)]


TX_AMOUNTS = ("action", "quantity", "price", "fees", "fx_rate", "ref")


def round_trip(url: str, folder: Path, out: Path) -> None:
    """Load the book at ``folder`` into ``url``, export it as CSV into ``out``, and check
    that every amount, grade (and ref) comes back as the files wrote it, an empty cell
    empty; and that the database's book reads as the files' (the defaults filled in)."""
    from_files = read_book(folder)
    engine = connect_for_writing(url)
    try:
        load_book(engine, folder / "book.toml", from_files)
    finally:
        engine.dispose()
    result = CliRunner().invoke(cli, ["--db", url, "export", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, (result.output, result.exception)
    tx_in = cells(folder / "transactions.csv", TX_AMOUNTS)
    assert cells(out / "transactions.csv", TX_AMOUNTS) == tx_in
    mark = ("date", "price", "grade")
    assert cells(out / "marks.csv", mark) == cells(folder / "marks.csv", mark)
    assert cells(out / "fx.csv", ("date", "rate")) == cells(folder / "fx.csv", ("date", "rate"))
    stored = read_book_at(url)
    for name in ("quantity", "price", "fees", "fx_rate"):  # NaN only for price and fx_rate
        assert stored.transactions[name].tolist() == pytest.approx(
            from_files.transactions[name].tolist(), rel=1e-15, nan_ok=True
        )
    assert stored.transactions["fees"].notna().all()
    assert stored.marks["grade"].tolist() == from_files.marks["grade"].tolist()
    assert "" not in stored.marks["grade"].tolist()


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database at the head revision, made once (each example copies it)."""
    path = tmp_path_factory.mktemp("exact") / "empty.db"
    connect_for_writing(f"sqlite:///{path}").dispose()
    return path


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(ROW, min_size=1, max_size=4),
    marks=st.lists(MARK, max_size=3),
    listing=st.booleans(),
)
def test_decimal_amounts_survive_load_and_export_exactly_on_sqlite(
    empty_db: Path,
    tmp_path_factory: pytest.TempPathFactory,
    rows: Any,
    marks: Any,
    listing: bool,
) -> None:
    work = tmp_path_factory.mktemp("trip")
    shutil.copy(empty_db, work / "book.db")
    write_book(work / "book", rows, marks, listing=listing)
    round_trip(f"sqlite:///{work / 'book.db'}", work / "book", work / "out")


def test_amounts_are_stored_as_their_text_in_sqlite(empty_db: Path, tmp_path: Path) -> None:
    """SQLite keeps the decimal's text (TEXT affinity), and the readers give floats."""
    rows = [("1.10", "123456789.123456789", "0.00", "0.9000000000000000001"), ("2", "3", "", "")]
    write_book(tmp_path / "book", rows, [("2.50", ""), ("2.60", "C")], listing=True)
    db = tmp_path / "book.db"
    shutil.copy(empty_db, db)
    engine = connect_for_writing(f"sqlite:///{db}")
    load_book(engine, tmp_path / "book" / "book.toml", read_book(tmp_path / "book"))
    engine.dispose()
    with sqlite3.connect(db) as conn:
        stored = conn.execute(
            "SELECT quantity, typeof(quantity), price, fees, fx_rate, ref FROM transactions"
            " ORDER BY id"
        ).fetchall()
        mark = conn.execute("SELECT price, typeof(price), grade FROM mark ORDER BY id").fetchall()
    assert stored == [
        ("1.10", "text", "123456789.123456789", "0.00", "0.9000000000000000001", "broker-0"),
        ("2", "text", "3", None, None, "broker-1"),  # the empty fee and rate: NULL
        (None, "null", None, None, None, None),  # the listing: no quantity, no fee
    ]
    assert mark == [("2.50", "text", None), ("2.60", "text", "C")]  # an empty grade: NULL
    book = read_book_at(f"sqlite:///{db}")  # the plain sqlite3 reader
    assert book.transactions["quantity"].tolist() == [1.1, 2.0, 1.0]  # a listing's ratio 1
    assert book.transactions["price"].tolist()[:2] == [123456789.12345679, 3.0]
    assert book.transactions["fees"].tolist() == [0.0, 0.0, 0.0]  # an empty fee: none
    assert book.transactions["fx_rate"].tolist()[0] == 0.9
    assert book.marks["price"].dtype == float and book.marks["price"].tolist() == [2.5, 2.6]
    assert book.marks["grade"].tolist() == ["A", "C"]  # a close's grade: A
    from conviction.store import read_book as read_stored

    engine = connect(f"sqlite:///{db}")
    book = read_stored(engine)  # through SQLAlchemy's connection
    engine.dispose()
    assert book.transactions["quantity"].tolist() == [1.1, 2.0, 1.0]
    assert book.transactions["fees"].tolist() == [0.0, 0.0, 0.0]
    assert book.marks["grade"].tolist() == ["A", "C"]


def alembic(url: str, verb: str, target: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine = connect_for_writing(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, verb)(config, target)
    engine.dispose()


FLOATS = [0.1, 1e-05, 123456.789, 1 / 3, 202.3005, 2.0]


def test_a_database_at_0006_with_float_rows_keeps_its_values_at_0007(
    empty_db: Path, tmp_path: Path
) -> None:
    """The upgrade writes each float's shortest decimal (``repr``), not SQLite's 15-digit
    text of it: every value reads back as the same float, and exports as its repr."""
    db = tmp_path / "old.db"
    shutil.copy(empty_db, db)
    url = f"sqlite:///{db}"
    alembic(url, "downgrade", "0006_refs_and_calendar")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("0006_refs_and_calendar",)
        ]
        conn.execute(
            "INSERT INTO book (id, name, currency, long_term_days) VALUES (1, 'old', 'USD', 365)"
        )
        conn.execute("INSERT INTO company VALUES ('acme', 'Acme', 1, NULL, 'USD', '')")
        conn.execute("INSERT INTO account VALUES ('a', 'A', 'personal', 'USD', NULL, 'fifo')")
        for i, x in enumerate(FLOATS):
            conn.execute(
                "INSERT INTO transactions (date, account_id, company_id, action, quantity, "
                "price, fees, currency, fx_rate, source, line) VALUES "
                "(?, 'a', 'acme', 'buy', ?, ?, ?, NULL, NULL, 'api', ?)",
                (f"2024-01-{1 + i:02d}", x, x, x / 7, i + 1),
            )
            conn.execute(
                "INSERT INTO mark (date, company_id, price, kind, source, origin) VALUES "
                "(?, 'acme', ?, 'close', '', 'api')",
                (f"2024-01-{1 + i:02d}", x),
            )
            conn.execute(
                "INSERT INTO fx_rate (date, pair, rate, source, origin) VALUES "
                "(?, 'EURUSD', ?, '', 'api')",
                (f"2024-01-{1 + i:02d}", x),
            )
        assert conn.execute("SELECT typeof(price) FROM mark LIMIT 1").fetchone() == ("real",)
    alembic(url, "upgrade", "head")
    with sqlite3.connect(db) as conn:
        texts = [r[0] for r in conn.execute("SELECT price FROM mark ORDER BY id")]
        fees = [r[0] for r in conn.execute("SELECT fees FROM transactions ORDER BY id")]
        null = conn.execute("SELECT count(*) FROM transactions WHERE fx_rate IS NULL")
        assert null.fetchone() == (len(FLOATS),)
    assert texts == ["0.1", "0.00001", "123456.789", "0.3333333333333333", "202.3005", "2"]
    assert [float(t) for t in fees] == [x / 7 for x in FLOATS]  # every bit kept
    book = read_book_at(url)
    assert book.transactions["quantity"].tolist() == FLOATS
    assert book.transactions["fees"].tolist() == [x / 7 for x in FLOATS]
    assert book.marks["price"].tolist() == FLOATS
    assert book.fx["rate"].tolist() == FLOATS
    alembic(url, "downgrade", "0006_refs_and_calendar")  # and back: the floats again
    with sqlite3.connect(db) as conn:
        back = conn.execute("SELECT quantity, typeof(quantity) FROM transactions ORDER BY id")
        assert back.fetchall() == [(x, "real") for x in FLOATS]


def test_a_database_at_0007_keeps_its_values_at_0008_and_a_load_stores_empty_cells(
    empty_db: Path, tmp_path: Path
) -> None:
    """0007 stored an empty cell as its default (a fee 0, a listing's ratio 1, a close's
    grade A), which 0008 cannot tell from a value the file gave: the upgrade keeps them
    all (reads and exports as before), the next load stores the empty cells as NULL and
    the export writes them empty. The downgrade writes the defaults back."""
    book_dir = tmp_path / "book"
    write_book(book_dir, [("2", "3", "", "")], [("2.50", ""), ("2.60", "C")], listing=True)
    db = tmp_path / "book.db"
    shutil.copy(empty_db, db)
    url = f"sqlite:///{db}"
    engine = connect_for_writing(url)
    load_book(engine, book_dir / "book.toml", read_book(book_dir))
    engine.dispose()
    before = read_book_at(url)
    query = "SELECT t.quantity, t.fees, m.grade FROM transactions t, mark m ORDER BY t.id, m.id"
    alembic(url, "downgrade", "0007_exact_amounts")  # as 0007 stored the book
    with sqlite3.connect(db) as conn:
        at_0007 = conn.execute(query).fetchall()
        notnull = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'transactions'")
        assert "quantity TEXT NOT NULL" in notnull.fetchone()[0]
    assert at_0007 == [
        ("2", "0", "A"),
        ("2", "0", "C"),
        ("1", "0", "A"),  # the listing
        ("1", "0", "C"),
    ]
    alembic(url, "upgrade", "head")
    with sqlite3.connect(db) as conn:
        assert conn.execute(query).fetchall() == at_0007  # every value kept
        nullable = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'transactions'")
        assert "quantity TEXT," in nullable.fetchone()[0]
        indexes = conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'transactions'")
        assert "ix_transactions_account_date" in [r[0] for r in indexes]
    after = read_book_at(url)
    for table in ("transactions", "marks"):
        assert getattr(after, table).equals(getattr(before, table))
    out = tmp_path / "out-0007"
    result = CliRunner().invoke(cli, ["--db", url, "export", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert cells(out / "transactions.csv", ("quantity", "fees")) == [("2", "0"), ("1", "0")]
    assert cells(out / "marks.csv", ("grade",)) == [("A",), ("C",)]
    round_trip(url, book_dir, tmp_path / "out")  # loaded again: the empty cells come back


def test_a_transactions_ref_is_stored_and_listed(empty_db: Path, tmp_path: Path) -> None:
    """The broker's id of an imported row is in ``transactions.ref`` and in the web app's
    row listing; a row without one has an empty ref."""
    from conviction.store.appends import list_rows

    write_book(tmp_path / "book", [("1", "2", "0", "1.1"), ("3", "4", "", "1.2")], [])
    text = (tmp_path / "book" / "transactions.csv").read_text().replace("broker-1", "")
    (tmp_path / "book" / "transactions.csv").write_text(text)
    db = tmp_path / "book.db"
    shutil.copy(empty_db, db)
    engine = connect_for_writing(f"sqlite:///{db}")
    load_book(engine, tmp_path / "book" / "book.toml", read_book(tmp_path / "book"))
    with engine.connect() as conn:
        total, rows = list_rows(conn, "transaction")
    engine.dispose()
    assert total == 2
    listed = [(r.values["ref"], r.values["quantity"], r.values["fees"]) for r in rows]
    assert listed == [("", 3.0, 0.0), ("broker-0", 1.0, 0.0)]  # an empty fee listed as 0


def test_an_overlapping_reimport_stores_each_broker_row_once(
    tmp_path: Path, conviction_main: Any
) -> None:
    """``conviction import`` twice (the same Schwab export): the database holds each
    broker row once, with its ref, and the export writes the refs and amounts back."""
    data = Path(__file__).resolve().parents[1] / "imports" / "data"
    book = tmp_path / "book"
    shutil.copytree(data / "book", book)
    db = tmp_path / "c.db"
    args = ["--db", f"sqlite:///{db}", "import", "csv", str(data / "csv" / "schwab.csv")]
    args += ["--mapping", "schwab", "--book", str(book), "--account", "me"]
    for _ in range(2):
        code, _out, err = conviction_main(args)
        assert code == 0, err
    with sqlite3.connect(db) as conn:
        refs = [r[0] for r in conn.execute("SELECT ref FROM transactions WHERE ref IS NOT NULL")]
    assert len(refs) == 5 and len(set(refs)) == 5
    assert all(r.startswith("csv:schwab:") for r in refs)
    code, _out, err = conviction_main(
        ["--db", f"sqlite:///{db}", "export", "--format", "csv", "--out", str(tmp_path / "out")]
    )
    assert code == 0, err
    columns = ("date", "quantity", "price", "fees", "ref")
    written = cells(book / "transactions.csv", columns)  # an empty fee stays empty
    assert any(f == "" for _d, _q, _p, f, _r in written)
    assert cells(tmp_path / "out" / "transactions.csv", columns) == written


def test_a_float_written_through_the_store_is_kept_as_its_shortest_decimal(
    empty_db: Path, tmp_path: Path
) -> None:
    """What the web app writes (JSON numbers, floats) goes through ``store.appends``: each
    float is stored as its shortest decimal (repr), so it reads back as the same float and
    exports as that text."""
    import datetime as dt

    from conviction.store.appends import NewMark, NewTransaction, append_marks
    from conviction.store.appends import append_transactions as append

    write_book(tmp_path / "book", [("1", "2", "0", "1.1")], [])
    db = tmp_path / "book.db"
    shutil.copy(empty_db, db)
    engine = connect_for_writing(f"sqlite:///{db}")
    load_book(engine, tmp_path / "book" / "book.toml", read_book(tmp_path / "book"))
    day = dt.date(2024, 3, 1)
    with engine.begin() as conn:
        append(conn, [NewTransaction(day, "a", "", "deposit", 0.1 + 0.2, None, 0.0, "", None, "")],
               origin="api")  # fmt: skip
        append_marks(conn, [NewMark(day, "acme", 1e-05, "close", "", "A")], origin="api")
    engine.dispose()
    with sqlite3.connect(db) as conn:
        tx = conn.execute("SELECT quantity, fees, price FROM transactions WHERE source = 'api'")
        assert tx.fetchall() == [("0.30000000000000004", "0", None)]
        mark = conn.execute("SELECT price FROM mark WHERE origin = 'api'").fetchall()
        assert mark == [("0.00001",)]
    book = read_book_at(f"sqlite:///{db}")
    assert book.transactions["quantity"].tolist()[-1] == 0.1 + 0.2
