"""Read the book's CSV tables — transactions, marks, FX rates — validated, vectorised.

Each check runs over whole columns at once (a million rows load in seconds) and the
first failing row becomes an error naming the file, the line (the header is line 1)
and the field. Nothing is partially accepted: a table either reads whole or raises.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from conviction._typing import ACTIONS, MARK_GRADES, MARK_KINDS, BoolArray
from conviction.book.currencies import ISO_4217
from conviction.book.defaults import fees_filled, grades_filled, quantities_filled
from conviction.book.model import FX_COLUMNS, MARK_COLUMNS, TRANSACTION_COLUMNS, Account
from conviction.errors import FormatError, UnknownIdError
from conviction.io.amounts import GRADE_TEXT, TEXT_COLUMNS, decimal_texts
from conviction.io.limits import MAX_DATE, MAX_LOT, MAX_MAGNITUDE, MAX_SPLIT, MIN_DATE
from conviction.io.text_files import read_text_file

__all__ = ["read_fx_csv", "read_marks_csv", "read_transactions_csv"]

_TRADE_ACTIONS = ("buy", "sell", "dividend", "split")
_CASH_ACTIONS = ("deposit", "withdraw")
#: Corporate actions: company events (the account may be empty), no cash.
_EVENT_ACTIONS = ("exchange", "spinoff", "rename", "listing")
_CARRY_ACTIONS = ("exchange", "spinoff", "rename")


def csv_parse_error(exc: Exception, path: Path, text: str) -> FormatError:
    """The error of a CSV that does not parse, at the physical line of the first row with
    more fields than the header (what pandas' parser refuses; its own line count takes a
    quoted newline for none)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
        start = reader.line_num + 1
        for row in reader:
            if len(row) > len(header):
                return FormatError(
                    f"this row has {len(row)} fields, the header {len(header)} (a comma too "
                    "many, or a text with a comma that is not in double quotes?)",
                    file=path,
                    line=start,
                )
            start = reader.line_num + 1
    except csv.Error:  # Python's reader refuses what pandas' did: keep pandas' words
        pass
    return FormatError(f"not a readable CSV file ({exc})", file=path)


class _Table:
    """A CSV read as text, with helpers that raise at the first bad row of a column."""

    def __init__(self, path: Path, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
        self.path = path
        text = read_text_file(path)
        try:
            frame = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True
            )
        except pd.errors.ParserError as exc:
            raise csv_parse_error(exc, path, text) from None
        except pd.errors.EmptyDataError:
            raise FormatError("empty file (expected a header line)", file=path, line=1) from None
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        for column in required:
            if column not in frame.columns:
                raise FormatError(f"missing column '{column}'", file=path, line=1, field=column)
        for column in frame.columns:
            if column not in required and column not in optional:
                expected = ", ".join(required + optional)
                raise FormatError(
                    f"unknown column '{column}' (expected: {expected})",
                    file=path,
                    line=1,
                    field=column,
                )
        for column in optional:
            if column not in frame.columns:
                frame[column] = ""
        self.frame = frame
        self.n = len(frame)
        self.line_of = record_lines(text, self.n)

    def text(self, column: str) -> pd.Series:
        return self.frame[column].str.strip()

    def fail(self, mask: BoolArray, column: str, message: str, cls: type = FormatError) -> None:
        """Raise for the first row where ``mask`` is true, formatting ``{value}`` into it."""
        bad = np.flatnonzero(mask)
        if bad.size:
            i = int(bad[0])
            value = self.frame[column].iloc[i]
            line = int(self.line_of[i])
            raise cls(message.format(value=value), file=self.path, line=line, field=column)

    def dates(self, column: str = "date") -> pd.Series:
        raw = self.text(column)
        dates = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
        self.fail(dates.isna().to_numpy(), column, "expected a date YYYY-MM-DD, got {value!r}")
        days = dates.to_numpy().astype("datetime64[D]")
        self.fail(
            (days < np.datetime64(MIN_DATE, "D")) | (days > np.datetime64(MAX_DATE, "D")),
            column,
            f"date {{value}} is outside {MIN_DATE.isoformat()}..{MAX_DATE.isoformat()}",
        )
        steps = np.diff(days.astype(np.int64))
        bad = np.flatnonzero(steps < 0)
        if bad.size:
            mask = np.zeros(self.n, dtype=bool)
            mask[bad[0] + 1] = True
            self.fail(mask, column, "date {value} is earlier than the row before (sort by date)")
        return pd.Series(days, name=column)

    def numbers(self, column: str, *, required: BoolArray | None = None) -> pd.Series:
        raw = self.text(column)
        values = pd.to_numeric(raw, errors="coerce")
        empty = (raw == "").to_numpy()
        self.fail(values.isna().to_numpy() & ~empty, column, "expected a number, got {value!r}")
        finite = np.isfinite(values.to_numpy(dtype=float)) | empty
        self.fail(~finite, column, "expected a finite number, got {value!r}")
        huge = (np.abs(values.to_numpy(dtype=float)) >= MAX_MAGNITUDE) & ~empty
        self.fail(
            huge, column, f"{{value}} is too large (magnitude must be below {MAX_MAGNITUDE:g})"
        )
        if required is not None:
            self.fail(required & empty, column, "a number is required here")
        return values.astype(float)

    def one_of(self, column: str, allowed: Collection[str], what: str) -> pd.Series:
        values = self.text(column).str.lower()
        listed = ", ".join(sorted(allowed))
        self.fail(
            ~values.isin(list(allowed)).to_numpy(),
            column,
            f"{what} {{value!r}} is not one of: {listed}",
        )
        return values

    def known(
        self,
        values: pd.Series,
        column: str,
        ids: Collection[str],
        what: str,
        *,
        where: BoolArray | None = None,
    ) -> None:
        unknown = ~values.isin(list(ids)).to_numpy()
        if where is not None:
            unknown &= where
        self.fail(unknown, column, f"unknown {what} {{value!r}}", UnknownIdError)

    def no_duplicates(self, columns: list[str], what: str) -> None:
        dup = self.frame.duplicated(subset=columns, keep="first").to_numpy()
        bad = np.flatnonzero(dup)
        if bad.size:
            i = int(bad[0])
            first = self.frame[columns].iloc[:i]
            same = (first == self.frame[columns].iloc[i]).all(axis=1).to_numpy()
            earlier = int(self.line_of[int(np.flatnonzero(same)[0])])
            raise FormatError(
                f"duplicate {what}: same as line {earlier}",
                file=self.path,
                line=int(self.line_of[i]),
                field=columns[0],
            )

    def lines(self) -> np.ndarray:
        return self.line_of

    def exact(self, columns: Collection[str]) -> dict[str, np.ndarray]:
        """The exact text of each amount column (``TEXT_COLUMNS``), beside the floats it
        was validated as: the file's decimal, canonical (``io.amounts``); "" for a cell
        left empty, also where the floats hold the default it stands for (fees 0, a
        rename's quantity 1: ``book.defaults``), so the store keeps it as NULL and an
        export writes it empty again."""
        return {TEXT_COLUMNS[c]: decimal_texts(self.text(c)) for c in columns}


_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")  # a blank line after the first
_BLANK_FIRST = re.compile(r"[ \t]*\r?\n")


def _splits_in_range(t: _Table, company: pd.Series, ratio: pd.Series, is_split: BoolArray) -> None:
    """All of a company's splits together stay within ``MAX_SPLIT`` squared either way (a
    share count divided by a vanishing factor would be infinite)."""
    rows = np.flatnonzero(is_split)
    if not rows.size:
        return
    logs = pd.Series(np.log(ratio.to_numpy(dtype=float)[rows]), index=rows)
    running = logs.groupby(company.to_numpy()[rows]).cumsum()
    bound = 2 * np.log(MAX_SPLIT)
    over = np.zeros(t.n, dtype=bool)
    over[running.index[np.abs(running.to_numpy()) > bound]] = True
    t.fail(
        over,
        "quantity",
        f"this split takes the company's splits together beyond {MAX_SPLIT**2:g} either way",
    )


def record_lines(text: str, n: int) -> np.ndarray:
    """The physical line (1-based, as in an editor) where each of the ``n`` data rows of
    the CSV ``text`` starts: blank lines (which the reader skips) and newlines inside
    quoted fields are counted."""
    if '"' not in text and not _BLANK_FIRST.match(text) and not _BLANK_LINE.search(text):
        return np.arange(2, n + 2, dtype=np.int64)  # one row a line after the header
    starts: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    before = 0
    try:
        for row in reader:
            if len(row) > 1 or (row and row[0].strip()):
                starts.append(before + 1)
            before = reader.line_num
    except csv.Error:  # what pandas read and Python's reader refuses (a field over 128 KiB)
        starts = []
    if len(starts) != n + 1:  # not read as pandas read it: fall back to one row a line
        return np.arange(2, n + 2, dtype=np.int64)
    return np.asarray(starts[1:], dtype=np.int64)


def read_transactions_csv(
    path: str | Path,
    accounts: Mapping[str, Account],
    companies: Collection[str],
    public: Mapping[str, bool] | None = None,
    *,
    exact: bool = False,
) -> pd.DataFrame:
    """Transactions: ``date,account,company,action,quantity,price,fees``.

    Optional columns: ``currency`` (the row settles in it; default the account's),
    ``fx_rate`` (the rate it converted at; default that day's), ``lot`` (specific lots),
    ``into`` (the company an ``exchange``, ``spinoff`` or ``rename`` leads into).
    ``ref`` (a broker's id, kept by ``conviction import``).
    A split row's ``account`` may be empty: a split is a company event for every account,
    and so are the corporate actions ``exchange``, ``spinoff``, ``rename`` and ``listing``.
    ``public``: each company's ``public`` flag (a listing is of a private company).
    An empty ``fees`` is 0 and the empty quantity of a rename or listing 1 in the table
    (``book.defaults``).
    ``exact``: also the exact text of each amount (``quantity_text``, ``price_text``,
    ``fees_text``, ``fx_rate_text``: ``io.amounts``; "" for an empty cell, defaulted or
    not) and the ``ref`` column, after the columns of ``TRANSACTION_COLUMNS``, which the
    store keeps (an empty cell as NULL) and an export writes back.
    """
    path = Path(path)
    t = _Table(
        path,
        ("date", "account", "company", "action", "quantity"),
        ("price", "fees", "currency", "fx_rate", "lot", "into", "ref"),
    )
    dates = t.dates()
    action = t.one_of("action", ACTIONS, "action")
    is_trade = action.isin(_TRADE_ACTIONS).to_numpy()
    is_split = (action == "split").to_numpy()
    is_event = action.isin(_EVENT_ACTIONS).to_numpy()
    is_carry = action.isin(_CARRY_ACTIONS).to_numpy()
    is_company = is_trade | is_event
    account = t.text("account")
    company = t.text("company")
    into = t.text("into")
    t.fail(
        (account == "").to_numpy() & ~is_split & ~is_event,
        "account",
        "an account is required for this action",
    )
    t.known(account, "account", accounts, "account", where=(account != "").to_numpy())
    t.fail(
        is_company & (company == "").to_numpy(), "company", "a company is required for this action"
    )
    t.fail(
        ~is_company & (company != "").to_numpy(),
        "company",
        "deposit and withdraw rows take no company (got {value!r})",
    )
    t.known(company, "company", companies, "company", where=is_company)
    t.fail(
        is_carry & (into == "").to_numpy(),
        "into",
        "an exchange, spinoff or rename names the company it leads into in 'into'",
    )
    t.fail(
        ~is_carry & (into != "").to_numpy(),
        "into",
        "only exchange, spinoff and rename rows take 'into' (got {value!r})",
    )
    t.known(into, "into", companies, "company", where=is_carry)
    t.fail(
        is_carry & (into == company).to_numpy(),
        "into",
        "a company cannot lead into itself ({value!r})",
    )
    is_listing = (action == "listing").to_numpy()
    if public is not None:
        listed_public = company.map(lambda c: bool(public.get(c, False))).to_numpy(dtype=bool)
        t.fail(
            is_listing & listed_public,
            "company",
            "{value!r} is already public (public = true): only a private company lists",
        )
    t.fail(
        _repeated(company, is_listing),
        "company",
        "{value!r} lists twice",
    )

    # a rename and a listing need no quantity (a rename's ratio is 1)
    optional_qty = is_listing | (action == "rename").to_numpy()
    quantity = t.numbers("quantity", required=~optional_qty)
    quantity = pd.Series(quantities_filled(quantity, action), index=quantity.index)
    is_ratio = (action.isin(["exchange", "spinoff"])).to_numpy()
    t.fail(
        is_ratio & (quantity <= 0).to_numpy(),
        "quantity",
        "the ratio (new shares per old share) must be positive, got {value}",
    )
    t.fail(
        (quantity <= 0).to_numpy(),
        "quantity",
        "quantity must be positive, got {value} (a sale is action 'sell', not a negative buy)",
    )
    t.fail(
        (action == "rename").to_numpy() & (quantity != 1).to_numpy(),
        "quantity",
        "a rename keeps every share (ratio 1; leave quantity empty), got {value}: "
        "use 'exchange' for another ratio",
    )
    t.fail(
        (is_split | is_ratio) & ((quantity < 1 / MAX_SPLIT) | (quantity > MAX_SPLIT)).to_numpy(),
        "quantity",
        f"a split's or exchange's ratio must lie between 1/{MAX_SPLIT:g} and {MAX_SPLIT:g}, "
        "got {value}",
    )
    _splits_in_range(t, company, quantity, is_split)
    needs_price = action.isin(["buy", "sell", "dividend", "spinoff"]).to_numpy()
    price = t.numbers("price", required=needs_price)
    is_spinoff = (action == "spinoff").to_numpy()
    t.fail(
        is_spinoff & ((price <= 0) | (price >= 1)).to_numpy(),
        "price",
        "a spinoff's price is the fraction of the cost basis that moves to the new company, "
        "strictly between 0 and 1; got {value}",
    )
    t.fail(
        (is_event & ~is_spinoff) & price.notna().to_numpy(),
        "price",
        "an exchange, rename or listing takes no price (got {value}; cash in lieu is a "
        "'sell' row of the fraction)",
    )
    t.fail(needs_price & (price <= 0).to_numpy(), "price", "price must be positive, got {value}")
    given_fees = t.numbers("fees")  # an empty fee is none (book.defaults)
    fees = pd.Series(fees_filled(given_fees), index=given_fees.index)
    t.fail((fees < 0).to_numpy(), "fees", "fees cannot be negative, got {value}")
    t.fail(is_event & (fees > 0).to_numpy(), "fees", "a corporate action takes no fees")
    currency = t.text("currency").str.upper()
    t.fail(
        ((currency != "") & ~currency.isin(list(ISO_4217))).to_numpy(),
        "currency",
        "unknown currency code {value!r} (expected an ISO 4217 code)",
    )
    fx_rate = t.numbers("fx_rate")
    t.fail((fx_rate <= 0).to_numpy(), "fx_rate", "fx_rate must be positive, got {value}")
    lot = t.text("lot")
    t.fail(
        (lot.str.len() > MAX_LOT).to_numpy(),
        "lot",
        f"lot label is longer than {MAX_LOT} characters",
    )
    t.no_duplicates(
        ["date", "account", "company", "action", "quantity", "price", "lot", "into", "ref"],
        "transaction",
    )
    frame = pd.DataFrame(
        {
            "date": dates,
            "account": account.to_numpy(dtype=object),
            "company": company.to_numpy(dtype=object),
            "action": action.to_numpy(dtype=object),
            "quantity": quantity.to_numpy(),
            "price": price.to_numpy(),
            "fees": fees.to_numpy(),
            "currency": currency.to_numpy(dtype=object),
            "fx_rate": fx_rate.to_numpy(),
            "lot": lot.to_numpy(dtype=object),
            "into": into.to_numpy(dtype=object),
            "file": str(path),
            "line": t.lines(),
        },
        columns=list(TRANSACTION_COLUMNS),
    )
    if exact:
        for name, texts in t.exact(("quantity", "price", "fees", "fx_rate")).items():
            frame[name] = texts
        frame["ref"] = t.text("ref").to_numpy(dtype=object)
    return frame


def _repeated(company: pd.Series, mask: BoolArray) -> BoolArray:
    """Rows of ``mask`` whose company has an earlier row of ``mask``."""
    out = np.zeros(len(company), dtype=bool)
    rows = np.flatnonzero(mask)
    out[rows] = company.iloc[rows].duplicated().to_numpy()
    return out


def read_marks_csv(
    path: str | Path, companies: Collection[str], *, exact: bool = False
) -> pd.DataFrame:
    """Marks: ``date,company,price,kind,source`` (+ ``grade`` A|B|C, default by kind).

    Prices are as they traded on the date (before later splits); the ledger applies
    splits. A round, tender or model mark of a private company is graded A, B, C by
    default (priced round, transaction between others, model); a close is A.
    ``exact``: also ``price_text``, the price's exact text (``io.amounts``), and
    ``grade_text``, the grade as the file gives it ("" for an empty cell, which the store
    keeps as NULL and an export writes empty).
    """
    path = Path(path)
    t = _Table(path, ("date", "company", "price", "kind"), ("source", "grade"))
    dates = t.dates()
    company = t.text("company")
    t.known(company, "company", companies, "company")
    price = t.numbers("price", required=np.ones(t.n, dtype=bool))
    t.fail((price <= 0).to_numpy(), "price", "price must be positive, got {value}")
    kind = t.one_of("kind", MARK_KINDS, "mark kind")
    grade = t.text("grade").str.upper()
    t.fail(
        ((grade != "") & ~grade.isin(list(MARK_GRADES))).to_numpy(),
        "grade",
        "grade {value!r} is not one of: A, B, C",
    )
    given = grade
    grade = grades_filled(grade, kind)
    t.no_duplicates(["date", "company", "kind"], "mark (same date, company and kind)")
    frame = pd.DataFrame(
        {
            "date": dates,
            "company": company.to_numpy(dtype=object),
            "price": price.to_numpy(),
            "kind": kind.to_numpy(dtype=object),
            "source": t.text("source").to_numpy(dtype=object),
            "grade": grade.to_numpy(dtype=object),
            "file": str(path),
            "line": t.lines(),
        },
        columns=list(MARK_COLUMNS),
    )
    if exact:
        frame["price_text"] = t.exact(("price",))["price_text"]
        frame[GRADE_TEXT] = given.to_numpy(dtype=object)  # "" where the cell is empty
    return frame


def read_fx_csv(path: str | Path, *, exact: bool = False) -> pd.DataFrame:
    """FX rates: ``date,pair,rate`` (+ ``source``); ``USDJPY`` = yen per dollar.

    Inverse pairs and crosses are derived when needed, so a pair and its inverse may not
    both be stored. ``exact``: also ``rate_text``, the rate's exact text (``io.amounts``).
    """
    path = Path(path)
    t = _Table(path, ("date", "pair", "rate"), ("source",))
    dates = t.dates()
    pair = t.text("pair").str.upper().str.replace("/", "", regex=False)
    base, quote = pair.str[:3], pair.str[3:]
    valid = (
        (pair.str.len() == 6)
        & base.isin(list(ISO_4217))
        & quote.isin(list(ISO_4217))
        & (base != quote)
    )
    t.fail(~valid.to_numpy(), "pair", "pair {value!r} is not two ISO 4217 codes like USDJPY")
    rate = t.numbers("rate", required=np.ones(t.n, dtype=bool))
    t.fail((rate <= 0).to_numpy(), "rate", "rate must be positive, got {value}")
    canonical = pd.Series(np.where(base < quote, pair, quote + base), index=pair.index)
    both = canonical.groupby(canonical).transform(lambda s: pair.loc[s.index].nunique() > 1)
    t.fail(
        both.to_numpy(dtype=bool),
        "pair",
        "pair {value!r} and its inverse are both stored (store one; the other is derived)",
    )
    frame = pd.DataFrame({"date": dates, "pair": pair})
    t.fail(frame.duplicated().to_numpy(), "date", "duplicate rate for this pair on {value}")
    out = pd.DataFrame(
        {
            "date": dates,
            "pair": pair.to_numpy(dtype=object),
            "rate": rate.to_numpy(),
            "source": t.text("source").to_numpy(dtype=object),
            "file": str(path),
            "line": t.lines(),
        },
        columns=list(FX_COLUMNS),
    )
    if exact:
        out["rate_text"] = t.exact(("rate",))["rate_text"]
    return out
