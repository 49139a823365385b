"""Returns from prices, said explicitly.

quantstats guesses whether a series holds prices or returns (``min >= 0 and max > 1``
means prices), which misreads a rarely-marked private holding whose one +150% return is
the only value above 1. Here the caller says which it is: ``simple_returns`` takes
prices, every metric takes returns, and ``to_returns(data, kind=...)`` is the one switch.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias, overload

import numpy as np
import pandas as pd

from conviction._typing import Float64Array
from conviction.analytics._kernels import wealth
from conviction.analytics._shape import ArrayLike2, as_2d

__all__ = ["DATA_KINDS", "DataKind", "simple_returns", "to_returns", "wealth_index"]

DataKind: TypeAlias = Literal["prices", "returns"]
DATA_KINDS: tuple[DataKind, ...] = ("prices", "returns")


@overload
def simple_returns(prices: pd.DataFrame) -> pd.DataFrame: ...
@overload
def simple_returns(prices: pd.Series) -> pd.Series: ...
@overload
def simple_returns(prices: Float64Array) -> Float64Array: ...
@overload
def simple_returns(prices: ArrayLike2) -> Any: ...
def simple_returns(prices: ArrayLike2) -> Any:
    """Simple returns ``p[t] / p[t-1] - 1``, one row fewer than the prices.

    The first row is dropped (it has no return), so a Series' returns are indexed by the
    date each return ends on. A missing price (NaN) makes the returns on both sides of it
    NaN: a gap is missing data, never a zero return. Raises ``ValueError`` for a price
    that is zero or negative.
    """
    shaped = as_2d(prices)
    p = shaped.values
    if np.any(p <= 0):
        raise ValueError("prices must be positive (a zero or negative price has no return)")
    r = p[1:] / p[:-1] - 1.0
    index = shaped.index[1:] if shaped.index is not None else None
    return shaped.series(r, index=index)


def to_returns(data: ArrayLike2, *, kind: DataKind) -> Any:
    """Returns from ``data``, which holds ``kind``: ``"prices"`` or ``"returns"``.

    Returns are passed through unchanged; prices go through ``simple_returns``. Raises
    ``ValueError`` for any other ``kind`` (there is no guessing).
    """
    if kind == "returns":
        return data
    if kind == "prices":
        return simple_returns(data)
    raise ValueError(f"kind must be 'prices' or 'returns', got {kind!r}")


@overload
def wealth_index(returns: pd.DataFrame, start: float = 1.0) -> pd.DataFrame: ...
@overload
def wealth_index(returns: pd.Series, start: float = 1.0) -> pd.Series: ...
@overload
def wealth_index(returns: Float64Array, start: float = 1.0) -> Float64Array: ...
def wealth_index(returns: ArrayLike2, start: float = 1.0) -> Any:
    """Value of ``start`` invested at the beginning: ``start * cumprod(1 + r)``.

    A missing return (NaN) holds the value flat, as quantstats' ``to_prices`` does.
    """
    shaped = as_2d(returns)
    return shaped.series(start * wealth(shaped.values))
