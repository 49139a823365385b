"""A book as its own files again: ``book.toml``, ``transactions.csv``, ``marks.csv``, ``fx.csv``.

The layout is the one ``conviction load`` reads (docs/formats.md), so ``load`` of the
exported folder gives the same book: the same people, companies, accounts, rows, marks and
rates, and so the same status. Rows entered in the web app and fetched prices are in it
too (a database's book is all of them). Amounts are written as stored: the exact decimal
text a book read with ``exact=True`` keeps (``io.amounts``: from its files, or from the
database, which stores them exactly), so ``load`` then ``export`` gives every amount's
text back; a float with no text beside it as the shortest decimal that reads back as the
same float (``0.1`` stays ``0.1``, never ``0.1000000000000000055``). A cell the files left
empty is written empty (stored as NULL: schema 0008), not as the default the ledger reads
it as (an empty fee's 0, a rename's ratio 1, a mark's grade by its kind). Price files
(``prices = {...}``) come out as ``close`` marks, which is what they are read as. The
broker references of imported rows (``ref``) are kept, from the files or the database.

Columns: transactions.csv always has ``date,account,company,action,quantity,price,fees``,
then ``currency``, ``fx_rate``, ``lot``, ``into`` and ``ref`` only where a row has one;
marks.csv ``date,company,price,kind`` then ``source`` and ``grade``, fx.csv
``date,pair,rate`` then ``source``, likewise. A book's CSV files written in that layout
(the examples' are) come back byte for byte (``tests/store/test_round_trip.py``);
book.toml is written anew (no comments; every setting, defaults included; companies and
links sorted by id; theses and projections are not part of it).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from conviction.book.model import Book
from conviction.io.amounts import GRADE_TEXT, TEXT_COLUMNS, float_text

__all__ = [
    "FILES",
    "book_csv_files",
    "day_texts",
    "number_text",
    "number_texts",
    "raw_refs",
    "texts",
]

#: The files a CSV export writes, in the order it writes them.
FILES = ("book.toml", "transactions.csv", "marks.csv", "fx.csv")

_TX = ("date", "account", "company", "action", "quantity", "price", "fees")
_TX_OPTIONAL = ("currency", "fx_rate", "lot", "into")
#: Columns of marks.csv and fx.csv written only where a row has a value (as ``_TX_OPTIONAL``).
_MARK_OPTIONAL = ("source", "grade")
_FX_OPTIONAL = ("source",)


def number_text(value: Any) -> str:
    """A float as the shortest plain decimal that reads back as the same float ("" for NaN)."""
    return float_text(value)


def number_texts(column: pd.Series[Any]) -> list[str]:
    """:func:`number_text` of every value of a column."""
    return [number_text(x) for x in column.to_numpy(dtype=float, na_value=np.nan).tolist()]


def amount_texts(frame: pd.DataFrame, column: str) -> list[str]:
    """The amounts of ``frame[column]`` as text: the exact text kept beside them
    (``io.amounts.TEXT_COLUMNS``: "" for a cell left empty, whatever default the column
    holds) where there is one, else :func:`number_text`."""
    kept = TEXT_COLUMNS.get(column)
    if kept is None or kept not in frame.columns:
        return number_texts(frame[column])
    given = frame[kept].tolist()
    if all(isinstance(t, str) for t in given):
        return given
    floats = number_texts(frame[column])
    return [t if isinstance(t, str) else f for t, f in zip(given, floats, strict=True)]


def grade_texts(marks: pd.DataFrame) -> list[str]:
    """The marks' grades as given (``io.amounts.GRADE_TEXT``: "" for a cell left empty,
    which the table holds as its kind's grade) where the book kept them, else the table's."""
    grades = texts(marks["grade"])
    if GRADE_TEXT not in marks.columns:
        return grades
    return [
        t if isinstance(t, str) else g
        for t, g in zip(marks[GRADE_TEXT].tolist(), grades, strict=True)
    ]


def day_texts(column: pd.Series[Any]) -> list[str]:
    """A date column as ``YYYY-MM-DD`` texts."""
    out: list[str] = pd.to_datetime(column).dt.strftime("%Y-%m-%d").tolist()
    return out


def texts(column: pd.Series[Any]) -> list[str]:
    """A text column as texts ("" for a missing value)."""
    out: list[str] = column.astype(object).where(column.notna(), "").astype(str).tolist()
    return out


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def raw_refs(book: Book) -> dict[tuple[str, int], str]:
    """The ``ref`` cell of each transaction row read from a file, by (file, line)."""
    out: dict[tuple[str, int], str] = {}
    for name in book.transactions["file"].drop_duplicates().tolist():
        path = Path(str(name))
        if not path.is_file():
            continue  # "api", "yahoo": rows not from a file
        text = path.read_text(encoding="utf-8-sig")
        reader = csv.reader(io.StringIO(text), skipinitialspace=True)
        header = [h.strip().lower() for h in next(reader, [])]
        if "ref" not in header:
            continue
        at = header.index("ref")
        start = reader.line_num + 1  # a record's first physical line
        for cells in reader:
            if at < len(cells) and cells[at].strip():
                out[(str(name), start)] = cells[at].strip()
            start = reader.line_num + 1
    return out


def book_csv_files(book: Book, refs: Mapping[tuple[str, int], str] | None = None) -> dict[str, str]:
    """The texts of the exported book, by file name (see :data:`FILES`)."""
    tx = book.transactions
    optional = [c for c in _TX_OPTIONAL if _used(tx[c])]
    ref_cells: list[str] = []
    if "ref" in tx.columns:  # the book was read with its refs (exact=True)
        ref_cells = texts(tx["ref"])
    elif refs:
        keys = zip(tx["file"].astype(str).tolist(), tx["line"].tolist(), strict=True)
        ref_cells = [refs.get((f, int(n)), "") for f, n in keys]
    header = [*_TX, *optional, *(["ref"] if any(ref_cells) else [])]
    columns = [
        day_texts(tx["date"]),
        texts(tx["account"]),
        texts(tx["company"]),
        texts(tx["action"]),
        amount_texts(tx, "quantity"),  # as given: empty where a rename's ratio 1 was
        amount_texts(tx, "price"),
        amount_texts(tx, "fees"),  # as given: empty where no fee was
        *(amount_texts(tx, c) if c == "fx_rate" else texts(tx[c]) for c in optional),
    ]
    if len(header) > len(columns):
        columns.append(ref_cells)
    marks = book.marks
    mark_cells = {
        "date": day_texts(marks["date"]),
        "company": texts(marks["company"]),
        "price": amount_texts(marks, "price"),
        "kind": texts(marks["kind"]),
        "source": texts(marks["source"]),
        "grade": grade_texts(marks),  # as given: empty where the kind's grade was
    }
    fx = book.fx
    fx_cells = {
        "date": day_texts(fx["date"]),
        "pair": texts(fx["pair"]),
        "rate": amount_texts(fx, "rate"),
        "source": texts(fx["source"]),
    }
    return {
        "book.toml": book_toml(book),
        "transactions.csv": _csv(header, zip(*columns, strict=True)),
        "marks.csv": _table(mark_cells, _MARK_OPTIONAL),
        "fx.csv": _table(fx_cells, _FX_OPTIONAL),
    }


def _table(cells: Mapping[str, list[str]], optional: Sequence[str]) -> str:
    """A CSV of ``cells``' columns, in order, less the ``optional`` ones no row fills."""
    kept = [c for c in cells if c not in optional or any(cells[c])]
    return _csv(kept, zip(*(cells[c] for c in kept), strict=True))


def _used(column: pd.Series[Any]) -> bool:
    if column.dtype.kind == "f":
        return bool(column.notna().any())
    return bool((column.fillna("").astype(str) != "").any())


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def _list(values: Iterable[Any]) -> str:
    return "[" + ", ".join(_q(v) if isinstance(v, str) else repr(float(v)) for v in values) + "]"


def book_toml(book: Book) -> str:
    """The book TOML of an exported book: ``[book]``, people, companies, accounts."""
    meta = book.meta
    lines = [
        "# Exported by conviction export --format csv; load it with conviction load.",
        "[book]",
        f"name = {_q(meta.name)}",
        f"currency = {_q(meta.currency)}",
    ]
    if meta.as_of is not None:
        lines.append(f"as_of = {meta.as_of.isoformat()}")
    lines += [
        'transactions = "transactions.csv"',
        'marks = "marks.csv"',
        'fx = "fx.csv"',
        f"long_term_days = {meta.long_term_days}",
    ]
    if meta.calendar != "XNYS":  # the valuation grid's trading calendar
        lines.append(f"calendar = {_q(meta.calendar)}")
    for p in book.persons.values():
        lines += ["", "[[person]]", f"id = {_q(p.id)}", f"name = {_q(p.name)}"]
    for c in book.companies.values():
        lines += ["", "[[company]]", f"id = {_q(c.id)}", f"name = {_q(c.name)}"]
        lines.append(f"public = {'true' if c.public else 'false'}")
        if c.ticker:
            lines.append(f"ticker = {_q(c.ticker)}")
        lines.append(f"currency = {_q(c.currency)}")
        if c.key_people:
            lines.append(f"key_people = {_list(c.key_people)}")
        if c.key_people_weights:
            lines.append(f"key_people_weights = {_list(c.key_people_weights)}")
        if c.themes:
            lines.append(f"themes = {_list(c.themes)}")
        if c.links:
            links = ", ".join(f"{{ to = {_q(k.to)}, kind = {_q(k.kind)} }}" for k in c.links)
            lines.append(f"links = [{links}]")
    for a in book.accounts.values():
        lines += ["", "[[account]]", f"id = {_q(a.id)}", f"name = {_q(a.name)}"]
        lines += [f"kind = {_q(a.kind)}", f"currency = {_q(a.currency)}"]
        if a.max_weight is not None:
            lines.append(f"max_weight = {a.max_weight!r}")
        lines.append(f"lot_method = {_q(a.lot_method)}")
    return "\n".join(lines) + "\n"
