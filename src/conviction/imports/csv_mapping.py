"""Broker CSV exports, read through a mapping TOML (validated by pydantic).

A mapping names the broker's columns, its date format, its decimal and thousands
separators, the currency (a column or one fixed code) and the words it uses for each
action. Ready mappings ship in ``conviction/imports/mappings/`` (``schwab``,
``fidelity``); ``--mapping NAME`` picks one of them, ``--mapping FILE.toml`` a file of
one's own (docs/imports.md). A word of the action column that the mapping does not know is
an error naming the file, the line and the column: a new kind of row is never guessed.
Each row's reference is ``csv:<mapping>:<id column>`` or, when the export has no id
column, a hash of the row's cells (the same row in an overlapping export is the same row;
the same cells twice in one export are two rows, ``<hash>`` and ``<hash>-2``). Blank lines
before the header, and lines after it with no date and no action word (a broker's totals
and disclaimers), are skipped and listed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import tomllib
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from conviction.errors import FormatError
from conviction.imports.records import BrokerRow, Security, Statement

__all__ = ["CsvMapping", "load_mapping", "read_csv_export", "shipped_mappings"]

Action = Literal["buy", "sell", "dividend", "deposit", "withdraw", "fee", "ignore"]


class Columns(BaseModel):
    """Which broker column holds each field (a list sums several, e.g. two fee columns)."""

    model_config = ConfigDict(extra="forbid")
    date: str
    action: str
    symbol: str = ""
    isin: str = ""
    cusip: str = ""
    description: str = ""
    quantity: str = ""
    price: str = ""
    fees: list[str] = Field(default_factory=list)
    amount: str = ""
    currency: str = ""
    id: str = ""
    account: str = ""


class CsvMapping(BaseModel):
    """A broker's CSV layout."""

    model_config = ConfigDict(extra="forbid")
    name: str
    columns: Columns
    date_format: str = "%Y-%m-%d"
    decimal: Literal[".", ","] = "."
    thousands: Literal[",", ".", " ", "'", ""] = ","
    delimiter: str = ","
    currency: str = ""  # a fixed currency when there is no currency column
    skip_lines: int = Field(0, ge=0)  # lines before the header
    match: Literal["exact", "prefix"] = "exact"
    actions: dict[str, Action]  # broker word -> action
    securities: dict[str, str] = Field(default_factory=dict)  # ticker/ISIN/CUSIP -> company

    @field_validator("actions")
    @classmethod
    def _words(cls, value: dict[str, Action]) -> dict[str, Action]:
        return {k.strip().lower(): v for k, v in value.items()}


def shipped_mappings() -> list[str]:
    """The names of the mappings that ship with conviction."""
    root = resources.files("conviction.imports") / "mappings"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def load_mapping(name_or_path: str | Path) -> tuple[CsvMapping, Path]:
    """A shipped mapping by name, or a mapping TOML file."""
    path = Path(name_or_path)
    if not path.suffix and str(name_or_path) in shipped_mappings():
        res = resources.files("conviction.imports") / "mappings" / f"{name_or_path}.toml"
        text = res.read_text(encoding="utf-8")
        path = Path(str(res))
    else:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            known = ", ".join(shipped_mappings())
            raise FormatError(
                f"no such mapping file or shipped mapping (shipped: {known}) ({exc.strerror})",
                file=path,
            ) from None
    try:
        data = tomllib.loads(text)
        return CsvMapping.model_validate(data), path
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(f"not valid TOML ({exc})", file=path) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise FormatError(first["msg"], file=path, field=field) from None


def read_csv_export(path: Path, mapping: CsvMapping) -> Statement:
    """The rows of one broker CSV export, read with ``mapping``."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise FormatError(f"cannot read the file ({exc.strerror})", file=path) from None
    except UnicodeDecodeError:
        raise FormatError("not UTF-8 text", file=path) from None
    lines = text.splitlines(keepends=True)
    skip = mapping.skip_lines
    while skip < len(lines) and not lines[skip].strip():  # blank lines before the header
        skip += 1
    body = "".join(lines[skip:])
    reader = csv.reader(io.StringIO(body), delimiter=mapping.delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise FormatError("empty file (expected a header line)", file=path) from None
    cols = mapping.columns
    wanted = [
        cols.date,
        cols.action,
        cols.symbol,
        cols.isin,
        cols.cusip,
        cols.quantity,
        cols.price,
        cols.amount,
        cols.currency,
        cols.id,
        cols.account,
        *cols.fees,
    ]
    head_line = skip + 1
    for name in wanted:
        if name and name not in header:
            raise FormatError(f"missing column '{name}'", file=path, line=head_line, field=name)
    index = {h: i for i, h in enumerate(header)}
    statement = Statement(path, f"csv:{mapping.name}", None, account_field=cols.account)
    accounts: set[str] = set()
    first_line: dict[str, int] = {}
    seen: dict[str, int] = {}
    for cells in reader:
        line = head_line + reader.line_num - 1
        cell = _Cells(cells, index, path, line, mapping)
        if not cell.get(cols.date):  # blank lines and the notes some brokers add at the end
            continue
        try:
            day = dt.datetime.strptime(
                cell.get(cols.date).split(" as of ")[0], mapping.date_format
            ).date()
        except ValueError:
            # a trailing disclaimer or a total line ("Transactions Total",,,..,"$-26.12"):
            # no date and no action word, so not a row
            if len(cells) < len(header) // 2 or not cell.get(cols.action):
                statement.skipped.append(f"line {line}: {cell.get(cols.date)[:40]} (no date)")
                continue
            raise FormatError(
                f"expected a date like {mapping.date_format}, got {cell.get(cols.date)!r}",
                file=path,
                line=line,
                field=cols.date,
            ) from None
        word = cell.get(cols.action)
        action = _action(word, mapping)
        if action is None:
            raise FormatError(
                f"unknown action word {word!r} (the mapping '{mapping.name}' knows: "
                f"{', '.join(sorted(mapping.actions))})",
                file=path,
                line=line,
                field=cols.action,
            )
        if action == "ignore":
            statement.skipped.append(f"line {line}: {word}")
            continue
        if cols.account and cell.get(cols.account):
            if cell.get(cols.account) not in accounts:
                first_line.setdefault(cell.get(cols.account), line)
            accounts.add(cell.get(cols.account))
        currency = (cell.get(cols.currency) if cols.currency else mapping.currency).upper()
        fees = sum((abs(cell.number(f) or Decimal(0)) for f in cols.fees), Decimal(0))
        if cols.id:
            ref_id = cell.get(cols.id)
            if not ref_id:
                raise FormatError(
                    "the id column is empty (a row's id is how a re-import knows it)",
                    file=path,
                    line=line,
                    field=cols.id,
                )
        else:  # the row's cells; the same row twice in one export gets -2, -3...
            raw = "\x1f".join(c.strip() for c in cells)
            ref_id = hashlib.sha1(raw.encode()).hexdigest()[:16]
            seen[ref_id] = seen.get(ref_id, 0) + 1
            if seen[ref_id] > 1:
                ref_id = f"{ref_id}-{seen[ref_id]}"
        ref = f"csv:{mapping.name}:{ref_id}"
        where = f"line {line}"
        security = Security(
            symbol=cell.get(cols.symbol),
            isin=cell.get(cols.isin),
            cusip=cell.get(cols.cusip),
            description=cell.get(cols.description),
        )
        if action in ("buy", "sell"):
            qty = cell.number(cols.quantity, required=True)
            price = cell.number(cols.price, required=True)
            assert qty is not None and price is not None
            statement.rows.append(
                BrokerRow(
                    day,
                    action,
                    abs(qty),
                    ref,
                    where,
                    security=security,
                    price=abs(price),
                    fees=fees,
                    currency=currency,
                )
            )
            continue
        amount = cell.number(cols.amount, required=True)
        assert amount is not None
        if amount == 0:
            continue
        if action == "dividend" and amount > 0:
            statement.rows.append(
                BrokerRow(
                    day,
                    "dividend",
                    Decimal(1),
                    ref,
                    where,
                    security=security,
                    price=amount,
                    currency=currency,
                )
            )
        elif action in ("deposit", "withdraw", "fee", "dividend"):
            kind = "deposit" if amount > 0 else "withdraw"
            statement.rows.append(BrokerRow(day, kind, abs(amount), ref, where, currency=currency))
    if len(accounts) == 1:
        statement.broker_account = accounts.pop()
        statement.account_line = first_line[statement.broker_account]
    elif len(accounts) > 1:
        second = sorted(first_line.values())[1]
        raise FormatError(
            f"the export holds several accounts: {', '.join(sorted(accounts))}",
            file=path,
            line=second,
            field=cols.account,
        )
    return statement


def _action(word: str, mapping: CsvMapping) -> Action | None:
    key = word.strip().lower()
    if key in mapping.actions:
        return mapping.actions[key]
    if mapping.match == "prefix":
        best = [w for w in mapping.actions if key.startswith(w)]
        if best:
            return mapping.actions[max(best, key=len)]
    return None


class _Cells:
    def __init__(
        self, cells: list[str], index: dict[str, int], path: Path, line: int, mapping: CsvMapping
    ) -> None:
        self.cells, self.index, self.path, self.line, self.m = cells, index, path, line, mapping

    def get(self, column: str) -> str:
        i = self.index.get(column) if column else None
        return self.cells[i].strip() if i is not None and i < len(self.cells) else ""

    def number(self, column: str, *, required: bool = False) -> Decimal | None:
        text = self.get(column)
        if not text:
            if required:
                raise FormatError(
                    "a number is required here", file=self.path, line=self.line, field=column
                )
            return None
        clean = text.replace("$", "").replace("€", "").replace("£", "").strip()
        negative = clean.startswith("(") and clean.endswith(")")
        clean = clean.strip("()")
        if self.m.thousands:
            clean = clean.replace(self.m.thousands, "")
        if self.m.decimal == ",":
            clean = clean.replace(",", ".")
        try:
            value = Decimal(clean)
        except InvalidOperation:
            raise FormatError(
                f"expected a number, got {text!r}", file=self.path, line=self.line, field=column
            ) from None
        if not value.is_finite():
            raise FormatError(
                f"expected a finite number, got {text!r}",
                file=self.path,
                line=self.line,
                field=column,
            )
        return -value if negative else value
