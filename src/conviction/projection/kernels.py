"""The simulation kernel for one block of paths: numba, with a plain NumPy twin.

Both kernels draw the same random numbers in the same order from the block's Generator —
per step: the (n, K) normal shocks, one chi-square per Student-t group and path, (n, J)
jump uniforms, then two uniforms per path for the bootstrap when there is one — so they
agree to rounding. The NumPy kernel loops over steps (never over paths) and is kept for
tests and for machines without numba (with a warning, as ``arch.compat.numba`` does).

Per path and step, in log space (x = log of the value multiple, jumps included):
    normal:    x += drift + vol · (F z)[k] · sqrt((df − 2) / W_g)    (the t scale if any)
    bootstrap: x += hist[i] + drift, with i a stationary-bootstrap index shared by the assets
    driver:    bridge b += (target − b)/(steps left) + vol · sqrt((left − 1)/left) · (F z)[k]
    jumps:     x += N_j · log(1 − loss_j), N_j ~ Poisson(λ_j dt) by inversion of one uniform
    shocks:    x += shock[s] (certain shocks of scenarios; x starts at x0, 0 unless marked down)
A private asset's observed value is exp(x) at its last mark (and at the horizon). The book
multiple is Σ w_a · exp(observed_a) / Σ w_a, from which the kernel keeps the yearly values
and the running maximum drawdown, so no path is stored unless asked for.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from conviction._typing import Float64Array, FloatArray
from conviction.projection._rng import gamma_mt, next_double, sfc64_state, std_normal
from conviction.projection.plan import KIND_BOOTSTRAP, KIND_DRIVER, KIND_NORMAL, Plan

__all__ = ["HAVE_NUMBA", "BlockOutput", "simulate_block", "warm"]

try:  # numba is a dependency, but the kernel must still run where it cannot be imported
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only without numba
    HAVE_NUMBA = False


@dataclass(frozen=True)
class BlockOutput:
    """What one block of n paths leaves behind."""

    log_terminal: Float64Array  # (n, A) log multiple of each asset at the horizon
    book: Float64Array  # (n, years + 1) book multiple at each year end (year 0 = 1)
    max_drawdown: Float64Array  # (n,) largest peak-to-trough fall of the book, in [0, 1)
    paths: FloatArray | None  # (n, steps + 1, A) observed multiples, when asked for


#: Padding of each row of the kernel's buffers, in doubles (see _kernel).
_PAD = 40
#: 1/k! for the exp polynomial.
_INV_FACT = tuple(1.0 / math.factorial(k) for k in range(13))


def _vexp(x: Any, out: Any, bits: Any) -> None:
    """out = exp(x) for a flat array, written so LLVM vectorises it (libm's exp is a call per
    element and took over half the kernel's time). Range reduction exp(x) = 2^k·exp(r) with
    |r| <= ln2/2 in two parts (Cody–Waite), a degree-12 Taylor polynomial, and 2^k built in
    the exponent bits. Relative error < 1e-13 for |x| < 700 (clamped beyond)."""
    n = x.shape[0]
    for i in range(n):
        v = min(max(x[i], -708.0), 709.0)
        k = math.floor(v * 1.4426950408889634 + 0.5)
        r = (v - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10
        q = r * _INV_FACT[12] + _INV_FACT[11]
        q = q * r + _INV_FACT[10]
        q = q * r + _INV_FACT[9]
        q = q * r + _INV_FACT[8]
        q = q * r + _INV_FACT[7]
        q = q * r + _INV_FACT[6]
        q = q * r + _INV_FACT[5]
        q = q * r + _INV_FACT[4]
        q = q * r + _INV_FACT[3]
        q = q * r + _INV_FACT[2]
        q = q * r + _INV_FACT[1]
        out[i] = q * r + 1.0
        bits[i] = (np.int64(k) + 1023) << 52
    scale = bits.view(np.float64)
    for i in range(n):
        out[i] *= scale[i]


def _kernel(
    state: Any,
    n: int,
    n_steps: int,
    spy: int,
    kind: Any,
    drift: Any,
    vol: Any,
    zcol: Any,
    factor: Any,
    identity: bool,
    group: Any,
    gdf: Any,
    bcol: Any,
    hist: Any,
    p_new: float,
    dcol: Any,
    dterm: Any,
    jcdf: Any,
    jlog: Any,
    mark: Any,
    weights: Any,
    x0: Any,
    shock: Any,
    out_log: Any,
    out_book: Any,
    out_dd: Any,
    out_paths: Any,
) -> None:
    # State is laid out (asset, path) so that every inner loop runs over contiguous paths
    # and vectorises; only the draws are sequential (they follow NumPy's (path, k) order).
    n_assets = kind.shape[0]
    k_norm = factor.shape[0]
    n_groups = gdf.shape[0]
    n_jumps = jcdf.shape[0]
    width = jcdf.shape[1]
    t_hist = hist.shape[0]
    has_boot = hist.shape[1] > 0
    write_paths = out_paths.shape[0] > 0
    has_shock = shock.shape[0] > 0
    total = 0.0
    start = 0.0
    for a in range(n_assets):
        total += weights[a]
        start += weights[a] * math.exp(x0[a])
    start /= total
    # One buffer, rows padded so that rows of different arrays do not sit a multiple of 4 KiB
    # apart (4K aliasing made identical runs differ by 2x when arrays were page-aligned).
    ld = n + _PAD
    rows = 3 * n_assets + 2 * k_norm + n_groups + n_jumps + 7
    buf = np.zeros((rows, ld))
    x = buf[0:n_assets]
    brg = buf[n_assets : 2 * n_assets]
    ex = buf[2 * n_assets : 3 * n_assets]
    r0 = 3 * n_assets
    z = buf[r0 : r0 + k_norm]
    eps = z if identity else buf[r0 + k_norm : r0 + 2 * k_norm]
    r0 += 2 * k_norm
    w = buf[r0 : r0 + n_groups]
    uj = buf[r0 + n_groups : r0 + n_groups + n_jumps]
    r0 += n_groups + n_jumps
    cnt = buf[r0]
    ub = buf[r0 + 1]
    ui = buf[r0 + 2]
    value = buf[r0 + 3]
    peak = buf[r0 + 4]
    dd = buf[r0 + 5]
    for a in range(n_assets):
        e0 = math.exp(x0[a])
        for p in range(ld):
            x[a, p] = x0[a]
            ex[a, p] = e0
    for p in range(ld):
        peak[p] = 1.0
        dd[p] = max(0.0, 1.0 - start)  # a markdown today is a fall from today's value
    ibuf = np.zeros((3, ld), dtype=np.int64)
    bits = ibuf[0]
    idx = ibuf[1]
    hit = ibuf[2]
    for p in range(n):
        out_book[p, 0] = start
    if write_paths:
        for p in range(n):
            for a in range(n_assets):
                out_paths[p, 0, a] = ex[a, p]
    for s in range(n_steps):
        # Draws, in NumPy's order for shapes (n, K), (n,) per group, (n, J), (n,), (n,).
        for p in range(n):
            for k in range(k_norm):
                z[k, p] = std_normal(state)
        for g in range(n_groups):
            gb = 0.5 * gdf[g] - 1.0 / 3.0
            gc = 1.0 / math.sqrt(9.0 * gb)
            for p in range(n):
                w[g, p] = gamma_mt(state, gb, gc)
        for p in range(n):
            for j in range(n_jumps):
                uj[j, p] = next_double(state)
        if has_boot:
            for p in range(n):
                ub[p] = next_double(state)
            for p in range(n):
                ui[p] = next_double(state)
        if not identity:  # eps = F z, F lower-triangular or an eigen factor
            for k in range(k_norm):
                for p in range(n):
                    eps[k, p] = 0.0
                for m in range(k_norm):
                    c = factor[k, m]
                    if c != 0.0:
                        for p in range(n):
                            eps[k, p] += c * z[m, p]
        for g in range(n_groups):  # the shared chi-square turns normals into unit-variance t
            c = gdf[g] - 2.0
            for p in range(n):
                w[g, p] = math.sqrt(c / w[g, p])
        if has_boot:
            for p in range(n):
                if s == 0 or ub[p] < p_new:
                    idx[p] = int(ui[p] * t_hist)
                else:
                    idx[p] = (idx[p] + 1) % t_hist
        left = n_steps - s
        bridge_noise = math.sqrt((left - 1.0) / left)
        for a in range(n_assets):
            kd = kind[a]
            d = drift[a]
            v = vol[a]
            if kd == 0:
                k = zcol[a]
                g = group[a]
                if g >= 0:
                    for p in range(n):
                        x[a, p] += d + v * eps[k, p] * w[g, p]
                else:
                    for p in range(n):
                        x[a, p] += d + v * eps[k, p]
            elif kd == 1:
                col = bcol[a]
                for p in range(n):
                    x[a, p] += hist[idx[p], col] + d
            else:
                k = zcol[a]
                col = dcol[a]
                vb = v * bridge_noise
                for p in range(n):
                    b = brg[a, p]
                    nb = b + (dterm[p, col] - b) / left + vb * eps[k, p]
                    x[a, p] += nb - b
                    brg[a, p] = nb
        for j in range(n_jumps):
            n_hit = 0  # jumps are rare: note the paths hit, then touch only those
            for p in range(n):
                u = uj[j, p]
                c = 0
                while c < width and jcdf[j, c] <= u:
                    c += 1
                if c > 0:
                    cnt[n_hit] = c
                    hit[n_hit] = p
                    n_hit += 1
            for a in range(n_assets):
                jl = jlog[j, a]
                if jl != 0.0:
                    for h in range(n_hit):
                        x[a, hit[h]] += cnt[h] * jl
        if has_shock:
            for a in range(n_assets):
                sh = shock[s, a]
                if sh != 0.0:
                    for p in range(n):
                        x[a, p] += sh
        for p in range(n):
            value[p] = 0.0
        for a in range(n_assets):
            if (s + 1) == n_steps or (s + 1) % mark[a] == 0:
                _vexp(x[a], ex[a], bits)
            wa = weights[a]
            for p in range(n):
                value[p] += wa * ex[a, p]
        for p in range(n):
            m = value[p] / total
            peak[p] = max(peak[p], m)
            dd[p] = max(dd[p], 1.0 - m / peak[p])
        if (s + 1) % spy == 0:
            col = (s + 1) // spy
            for p in range(n):
                out_book[p, col] = value[p] / total
        if write_paths:
            for p in range(n):
                for a in range(n_assets):
                    out_paths[p, s + 1, a] = ex[a, p]
    for p in range(n):
        out_dd[p] = dd[p]
        for a in range(n_assets):
            out_log[p, a] = x[a, p]


def _numpy_kernel(
    rng: np.random.Generator,
    n: int,
    plan: Plan,
    dterm: Float64Array,
    out_paths: FloatArray | None,
) -> tuple[Float64Array, Float64Array, Float64Array]:
    """The same model vectorised over paths with NumPy; a Python loop over steps only."""
    n_assets, k_norm = plan.n_assets, plan.factor.shape[0]
    n_jumps, spy = plan.jcdf.shape[0], plan.steps_per_year
    has_boot = plan.hist.shape[1] > 0
    t_hist = plan.hist.shape[0]
    total = float(plan.weights.sum())
    normal = np.flatnonzero(plan.kind == KIND_NORMAL)
    boot = np.flatnonzero(plan.kind == KIND_BOOTSTRAP)
    drv = np.flatnonzero(plan.kind == KIND_DRIVER)
    t_assets = np.flatnonzero(plan.group >= 0)
    x = np.tile(plan.x0, (n, 1))
    brg = np.zeros((n, drv.size))
    ex = np.tile(np.exp(plan.x0), (n, 1))
    idx = np.zeros(n, dtype=np.int64)
    peak = np.ones(n)
    start = float(np.exp(plan.x0) @ plan.weights) / total
    dd = np.full(n, max(0.0, 1.0 - start))
    book = np.empty((n, plan.years + 1))
    book[:, 0] = start
    target = dterm[:, plan.dcol[drv]] if drv.size else np.zeros((n, 0))
    for s in range(plan.n_steps):
        z = rng.standard_normal((n, k_norm))
        w = np.empty((plan.gdf.size, n))
        for g in range(plan.gdf.size):
            w[g] = rng.chisquare(plan.gdf[g], n)
        uj = rng.random((n, n_jumps))
        eps = z @ plan.factor.T
        step = np.zeros((n, n_assets))
        shock = eps[:, plan.zcol[normal]]
        if t_assets.size:
            scale = np.sqrt((plan.gdf[:, None] - 2.0) / w).T  # (n, G)
            g_of = plan.group[normal]
            shock = np.where(g_of >= 0, shock * scale[:, np.maximum(g_of, 0)], shock)
        step[:, normal] = plan.drift[normal] + plan.vol[normal] * shock
        if has_boot:
            ub = rng.random(n)
            ui = rng.random(n)
            fresh = (ub < plan.p_new) if s > 0 else np.ones(n, dtype=bool)
            idx = np.where(fresh, (ui * t_hist).astype(np.int64), (idx + 1) % t_hist)
            step[:, boot] = plan.hist[idx][:, plan.bcol[boot]] + plan.drift[boot]
        if drv.size:
            left = plan.n_steps - s
            noise = plan.vol[drv] * math.sqrt((left - 1.0) / left) * eps[:, plan.zcol[drv]]
            nb = brg + (target - brg) / left + noise
            step[:, drv] = nb - brg
            brg = nb
        if n_jumps:
            counts = (plan.jcdf[None, :, :] <= uj[:, :, None]).sum(axis=2)  # (n, J)
            step += counts @ plan.jlog
        if plan.shock.shape[0]:
            step += plan.shock[s]
        x += step
        marked = ((s + 1) % plan.mark == 0) | (s + 1 == plan.n_steps)
        ex[:, marked] = np.exp(x[:, marked])
        m = (ex @ plan.weights) / total
        np.maximum(peak, m, out=peak)
        np.maximum(dd, 1.0 - m / peak, out=dd)
        if (s + 1) % spy == 0:
            book[:, (s + 1) // spy] = m
        if out_paths is not None:
            out_paths[:, s + 1, :] = ex
    return x, book, dd


# numba compiles a kernel at its first call with given argument types (about 4 s for
# _kernel) and, with cache=True, keeps the machine code in __pycache__ beside this file (or
# under $NUMBA_CACHE_DIR), keyed by the source file's timestamp, for later processes to
# load. `python -m conviction.warmup` (run by `make demo`) calls warm() below to do it once.
if HAVE_NUMBA:
    # fastmath only where it is needed to vectorise the exp (reassociation is harmless there)
    _vexp = numba.njit(cache=True, fastmath=True)(_vexp)
    # error_model="numpy": no zero-division checks (no divisor here can be 0), which lets
    # the division loops vectorise; results are the same IEEE numbers.
    _numba_kernel = numba.njit(cache=True, error_model="numpy")(_kernel)


_warned = False


def simulate_block(
    plan: Plan,
    rng: np.random.Generator,
    n: int,
    dterm: Float64Array,
    *,
    paths_dtype: type[np.floating[Any]] | None = None,
    backend: str = "auto",
) -> BlockOutput:
    """Simulate ``n`` paths of ``plan`` with ``rng``.

    ``dterm`` (n, D) holds each path's log terminal multiple for the driver assets.
    ``paths_dtype`` (np.float32 or np.float64) also returns every observed path.
    ``backend`` is "numba", "numpy" or "auto" (numba when it can be imported).
    """
    global _warned
    if backend not in ("auto", "numba", "numpy"):
        raise ValueError(f"backend must be 'auto', 'numba' or 'numpy', got {backend!r}")
    use_numba = backend == "numba" or (backend == "auto" and HAVE_NUMBA)
    if use_numba and not HAVE_NUMBA:
        raise RuntimeError("numba is not installed")
    if backend == "auto" and not HAVE_NUMBA and not _warned:  # pragma: no cover
        warnings.warn("numba is not available: the projection runs on NumPy", stacklevel=2)
        _warned = True
    a = plan.n_assets
    out_paths = None
    if paths_dtype is not None:
        out_paths = np.empty((n, plan.n_steps + 1, a), dtype=paths_dtype)
        out_paths[:, 0, :] = np.exp(plan.x0)
    if not use_numba:
        log_t, book, dd = _numpy_kernel(rng, n, plan, dterm, out_paths)
        return BlockOutput(log_t, book, dd, out_paths)
    out_log = np.empty((n, a))
    out_book = np.empty((n, plan.years + 1))
    out_dd = np.empty(n)
    _numba_kernel(
        sfc64_state(rng),
        n,
        plan.n_steps,
        plan.steps_per_year,
        plan.kind,
        plan.drift,
        plan.vol,
        plan.zcol,
        plan.factor,
        bool(np.array_equal(plan.factor, np.eye(plan.factor.shape[0]))),
        plan.group,
        plan.gdf,
        plan.bcol,
        plan.hist,
        plan.p_new,
        plan.dcol,
        dterm,
        plan.jcdf,
        plan.jlog,
        plan.mark,
        plan.weights,
        plan.x0,
        plan.shock,
        out_log,
        out_book,
        out_dd,
        out_paths if out_paths is not None else np.empty((0, 0, 0)),
    )
    return BlockOutput(out_log, out_book, out_dd, out_paths)


def warm() -> None:
    """Compile the numba kernel, into numba's on-disk cache, for each set of argument types
    the library calls it with: without paths (``Projection``: ``conviction project``) and
    with float32 or float64 paths (``simulate_paths`` and ``iter_paths``: ``compare``,
    ``report``). Runs two paths of one year; a no-op without numba."""
    if not HAVE_NUMBA:  # pragma: no cover - exercised only without numba
        return
    from conviction.projection.plan import build_plan
    from conviction.projection.spec import AssetSpec, ProjectionSpec

    spec = ProjectionSpec(
        assets=(AssetSpec("warm-up", expected_return=0.1, volatility=0.2),), years=1, paths=2
    )
    plan = build_plan(spec)
    dterm = np.zeros((2, len(plan.driver_names)))
    for dtype in (None, np.float32, np.float64):
        rng = np.random.Generator(np.random.SFC64(0))
        simulate_block(plan, rng, 2, dterm, paths_dtype=dtype, backend="numba")
