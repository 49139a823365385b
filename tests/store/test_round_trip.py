"""Every book of examples/ loaded, then exported: its CSV files come back byte for byte.

``conviction load`` then ``conviction export --format csv`` (from the database) gives each
of the book's transactions, marks and FX files back as the same bytes: every amount's
text, every empty cell empty (a fee, a corporate action's quantity, a mark's grade; not
the default the ledger reads it as), the columns the file has, quoting and line ends.
The one file written anew is book.toml (the export writes every setting, no comments, no
theses or projections): it is compared as what it declares. A book without an FX file
gets an fx.csv with only its header. The database's book reads as the files' book does.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conviction.cli import app as cli
from conviction.io import read_book
from conviction.io.book_toml import read_book_toml
from conviction.store import connect_for_writing, read_book_at
from conviction.store.loading import load_book

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/book.toml"))
#: The file a CSV export writes for each table a book TOML names.
EXPORTED = {"transactions": "transactions.csv", "marks": "marks.csv", "fx": "fx.csv"}


def test_there_are_examples() -> None:
    assert {p.name for p in EXAMPLES} >= {"baron", "yen-holder"}


def export(url: str, out: Path, *extra: str) -> None:
    args = ["--db", url, "export", "--format", "csv", "--out", str(out), *extra]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, (result.output, result.exception)


def declared(toml: Path) -> tuple[object, ...]:
    """What a book TOML declares, less the names of its files and the sections an export
    does not write (theses, projections): the setting, people, companies and accounts,
    each company's links in the order of their ids."""
    spec = read_book_toml(toml)
    companies = {cid: replace(c, links=tuple(sorted(c.links))) for cid, c in spec.companies.items()}
    return spec.meta, dict(spec.persons), companies, dict(spec.accounts)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_an_example_loaded_then_exported_gives_its_files_back(
    example: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'book.db'}"
    from_files = read_book(example)
    engine = connect_for_writing(url)
    load_book(engine, example / "book.toml", from_files)
    engine.dispose()
    out = tmp_path / "out"
    export(url, out)
    spec = read_book_toml(example / "book.toml")
    compared = 0
    for table, name in EXPORTED.items():
        given = getattr(spec, table)
        if given is None:  # a book without the file: the export's has its header only
            assert (out / name).read_text(encoding="utf-8").count("\n") <= 1
            continue
        assert (out / name).read_bytes() == Path(given).read_bytes(), name
        compared += 1
    assert compared >= 2
    assert declared(out / "book.toml") == declared(example / "book.toml")
    # the files exported straight from the book's folder, and from the exported folder,
    # are the same bytes
    for name_of, folder in (("files", example), ("again", out)):
        export(url, tmp_path / name_of, "--book", str(folder))
        for name in EXPORTED.values():
            assert (tmp_path / name_of / name).read_bytes() == (out / name).read_bytes()
    # and the database's book is the files' (the defaults of the empty cells filled in)
    stored = read_book_at(url)
    for table in ("transactions", "marks", "fx"):
        mine = getattr(from_files, table)
        theirs = getattr(stored, table)
        columns = [c for c in theirs.columns if c != "file"]
        assert len(mine) == len(theirs)
        for c in columns:
            assert theirs[c].tolist() == mine[c].tolist() or (
                theirs[c].dtype.kind == "f" and theirs[c].equals(mine[c].astype(float))
            ), (table, c)
