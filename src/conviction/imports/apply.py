"""From broker statements to rows of the book's transactions file, and into the database.

:func:`plan_import` does every check and builds the new file texts without writing
anything: the statement's account, the securities matched to the book's companies (by
ISIN, CUSIP or ticker; an import map may name any of them), the rows whose broker
reference is already in the file dropped. :func:`write_import` writes the texts, reads the
book back as ``conviction load`` does (every check of docs/formats.md) and runs ``after``
on it (the CLI loads it into the database); if any step fails, every file is put back as
it was, so a failed import changes nothing.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from conviction.book.model import Book
from conviction.errors import FormatError, InputError, UnknownIdError
from conviction.imports.records import BrokerRow, Statement, decimal_text
from conviction.io.book_reader import find_book_toml, read_book
from conviction.io.book_toml import read_book_toml

__all__ = ["ImportMap", "ImportPlan", "load_import_map", "plan_import", "write_import"]

#: The columns an imported row fills, in the order a new file's header gets them.
ROW_COLUMNS = (
    "date",
    "account",
    "company",
    "action",
    "quantity",
    "price",
    "fees",
    "currency",
    "ref",
)


@dataclass(frozen=True)
class ImportMap:
    """What the book TOML cannot say: broker account numbers and security ids.

    ``accounts``: book account id -> the broker's account number; ``securities``: a ticker,
    ISIN or CUSIP -> book company id.
    """

    accounts: Mapping[str, str] = field(default_factory=dict)
    securities: Mapping[str, str] = field(default_factory=dict)


def load_import_map(path: Path) -> ImportMap:
    """An import map TOML: ``[accounts] id = "U1234567"`` and ``[securities] ISIN = "id"``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise FormatError(f"cannot read the file ({exc.strerror})", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(f"not valid TOML ({exc})", file=path) from None
    for key in data:
        if key not in ("accounts", "securities"):
            raise FormatError(
                f"unknown table [{key}] (expected [accounts], [securities])", file=path, field=key
            )
    for table in ("accounts", "securities"):
        for k, v in data.get(table, {}).items():
            if not isinstance(v, str):
                raise FormatError(f"expected text, got {v!r}", file=path, field=f"{table}.{k}")
    return ImportMap(dict(data.get("accounts", {})), dict(data.get("securities", {})))


@dataclass
class ImportPlan:
    """What an import would do; nothing is written until :func:`write_import`."""

    toml: Path
    transactions: Path
    rows: list[dict[str, str]]  # the new rows, as CSV cells
    duplicates: int  # rows whose reference the file already holds
    skipped: list[str]
    new_companies: list[str]
    csv_text: str
    toml_text: str | None  # the book TOML with the created companies, when there are any


def plan_import(
    book_path: Path,
    statements: Iterable[Statement],
    account: str,
    *,
    mapping: ImportMap | None = None,
    create_companies: bool = False,
) -> ImportPlan:
    """Check the statements against the book and build the rows to add (writes nothing)."""
    mapping = mapping or ImportMap()
    toml = find_book_toml(book_path)
    spec = read_book_toml(toml)
    if account not in spec.accounts:
        known = ", ".join(spec.accounts) or "none"
        raise UnknownIdError(
            f"no account {account!r} in the book (accounts: {known})", file=toml, field="--account"
        )
    if spec.transactions is None:
        raise FormatError(
            "the book names no transactions file ([book] transactions = ...)",
            file=toml,
            field="transactions",
        )
    statements = list(statements)
    _check_accounts(statements, account, mapping)

    by_key: dict[str, str] = {}
    for cid, entry in spec.companies.items():
        if entry.ticker:
            by_key[entry.ticker.upper()] = cid
    for key, cid in mapping.securities.items():
        if cid not in spec.companies:
            raise UnknownIdError(
                f"the import map names no company of the book: {cid!r}", field=f"securities.{key}"
            )
        by_key[key.upper()] = cid

    rows = [r for s in statements for r in s.rows]
    files = {id(r): s.file for s in statements for r in s.rows}
    unmatched: dict[str, list[str]] = {}
    company_of: dict[int, str] = {}
    for r in rows:
        if r.security is None:
            continue
        found = next((by_key[k.upper()] for k in r.security.ids() if k.upper() in by_key), None)
        if found is None:
            unmatched.setdefault(r.security.label(), []).append(f"{files[id(r)]} ({r.where})")
        else:
            company_of[id(r)] = found
    new_companies: list[str] = []
    toml_text = None
    if unmatched and not create_companies:
        lines = [
            f"  {label}: {places[0]}" + (f" and {len(places) - 1} more" if len(places) > 1 else "")
            for label, places in unmatched.items()
        ]
        raise UnknownIdError(
            f"{len(unmatched)} securities match no company of the book (by ISIN, CUSIP or "
            "ticker); add them to book.toml, to an import map ([securities]), or pass "
            "--create-companies:\n" + "\n".join(lines),
            file=toml,
            field="company",
        )
    if unmatched:
        toml_text, created = _create_companies(toml, spec.companies, rows, company_of, by_key)
        new_companies = created

    header, existing = _read_raw(spec.transactions)
    refs = {row.get("ref", "") for row in existing} - {""}
    splits = {
        (row.get("date", ""), row.get("company", ""))
        for row in existing
        if row.get("action", "").strip() == "split"
    }
    new: list[dict[str, str]] = []
    duplicates = 0
    for r in rows:
        company = company_of.get(id(r), "")
        if r.ref in refs or (r.action == "split" and (r.date.isoformat(), company) in splits):
            duplicates += 1
            continue
        refs.add(r.ref)
        if r.action == "split":
            splits.add((r.date.isoformat(), company))
        new.append(_cells(r, account, company))
    columns = list(header) or list(ROW_COLUMNS[:7])
    for column in ROW_COLUMNS:
        if column not in columns and any(row.get(column) for row in new):
            columns.append(column)
    if not new:  # nothing to add: the file stays exactly as it is
        csv_text = spec.transactions.read_text(encoding="utf-8-sig")
    else:
        # existing rows keep their order; a new row goes after the rows of its date
        merged = _stable_merge(existing, new)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(merged)
        csv_text = buf.getvalue()
    skipped = [f"{s.file}: {x}" for s in statements for x in s.skipped]
    return ImportPlan(
        toml, spec.transactions, new, duplicates, skipped, new_companies, csv_text, toml_text
    )


def _stable_merge(
    existing: list[dict[str, str]], new: list[dict[str, str]]
) -> list[dict[str, str]]:
    new_sorted = sorted(new, key=lambda r: r["date"])  # sorted() is stable
    out: list[dict[str, str]] = []
    j = 0
    for row in existing:
        day = row.get("date", "").strip()
        while j < len(new_sorted) and new_sorted[j]["date"] < day:
            out.append(new_sorted[j])
            j += 1
        out.append(row)
    out.extend(new_sorted[j:])
    return out


def write_import(plan: ImportPlan, after: Callable[[Book], object] | None = None) -> Book:
    """Write the plan's files, read the book back, run ``after`` (a load); undo on failure.

    A file that cannot be written is a ``FormatError`` naming it; every file is then as it
    was (one the import created is removed)."""
    old_csv = plan.transactions.read_bytes() if plan.transactions.exists() else None
    old_toml = plan.toml.read_bytes() if plan.toml_text is not None else None
    touched: list[tuple[Path, bytes | None]] = []
    try:
        touched.append((plan.transactions, old_csv))
        _write_atomic(plan.transactions, plan.csv_text)
        if plan.toml_text is not None:
            touched.append((plan.toml, old_toml))
            _write_atomic(plan.toml, plan.toml_text)
        book = read_book(plan.toml)
        if after is not None:
            after(book)
        return book
    except BaseException as exc:
        for path, old in reversed(touched):
            with suppress(OSError):
                _tmp(path).unlink(missing_ok=True)
            with suppress(OSError):
                if old is None:
                    path.unlink(missing_ok=True)
                elif path.read_bytes() != old:
                    _write_atomic(path, old)
        if isinstance(exc, OSError):
            where = exc.filename or plan.transactions
            raise FormatError(
                f"cannot write the book's files ({exc.strerror})", file=where
            ) from None
        raise


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.import-tmp")


def _write_atomic(path: Path, data: str | bytes) -> None:
    tmp = _tmp(path)
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8", newline="")
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)


def _check_accounts(statements: list[Statement], account: str, mapping: ImportMap) -> None:
    expected = mapping.accounts.get(account)
    owner = {number: acct for acct, number in mapping.accounts.items()}
    for s in statements:
        if s.broker_account is None:
            continue
        if expected is not None and s.broker_account != expected:
            raise InputError(
                f"the statement is for broker account {s.broker_account}, but --account "
                f"{account} is broker account {expected}",
                file=s.file,
                line=s.account_line,
                field=s.account_field,
            )
        other = owner.get(s.broker_account)
        if other is not None and other != account:
            raise InputError(
                f"the statement is for broker account {s.broker_account}, which the import "
                f"map gives to account {other}, not {account}",
                file=s.file,
                line=s.account_line,
                field=s.account_field,
            )


def _cells(r: BrokerRow, account: str, company: str) -> dict[str, str]:
    return {
        "date": r.date.isoformat(),
        "account": "" if r.account_wide else account,
        "company": company,
        "action": r.action,
        "quantity": decimal_text(r.quantity),
        "price": decimal_text(r.price),
        "fees": decimal_text(r.fees) if r.action in ("buy", "sell", "dividend") else "",
        "currency": r.currency.upper() if r.action != "split" else "",
        "ref": r.ref,
    }


def _read_raw(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.exists():
        return [], []
    text = path.read_text(encoding="utf-8-sig")
    if not text.strip():
        return [], []
    reader = csv.DictReader(io.StringIO(text), skipinitialspace=True)
    header = [h.strip().lower() for h in reader.fieldnames or ()]
    reader.fieldnames = header
    rows = [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]
    return header, [r for r in rows if any(v.strip() for v in r.values())]


def _create_companies(
    toml: Path,
    companies: Mapping[str, object],
    rows: list[BrokerRow],
    company_of: dict[int, str],
    by_key: dict[str, str],
) -> tuple[str, list[str]]:
    text = toml.read_text(encoding="utf-8-sig")
    taken = set(companies)
    created: list[str] = []
    blocks: list[str] = []
    for r in rows:
        if r.security is None or id(r) in company_of:
            continue
        found = next((by_key[k.upper()] for k in r.security.ids() if k.upper() in by_key), None)
        if found is None:
            base = (
                re.sub(
                    r"[^a-z0-9]+",
                    "-",
                    (r.security.symbol or r.security.isin or r.security.cusip).lower(),
                ).strip("-")
                or "co"
            )
            cid, n = base, 2
            while cid in taken:
                cid, n = f"{base}-{n}", n + 1
            taken.add(cid)
            created.append(cid)
            for k in r.security.ids():
                by_key[k.upper()] = cid
            name = r.security.description or r.security.symbol or cid
            block = [
                "\n[[company]]  # created by conviction import",
                f"id = {_q(cid)}",
                f"name = {_q(name)}",
            ]
            if r.security.symbol:
                block.append(f"ticker = {_q(r.security.symbol)}")
            if r.currency:
                block.append(f"currency = {_q(r.currency.upper())}")
            blocks.append("\n".join(block) + "\n")
            found = cid
        company_of[id(r)] = found
    sep = "" if text.endswith("\n") else "\n"
    return text + sep + "".join(blocks), created


def _q(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
