"""Read the book TOML: ``[book]``, ``[[person]]``, ``[[company]]``, ``[[account]]``.

Validated with pydantic in strict mode (unknown keys are errors, so a typo cannot pass
silently; a value of the wrong type is an error, not coerced: ``public = "yes"`` is not a
boolean, ``as_of = "2025-11-14"`` is text, not a TOML date; an integer is a number). Ids,
names and dates are held to the ranges of ``conviction.io.limits``. Every error names the
file, the line and the key.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from conviction.book.currencies import is_currency
from conviction.book.model import Account, BookMeta, Company, Link, Person
from conviction.errors import FormatError, UnknownIdError
from conviction.io.limits import MAX_ID, MAX_NAME, MAX_TICKER, date_error
from conviction.io.text_files import read_text_file
from conviction.io.toml_lines import locate

__all__ = ["BookFile", "read_book_toml", "toml_error_line", "type_error_message"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


Id = Annotated[str, Field(min_length=1, max_length=MAX_ID)]
Name = Annotated[str, Field(max_length=MAX_NAME)]

#: What a TOML value of each pydantic type must look like, for the error messages.
_EXPECTED = {
    "bool_type": "true or false",
    "int_type": "a whole number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "string_type": "text in quotes",
    "date_type": "a TOML date like 2025-11-14 (not in quotes)",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
}


def type_error_message(error: Any, key: str | None) -> str | None:
    """A message for a value of the wrong type or length (None for other errors)."""
    kind = error["type"]
    what = f"'{key}'" if key else "value"
    if kind in _EXPECTED:
        return f"{what} must be {_EXPECTED[kind]}, got {error.get('input')!r}"
    if kind == "string_too_long":
        limit = error.get("ctx", {}).get("max_length")
        return f"{what} is longer than {limit} characters"
    return None


def _in_range(value: dt.date | None) -> dt.date | None:
    if value is not None and (why := date_error(value)) is not None:
        raise ValueError(why)
    return value


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not is_currency(code):
        raise ValueError(f"unknown currency code {value!r} (expected an ISO 4217 code)")
    return code


class _BookTable(_Strict):
    name: Name
    currency: str = "USD"
    as_of: dt.date | None = None
    long_term_days: int = Field(default=365, gt=0)
    calendar: str = Field(default="XNYS", min_length=1, max_length=20)
    transactions: str | None = None
    marks: str | None = None
    fx: str | None = None
    prices: dict[str, str] = Field(default_factory=dict)
    theses: str | None = None
    projections: list[str] = Field(default_factory=list)

    _cur = field_validator("currency")(_currency)
    _as_of = field_validator("as_of")(_in_range)

    @field_validator("calendar")
    @classmethod
    def _calendar(cls, value: str) -> str:
        from conviction.ledger.sessions import calendar_error

        if (why := calendar_error(value)) is not None:
            raise ValueError(why)
        return value


class _PersonTable(_Strict):
    id: Id
    name: Name


class _LinkTable(_Strict):
    to: str
    kind: str = Field(default="related", max_length=60)


class _CompanyTable(_Strict):
    id: Id
    name: Name
    public: bool = True
    ticker: str | None = Field(default=None, max_length=MAX_TICKER)
    currency: str | None = None
    key_people: list[str] = Field(default_factory=list)
    key_people_weights: list[float] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)
    links: list[_LinkTable] = Field(default_factory=list)

    @field_validator("currency")
    @classmethod
    def _cur(cls, value: str | None) -> str | None:
        return None if value is None else _currency(value)

    @field_validator("key_people_weights")
    @classmethod
    def _weights(cls, value: list[float]) -> list[float]:
        if any(w < 0 for w in value) or (value and sum(value) <= 0):
            raise ValueError("weights must be non-negative with a positive sum")
        return value


class _AccountTable(_Strict):
    id: Id
    name: Name
    kind: Literal["client", "fund", "personal"] = "client"
    currency: str | None = None
    max_weight: float | None = Field(default=None, gt=0, le=1)
    lot_method: Literal["fifo", "lifo", "hifo", "average", "specific"] = "fifo"

    @field_validator("currency")
    @classmethod
    def _cur(cls, value: str | None) -> str | None:
        return None if value is None else _currency(value)


class _Document(_Strict):
    book: _BookTable
    person: list[_PersonTable] = Field(default_factory=list)
    company: list[_CompanyTable] = Field(default_factory=list)
    account: list[_AccountTable] = Field(default_factory=list)
    # Sections owned by other parts (theses, review, projection) may live in the same file.
    scorecard: list[dict[str, Any]] = Field(default_factory=list)
    thesis: list[dict[str, Any]] = Field(default_factory=list)
    review: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class BookFile:
    """What the book TOML says: reference data and where its tables are."""

    path: Path
    meta: BookMeta
    persons: dict[str, Person]
    companies: dict[str, Company]
    accounts: dict[str, Account]
    transactions: Path | None
    marks: Path | None
    fx: Path | None
    prices: dict[str, Path]
    theses: Path | None
    projections: tuple[Path, ...]


def read_book_toml(path: str | Path) -> BookFile:
    """Parse and validate a book TOML file."""
    path = Path(path)
    text = read_text_file(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(f"invalid TOML: {exc}", file=path, line=toml_error_line(exc)) from None
    try:
        doc = _Document.model_validate(raw)
    except ValidationError as exc:
        raise _located(exc, text, path) from None
    return _build(doc, text, path)


def toml_error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    """The line of a TOML syntax error (Python < 3.14 only says it in the message)."""
    line = getattr(exc, "lineno", None)
    if line is None:
        match = re.search(r"at line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
    return line


def _located(exc: ValidationError, text: str, path: Path) -> FormatError:
    first = exc.errors()[0]
    loc = [str(p) for p in first["loc"]]
    table = loc[0] if loc else None
    index = int(loc[1]) if len(loc) > 1 and loc[1].isdigit() else None
    key = loc[2] if index is not None and len(loc) > 2 else (loc[1] if len(loc) > 1 else None)
    if key is not None and key.isdigit():
        key = None
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "missing":
        message = f"missing required key '{key}'" if key else f"missing required table [{table}]"
    elif first["type"] == "extra_forbidden":
        message = f"unknown key '{key}'"
    else:
        message = type_error_message(first, key or table) or message
    line = locate(text, table, index, key) if table else None
    where = f"{table}[{index}].{key}" if index is not None else ".".join(loc)
    return FormatError(message, file=path, line=line, field=where)


def _build(doc: _Document, text: str, path: Path) -> BookFile:
    book_currency = doc.book.currency

    def fail(msg: str, table: str, index: int, key: str, cls: type = UnknownIdError) -> None:
        raise cls(
            msg,
            file=path,
            line=locate(text, table, index, key),
            field=f"{table}[{index}].{key}",
        )

    persons: dict[str, Person] = {}
    for i, p in enumerate(doc.person):
        if p.id in persons:
            fail(f"duplicate person id {p.id!r}", "person", i, "id", FormatError)
        persons[p.id] = Person(id=p.id, name=p.name)

    companies: dict[str, Company] = {}
    for i, c in enumerate(doc.company):
        if c.id in companies:
            fail(f"duplicate company id {c.id!r}", "company", i, "id", FormatError)
        for person in c.key_people:
            if person not in persons:
                fail(f"unknown person {person!r} (not a [[person]] id)", "company", i, "key_people")
        if c.key_people_weights and len(c.key_people_weights) != len(c.key_people):
            fail(
                "key_people_weights must have one weight per key person",
                "company",
                i,
                "key_people_weights",
                FormatError,
            )
        companies[c.id] = Company(
            id=c.id,
            name=c.name,
            public=c.public,
            ticker=c.ticker,
            currency=c.currency or book_currency,
            key_people=tuple(c.key_people),
            key_people_weights=tuple(c.key_people_weights),
            themes=tuple(c.themes),
            links=tuple(sorted(Link(to=lk.to, kind=lk.kind) for lk in c.links)),
        )
    for i, c in enumerate(doc.company):
        for link in c.links:
            if link.to not in companies:
                fail(f"link to unknown company {link.to!r}", "company", i, "links")

    accounts: dict[str, Account] = {}
    for i, a in enumerate(doc.account):
        if a.id in accounts:
            fail(f"duplicate account id {a.id!r}", "account", i, "id", FormatError)
        accounts[a.id] = Account(
            id=a.id,
            name=a.name,
            kind=a.kind,
            currency=a.currency or book_currency,
            max_weight=a.max_weight,
            lot_method=a.lot_method,
        )

    base = path.parent
    prices: dict[str, Path] = {}
    for company, file in doc.book.prices.items():
        if company not in companies:
            raise UnknownIdError(
                f"price file for unknown company {company!r}",
                file=path,
                line=locate(text, "book", None, "prices"),
                field=f"book.prices.{company}",
            )
        prices[company] = base / file

    def rel(name: str | None) -> Path | None:
        return None if name is None else base / name

    meta = BookMeta(
        name=doc.book.name,
        currency=book_currency,
        as_of=doc.book.as_of,
        long_term_days=doc.book.long_term_days,
        calendar=doc.book.calendar,
    )
    theses = rel(doc.book.theses)
    if theses is None and (doc.thesis or doc.scorecard):
        theses = path
    return BookFile(
        path=path,
        meta=meta,
        persons=persons,
        companies=companies,
        accounts=accounts,
        transactions=rel(doc.book.transactions),
        marks=rel(doc.book.marks),
        fx=rel(doc.book.fx),
        prices=prices,
        theses=theses,
        projections=tuple(base / p for p in doc.book.projections),
    )
