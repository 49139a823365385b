"""Stale marks: flag rarely-marked series and desmooth their returns.

A private holding marked only at funding rounds shows zero returns between marks and
then one jump, so its volatility and drawdowns look smaller and its Sharpe ratio larger
than the economics behind it. Two classic corrections recover an estimate of the true
(unsmoothed) returns:

- **Geltner (1993)**, first order: the observed return is ``r*_t = (1 - phi) r_t +
  phi r*_{t-1}``, so ``r_t = (r*_t - phi r*_{t-1}) / (1 - phi)``; ``phi`` is the lag-1
  autocorrelation of the observed returns unless given. The first return has no
  predecessor and is NaN.
- **Getmansky, Lo and Makarov (2004)**: the observed return is a moving average of the
  true ones, ``r°_t = theta_0 r_t + ... + theta_k r_{t-k}`` with ``sum(theta) = 1``. The
  thetas come from an MA(k) fit ``r°_t - mu = e_t + psi_1 e_{t-1} + ... + psi_k e_{t-k}``
  by conditional least squares (minimising ``sum(e_t^2)`` with a trust-region
  least-squares solver; asymptotically the same as the paper's Gaussian maximum
  likelihood), held invertible, then normalised:
  ``theta = (1, psi_1, ..., psi_k) / (1 + sum(psi))``. The true returns are the
  innovations rescaled, ``r_t = mu + (1 + sum(psi)) e_t``, i.e. the observed series run
  through the inverse filter ``1 / theta(L)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from conviction._typing import Float64Array
from conviction.analytics._kernels import Prepared, count, mean, std
from conviction.analytics._shape import ArrayLike2, as_2d, f64, safe_divide
from conviction.analytics.periods import DAILY, year_convention
from conviction.errors import DataError

__all__ = [
    "DESMOOTH_METHODS",
    "DesmoothMethod",
    "DesmoothReport",
    "StaleReport",
    "desmooth",
    "desmoothed_stats",
    "geltner",
    "gml",
    "gml_weights",
    "lag1_autocorrelation",
    "staleness",
    "zero_return_share",
]

DesmoothMethod: TypeAlias = Literal["geltner", "gml"]
DESMOOTH_METHODS: tuple[DesmoothMethod, ...] = ("geltner", "gml")

#: Flag a series when more than this share of its returns are exactly zero ...
ZERO_SHARE_LIMIT = 0.2
#: ... or when the median gap between marks exceeds this many calendar days.
GAP_DAYS_LIMIT = 7.0
#: Raw and desmoothed figures "differ" when they are more than this apart, relatively.
DIFFERENCE_LIMIT = 1.0 / 3.0


def zero_return_share(returns: ArrayLike2) -> Any:
    """Share of observed returns that are exactly zero (no new mark), per column."""
    s = as_2d(returns)
    zeros = (s.values == 0).sum(axis=0).astype(np.float64)
    return s.scalar(safe_divide(zeros, count(s.values)))


@dataclass(frozen=True)
class StaleReport:
    """How often one series is really marked.

    A mark is a non-zero return. Gaps are counted between consecutive marks, in
    observations and (when the series has dates) in calendar days. ``flagged`` is set
    when more than ``ZERO_SHARE_LIMIT`` of returns are zero or the median gap exceeds
    ``GAP_DAYS_LIMIT`` calendar days; ``reasons`` says which.
    """

    observations: int
    zero_share: float
    marks: int
    median_gap: float
    max_gap: float
    median_gap_days: float | None
    max_gap_days: float | None
    flagged: bool
    reasons: tuple[str, ...]


def staleness(returns: ArrayLike2) -> StaleReport:
    """The ``StaleReport`` of one series (1-D array, or a Series for calendar gaps)."""
    s = as_2d(returns)
    if not s.one_d:
        raise ValueError("staleness takes one series; use zero_return_share for 2-D")
    x = s.values[:, 0]
    seen = ~np.isnan(x)
    n = int(seen.sum())
    zero = float(np.mean(x[seen] == 0)) if n else float("nan")
    at = np.flatnonzero(seen & (x != 0))
    gaps = np.diff(at).astype(np.float64)
    med = float(np.median(gaps)) if gaps.size else float("nan")
    top = float(gaps.max()) if gaps.size else float("nan")
    med_days = max_days = None
    if isinstance(s.index, pd.DatetimeIndex):
        days = np.diff(s.index[at].to_numpy().astype("datetime64[D]").astype(np.int64))
        med_days = float(np.median(days)) if days.size else float("nan")
        max_days = float(days.max()) if days.size else float("nan")
    reasons: list[str] = []
    if zero > ZERO_SHARE_LIMIT:
        reasons.append(f"{zero:.1%} of returns are zero (limit {ZERO_SHARE_LIMIT:.0%})")
    if med_days is not None and med_days > GAP_DAYS_LIMIT:
        reasons.append(f"median gap between marks is {med_days:g} days (limit {GAP_DAYS_LIMIT:g})")
    return StaleReport(
        n, zero, int(at.size), med, top, med_days, max_days, bool(reasons), tuple(reasons)
    )


def lag1_autocorrelation(returns: ArrayLike2) -> Any:
    """Pearson correlation of ``r_t`` with ``r_{t-1}`` over the pairs both observed.

    The same as pandas' ``Series.autocorr(1)``.
    """
    s = as_2d(returns)
    x = s.values
    a, b = x[1:], x[:-1]
    both = ~np.isnan(a) & ~np.isnan(b)
    a, b = np.where(both, a, np.nan), np.where(both, b, np.nan)
    n = count(a)
    cov = np.where(both, (a - mean(a)) * (b - mean(b)), 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = np.where(n > 1, cov / (n - 1), np.nan)
    return s.scalar(safe_divide(cov, std(a) * std(b)))


def _geltner_phi(x: Float64Array) -> Float64Array:
    """Lag-1 autocorrelation per column, negative estimates taken as 0 (no smoothing)."""
    est = np.asarray(lag1_autocorrelation(x), dtype=np.float64).reshape(-1)
    ph = np.clip(np.nan_to_num(est, nan=0.0), 0.0, None)
    if np.any(ph >= 1):
        raise DataError("lag-1 autocorrelation is 1: the series cannot be unsmoothed")
    return ph


def geltner(returns: ArrayLike2, phi: float | None = None) -> Any:
    """Geltner's first-order unsmoothing ``(r*_t - phi r*_{t-1}) / (1 - phi)``.

    ``phi`` defaults to each column's lag-1 autocorrelation; an estimate below zero means
    no smoothing was detected and is taken as 0 (returns unchanged). A given ``phi`` must
    lie in [0, 1). The first row is NaN.
    """
    s = as_2d(returns)
    x = s.values
    if phi is None:
        ph = _geltner_phi(x)
    else:
        if not 0 <= phi < 1:
            raise ValueError(f"phi must be in [0, 1), got {phi}")
        ph = np.full(x.shape[1], float(phi))
    out = np.full_like(x, np.nan)
    out[1:] = (x[1:] - ph * x[:-1]) / (1.0 - ph)
    return s.series(out)


def _invertible(psi: Float64Array) -> bool:
    """Roots of 1 + psi_1 z + ... + psi_k z^k all outside the unit circle."""
    roots = np.roots(np.r_[1.0, psi])
    return bool(np.all(np.abs(roots) < 1.0 - 1e-9))


def _fit_ma(x: Float64Array, lags: int) -> Float64Array:
    """psi of an MA(lags) fit to the demeaned ``x`` by conditional least squares.

    A trust-region least-squares fit of the innovations, started at psi = 0 (invertible).
    A non-invertible psi gets a residual far above the start's, so no accepted step can
    reach one; the check after the fit is a guard, not a path. (Nelder-Mead on the sum of
    squares gave the same estimates to 5 decimals, 10x slower at 3-4 lags.)
    """
    from scipy.optimize import least_squares  # SciPy only when fitting (1-2 s to import)
    from scipy.signal import lfilter

    def innovations(psi: Float64Array) -> Float64Array:
        if not _invertible(psi):
            return f64(x * 1e3)
        return f64(lfilter([1.0], np.r_[1.0, psi], x))

    psi = np.asarray(least_squares(innovations, np.zeros(lags), x_scale="jac").x)
    if not _invertible(psi):
        raise DataError(f"could not fit an invertible MA({lags}) to the returns")
    return f64(psi)


def gml_weights(returns: ArrayLike2, lags: int = 2) -> Float64Array:
    """Getmansky-Lo-Makarov smoothing weights ``theta_0..theta_lags`` (sum 1) of one series.

    Estimated from an MA(``lags``) fit by conditional least squares; NaN returns are
    dropped first. Raises ``DataError`` when there are too few returns.
    """
    s = as_2d(returns)
    if not s.one_d:
        raise ValueError("gml_weights takes one series")
    if lags < 1:
        raise ValueError(f"lags must be at least 1, got {lags}")
    x = s.values[:, 0]
    x = x[~np.isnan(x)]
    if x.size < 10 * (lags + 1):
        raise DataError(
            f"{x.size} returns are too few to estimate {lags + 1} smoothing weights "
            f"(need {10 * (lags + 1)})"
        )
    psi = _fit_ma(x - x.mean(), lags)
    theta: Float64Array = np.r_[1.0, psi] / (1.0 + psi.sum())
    return theta


def gml(returns: ArrayLike2, lags: int = 2, theta: Float64Array | None = None) -> Any:
    """Getmansky-Lo-Makarov unsmoothed returns of one series.

    ``theta`` (weights summing to 1, invertible) defaults to ``gml_weights(returns,
    lags)``. The observed returns, less their mean, run through the inverse filter
    ``1 / theta(L)`` starting from zero; NaN rows stay NaN.
    """
    s = as_2d(returns)
    if not s.one_d:
        raise ValueError("gml takes one series")
    if theta is None:
        theta = gml_weights(s.values[:, 0], lags)
    theta = np.asarray(theta, dtype=np.float64)
    if abs(theta.sum() - 1.0) > 1e-9 or theta[0] <= 0 or not _invertible(theta[1:] / theta[0]):
        raise ValueError("theta must sum to 1, start positive and be invertible")
    from scipy.signal import lfilter  # SciPy only when filtering

    x = s.values[:, 0]
    seen = ~np.isnan(x)
    out = np.full_like(x, np.nan)
    mu = x[seen].mean() if seen.any() else 0.0
    out[seen] = mu + lfilter([1.0], theta, x[seen] - mu)
    return s.series(out[:, None])


@dataclass(frozen=True)
class DesmoothReport:
    """Volatility and Sharpe of one series, raw and desmoothed.

    ``params`` holds ``(phi,)`` for Geltner or ``(theta_0, ..., theta_k)`` for GLM;
    ``smoothing_index`` is the share of the true variance the observed series shows
    (``sum(theta^2)`` for GLM, ``(1 - phi) / (1 + phi)`` for Geltner). ``differs`` is set
    when volatility or Sharpe moves by more than a third of its raw value.
    """

    method: DesmoothMethod
    lags: int
    params: tuple[float, ...]
    smoothing_index: float
    periods: float
    raw_volatility: float
    volatility: float
    raw_sharpe: float
    sharpe: float
    differs: bool

    @property
    def year_convention(self) -> str:
        return year_convention(self.periods)

    @property
    def warning(self) -> str | None:
        if not self.differs:
            return None
        return (
            f"stale marks: desmoothed ({self.method}) volatility {self.volatility:.1%} vs "
            f"raw {self.raw_volatility:.1%}, Sharpe {self.sharpe:.2f} vs raw "
            f"{self.raw_sharpe:.2f}: the raw figures understate risk"
        )


def desmooth(
    returns: ArrayLike2,
    method: DesmoothMethod = "geltner",
    *,
    lags: int = 2,
    phi: float | None = None,
) -> tuple[Any, tuple[float, ...]]:
    """(desmoothed returns, parameters) of one series by ``method``: geltner or gml."""
    s = as_2d(returns)
    if not s.one_d:
        raise ValueError("desmooth takes one series")
    if method == "geltner":
        if phi is None:
            phi = float(_geltner_phi(s.values)[0])
        return geltner(returns, phi), (float(phi),)
    if method == "gml":
        theta = gml_weights(s.values[:, 0], lags)
        return gml(returns, lags, theta), tuple(float(t) for t in theta)
    raise ValueError(f"method must be one of {DESMOOTH_METHODS}, got {method!r}")


def desmoothed_stats(
    returns: ArrayLike2,
    method: DesmoothMethod = "geltner",
    *,
    lags: int = 2,
    phi: float | None = None,
    rf: float = 0.0,
    periods: float = DAILY,
) -> DesmoothReport:
    """Volatility and Sharpe of one series raw and desmoothed, with a warning flag."""
    s = as_2d(returns)
    unsmoothed, params = desmooth(s.values[:, 0], method, lags=lags, phi=phi)
    x = s.values
    y = np.asarray(unsmoothed, dtype=np.float64)[:, None]
    raw, des = Prepared(x), Prepared(y)
    raw_vol, vol = float(raw.volatility(periods)[0]), float(des.volatility(periods)[0])
    raw_sh, sh = float(raw.sharpe(rf, periods)[0]), float(des.sharpe(rf, periods)[0])
    p = np.asarray(params)
    index = float(np.sum(p * p)) if method == "gml" else (1.0 - p[0]) / (1.0 + p[0])
    differs = bool(
        abs(vol - raw_vol) > DIFFERENCE_LIMIT * abs(raw_vol)
        or abs(sh - raw_sh) > DIFFERENCE_LIMIT * abs(raw_sh)
    )
    return DesmoothReport(
        method,
        lags if method == "gml" else 1,
        tuple(params),
        float(index),
        float(periods),
        raw_vol,
        vol,
        raw_sh,
        sh,
        differs,
    )
