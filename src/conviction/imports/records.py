"""What every importer produces: a statement of broker rows, before they meet the book.

An importer (IBKR Flex, OFX, a mapped CSV) reads a broker file into a :class:`Statement`:
the broker's account number, the securities it names and :class:`BrokerRow` values, one per
row of the book's transactions CSV it will become. Matching securities to the book's
companies, dropping rows already imported and writing the file happen later, in
:mod:`conviction.imports.apply`, the same for every importer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

__all__ = ["BrokerRow", "Security", "Statement", "decimal_text"]

#: The actions a broker row can take: those of the transactions CSV (docs/formats.md).
ACTIONS = ("buy", "sell", "dividend", "split", "deposit", "withdraw")


@dataclass(frozen=True)
class Security:
    """A security as the broker names it; any of its keys may match a company."""

    symbol: str = ""
    isin: str = ""
    cusip: str = ""
    description: str = ""

    def ids(self) -> tuple[str, ...]:
        return tuple(k for k in (self.isin, self.cusip, self.symbol) if k)

    def label(self) -> str:
        ids = ", ".join(f"{n} {v}" for n, v in (("ISIN", self.isin), ("CUSIP", self.cusip)) if v)
        name = self.symbol or self.description or "?"
        return f"{name} ({ids})" if ids else name


@dataclass(frozen=True)
class BrokerRow:
    """One future row of the transactions CSV, with the broker's id in ``ref``.

    ``where`` says where it came from in the broker file (a line, or an element), for
    errors. ``security`` is set for buy, sell, dividend and split rows.
    """

    date: dt.date
    action: str
    quantity: Decimal
    ref: str
    where: str
    security: Security | None = None
    price: Decimal | None = None
    fees: Decimal = Decimal(0)
    currency: str = ""
    company: str = ""
    account_wide: bool = False  # a split: a company event, the account cell stays empty


@dataclass
class Statement:
    """A broker file read: its account number (when it says one) and its rows."""

    file: Path
    kind: str
    broker_account: str | None
    rows: list[BrokerRow] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what was read but has no row
    account_field: str = "account"  # where the file says its account, for errors
    account_line: int | None = None


def decimal_text(value: Decimal | None) -> str:
    """A decimal as the CSV holds it: plain digits, no exponent, no trailing zeros."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
