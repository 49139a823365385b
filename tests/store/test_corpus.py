# ruff: noqa: E501  (the corpus is a table: one case per line reads best)
"""The corpus of bad books, on SQLite and on PostgreSQL alike: each is refused by `load`
with the error it should get (file, field, words), never a traceback, and the database,
which held the example before, holds exactly the same rows after (every table, row by
row). Ids and text have the same limits on both databases (PostgreSQL's VARCHARs used to
refuse what SQLite stored)."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from conviction.store import connect_for_writing
from conviction.store.loading import load_book

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "baron"
ROW = "date,account,company,action,quantity,price,fees,into\n"


def append(name: str, row: str) -> Callable[[Path], None]:
    def change(book: Path) -> None:
        with (book / name).open("a", encoding="utf-8") as fh:
            fh.write(row)

    return change


def replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def change(book: Path) -> None:
        path = book / name
        body = path.read_text(encoding="utf-8")
        assert old in body, (name, old)
        path.write_text(body.replace(old, new, 1), encoding="utf-8")

    return change


def write_bytes(name: str, data: bytes) -> Callable[[Path], None]:
    def change(book: Path) -> None:
        (book / name).write_bytes(data)

    return change


def make_dir(name: str) -> Callable[[Path], None]:
    def change(book: Path) -> None:
        (book / name).unlink()
        (book / name).mkdir()

    return change


def long_lot(book: Path) -> None:
    """A lot label longer than its column (the header gains the optional columns)."""
    path = book / "transactions.csv"
    head, _, body = path.read_text(encoding="utf-8").partition("\n")
    lines = [f"{x},,," for x in body.splitlines() if x]
    lot = "x" * 250
    path.write_text(
        "\n".join([f"{head},currency,fx_rate,lot", *lines, f"{LAST},ron,tesla,buy,1,1,0,,,,{lot}"])
        + "\n"
    )


TX, MK, TOML, THESES = "transactions.csv", "marks.csv", "book.toml", "theses.toml"
LAST = "2026-09-30"  # on or after the example's last row
LONG_ID = "a" * 150
# (case id, change, file named, field named (or None), words in the message)
CASES: list[tuple[str, Callable[[Path], None], str, str | None, str]] = [
    ("tx-bad-date", append(TX, "2025-13-01,ron,,deposit,1,,0\n"), TX, "date", "date"),
    ("tx-text-quantity", append(TX, f"{LAST},ron,,deposit,ten,,0\n"), TX, "quantity", "number"),
    ("tx-bad-price", append(TX, f"{LAST},ron,tesla,buy,1,1.2.3,0\n"), TX, "price", "number"),
    ("tx-unknown-account", append(TX, f"{LAST},nobody,,deposit,1,,0\n"), TX, "account", "unknown account"),
    ("tx-unknown-company", append(TX, f"{LAST},ron,zzz,buy,1,1,0\n"), TX, "company", "unknown company"),
    ("tx-negative-quantity", append(TX, f"{LAST},ron,,deposit,-5,,0\n"), TX, "quantity", "positive"),
    ("tx-zero-quantity", append(TX, f"{LAST},ron,tesla,buy,0,1,0\n"), TX, "quantity", "positive"),
    ("tx-oversell", append(TX, f"{LAST},ron,tesla,sell,1e9,400,0\n"), TX, "quantity", "larger than the position"),
    ("tx-out-of-order", append(TX, "2014-01-01,ron,,deposit,1,,0\n"), TX, "date", "earlier than the row before"),
    ("tx-unknown-action", append(TX, f"{LAST},ron,tesla,gift,1,1,0\n"), TX, "action", "not one of"),
    ("tx-buy-without-price", append(TX, f"{LAST},ron,tesla,buy,1,,0\n"), TX, "price", "required"),
    ("tx-deposit-with-company", append(TX, f"{LAST},ron,tesla,deposit,1,,0\n"), TX, "company", "no company"),
    ("tx-negative-fees", append(TX, f"{LAST},ron,tesla,buy,1,1,-1\n"), TX, "fees", "negative"),
    ("tx-huge-quantity", append(TX, f"{LAST},ron,,deposit,1e308,,0\n"), TX, "quantity", "1e+15"),
    ("tx-nan-quantity", append(TX, f"{LAST},ron,,deposit,nan,,0\n"), TX, "quantity", "expected a number"),
    ("tx-inf-price", append(TX, f"{LAST},ron,tesla,buy,1,inf,0\n"), TX, "price", "finite"),
    ("tx-date-1600", append(TX, "1600-01-01,ron,,deposit,1,,0\n"), TX, "date", "1900-01-01"),
    ("tx-date-2300", append(TX, "2300-01-01,ron,,deposit,1,,0\n"), TX, "date", "2199-12-31"),
    ("tx-long-lot", long_lot, TX, "lot", "200"),
    ("tx-binary-line", append(TX, "\x00\x01\x02,ron,,deposit,1,,0\n"), TX, "date", "expected a date"),
    ("tx-header-renamed", replace(TX, ROW, ROW.replace("quantity", "qty")), TX, None, "quantity"),
    ("tx-too-many-fields", append(TX, f"{LAST},ron,,deposit,1,,0,a,b,c,d,e,f\n"), TX, None, "transactions.csv:121: this row has 13 fields, the header 8"),
    ("tx-not-utf8", write_bytes(TX, ROW.encode() + b"2026-09-30,r\xf6n,,deposit,1,,0\n"), TX, None, "UTF-8"),
    ("tx-empty-file", write_bytes(TX, b""), TX, None, "empty file"),
    ("tx-a-folder", make_dir(TX), TX, None, "is a folder"),
    ("mk-bad-date", append(MK, "2025-02-30,tesla,1,close,x,\n"), MK, "date", "date"),
    ("mk-negative-price", append(MK, f"{LAST},xai,-1,round,x,\n"), MK, "price", "positive"),
    ("mk-unknown-company", append(MK, f"{LAST},zzz,1,close,x,\n"), MK, "company", "unknown company"),
    ("mk-unknown-kind", append(MK, f"{LAST},xai,1,rumour,x,\n"), MK, "kind", "not one of"),
    ("mk-huge-price", append(MK, f"{LAST},xai,1e16,round,x,\n"), MK, "price", "1e+15"),
    ("mk-bad-grade", append(MK, f"{LAST},xai,1,round,x,Z\n"), MK, "grade", "not one of"),
    ("mk-not-utf8", write_bytes(MK, b"date,company,price,kind,source\n2025-11-14,xai,1,round,\xff\n"), MK, None, "UTF-8"),
    ("toml-public-yes", replace(TOML, "public = true", 'public = "yes"'), TOML, "public", "must be true or false"),
    ("toml-weight-text", replace(TOML, "max_weight = 0.41", 'max_weight = "0.41"'), TOML, "max_weight", "must be a number"),
    ("toml-as-of-text", replace(TOML, "as_of = 2025-11-14", 'as_of = "2025-11-14"'), TOML, "as_of", "not in quotes"),
    ("toml-bad-currency", replace(TOML, 'currency = "USD"', 'currency = "XXQ"'), TOML, "currency", "ISO 4217"),
    ("toml-long-account-id", replace(TOML, 'id = "ron"', f'id = "{LONG_ID}"'), TOML, None, "100"),
    ("toml-long-name", replace(TOML, 'name = "Tesla"', f'name = "{"T" * 300}"'), TOML, None, "200"),
    ("toml-syntax", replace(TOML, "[book]", "[book"), TOML, None, "book.toml:5: invalid TOML"),
    ("toml-binary", write_bytes(TOML, b"\x89PNG\r\n\x1a\n\x00\x00"), TOML, None, "not a UTF-8 text file"),
    ("toml-bom-then-syntax-error", write_bytes(TOML, b"\xef\xbb\xbf[book\n"), TOML, None, "book.toml:1: invalid TOML"),
    ("toml-missing-csv", replace(TOML, '"marks.csv"', '"nowhere.csv"'), "nowhere.csv", None, "file not found"),
    ("toml-duplicate-account", replace(TOML, 'id = "ron"', 'id = "partners"'), TOML, None, "partners"),
    ("toml-bad-lot-method", replace(TOML, 'kind = "personal"', 'kind = "personal"\nlot_method = "random"'), TOML, "lot_method", "'fifo'"),
    ("toml-negative-weight", replace(TOML, "max_weight = 0.41", "max_weight = -0.41"), TOML, "max_weight", "greater than 0"),
    ("theses-binary", write_bytes(THESES, b"\xff\xfe\x00junk"), THESES, None, "not a UTF-8 text file"),
    ("theses-syntax", replace(THESES, "[[", "[[["), THESES, None, "invalid TOML"),
]  # fmt: skip


def rows(url: str) -> dict[str, list[str]]:
    """Every row of every table, sorted: equal dictionaries mean an unchanged database."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            out = {}
            for table in sorted(inspect(conn).get_table_names()):
                found = conn.execute(text(f'SELECT * FROM "{table}"')).fetchall()
                out[table] = sorted(repr(tuple(r)) for r in found)
    finally:
        engine.dispose()
    return out


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conviction.io import read_book

    path = tmp_path_factory.mktemp("corpus") / "baron.db"
    engine = connect_for_writing(f"sqlite:///{path}")
    load_book(engine, EXAMPLE / "book.toml", read_book(EXAMPLE))
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def pg_template(pg_url: str) -> Iterator[str]:
    """A PostgreSQL database holding the example; each case copies it (CREATE ... TEMPLATE)."""
    import psycopg

    from conviction.io import read_book

    name = f"corpus_{uuid.uuid4().hex[:8]}"
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = pg_url.rsplit("/", 1)[0] + "/" + name
    engine = connect_for_writing(url)
    load_book(engine, EXAMPLE / "book.toml", read_book(EXAMPLE))
    engine.dispose()
    yield name


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A database holding the example, fresh for each case: a copy of the template."""
    if request.param == "sqlite":
        path = tmp_path / "baron.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    import psycopg

    pg_url: str = request.getfixturevalue("pg_url")
    template: str = request.getfixturevalue("pg_template")
    name = f"case_{uuid.uuid4().hex[:8]}"
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield pg_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_the_corpus_has_enough_cases() -> None:
    assert len(CASES) >= 45
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("change", "named", "field", "words"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_a_bad_book_is_refused_alike_and_changes_nothing(
    database: str,
    tmp_path: Path,
    conviction_main: Any,
    change: Callable[[Path], None],
    named: str,
    field: str | None,
    words: str,
) -> None:
    book = tmp_path / "book"
    shutil.copytree(EXAMPLE, book)
    change(book)
    before = rows(database)
    code, out, err = conviction_main(["--db", database, "load", str(book)])
    message = " ".join(err.split())
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and message.startswith("error: "), err
    assert named in message, message
    if field is not None:  # the field, maybe within its table ('account[1].lot_method')
        assert re.search(rf"field '([^']*[.\]])?{re.escape(field)}'", message), message
    assert words in message, message
    assert rows(database) == before
