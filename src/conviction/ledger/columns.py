"""Text columns of the book's tables as arrays, without one Python object per value.

The tables keep text as Arrow strings (pandas' ``str`` dtype). Turning a million of them
into a NumPy object array costs about 0.4 s; factorizing them (Arrow's dictionary encoding)
costs a tenth of that, and a column has few distinct values (accounts, companies, actions,
files), so each is converted once and the rest is integer indexing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from conviction._typing import IntArray

__all__ = ["codes_in", "objects"]


def codes_in(values: pd.Series | np.ndarray, names: Sequence[str]) -> IntArray:
    """Each value's position in ``names`` (-1 where it is not one of them)."""
    codes, distinct = pd.factorize(values)
    where = pd.Index(list(names)).get_indexer(pd.Index(distinct, dtype=object))
    return np.append(where, -1).astype(np.int64)[codes]  # factorize's -1 (missing) -> -1


def objects(values: pd.Series | np.ndarray) -> np.ndarray:
    """The column as a NumPy array of Python strings (object dtype)."""
    codes, distinct = pd.factorize(values)
    table = np.empty(len(distinct) + 1, dtype=object)
    table[:-1] = list(distinct)
    table[-1] = None  # missing values (factorize code -1)
    return table[codes]
