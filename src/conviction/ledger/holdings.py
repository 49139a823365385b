"""The value of every account's holdings on every day: one pass over days with numba.

``value[d, a] = Σ_c q[d, a, c] · p[d, c]``, with ``q`` the position in original shares
after the trades up to day ``d``. Built as a cube (a per-day ``bincount``, a cumulative
sum over days, a batched matrix product) this moves every cell of days × accounts ×
companies through memory twice: 200 million cells for 16 years of a 1,000-account,
50-company book, about 5 s. The loop keeps only today's positions (accounts × companies,
in cache), applies each day's trades to them and takes one dot product per account: the
same sums, about 20x faster (``benchmarks/bench_commands.py``). The NumPy twin is the
cube, in chunks of accounts; it is the fallback without numba and the tests' oracle.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from typing import Any

import numpy as np

from conviction._typing import Float64Array, IntArray

__all__ = ["HAVE_NUMBA", "holdings_value", "warm"]

HAVE_NUMBA = importlib.util.find_spec("numba") is not None

#: Below this many cells (days × accounts × companies) the NumPy cube is as fast as the
#: loop, and a small book does not pay numba's import and cache load (about half a second).
NUMBA_CELLS = 2_000_000


def _loop(
    day: IntArray, account: IntArray, company: IntArray, shares: Float64Array, price: Float64Array,
    n_accounts: int,
) -> Float64Array:  # fmt: skip
    n_days, n_companies = price.shape
    q = np.zeros((n_accounts, n_companies))
    out = np.zeros((n_days, n_accounts))
    i, n = 0, day.size
    for d in range(n_days):
        while i < n and day[i] <= d:
            q[account[i], company[i]] += shares[i]
            i += 1
        for a in range(n_accounts):
            total = 0.0
            for c in range(n_companies):
                total += q[a, c] * price[d, c]
            out[d, a] = total
    return out


_COMPILE = threading.Lock()


def _kernel() -> Any:
    """The kernel's numba dispatcher, made once (a warm-up thread may be making it)."""
    with _COMPILE:
        return _kernel_dispatcher()


@functools.cache
def _kernel_dispatcher() -> Any:
    import numba  # only for books big enough to need it (see NUMBA_CELLS)

    return numba.njit(cache=True, nogil=True)(_loop)


def holdings_value(
    day: IntArray,
    account: IntArray,
    company: IntArray,
    shares: Float64Array,
    price: Float64Array,
    n_accounts: int,
    *,
    backend: str = "auto",
    chunk: int = 64,
) -> Float64Array:
    """Holdings value (days, accounts) from trades given as the row of their day in
    ``price`` (ascending), their account and company codes and their change in original
    shares; ``price`` is (days, companies) per original share, NaN-free."""
    if backend not in ("auto", "numba", "numpy"):
        raise ValueError(f"backend must be 'auto', 'numba' or 'numpy', got {backend!r}")
    cells = price.shape[0] * n_accounts * price.shape[1]
    if HAVE_NUMBA and (backend == "numba" or (backend == "auto" and cells >= NUMBA_CELLS)):
        args = (day.astype(np.int64), account.astype(np.int64), company.astype(np.int64))
        out: Float64Array = _kernel()(
            *args, shares.astype(np.float64), price.astype(np.float64), n_accounts
        )
        return out
    return _cube(day, account, company, shares, price, n_accounts, chunk)


def _cube(
    day: IntArray,
    account: IntArray,
    company: IntArray,
    shares: Float64Array,
    price: Float64Array,
    n_accounts: int,
    chunk: int,
) -> Float64Array:
    n_days, n_c = price.shape
    out = np.zeros((n_days, n_accounts))
    for lo in range(0, n_accounts, chunk):
        hi = min(lo + chunk, n_accounts)
        sel = (account >= lo) & (account < hi)
        width = hi - lo
        flat = (day[sel] * width + account[sel] - lo) * n_c + company[sel]
        q = np.bincount(flat, shares[sel], minlength=n_days * width * n_c)
        q = q.reshape(n_days, width, n_c)
        np.cumsum(q, axis=0, out=q)
        out[:, lo:hi] = np.matmul(q, price[:, :, None])[:, :, 0]
    return out


def warm() -> None:
    """Compile the kernel into numba's on-disk cache (``conviction.warmup``)."""
    if HAVE_NUMBA:
        one = np.zeros(1, dtype=np.int64)
        holdings_value(one, one, one, np.ones(1), np.ones((1, 1)), 1, backend="numba")
