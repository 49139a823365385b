"""Read a whole book from disk: the TOML plus the CSV files it names.

The result is validated as a whole: besides each file's own checks, the trades are
replayed so a sale larger than its position is caught here, before anything is stored.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from conviction.book.model import MARK_COLUMNS, Book
from conviction.errors import FormatError, LedgerError
from conviction.io.book_toml import BookFile, read_book_toml
from conviction.io.csv_tables import read_fx_csv, read_marks_csv, read_transactions_csv
from conviction.io.prices import read_price_csv
from conviction.io.text_files import read_text_file
from conviction.ledger.corporate import expand
from conviction.ledger.fx import FxRates
from conviction.ledger.index import index_book
from conviction.ledger.lots import replay
from conviction.ledger.valuation import TradeArrays, trade_arrays

__all__ = ["find_book_toml", "read_book", "validate_book"]


def find_book_toml(path: str | Path) -> Path:
    """The book TOML at ``path``, or the one ``book.toml`` (or [book] TOML) in a folder."""
    path = Path(path)
    if not path.is_dir():
        return path  # a file, or whatever it is: reading it says what is wrong
    if (path / "book.toml").exists() or (path / "book.toml").is_symlink():
        return path / "book.toml"
    candidates = [p for p in sorted(path.glob("*.toml")) if "[book]" in read_text_file(p)]
    if len(candidates) != 1:
        found = ", ".join(p.name for p in candidates) or "none"
        raise FormatError(
            f"expected one book TOML (with a [book] table) here, found {found}", file=path
        )
    return candidates[0]


def read_book(path: str | Path) -> Book:
    """Read and validate the book at ``path`` (a book TOML, or a folder holding one)."""
    spec = read_book_toml(find_book_toml(path))
    return book_from_files(spec)


def book_from_files(spec: BookFile) -> Book:
    companies = spec.companies
    transactions = (
        read_transactions_csv(
            spec.transactions,
            spec.accounts,
            companies,
            {c: companies[c].public for c in companies},
            exact=True,
        )
        if spec.transactions
        else Book(spec.meta).transactions
    )
    marks = (
        read_marks_csv(spec.marks, companies, exact=True) if spec.marks else Book(spec.meta).marks
    )
    price_marks = [_price_file_marks(company, file) for company, file in spec.prices.items()]
    if price_marks:
        marks = pd.concat([marks, *price_marks], ignore_index=True)
        marks = marks.sort_values("date", kind="stable").reset_index(drop=True)
        dup = marks.duplicated(["date", "company", "kind"], keep="first").to_numpy()
        if dup.any():
            row = marks.iloc[int(np.flatnonzero(dup)[0])]
            raise FormatError(
                f"a {row['kind']} mark for {row['company']} on {row['date']} is given twice "
                "(in the marks file and a price file)",
                file=row["file"],
                line=int(row["line"]),
                field="date",
            )
    fx = read_fx_csv(spec.fx, exact=True) if spec.fx else Book(spec.meta).fx
    book = Book(
        meta=spec.meta,
        persons=spec.persons,
        companies=companies,
        accounts=spec.accounts,
        transactions=transactions,
        marks=marks,
        fx=fx,
    )
    validate_book(book)
    return book


def validate_book(book: Book) -> None:
    """Checks that need the whole book: currencies convertible, no sale beyond a position,
    specific lots that exist."""
    fx = FxRates(book.fx)
    given = book
    book, carries = expand(book)  # corporate actions, per holding account
    ta = trade_arrays(book, tuple(book.accounts), tuple(book.companies), fx)
    check_positions(book, ta)
    specific = [a.id for a in book.accounts.values() if a.lot_method == "specific"]
    if specific and carries:  # carried lots need the whole replay
        index_book(given).replay(len(book.transactions))
    elif specific:  # named lots can only be checked by replaying those accounts
        tx = book.transactions
        mine = tx["account"].isin(specific).to_numpy() | (tx["action"] == "split").to_numpy()
        replay(tx[mine], book.accounts, ta.to_account[mine])


def check_positions(book: Book, ta: TradeArrays) -> None:
    """No sale larger than the position it sells from, over arrays (no replay needed).

    Positions are cumulative sums of signed original shares per (account, company), so
    splits need no special care.
    """
    trade = ta.original_shares != 0
    if not trade.any():
        return
    rows = np.flatnonzero(trade)
    key = ta.account[rows] * max(1, len(book.companies)) + ta.company[rows]
    shares = pd.Series(ta.original_shares[rows])
    held_after = shares.groupby(key).cumsum().to_numpy()
    bought = shares.clip(lower=0).groupby(key).cumsum().to_numpy()
    bad = np.flatnonzero(held_after < -1e-9 * np.maximum(1.0, bought))
    if not bad.size:
        return
    i = int(rows[bad[0]])
    row = book.transactions.iloc[i]
    factor = -float(row["quantity"]) / float(ta.original_shares[i])
    held = (held_after[bad[0]] - ta.original_shares[i]) * factor
    raise LedgerError(
        f"sale of {row['quantity']:g} {row['company']} is larger than the position of "
        f"{held:g} in {row['account']}",
        file=str(row["file"]),
        line=int(row["line"]),
        field="quantity",
    )


def _price_file_marks(company: str, file: Path) -> pd.DataFrame:
    series = read_price_csv(file)
    return pd.DataFrame(
        {
            "date": series.index.to_numpy().astype("datetime64[D]"),
            "company": company,
            "price": series.to_numpy(),
            "kind": "close",
            "source": f"price file {file.name}",
            "grade": "A",
            "file": str(file),
            "line": np.asarray(series.attrs.get("lines", range(2, len(series) + 2))),
        },
        columns=list(MARK_COLUMNS),
    )
