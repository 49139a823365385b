"""The arithmetic behind every metric, on a float64 (time, columns) array.

``Prepared`` reads the array once and keeps what several metrics share (the missing
mask, the counts, the NaN-as-zero copy, the value path, the drawdowns), each computed on
first use. The public metrics in ``stats`` build one and read one figure from it;
``summary_frame`` builds one and reads them all, so a panel of accounts pays for each
pass over memory once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from conviction._typing import BoolArray, Float64Array, IntArray
from conviction.analytics._shape import f64, safe_divide


def annualise_growth(growth: Float64Array, n: Float64Array, periods: float) -> Float64Array:
    """A growth factor over ``n`` observations as an annual rate; NaN where undefined."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        rate = np.abs(growth) ** (periods / n) - 1.0
    return f64(np.where((n > 0) & (growth >= 0), rate, np.nan))


def per_period_rf(rf: float, periods: float) -> float:
    """An annual risk-free rate as the rate of one period (quantstats' conversion)."""
    return 0.0 if rf == 0 else float((1.0 + rf) ** (1.0 / periods) - 1.0)


#: From this many columns on, a row-major array is accumulated one row at a time.
_ROW_LOOP_MIN_COLUMNS = 64


def running(op: np.ufunc, a: npt.NDArray[Any]) -> None:
    """``a[t] = op(a[t-1], a[t])`` down axis 0, in place (a running product, max, sum).

    ``op.accumulate`` along axis 0 of a wide row-major array walks memory with a stride
    of a whole row and is 2-4x slower than stepping through time one row at a time,
    each step vectorised over all columns (accounts, paths); narrow or column-major
    arrays use ``accumulate``.
    """
    if a.ndim == 2 and a.shape[1] >= _ROW_LOOP_MIN_COLUMNS and a.flags.c_contiguous:
        for t in range(1, a.shape[0]):  # over time; each step covers every column
            op(a[t - 1], a[t], out=a[t])
    else:
        op.accumulate(a, axis=0, out=a)


def wealth(r: Float64Array) -> Float64Array:
    """``cumprod(1 + r)`` down each column, a missing return holding the value flat."""
    w = np.array(r, dtype=np.float64, copy=True)
    w[np.isnan(w)] = 0.0
    w += 1.0
    running(np.multiply, w)
    return w


@dataclass(frozen=True)
class Prepared:
    """One (time, columns) array of returns, NaN where missing, and its shared pieces."""

    x: Float64Array

    @cached_property
    def missing(self) -> BoolArray:
        return np.isnan(self.x)

    @cached_property
    def n(self) -> Float64Array:
        """Observed returns per column."""
        return f64(self.x.shape[0] - self.missing.sum(axis=0))

    @cached_property
    def x0(self) -> Float64Array:
        """The returns with missing ones as 0."""
        return f64(np.where(self.missing, 0.0, self.x))

    @cached_property
    def mean(self) -> Float64Array:
        with np.errstate(invalid="ignore", divide="ignore"):
            return f64(np.where(self.n > 0, self.x0.sum(axis=0) / self.n, np.nan))

    @cached_property
    def std(self) -> Float64Array:
        """Sample standard deviation (ddof 1, pandas' two-pass formula).

        Exactly 0 when every observed value is the same: the float mean of identical
        values can miss them in the last bit, and a residue of 1e-19 would turn an
        undefined ratio into a huge finite one (empyrical guards the same way).
        """
        n, m = self.n, self.mean
        dev = self.x - m
        dev[self.missing] = 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.where(n > 1, np.einsum("ij,ij->j", dev, dev) / (n - 1), np.nan)
        # Only a column whose variance is at rounding level can be constant.
        suspect = np.flatnonzero((n > 1) & (var <= (1e-14 * np.abs(m)) ** 2))
        if suspect.size:
            sub = self.x[:, suspect]
            constant = np.fmax.reduce(sub, axis=0) == np.fmin.reduce(sub, axis=0)
            var[suspect[constant]] = 0.0
        return f64(np.sqrt(var))

    @cached_property
    def wealth(self) -> Float64Array:
        return wealth(self.x)

    @cached_property
    def growth(self) -> Float64Array:
        """prod(1 + r) over the observed returns."""
        if self.x.shape[0] == 0:
            return np.ones(self.x.shape[1])
        return f64(self.wealth[-1])

    @cached_property
    def drawdown(self) -> Float64Array:
        """value / running peak - 1, the peak starting from a phantom 1.0 (quantstats)."""
        w = self.wealth
        dd = np.maximum(w, 1.0)
        running(np.maximum, dd)
        np.divide(w, dd, out=dd)
        dd -= 1.0
        return dd

    @cached_property
    def runs(self) -> IntArray:
        """Length of the drawdown run each row belongs to so far (0 at a peak).

        A run counts consecutive rows below the running peak; a missing return keeps
        the value flat, so it neither starts nor ends a drawdown.
        """
        # run length = t - (the last row at a peak, on or before t; -1 if none yet)
        t = np.arange(self.x.shape[0], dtype=np.int64)[:, None]
        runs = np.where(self.drawdown < 0, -1, t)
        running(np.maximum, runs)
        np.subtract(t, runs, out=runs)
        return runs

    # --- the metrics (NaN for a column with nothing observed) ---------------------------

    def _observed(self, values: Float64Array) -> Float64Array:
        return f64(np.where(self.n > 0, values, np.nan))

    def total_return(self) -> Float64Array:
        return self._observed(self.growth - 1.0)

    def cagr(self, periods: float) -> Float64Array:
        return annualise_growth(self.growth, self.n, periods)

    def volatility(self, periods: float) -> Float64Array:
        return f64(self.std * np.sqrt(periods))

    def sharpe(self, rf: float, periods: float) -> Float64Array:
        # std(r - c) == std(r): the rate only moves the mean.
        excess = self.mean - per_period_rf(rf, periods)
        return f64(safe_divide(excess, self.std) * np.sqrt(periods))

    def sortino(self, rf: float, periods: float) -> Float64Array:
        c = per_period_rf(rf, periods)
        neg = np.minimum(self.x0 - c, 0.0) if c else np.minimum(self.x0, 0.0)
        if c:
            neg[self.missing] = 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            downside = np.sqrt(np.einsum("ij,ij->j", neg, neg) / self.n)
        return f64(safe_divide(self.mean - c, downside) * np.sqrt(periods))

    def max_drawdown(self) -> Float64Array:
        if self.x.shape[0] == 0:
            return np.full(self.x.shape[1], np.nan)
        return self._observed(self.drawdown.min(axis=0))

    def calmar(self, periods: float) -> Float64Array:
        return safe_divide(self.cagr(periods), np.abs(self.max_drawdown()))

    def longest_drawdown(self) -> Float64Array:
        return self._observed(f64(self.runs.max(axis=0, initial=0)))

    def current_drawdown(self) -> Float64Array:
        last = self.runs[-1] if self.x.shape[0] else np.zeros(self.x.shape[1])
        return self._observed(f64(last))

    def time_under_water(self) -> Float64Array:
        under = ((self.drawdown < 0) & ~self.missing).sum(axis=0)
        return safe_divide(f64(under), self.n)


def count(x: Float64Array) -> Float64Array:
    """Observed values per column (NaN is missing)."""
    return Prepared(x).n


def mean(x: Float64Array) -> Float64Array:
    """Mean per column over the observed values; NaN where none is observed."""
    return Prepared(x).mean


def std(x: Float64Array) -> Float64Array:
    """Sample standard deviation per column over the observed values (ddof 1)."""
    return Prepared(x).std


def cagr(x: Float64Array, periods: float) -> Float64Array:
    """CAGR per column (the kernel of ``stats.cagr``)."""
    return Prepared(x).cagr(periods)
