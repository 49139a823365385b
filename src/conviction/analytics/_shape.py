"""One place that turns the accepted inputs into a (time, columns) array and back.

Every metric accepts a 1-D array, a 2-D (time, columns) array, a pandas Series or a
DataFrame. The kernels only ever see a float64 (time, columns) array with NaN for a
missing observation; this module remembers what came in so the answer goes back out in
the same kind: a float for 1-D input, one value per column for 2-D input (an array, or a
Series indexed by the DataFrame's columns).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from conviction._typing import Float64Array

#: What every metric accepts: returns (or prices, for ``simple_returns``) over time.
ArrayLike2: TypeAlias = "npt.NDArray[np.floating[Any]] | pd.Series | pd.DataFrame"

_Kind = Literal["array1", "array2", "series", "frame"]


@dataclass(frozen=True)
class Shaped:
    """An input as a float64 (time, columns) array, and how to give results back."""

    values: Float64Array
    kind: _Kind
    index: pd.Index | None = None
    columns: pd.Index | None = None
    name: Hashable | None = None

    @property
    def one_d(self) -> bool:
        return self.kind in ("array1", "series")

    def scalar(self, result: Float64Array) -> Any:
        """Per-column results (shape (columns,)) in the caller's kind."""
        if self.one_d:
            return float(result[0])
        if self.kind == "frame":
            return pd.Series(result, index=self.columns, dtype=float)
        return result

    def series(self, result: Float64Array, index: pd.Index | None = None) -> Any:
        """A (time', columns) result in the caller's kind; ``index`` for pandas inputs."""
        idx = self.index if index is None else index
        if self.kind == "array1":
            return result[:, 0]
        if self.kind == "array2":
            return result
        if self.kind == "series":
            return pd.Series(result[:, 0], index=idx, name=self.name)
        return pd.DataFrame(result, index=idx, columns=self.columns)


def as_2d(data: ArrayLike2) -> Shaped:
    """Read an input once; raise ``ValueError`` for anything but 1-D or 2-D numbers."""
    if isinstance(data, pd.DataFrame):
        values = data.to_numpy(dtype=np.float64, na_value=np.nan)
        return Shaped(values, "frame", index=data.index, columns=data.columns)
    if isinstance(data, pd.Series):
        values = data.to_numpy(dtype=np.float64, na_value=np.nan)[:, None]
        return Shaped(values, "series", index=data.index, name=data.name)
    arr = np.asarray(data, dtype=np.float64)
    if arr.ndim == 1:
        return Shaped(arr[:, None], "array1")
    if arr.ndim == 2:
        return Shaped(arr, "array2")
    raise ValueError(f"expected 1-D or 2-D data (time, columns), got {arr.ndim} dimensions")


def f64(a: Any) -> Float64Array:
    """``a`` as a float64 array (no copy when it already is one); for the type checker too."""
    return np.asarray(a, dtype=np.float64)


def safe_divide(num: Float64Array, den: Float64Array) -> Float64Array:
    """num / den, NaN where den is 0 or NaN (an undefined ratio, never an infinity)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((den != 0) & ~np.isnan(den), num / den, np.nan)
