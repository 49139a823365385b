"""Time-weighted and money-weighted returns of a value series with external flows.

Convention: values are end-of-day; a flow on day t arrives at that day's close (money
deposited on a day is invested at the close), so the day's return is
``(V_t − F_t) / V_{t−1} − 1``. Money-weighted return is the IRR of the flows and the final
value on an actual/365 calendar (the XIRR convention of spreadsheets).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from conviction._typing import Float64Array

__all__ = ["irr", "time_weighted_returns", "twr"]


def time_weighted_returns(value: Float64Array, flows: Float64Array) -> Float64Array:
    """Daily time-weighted returns along axis 0 (0 where there was nothing invested)."""
    value = np.asarray(value, dtype=float)
    flows = np.asarray(flows, dtype=float)
    prev = np.concatenate([np.zeros_like(value[:1]), value[:-1]], axis=0)
    out: Float64Array = value - flows  # in place from here: a fund's grid is 32 MB each
    with np.errstate(divide="ignore", invalid="ignore"):
        out /= prev
    out -= 1.0
    out[~(prev > 0)] = 0.0
    return out


def twr(value: Float64Array, flows: Float64Array) -> Float64Array:
    """Cumulative time-weighted return over the whole series (per column)."""
    daily = time_weighted_returns(value, flows)
    daily += 1.0
    growth: Float64Array = np.prod(daily, axis=0)
    return growth - 1.0


def irr(days: np.ndarray, amounts: Float64Array) -> float:
    """Annual internal rate of return of dated cash flows (investor's view: money paid in is
    negative, money received and the final value positive). NaN when it does not exist."""
    days = np.asarray(days).astype("datetime64[D]")
    amounts = np.asarray(amounts, dtype=float)
    keep = amounts != 0
    days, amounts = days[keep], amounts[keep]
    if amounts.size < 2 or (amounts > 0).all() or (amounts < 0).all():
        return float("nan")
    years = (days - days.min()).astype(np.int64) / 365.0

    def npv(rate: float) -> float:
        return float(np.sum(amounts * np.exp(-np.log1p(rate) * years)))

    lo, hi = -0.9999, 1.0
    while npv(hi) > 0 and hi < 1e6:
        hi *= 4
    if np.sign(npv(lo)) == np.sign(npv(hi)):
        return float("nan")
    return _brentq(npv, lo, hi, xtol=1e-14, rtol=1e-13, maxiter=500)


def _brentq(
    f: Callable[[float], float], xa: float, xb: float, xtol: float, rtol: float, maxiter: int
) -> float:
    """scipy.optimize.brentq (its C code, scipy/optimize/Zeros/brentq.c, step for step, so
    the same root to the last bit) without importing SciPy, which takes longer to import
    (0.5-1 s) than every IRR of a book takes to solve. ``f(xa)`` and ``f(xb)`` must differ
    in sign."""
    xpre, xcur = xa, xb
    xblk = fblk = spre = scur = 0.0
    fpre, fcur = f(xpre), f(xcur)
    if fpre == 0:
        return xpre
    if fcur == 0:
        return xcur
    for _ in range(maxiter):
        if fpre != 0 and fcur != 0 and (math.copysign(1.0, fpre) != math.copysign(1.0, fcur)):
            xblk, fblk = xpre, fpre
            spre = scur = xcur - xpre
        if abs(fblk) < abs(fcur):
            xpre, xcur, xblk = xcur, xblk, xcur
            fpre, fcur, fblk = fcur, fblk, fcur
        delta = (xtol + rtol * abs(xcur)) / 2
        sbis = (xblk - xcur) / 2
        if fcur == 0 or abs(sbis) < delta:
            return xcur
        if abs(spre) > delta and abs(fcur) < abs(fpre):
            if xpre == xblk:  # interpolate
                stry = -fcur * (xcur - xpre) / (fcur - fpre)
            else:  # extrapolate
                dpre = (fpre - fcur) / (xpre - xcur)
                dblk = (fblk - fcur) / (xblk - xcur)
                stry = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            if 2 * abs(stry) < min(abs(spre), 3 * abs(sbis) - delta):  # good short step
                spre, scur = scur, stry
            else:  # bisect
                spre = scur = sbis
        else:  # bisect
            spre = scur = sbis
        xpre, fpre = xcur, fcur
        xcur += scur if abs(scur) > delta else (delta if sbis > 0 else -delta)
        fcur = f(xcur)
    return xcur
