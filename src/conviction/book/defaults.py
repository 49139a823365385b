"""The values a book's empty cells stand for, applied where the tables are read.

A cell the user left empty is not a value: the store keeps it as NULL (schema 0008) and an
export writes it back empty. What the ledger computes with is the default it stands for,
filled in by the readers of the book's tables (the CSV readers in ``io.csv_tables`` and the
database's reader in ``store.reading``), so every reader gives the ledger the same table:

- ``fees``: empty is no fee, 0;
- ``quantity`` of a ``rename`` or a ``listing``: empty is a ratio of 1 (a rename keeps
  every share; a listing has no quantity);
- ``grade`` of a mark: empty is its kind's grade (``DEFAULT_GRADE``: A for a close or a
  round, B for a tender, C for a model).

Every other empty cell (a price, an FX rate, a currency, a lot ...) is missing in the
tables too (NaN or "") and the ledger reads it as such.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from conviction._typing import DEFAULT_GRADE

__all__ = [
    "DEFAULT_FEES",
    "DEFAULT_RATIO",
    "RATIO_ACTIONS",
    "fees_filled",
    "grades_filled",
    "quantities_filled",
]

#: An empty fee.
DEFAULT_FEES = 0.0
#: The quantity (ratio) of a rename or listing whose quantity is empty.
DEFAULT_RATIO = 1.0
#: The actions whose quantity may be empty.
RATIO_ACTIONS = ("rename", "listing")


def fees_filled(fees: Any) -> np.ndarray:
    """Fees as float64, an empty (NaN) fee as 0."""
    values = np.asarray(fees, dtype=float)
    missing = np.isnan(values)
    if missing.any():
        values = np.where(missing, DEFAULT_FEES, values)
    return values


def quantities_filled(quantity: Any, action: Any) -> np.ndarray:
    """Quantities as float64, the empty (NaN) quantity of a rename or listing as 1."""
    values = np.asarray(quantity, dtype=float)
    missing = np.isnan(values)
    if missing.any():
        ratio = pd.Series(np.asarray(action, dtype=object)).isin(RATIO_ACTIONS).to_numpy()
        values = np.where(missing & ratio, DEFAULT_RATIO, values)
    return values


def grades_filled(grade: pd.Series, kind: pd.Series) -> pd.Series:
    """Mark grades, an empty one ("") as its kind's grade (``DEFAULT_GRADE``)."""
    empty = (grade == "").to_numpy(dtype=bool)
    if not empty.any():
        return grade
    default = pd.Series(kind.to_numpy(), index=grade.index).map(DEFAULT_GRADE)
    return grade.where(~empty, default.fillna("")).astype(grade.dtype)
