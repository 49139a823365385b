"""Files that cannot be read as text: a folder, a symlink loop, a FIFO, binary bytes, a
missing or unreadable file. Each ends in conviction's own error naming the file (exit 2,
no traceback) and the database dump is what it was before the failed load. Also: a UTF-8
BOM is accepted in every file, and line numbers are the file's physical lines."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conviction.errors import FormatError, InputError
from conviction.io import read_book, text_files
from conviction.io.prices import read_price_csv
from conviction.io.text_files import read_text_file

if TYPE_CHECKING:
    from conftest import ConvictionMain  # the fixture's type (tests/conftest.py)

HEADER = "date,account,company,action,quantity,price,fees\n"
GOOD = HEADER + "2024-01-02,me,,deposit,1000,,\n2024-01-03,me,a,buy,10,10,0\n"
MARKS = "date,company,price,kind,source\n2024-01-03,a,10,close,x\n"


def dump(db_url: str) -> list[str]:
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        return list(conn.iterdump())


def point(book: Path, key: str, name: str) -> None:
    """Make ``[book] key`` of the book TOML name ``name``."""
    text = book.read_text()
    if f'{key} = "' in text:
        start = text.index(f'{key} = "')
        end = text.index("\n", start)
        text = text[:start] + f'{key} = "{name}"' + text[end:]
    else:
        text = text.replace("[book]\n", f'[book]\n{key} = "{name}"\n', 1)
    book.write_text(text)


@pytest.fixture
def loaded(
    write_book: Callable[..., Path], db_url: str, conviction_main: ConvictionMain
) -> list[str]:
    """A good book in the database; its dump."""
    good = write_book(GOOD, MARKS, folder="good")
    code, _, err = conviction_main(["--db", db_url, "load", str(good)])
    assert code == 0, err
    return dump(db_url)


def _folder(d: Path) -> tuple[str, str]:
    (d / "sub").mkdir()
    point(d / "book.toml", "transactions", "sub")
    return f"{d / 'sub'}", "is a folder, expected a file"


def _loop(d: Path) -> tuple[str, str]:
    os.symlink("loop.csv", d / "loop.csv")
    point(d / "book.toml", "transactions", "loop.csv")
    return f"{d / 'loop.csv'}", "symbolic link loop"


def _fifo(d: Path) -> tuple[str, str]:
    os.mkfifo(d / "fifo.csv")
    point(d / "book.toml", "marks", "fifo.csv")
    return f"{d / 'fifo.csv'}", "not a regular file (a FIFO, socket or device?)"


def _missing(d: Path) -> tuple[str, str]:
    point(d / "book.toml", "marks", "nope.csv")
    return f"{d / 'nope.csv'}", "file not found"


def _binary_book(d: Path) -> tuple[str, str]:
    (d / "book.toml").write_bytes(b"\xff\xfe[\x00b\x00o\x00o\x00k\x00]\x00\n")
    return f"{d / 'book.toml'}:1", "not a UTF-8 text file (byte 0xff at offset 0)"


def _binary_csv(d: Path) -> tuple[str, str]:
    data = HEADER.encode() + b"2024-01-02,me,,deposit,1000,,\n\x89PNG\r\n"
    (d / "transactions.csv").write_bytes(data)
    offset = data.index(b"\x89")
    return f"{d / 'transactions.csv'}:3", f"not a UTF-8 text file (byte 0x89 at offset {offset})"


def _binary_theses(d: Path) -> tuple[str, str]:
    point(d / "book.toml", "theses", "theses.toml")
    data = b'[[thesis]]\nid = "caf\xe9"\n'
    (d / "theses.toml").write_bytes(data)
    offset = data.index(b"\xe9")
    where = (d / "theses.toml").resolve()
    return f"{where}:2", f"not a UTF-8 text file (byte 0xe9 at offset {offset})"


CASES = {
    "folder": _folder,
    "symlink-loop": _loop,
    "fifo": _fifo,
    "missing": _missing,
    "binary-book-toml": _binary_book,
    "binary-csv": _binary_csv,
    "binary-theses": _binary_theses,
}


@pytest.mark.parametrize("case", list(CASES))
def test_unreadable_file_is_an_input_error(
    case: str,
    loaded: list[str],
    write_book: Callable[..., Path],
    db_url: str,
    conviction_main: ConvictionMain,
) -> None:
    book = write_book(GOOD, folder="bad")  # no marks: they would clash with the good book's
    where, message = CASES[case](book.parent)
    code, out, err = conviction_main(["--db", db_url, "load", str(book.parent)])
    assert (code, err) == (2, f"error: {where}: {message}\n"), err
    assert "Traceback" not in out + err
    assert dump(db_url) == loaded


def test_permission_denied(
    loaded: list[str],
    write_book: Callable[..., Path],
    db_url: str,
    conviction_main: ConvictionMain,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Tests run as root, where chmod 000 does not stop a read: the open itself is refused.
    book = write_book(GOOD, MARKS, folder="bad")
    locked = book.parent / "marks.csv"
    real_open = open

    def refusing_open(path: object, *args: object, **kwargs: object) -> object:
        if Path(str(path)) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(text_files, "open", refusing_open, raising=False)
    code, _, err = conviction_main(["--db", db_url, "load", str(book.parent)])
    assert (code, err) == (2, f"error: {locked}: permission denied: cannot read the file\n")
    assert dump(db_url) == loaded


def test_missing_book_folder(db_url: str, tmp_path: Path, conviction_main: ConvictionMain) -> None:
    code, _, err = conviction_main(["--db", db_url, "load", str(tmp_path / "nowhere")])
    assert (code, err) == (2, f"error: {tmp_path / 'nowhere'}: file not found\n")


def test_no_traceback_in_a_real_process(write_book: Callable[..., Path], db_url: str) -> None:
    book = write_book(GOOD, MARKS)
    (book.parent / "sub").mkdir()
    point(book, "transactions", "sub")
    script = "from conviction.cli import main; main()"
    proc = subprocess.run(
        [sys.executable, "-c", script, "--db", db_url, "load", str(book.parent)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr == f"error: {book.parent / 'sub'}: is a folder, expected a file\n"
    assert "Traceback" not in proc.stdout + proc.stderr


# --- byte order marks ---------------------------------------------------------------------


def test_bom_accepted_in_book_toml_theses_and_csv(
    write_book: Callable[..., Path], db_url: str, conviction_main: ConvictionMain
) -> None:
    book = write_book(GOOD, MARKS)
    point(book, "theses", "theses.toml")
    (book.parent / "theses.toml").write_text("[review]\n", encoding="utf-8-sig")
    book.write_text(book.read_text(), encoding="utf-8-sig")
    tx = book.parent / "transactions.csv"
    tx.write_text(tx.read_text(), encoding="utf-8-sig")
    assert book.read_bytes().startswith(b"\xef\xbb\xbf")
    code, out, err = conviction_main(["--db", db_url, "load", str(book.parent)])
    assert code == 0, err
    assert "2 transactions" in out


def test_bom_error_lines_still_point_at_the_key(tmp_path: Path) -> None:
    book = tmp_path / "book.toml"
    book.write_text('[book]\nname = "x"\ncurrency = "USD"\nbogus = 1\n', encoding="utf-8-sig")
    with pytest.raises(FormatError, match="unknown key 'bogus'") as info:
        read_book(book)
    assert info.value.line == 4


def test_read_text_file_drops_only_a_leading_bom(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"\xef\xbb\xbfa\r\nb\xef\xbb\xbf\n")
    assert read_text_file(path) == "a\r\nb\ufeff\n"


# --- physical line numbers ----------------------------------------------------------------


def test_blank_lines_do_not_shift_line_numbers(write_book: Callable[..., Path]) -> None:
    body = HEADER + "\n2024-01-02,me,,deposit,1000,,\n   \n\n2024-01-03,me,a,buy,10,10,0\n"
    book = write_book(body + "2024-01-04,me,a,sell,11,1,0\n", MARKS)
    with pytest.raises(InputError, match="larger than the position") as info:
        read_book(book)
    assert (info.value.line, info.value.field) == (7, "quantity")
    ok = read_book(write_book(body, MARKS, folder="ok"))
    assert ok.transactions["line"].tolist() == [3, 6]


def test_quoted_newline_does_not_shift_line_numbers(write_book: Callable[..., Path]) -> None:
    marks = 'date,company,price,kind,source\n2024-01-03,a,10,close,"two\nlines"\n'
    book = write_book(GOOD, marks + "2024-01-04,zzz,1,close,x\n")
    with pytest.raises(InputError, match="unknown company 'zzz'") as info:
        read_book(book)
    assert (info.value.line, info.value.field) == (4, "company")
    book = write_book(GOOD, marks + "2024-01-03,a,11,close,x\n", folder="dup")
    with pytest.raises(FormatError, match=r"duplicate mark.*same as line 2") as info:
        read_book(book)
    assert info.value.line == 4


def test_price_file_lines_are_physical(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("date,close\n2024-01-02,1\n\n2024-01-03,-1\n", encoding="utf-8-sig")
    with pytest.raises(FormatError, match="expected a positive number") as info:
        read_price_csv(path)
    assert (info.value.line, info.value.field) == (4, "close")


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ("2024-01-03,1e15", "close", "below 1e+15"),
        ("2024-01-03,1e308", "close", "below 1e+15"),
        ("1850-01-02,10", "date", "outside 1900-01-01..2199-12-31"),
        ("2250-01-02,10", "date", "outside 1900-01-01..2199-12-31"),
        ("1600-01-01,10", "date", "1600-01-01 is outside 1900-01-01..2199-12-31"),
    ],
)
def test_price_files_hold_the_same_ranges_as_the_book(
    tmp_path: Path, row: str, field: str, words: str
) -> None:
    path = tmp_path / "p.csv"
    path.write_text(f"date,close\n2024-01-02,1\n{row}\n")
    with pytest.raises(FormatError, match=re.escape(words)) as info:
        read_price_csv(path)
    assert (info.value.line, info.value.field) == (3, field)


def test_price_file_mark_clash_names_the_physical_line(write_book: Callable[..., Path]) -> None:
    book = write_book(GOOD, MARKS)
    text = book.read_text()
    book.write_text(text.replace("\n[[person]]", '\n[book.prices]\na = "a.csv"\n\n[[person]]', 1))
    (book.parent / "a.csv").write_text("date,close\n\n2024-01-02,9\n\n2024-01-03,10\n")
    with pytest.raises(FormatError, match="given twice") as info:
        read_book(book)
    assert (info.value.file, info.value.line) == (str(book.parent / "a.csv"), 5)


def test_record_lines_count_blank_and_quoted_lines() -> None:
    from conviction.io.csv_tables import record_lines

    assert record_lines("a,b\n1,2\n3,4\n", 2).tolist() == [2, 3]
    assert record_lines("\n \r\na,b\r\n1,2\r\n\r\n3,4\r\n", 2).tolist() == [4, 6]
    assert record_lines('a,b\n"x\n\ny",2\n  \n3,4', 2).tolist() == [2, 6]


def test_toml_lines_are_physical_lines(tmp_path: Path) -> None:
    book = tmp_path / "book.toml"
    text = '[book]\nname = "a \u2028 b \x85 c"\ncurrency = "USD"\r\nbogus = 1\n'
    book.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(FormatError, match="unknown key 'bogus'") as info:
        read_book(book)
    assert info.value.line == 4
