"""Amounts as exact decimal text: what the store keeps and an export writes back.

Quantities, prices, fees, FX rates and mark prices are read from the book's files as
floats (the array code computes with floats) *and* as text, the decimal the file wrote,
which the store keeps digit for digit (docs/formats.md, "Exact amounts"). A value that
came as a float (a JSON number, a fetched price, a row stored before schema 0007) is kept
as the float's shortest decimal (``repr``), written out plainly: ``0.1``, never
``0.1000000000000000055``.

The text is canonical: a plain decimal, no exponent, no sign on a zero, no leading
``+``, no leading zeros (``1.10`` stays ``1.10``; ``1e3`` becomes ``1000``, ``.5``
becomes ``0.5``), so that SQLite (which keeps the text) and PostgreSQL (``NUMERIC``,
which keeps the digits and the scale) give back the same text.

In a text column (``TEXT_COLUMNS``, ``GRADE_TEXT``) a text is the cell as the file gave
it, and "" an empty cell: not given, stored as NULL (schema 0008) and exported empty,
whatever default the table's own column holds for it (``book.defaults``). A value that
is not a text (NaN: rows from elsewhere, a price file's) says nothing of the cell: the
table's own value is stored.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "GRADE_TEXT",
    "TEXT_COLUMNS",
    "amount_text",
    "decimal_texts",
    "float_text",
    "float_texts",
    "text_column",
]

#: The frame column that keeps the exact text of each amount column (a book read with
#: ``exact=True``: from its files, or from the database for an export).
TEXT_COLUMNS = {
    "quantity": "quantity_text",
    "price": "price_text",
    "fees": "fees_text",
    "fx_rate": "fx_rate_text",
    "rate": "rate_text",
}
#: The column of a book read with ``exact=True`` that keeps each mark's grade as given
#: ("" for an empty cell: the ``grade`` column holds the kind's grade, ``book.defaults``).
GRADE_TEXT = "grade_text"

# already canonical: a non-negative plain decimal without redundant zeros in front
_PLAIN = r"(?:0|[1-9][0-9]*)(?:\.[0-9]+)?"
_CANONICAL = re.compile(rf"(?:{_PLAIN}|-(?:[1-9][0-9]*(?:\.[0-9]+)?|0\.[0-9]*[1-9][0-9]*))")


def text_column(column: str) -> str:
    """The name of the column that keeps ``column``'s exact text."""
    return TEXT_COLUMNS[column]


def float_text(value: Any) -> str:
    """A float as the shortest plain decimal that reads back as the same float ("" for a
    missing value: None or NaN)."""
    if value is None:
        return ""
    x = float(value)
    if math.isnan(x):
        return ""
    text = repr(x)  # the shortest round trip; an exponent only below 1e-4 or from 1e16
    if "e" in text:
        text = np.format_float_positional(x, trim="-")
    elif text.endswith(".0"):
        text = text[:-2]
    return "0" if text in ("-0", "") else text


def float_texts(values: Any) -> list[str]:
    """:func:`float_text` of every value of an array or column."""
    floats = np.asarray(pd.Series(values).to_numpy(dtype=float, na_value=np.nan))
    return [float_text(x) for x in floats.tolist()]


def amount_text(value: Any) -> str:
    """The canonical text of an amount: a decimal text as :func:`decimal_texts` writes it,
    a float or an int as :func:`float_text` ("" for a missing value)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _canonical(value.strip())
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(int(value))
    return float_text(value)


def decimal_texts(raw: pd.Series) -> np.ndarray:
    """Each cell of ``raw`` (the file's text, already read as a finite number or empty) as
    its canonical decimal text; "" stays "". Vectorised: only cells that are not already
    canonical go through ``Decimal``."""
    text = raw.astype(str).str.strip()
    out = text.to_numpy(dtype=object)
    odd = ~text.str.fullmatch(_CANONICAL).to_numpy(dtype=bool) & (text != "").to_numpy()
    for i in np.flatnonzero(odd).tolist():
        out[i] = _canonical(str(out[i]))
    return out


def _canonical(text: str) -> str:
    if not text or _CANONICAL.fullmatch(text):
        return text
    try:
        return _decimal_text(Decimal(text))
    except InvalidOperation:  # not a decimal Python reads (the reader refused it first)
        return text


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        return ""
    if value.is_zero():
        value = abs(value)
    return format(value, "f")
