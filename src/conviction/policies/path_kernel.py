"""A policy on blocks of simulated paths, compiled: per step, over the paths, to summaries.

:class:`~conviction.policies.engine.PolicyEngine` runs a policy vectorised over paths,
one step at a time, in NumPy: on a block of 4,096 monthly paths that is a few dozen array
operations of (paths, accounts, companies) per step, and about 20x the time it takes to
make the paths. This module runs the same rules (same binding, same order, same
arithmetic) in one numba kernel, a tile of :data:`LANES` paths at a time: every array of
the working state is laid out (accounts, companies, paths) with the tile's paths as the
last, contiguous axis, so that each rule's arithmetic is a loop over the paths that LLVM
compiles to SIMD (branches become selects; a path that does not trade computes a zero
trade, which changes nothing, as the engine's own arithmetic adds zeros). The pairwise
sums run per path in NumPy's order, so trades are the engine's to the last bit; only
vectorbt's fill order (a sort per account) runs path by path. The kernel leaves only what
:meth:`~conviction.policies.summary.SummaryAccumulator.part` keeps of a run: per path, the
multiple and max drawdown of each account and of the book, the costs as a fraction of the
initial book, and the number of trades. No (paths, time, accounts) array is made, and the
prices are formed from the block's multiples inside the kernel, a tile at a time.

    kernel = path_kernel(engine, liquidity)      # None: not supported, use the engine
    part = kernel.part(multiples, start_prices, holdings, cash)
    both = stack([kernel, other])                # several policies, one pass per path
    part, other_part = both.parts(multiples, start_prices, holdings, cash)

``compare`` runs its policies stacked: each tile's prices are formed once (from the
block's float32 multiples), then every policy runs over them in turn, with its holdings
and cash in the same scratch arrays.

Everything the NumPy engine does on simulated paths is supported: every rule type
(trim_to_cap with band and reinvest, add_on_drawdown with cooldown, rebalance, contribute,
withdraw), the last-seller gate, private companies that trade only on their liquidity
steps, the margin floor, and costs under each ``[costs] sizing``. What it does not
support falls back to the engine (``path_kernel`` returns None): liquidity given per path
(3-D), replayed book flows (backtests only), or no numba. The engine stays the oracle:
tests/policies/test_path_kernel.py asserts equal parts to 1e-12 on random policies and
paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from conviction._typing import BoolArray, Float64Array, FloatArray, IntArray
from conviction.policies.engine import PolicyEngine, _growth
from conviction.policies.rules import DrawdownRule, FlowRule, RebalanceRule, TrimRule
from conviction.policies.spec import Contribute
from conviction.policies.trading import DUST

__all__ = ["HAVE_NUMBA", "PathKernel", "path_kernel", "stack", "warm"]

try:  # numba is a dependency; without it the engine runs (path_kernel returns None)
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only without numba
    HAVE_NUMBA = False

_TRIM, _DRAWDOWN, _REBALANCE, _CONTRIBUTE, _WITHDRAW = 0, 1, 2, 3, 4
_SIZING = {"conviction": 0, "bt": 1, "vectorbt": 2}
_FIXED, _EQUAL, _INITIAL = 0, 1, 2
#: vectorbt's tolerance (as trading._VBT_REL_TOL)
_VBT_REL_TOL = 1e-9


def _psum(x: Any, i: int, n: int) -> float:
    """x[i, :n].sum() as NumPy adds it (pairwise, eight accumulators), so that the kernel's
    sums are the engine's to the last bit (up to 128 numbers; NumPy halves longer runs
    recursively, the kernel adds blocks of 128 in order: numba's cache does not keep
    recursive functions). Rows of a 2-D scratch array, so that no view is made per sum."""
    if n <= 128:
        return _psum_block(x, i, 0, n)
    res = 0.0
    for b in range(0, n, 128):
        res += _psum_block(x, i, b, min(128, n - b))
    return res


def _psum_block(x: Any, i: int, first: int, n: int) -> float:
    """x[i, first:first + n].sum() for n <= 128, in NumPy's order."""
    if n < 8:
        res = 0.0
        for k in range(first, first + n):
            res += x[i, k]
        return res
    else:
        r0, r1, r2, r3 = x[i, first], x[i, first + 1], x[i, first + 2], x[i, first + 3]
        r4, r5, r6, r7 = x[i, first + 4], x[i, first + 5], x[i, first + 6], x[i, first + 7]
        k = 8
        while k < n - (n % 8):
            j = first + k
            r0 += x[i, j]
            r1 += x[i, j + 1]
            r2 += x[i, j + 2]
            r3 += x[i, j + 3]
            r4 += x[i, j + 4]
            r5 += x[i, j + 5]
            r6 += x[i, j + 6]
            r7 += x[i, j + 7]
            k += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while k < n:
            res += x[i, first + k]
            k += 1
    return float(res)


def _shares(amount: float, price: float, rate: float, sizing: int) -> float:
    """Trader.shares for one amount."""
    if sizing != 1 or rate == 0.0:
        return amount / price
    if amount > 0:
        return amount / (price * (1.0 + rate))
    return amount / (price * (1.0 - rate))


# -- per lane: the tile's paths are the last axis of every array below ----------------------

#: paths per tile: the tile's prices (time, companies, LANES) stay in the cache
LANES = 128


def _psum_lanes(x: Any, i: int, n: int, nl: int, out: Any, acc: Any) -> None:
    """out[l] = x[i, :n, l].sum() as NumPy adds it (see :func:`_psum`), for each lane l
    below nl; ``acc`` (9, lanes): scratch."""
    if n <= 128:
        _psum_lanes_block(x, i, 0, n, nl, out, acc)
        return
    for lane in range(nl):
        out[lane] = 0.0
    for b in range(0, n, 128):
        _psum_lanes_block(x, i, b, min(128, n - b), nl, acc[8], acc)
        for lane in range(nl):
            out[lane] += acc[8, lane]


def _psum_lanes_block(x: Any, i: int, first: int, n: int, nl: int, out: Any, acc: Any) -> None:
    """out[l] = x[i, first:first + n, l].sum() for n <= 128, in NumPy's order."""
    if n < 8:
        for lane in range(nl):
            out[lane] = 0.0
        for k in range(first, first + n):
            for lane in range(nl):
                out[lane] += x[i, k, lane]
        return
    for j in range(8):
        for lane in range(nl):
            acc[j, lane] = x[i, first + j, lane]
    k = 8
    while k < n - (n % 8):
        for j in range(8):
            for lane in range(nl):
                acc[j, lane] += x[i, first + k + j, lane]
        k += 8
    for lane in range(nl):
        out[lane] = ((acc[0, lane] + acc[1, lane]) + (acc[2, lane] + acc[3, lane])) + (
            (acc[4, lane] + acc[5, lane]) + (acc[6, lane] + acc[7, lane])
        )
    while k < n:
        for lane in range(nl):
            out[lane] += x[i, first + k, lane]
        k += 1


def _psum_column(x: Any, i: int, lane: int, n: int, col: Any) -> float:
    """x[i, :n, lane].sum() in NumPy's order (one lane: vectorbt's fills)."""
    for k in range(n):
        col[0, k] = x[i, k, lane]
    return _psum(col, 0, n)


def _psum_values_lanes(
    d: Any, a: int, p: Any, n: int, nl: int, positive: bool, out: Any, acc: Any
) -> None:
    """out[l] = x.sum() for x = d[a, :n, l] * p[:n, l] (> 0 parts only where
    ``positive``: the buys), in NumPy's order (see :func:`_psum`), for each lane l below nl,
    without storing x."""
    if n <= 128:
        _psum_values_block(d, a, p, 0, n, nl, positive, out, acc)
        return
    for lane in range(nl):
        out[lane] = 0.0
    for b in range(0, n, 128):
        _psum_values_block(d, a, p, b, min(128, n - b), nl, positive, acc[8], acc)
        for lane in range(nl):
            out[lane] += acc[8, lane]


def _psum_values_block(
    d: Any, a: int, p: Any, first: int, n: int, nl: int, positive: bool, out: Any, acc: Any
) -> None:
    """:func:`_psum_values_lanes` of companies first up to first + n (n <= 128)."""
    if n < 8:
        for lane in range(nl):
            out[lane] = 0.0
        for k in range(first, first + n):
            for lane in range(nl):
                v = d[a, k, lane] * p[k, lane]
                out[lane] += max(v, 0.0) if positive else v
        return
    for j in range(8):
        for lane in range(nl):
            v = d[a, first + j, lane] * p[first + j, lane]
            acc[j, lane] = max(v, 0.0) if positive else v
    k = 8
    while k < n - (n % 8):
        for j in range(8):
            c = first + k + j
            for lane in range(nl):
                v = d[a, c, lane] * p[c, lane]
                acc[j, lane] += max(v, 0.0) if positive else v
        k += 8
    for lane in range(nl):
        out[lane] = ((acc[0, lane] + acc[1, lane]) + (acc[2, lane] + acc[3, lane])) + (
            (acc[4, lane] + acc[5, lane]) + (acc[6, lane] + acc[7, lane])
        )
    while k < n:
        c = first + k
        for lane in range(nl):
            v = d[a, c, lane] * p[c, lane]
            out[lane] += max(v, 0.0) if positive else v
        k += 1


def _execute(
    h: Any,
    cash: Any,
    p: Any,
    delta: Any,
    tradable: Any,
    t: int,
    all_trad: bool,
    insiders: Any,
    q: int,
    has_ins: bool,
    rate: float,
    margin: float,
    sizing: int,
    costs: Any,
    ntr: Any,
    rows: Any,
    work: Any,
    flags: Any,
    acc: Any,
    order: Any,
    col: Any,
    some: Any,
    nl: int,
    last: Any,
    r: int,
    day: float,
) -> None:
    """Trader.execute for the lanes of a tile: delta (accounts, companies, lanes) is
    changed in place. A lane that trades nothing computes zeros, which change nothing (the
    engine adds them too). ``last[r]`` (accounts, companies, lanes), where r >= 0: set to
    ``day`` where this buys (the drawdown rule's cooldown). ``rows`` (3, companies, lanes),
    ``work`` (6, lanes), ``flags`` (2, lanes), ``some`` (accounts,): scratch."""
    n_acc, n_comp = h.shape[0], h.shape[1]
    anything = False
    sells_any = False
    # the liquidity and no-short checks, and which accounts trade at all, in one pass
    for a in range(n_acc):
        trades = False
        for c in range(n_comp):
            if all_trad or tradable[t, c]:
                for lane in range(nl):
                    x = np.fmax(delta[a, c, lane], -h[a, c, lane])
                    delta[a, c, lane] = x
                    trades |= x != 0
                    sells_any |= x < 0
            else:
                for lane in range(nl):
                    x = np.fmax(delta[a, c, lane] * 0.0, -h[a, c, lane])
                    delta[a, c, lane] = x
                    trades |= x != 0
                    sells_any |= x < 0
        some[a] = trades
        anything |= trades
    if not anything:  # no lane trades: nothing changes
        return
    if has_ins and sells_any:  # (the gate only ever stops sales)
        blocked = flags[0]
        for c in range(n_comp):
            for lane in range(nl):
                blocked[lane] = False
            for a in range(n_acc):
                if not insiders[q, a]:
                    for lane in range(nl):
                        blocked[lane] |= h[a, c, lane] + delta[a, c, lane] > DUST
            for a in range(n_acc):
                if insiders[q, a]:
                    for lane in range(nl):
                        x = delta[a, c, lane]
                        delta[a, c, lane] = x * (0.0 if blocked[lane] & (x < 0) else 1.0)
    buys, tot, room, floor, need = work[0], work[1], work[2], work[3], work[4]
    short = flags[1]
    for a in range(n_acc):
        if not some[a]:  # this account trades nothing on any lane
            continue
        _psum_values_lanes(delta, a, p, n_comp, nl, True, buys, acc)
        if sells_any:
            _psum_values_lanes(delta, a, p, n_comp, nl, False, tot, acc)
            for lane in range(nl):
                tot[lane] = buys[lane] - tot[lane]  # the sales
        else:  # every value is its buy: the two sums are the same, the sales 0
            for lane in range(nl):
                tot[lane] = 0.0
        for lane in range(nl):
            room[lane] = cash[a, lane] + tot[lane] * (1.0 - rate)
            floor[lane] = 0.0
        if margin > 0:
            held = work[5]
            for lane in range(nl):
                held[lane] = 0.0
            for c in range(n_comp):
                for lane in range(nl):
                    held[lane] += h[a, c, lane] * p[c, lane]
            for lane in range(nl):
                floor[lane] = -margin * max(cash[a, lane] + held[lane], 0.0)
                room[lane] -= floor[lane]
        any_short = False
        for lane in range(nl):
            need[lane] = buys[lane] * (1.0 + rate)
            s = (need[lane] > room[lane]) & (need[lane] > 0)
            short[lane] = s
            any_short |= s
        if any_short and sizing == 2:
            # vectorbt: buys filled one by one from the smallest, each to the cash left
            for lane in range(nl):
                if not short[lane]:
                    continue
                for c in range(n_comp):
                    order[c] = c
                    rows[0, c, lane] = max(delta[a, c, lane] * p[c, lane], 0.0)
                for i in range(1, n_comp):  # stable insertion sort by buy
                    k = order[i]
                    j = i - 1
                    while j >= 0 and rows[0, order[j], lane] > rows[0, k, lane]:
                        order[j + 1] = order[j]
                        j -= 1
                    order[j + 1] = k
                spent = 0.0
                for i in range(n_comp):
                    c = order[i]
                    ranked = rows[0, c, lane] * (1.0 + rate)
                    spent += ranked
                    before = spent - ranked
                    left = max(room[lane] - before, 0.0)
                    full = ranked <= left + _VBT_REL_TOL * max(ranked, left)
                    got = (ranked if full else left) / (1.0 + rate)
                    rows[2, c, lane] = got
                    if rows[0, c, lane] > 0 and delta[a, c, lane] > 0:
                        delta[a, c, lane] = delta[a, c, lane] * (got / rows[0, c, lane])
                buys[lane] = _psum_column(rows, 2, lane, n_comp, col)
        elif any_short:
            for lane in range(nl):
                scale = min(max(room[lane] / need[lane], 0.0), 1.0)
                work[5, lane] = scale if short[lane] else 1.0
            for c in range(n_comp):
                for lane in range(nl):
                    x = delta[a, c, lane]
                    delta[a, c, lane] = x * (work[5, lane] if x > 0 else 1.0)
            for lane in range(nl):
                b = buys[lane]
                buys[lane] = b * work[5, lane]
        if r >= 0:
            for c in range(n_comp):
                for lane in range(nl):
                    x = delta[a, c, lane]
                    h[a, c, lane] += x
                    ntr[a, lane] += x != 0
                    # (a stamp is never after today: the later of the two is today's)
                    last[r, a, c, lane] = np.fmax(last[r, a, c, lane], day if x > 0 else -np.inf)
        else:
            for c in range(n_comp):
                for lane in range(nl):
                    x = delta[a, c, lane]
                    h[a, c, lane] += x
                    ntr[a, lane] += x != 0
        for lane in range(nl):
            sells = tot[lane]
            cost = rate * (buys[lane] + sells)
            money = cash[a, lane] + (sells - buys[lane] - cost)
            if any_short:
                kept = max(money, floor[lane])
                money = kept if short[lane] else money
            cash[a, lane] = money
            costs[a, lane] += cost


def _block(
    mult: Any,
    start: Any,
    h0: Any,
    cash0: Any,
    tradable: Any,
    all_trad: Any,
    acts: Any,
    acts_any: Any,
    due: Any,
    kind: Any,
    acc: Any,
    comp: Any,
    fpar: Any,
    ipar: Any,
    fixed: Any,
    days: Any,
    rfirst: Any,
    insiders: Any,
    has_ins: Any,
    rates: Any,
    margins: Any,
    sizings: Any,
    growth: Any,
    grows: Any,
    out_m: Any,
    out_dd: Any,
    out_bm: Any,
    out_bdd: Any,
    out_cost: Any,
    out_trades: Any,
    lanes: int,
) -> None:
    """Every path of a block through each policy's rules (policy q: rules rfirst[q] up to
    rfirst[q + 1]), a tile of ``lanes`` paths at a time; writes the six per-path parts of
    each policy. A tile's prices are formed once, for all the policies."""
    n_paths, n_time, n_sim = mult.shape
    n_acc, n_comp = h0.shape
    n_rules = kind.shape[0]
    n_pol = rfirst.shape[0] - 1
    L = lanes
    prices = np.empty((n_time, n_comp, L))
    peak = np.empty((n_comp, L))
    h = np.empty((n_acc, n_comp, L))
    hp = np.empty((n_acc, n_comp, L))
    delta = np.empty((n_acc, n_comp, L))
    over = np.zeros((n_acc, n_comp, L), dtype=np.bool_)
    low = np.zeros((n_comp, L), dtype=np.bool_)
    cash = np.empty((n_acc, L))
    value = np.empty((n_acc, L))
    initial = np.empty((n_acc, L))
    inflow = np.empty((n_acc, L))
    outflow = np.empty((n_acc, L))
    costs = np.empty((n_acc, L))
    ntr = np.zeros((n_acc, L), dtype=np.int64)
    acc_peak = np.empty((n_acc, L))
    acc_dd = np.empty((n_acc, L))
    go = np.zeros((n_acc, L), dtype=np.bool_)
    book_peak = np.empty(L)
    book_dd = np.empty(L)
    rows = np.zeros((4, n_comp, L))  # 0-2: the trade step's; 3: the trim's
    work = np.zeros((6, L))  # the trade step's per-lane scratch
    flags = np.zeros((2, L), dtype=np.bool_)
    tmp = np.zeros((6, L))  # the rules' per-lane scratch
    sums = np.zeros((9, L))  # the pairwise sums' accumulators
    order = np.empty(n_comp, dtype=np.int64)
    col = np.empty((1, n_comp))
    some = np.zeros(n_acc, dtype=np.bool_)
    last = np.empty((n_rules, n_acc, n_comp, L))
    targets = np.empty((n_rules, n_acc, n_comp, L))
    for first in range(0, n_paths, L):
        nl = min(L, n_paths - first)
        for t in range(n_time):
            for c in range(n_comp):
                x = start[c]
                if c < n_sim:
                    for lane in range(nl):
                        prices[t, c, lane] = np.float64(mult[first + lane, t, c]) * x
                else:
                    for lane in range(nl):
                        prices[t, c, lane] = x
        for q in range(n_pol):
            rate, margin, sizing, gate = rates[q], margins[q], sizings[q], has_ins[q]
            r_lo, r_hi = rfirst[q], rfirst[q + 1]
            p = prices[0]
            for a in range(n_acc):
                for lane in range(nl):
                    cash[a, lane] = cash0[a]
                    inflow[a, lane] = 0.0
                    outflow[a, lane] = 0.0
                    costs[a, lane] = 0.0
                    ntr[a, lane] = 0
                    acc_peak[a, lane] = -np.inf
                    acc_dd[a, lane] = 0.0
                    value[a, lane] = 0.0
                for c in range(n_comp):
                    for lane in range(nl):
                        h[a, c, lane] = h0[a, c]
            track = False  # running peaks: only the drawdown rule reads them
            for r in range(r_lo, r_hi):
                track |= kind[r] == _DRAWDOWN
            if track:
                for c in range(n_comp):
                    for lane in range(nl):
                        peak[c, lane] = p[c, lane]
            for a in range(n_acc):
                for lane in range(nl):
                    initial[a, lane] = 0.0
                for c in range(n_comp):
                    for lane in range(nl):
                        initial[a, lane] += h[a, c, lane] * p[c, lane]
                for lane in range(nl):
                    initial[a, lane] = cash[a, lane] + initial[a, lane]
            for lane in range(nl):
                book_peak[lane] = -np.inf
                book_dd[lane] = 0.0
            for r in range(r_lo, r_hi):
                if kind[r] == _DRAWDOWN:
                    last[r] = -np.inf
                elif kind[r] == _REBALANCE:
                    count = tmp[0]
                    total = tmp[1]
                    for a in range(n_acc):
                        for lane in range(nl):
                            count[lane] = 0.0
                        for c in range(n_comp):
                            for lane in range(nl):
                                v = h[a, c, lane] * p[c, lane]
                                hp[a, c, lane] = v
                                count[lane] += 1.0 if v > 0 else 0.0
                        _psum_lanes(hp, a, n_comp, nl, total, sums)
                        for lane in range(nl):
                            total[lane] = cash[a, lane] + total[lane]
                        for c in range(n_comp):
                            for lane in range(nl):
                                if ipar[r, 0] == _FIXED:
                                    w = fixed[r, c]
                                elif ipar[r, 0] == _EQUAL:
                                    n = count[lane]
                                    w = (1.0 if hp[a, c, lane] > 0 else 0.0) / n if n > 0 else 0.0
                                else:
                                    s = total[lane]
                                    w = hp[a, c, lane] / s if s > 0 else 0.0
                                targets[r, a, c, lane] = w
            for t in range(n_time):
                p = prices[t]
                if grows and t > 0:  # interest on the cash over the step, first
                    gr = growth[t]
                    for a in range(n_acc):
                        for lane in range(nl):
                            cash[a, lane] *= gr
                if track:
                    for c in range(n_comp):
                        for lane in range(nl):
                            v = p[c, lane]
                            before = peak[c, lane]
                            peak[c, lane] = np.fmax(before, v)
                for r in range(r_lo, r_hi):
                    k = kind[r]
                    trade = False  # (one call of the trade step below: numba compiles it once)
                    if k == _CONTRIBUTE:
                        if due[r, t]:
                            amount = fpar[r, 0]
                            for a in range(n_acc):
                                if acc[r, a]:
                                    for lane in range(nl):
                                        cash[a, lane] += amount
                                        inflow[a, lane] += amount
                        continue
                    if k == _WITHDRAW:
                        if not due[r, t]:
                            continue
                        any_short = False
                        held = tmp[0]
                        for a in range(n_acc):
                            for lane in range(nl):
                                held[lane] = 0.0
                            for c in range(n_comp):
                                for lane in range(nl):
                                    held[lane] += h[a, c, lane] * p[c, lane]
                            f0, f1, on = fpar[r, 0], fpar[r, 1], acc[r, a]
                            for lane in range(nl):
                                m = cash[a, lane]
                                want = f0 + f1 * max(m + held[lane], 0.0) if on else 0.0
                                value[a, lane] = want
                                any_short |= want - max(m, 0.0) > 0
                        if any_short:
                            sellable = tmp[1]
                            for a in range(n_acc):
                                for lane in range(nl):
                                    sellable[lane] = 0.0
                                for c in range(n_comp):
                                    sell = 1.0 if comp[r, c] and tradable[t, c] else 0.0
                                    for lane in range(nl):
                                        v = h[a, c, lane] * p[c, lane] * sell
                                        hp[a, c, lane] = v
                                        sellable[lane] += v
                                for lane in range(nl):
                                    s = sellable[lane]
                                    if sizing != 2:
                                        s = s * (1.0 - rate)
                                    short = value[a, lane] - max(cash[a, lane], 0.0)
                                    part = short / s if s > 0 else 0.0
                                    tmp[2, lane] = min(max(part, 0.0), 1.0)
                                for c in range(n_comp):
                                    for lane in range(nl):
                                        delta[a, c, lane] = (
                                            -(hp[a, c, lane] / p[c, lane]) * tmp[2, lane]
                                        )
                            trade = True
                    elif not acts_any[r, t]:
                        continue
                    elif k == _TRIM:
                        cap = fpar[r, 0]
                        limit = cap + fpar[r, 1]
                        anything = False
                        for a in range(n_acc):
                            for c in range(n_comp):
                                for lane in range(nl):
                                    hp[a, c, lane] = h[a, c, lane] * p[c, lane]
                            _psum_lanes(hp, a, n_comp, nl, value[a], sums)
                            on = acc[r, a]
                            for lane in range(nl):
                                value[a, lane] = cash[a, lane] + value[a, lane]
                            for c in range(n_comp):
                                here = on & acts[r, t, c]
                                for lane in range(nl):
                                    v = value[a, lane]
                                    o = here & (v > 0) & (hp[a, c, lane] > limit * v)
                                    over[a, c, lane] = o
                                    anything |= o
                        if not anything:
                            continue
                        spend = tmp[0]
                        for a in range(n_acc):
                            if sizing == 0:
                                n_over = tmp[1]
                                total = tmp[2]
                                for lane in range(nl):
                                    n_over[lane] = 0.0
                                for c in range(n_comp):
                                    for lane in range(nl):
                                        o = over[a, c, lane]
                                        rows[3, c, lane] = hp[a, c, lane] if o else 0.0
                                        n_over[lane] += 1.0 if o else 0.0
                                _psum_lanes(rows, 3, n_comp, nl, total, sums)
                                for lane in range(nl):
                                    n = n_over[lane]
                                    v = value[a, lane]
                                    sold = (total[lane] - n * cap * v) / (1.0 - n * cap * rate)
                                    tmp[3, lane] = cap * (v - rate * sold)  # keep
                                    spend[lane] = sold * (1.0 - rate) / (1.0 + rate)
                                for c in range(n_comp):
                                    for lane in range(nl):
                                        d = -(hp[a, c, lane] - tmp[3, lane]) / p[c, lane]
                                        delta[a, c, lane] = d if over[a, c, lane] else 0.0
                            else:
                                for c in range(n_comp):
                                    for lane in range(nl):
                                        x = p[c, lane]
                                        o = over[a, c, lane]
                                        gap = cap * value[a, lane] - hp[a, c, lane] if o else 0.0
                                        d = _shares(gap, x, rate, sizing)
                                        delta[a, c, lane] = d
                                        rows[3, c, lane] = d * x
                                _psum_lanes(rows, 3, n_comp, nl, spend, sums)
                                for lane in range(nl):
                                    spend[lane] = -spend[lane] * (1.0 - rate)
                            if ipar[r, 0]:  # reinvest into the other holdings
                                base = tmp[4]
                                for c in range(n_comp):
                                    free = tradable[t, c]
                                    for lane in range(nl):
                                        v = hp[a, c, lane]
                                        others = free & (not over[a, c, lane]) & (v > 0)
                                        rows[3, c, lane] = v if others else 0.0
                                _psum_lanes(rows, 3, n_comp, nl, base, sums)
                                for c in range(n_comp):
                                    for lane in range(nl):
                                        b = base[lane]
                                        share = rows[3, c, lane] / b if b > 0 else 0.0
                                        amount = share * spend[lane]
                                        x = p[c, lane]
                                        if sizing == 0:
                                            delta[a, c, lane] += amount / x
                                        else:
                                            delta[a, c, lane] += _shares(amount, x, rate, sizing)
                        trade = True
                    elif k == _DRAWDOWN:
                        fall = 1.0 - fpar[r, 0]
                        anything = False
                        for c in range(n_comp):
                            here = acts[r, t, c]
                            for lane in range(nl):
                                lo = here & (p[c, lane] <= peak[c, lane] * fall)
                                low[c, lane] = lo
                                anything |= lo
                        if not anything:
                            continue
                        cooldown = ipar[r, 0]
                        named = ipar[r, 1] != 0
                        day = days[t]
                        buying = False
                        n_ok = tmp[0]
                        budget = tmp[1]
                        frac = fpar[r, 1]
                        for a in range(n_acc):
                            on = acc[r, a]
                            for lane in range(nl):
                                n_ok[lane] = 0.0
                            for c in range(n_comp):
                                if not on:
                                    for lane in range(nl):
                                        over[a, c, lane] = False
                                elif cooldown != 0:
                                    for lane in range(nl):
                                        ok = low[c, lane] & (named | (h[a, c, lane] > 0))
                                        ok = ok & ((day - last[r, a, c, lane]) >= cooldown)
                                        over[a, c, lane] = ok
                                        n_ok[lane] += 1.0 if ok else 0.0
                                else:
                                    for lane in range(nl):
                                        ok = low[c, lane] & (named | (h[a, c, lane] > 0))
                                        over[a, c, lane] = ok
                                        n_ok[lane] += 1.0 if ok else 0.0
                            for lane in range(nl):
                                budget[lane] = frac * max(cash[a, lane], 0.0) / max(n_ok[lane], 1.0)
                            # conviction and bt spend the budget, costs included; vectorbt buys
                            # its value (x * 1.0 is x)
                            per = 1.0 if sizing == 2 else 1.0 + rate
                            for c in range(n_comp):
                                for lane in range(nl):
                                    d = budget[lane] / (p[c, lane] * per)
                                    d = d if over[a, c, lane] else 0.0
                                    delta[a, c, lane] = d
                                    buying |= d != 0
                        if not buying:  # the trade step would return at once
                            continue
                        trade = True
                    else:  # rebalance
                        band = fpar[r, 0]
                        banded = ipar[r, 1] != 0
                        anything = False
                        for a in range(n_acc):
                            for c in range(n_comp):
                                for lane in range(nl):
                                    hp[a, c, lane] = h[a, c, lane] * p[c, lane]
                            _psum_lanes(hp, a, n_comp, nl, value[a], sums)
                            on = acc[r, a]
                            off = flags[0]
                            for lane in range(nl):
                                v = cash[a, lane] + value[a, lane]
                                value[a, lane] = v
                                off[lane] = False
                            if banded:
                                for c in range(n_comp):
                                    here = acts[r, t, c]
                                    for lane in range(nl):
                                        w = hp[a, c, lane] / value[a, lane]
                                        off[lane] |= (abs(w - targets[r, a, c, lane]) > band) & here
                            for lane in range(nl):
                                g = on & (value[a, lane] > 0) & (off[lane] | (not banded))
                                go[a, lane] = g
                                anything |= g
                        if not anything:
                            continue
                        plain = sizing != 1 or rate == 0.0  # _shares is gap / price
                        for a in range(n_acc):
                            for c in range(n_comp):
                                here = acts[r, t, c]
                                for lane in range(nl):
                                    v = value[a, lane]
                                    gap = targets[r, a, c, lane] * v - hp[a, c, lane]
                                    keep = go[a, lane] & here & (abs(gap) > 1e-9 * abs(v))
                                    gap = gap if keep else 0.0
                                    x = p[c, lane]
                                    if plain:
                                        delta[a, c, lane] = gap / x
                                    else:
                                        delta[a, c, lane] = _shares(gap, x, rate, sizing)
                        trade = True
                    if trade:
                        _execute(
                            h, cash, p, delta, tradable, t, all_trad[t], insiders, q, gate,
                            rate, margin, sizing, costs, ntr, rows, work, flags, sums, order,
                            col, some, nl, last, r if k == _DRAWDOWN else -1, days[t],
                        )  # fmt: skip
                    if k == _WITHDRAW:
                        for a in range(n_acc):
                            for lane in range(nl):
                                m = cash[a, lane]
                                take = min(value[a, lane], max(m, 0.0))
                                cash[a, lane] = m - take
                                outflow[a, lane] += take
                # the values after this step's trades: drawdowns of each account and the book
                book = tmp[5]
                for lane in range(nl):
                    book[lane] = 0.0
                for a in range(n_acc):
                    now = value[a]
                    for lane in range(nl):
                        now[lane] = 0.0
                    for c in range(n_comp):
                        for lane in range(nl):
                            now[lane] += h[a, c, lane] * p[c, lane]
                    for lane in range(nl):
                        v = cash[a, lane] + now[lane]
                        now[lane] = v
                        book[lane] += v
                        top = acc_peak[a, lane]
                        loss = v / top if top > 0 else 1.0
                        worse = (v < top) & (1.0 - loss > acc_dd[a, lane])
                        acc_dd[a, lane] = np.fmax(acc_dd[a, lane], 1.0 - loss if worse else 0.0)
                        acc_peak[a, lane] = np.fmax(top, v)
                for lane in range(nl):
                    v = book[lane]
                    top = book_peak[lane]
                    loss = v / top if top > 0 else 1.0
                    worse = (v < top) & (1.0 - loss > book_dd[lane])
                    book_dd[lane] = np.fmax(book_dd[lane], 1.0 - loss if worse else 0.0)
                    book_peak[lane] = np.fmax(top, v)
            for lane in range(nl):
                path = first + lane
                end_sum = 0.0
                start_sum = 0.0
                initial_sum = 0.0
                cost_sum = 0.0
                trades = 0
                for a in range(n_acc):
                    end = value[a, lane] + outflow[a, lane]
                    begin = initial[a, lane] + inflow[a, lane]
                    out_m[q, path, a] = end / begin if begin > 0 else np.nan
                    out_dd[q, path, a] = acc_dd[a, lane]
                    end_sum += end
                    start_sum += begin
                    initial_sum += initial[a, lane]
                    cost_sum += costs[a, lane]
                    trades += ntr[a, lane]
                out_bm[q, path] = end_sum / start_sum if start_sum > 0 else np.nan
                out_bdd[q, path] = book_dd[lane]
                out_cost[q, path] = cost_sum / initial_sum if initial_sum > 0 else 0.0
                out_trades[q, path] = trades


# numba compiles at the first call per argument types (a few seconds) and, with
# cache=True, keeps the machine code in __pycache__ beside this file for later processes.
if HAVE_NUMBA:
    _psum_block = numba.njit(cache=True, error_model="numpy")(_psum_block)
    _psum = numba.njit(cache=True, error_model="numpy")(_psum)
    _shares = numba.njit(cache=True, error_model="numpy")(_shares)
    _psum_lanes_block = numba.njit(cache=True, error_model="numpy")(_psum_lanes_block)
    _psum_lanes = numba.njit(cache=True, error_model="numpy")(_psum_lanes)
    _psum_column = numba.njit(cache=True, error_model="numpy")(_psum_column)
    _psum_values_block = numba.njit(cache=True, error_model="numpy")(_psum_values_block)
    _psum_values_lanes = numba.njit(cache=True, error_model="numpy")(_psum_values_lanes)
    _execute = numba.njit(cache=True, error_model="numpy")(_execute)
    _block = numba.njit(cache=True, error_model="numpy")(_block)


@dataclass(frozen=True, eq=False)
class PathKernel:
    """One or more policies bound to a setup and its liquidity steps, as tables for the
    kernel: policy q's rules are rows ``rfirst[q]`` up to ``rfirst[q + 1]``."""

    accounts: tuple[str, ...]
    tradable: BoolArray  # (T, C)
    all_tradable: BoolArray  # (T,)
    acts: BoolArray  # (R, T, C): where each rule may trade (scope, window, due, events)
    acts_any: BoolArray  # (R, T)
    due: BoolArray  # (R, T): flows' period starts inside the window
    kind: IntArray  # (R,)
    acc: BoolArray  # (R, A)
    comp: BoolArray  # (R, C)
    fpar: Float64Array  # (R, 2)
    ipar: IntArray  # (R, 2)
    fixed: Float64Array  # (R, C)
    days: Float64Array  # (T,)
    rfirst: IntArray  # (Q + 1,)
    insiders: BoolArray  # (Q, A)
    has_insiders: BoolArray  # (Q,)
    rate: Float64Array  # (Q,)
    margin: Float64Array  # (Q,)
    sizing: IntArray  # (Q,)
    growth: Float64Array  # (T,): cash's factor on each step (the engine's cash_growth)
    grows: bool  # False: cash earns nothing (growth is all 1)

    @property
    def policies(self) -> int:
        return int(self.rfirst.size - 1)

    def part(
        self,
        multiples: FloatArray,
        start_prices: Float64Array,
        holdings: Float64Array,
        cash: Float64Array,
    ) -> tuple[Float64Array, ...]:
        """What ``SummaryAccumulator.part`` keeps of the engine's run on the prices
        ``multiples x start_prices`` (paths, time, companies; companies past the
        multiples' last are held at their start price, as simulate's ``flat``), for a
        kernel of one policy."""
        if self.policies != 1:
            raise ValueError(f"part() runs one policy; this kernel has {self.policies}")
        return self.parts(multiples, start_prices, holdings, cash)[0]

    def parts(
        self,
        multiples: FloatArray,
        start_prices: Float64Array,
        holdings: Float64Array,
        cash: Float64Array,
    ) -> list[tuple[Float64Array, ...]]:
        """:meth:`part` of every policy, in order, from one pass over the paths."""
        mult = np.ascontiguousarray(multiples)
        if mult.dtype not in (np.float32, np.float64):
            mult = mult.astype(np.float64)
        n_pol, n_paths, n_acc = self.policies, mult.shape[0], len(self.accounts)
        out_m = np.empty((n_pol, n_paths, n_acc))
        out_dd = np.empty((n_pol, n_paths, n_acc))
        out_bm = np.empty((n_pol, n_paths))
        out_bdd = np.empty((n_pol, n_paths))
        out_cost = np.empty((n_pol, n_paths))
        out_trades = np.empty((n_pol, n_paths))
        _block(
            mult,
            np.ascontiguousarray(start_prices, dtype=np.float64),
            np.ascontiguousarray(holdings, dtype=np.float64),
            np.ascontiguousarray(cash, dtype=np.float64),
            self.tradable,
            self.all_tradable,
            self.acts,
            self.acts_any,
            self.due,
            self.kind,
            self.acc,
            self.comp,
            self.fpar,
            self.ipar,
            self.fixed,
            self.days,
            self.rfirst,
            self.insiders,
            self.has_insiders,
            self.rate,
            self.margin,
            self.sizing,
            self.growth,
            self.grows,
            out_m,
            out_dd,
            out_bm,
            out_bdd,
            out_cost,
            out_trades,
            LANES,
        )
        return [
            (out_m[q], out_dd[q], out_bm[q], out_bdd[q], out_cost[q], out_trades[q])
            for q in range(n_pol)
        ]


def stack(kernels: Sequence[PathKernel]) -> PathKernel | None:
    """One kernel that runs every policy of ``kernels`` in one pass over each path (the
    path's prices formed once); None where they differ in accounts, steps or liquidity
    (run them one by one then)."""
    if not kernels:
        return None
    first = kernels[0]
    for k in kernels[1:]:
        if (
            k.accounts != first.accounts
            or not np.array_equal(k.tradable, first.tradable)
            or not np.array_equal(k.days, first.days)
            or not np.array_equal(k.growth, first.growth)
        ):
            return None
    sizes = np.array([k.kind.size for k in kernels], dtype=np.int64)

    def cat(name: str) -> Any:
        return np.ascontiguousarray(np.concatenate([getattr(k, name) for k in kernels]))

    return PathKernel(
        accounts=first.accounts,
        tradable=first.tradable,
        all_tradable=first.all_tradable,
        acts=cat("acts"),
        acts_any=cat("acts_any"),
        due=cat("due"),
        kind=cat("kind"),
        acc=cat("acc"),
        comp=cat("comp"),
        fpar=cat("fpar"),
        ipar=cat("ipar"),
        fixed=cat("fixed"),
        days=first.days,
        rfirst=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        insiders=cat("insiders"),
        has_insiders=cat("has_insiders"),
        rate=cat("rate"),
        margin=cat("margin"),
        sizing=cat("sizing"),
        growth=first.growth,
        grows=first.grows,
    )


def path_kernel(
    engine: PolicyEngine,
    liquidity: BoolArray | None = None,
    cash_growth: Float64Array | None = None,
) -> PathKernel | None:
    """The kernel of ``engine``'s policy for paths whose private companies trade on the
    steps ``liquidity`` (time, companies) and whose cash grows by ``cash_growth`` (time,)
    a step (as ``PolicyEngine.run``'s); None where the kernel cannot run it (no numba,
    liquidity per path, a rule it does not know): run the engine then."""
    if not HAVE_NUMBA:  # pragma: no cover - exercised only without numba
        return None
    n_time = engine.days.size
    n_comp = len(engine.setup.companies)
    n_acc = len(engine.setup.accounts)
    private = engine.private
    if liquidity is None:
        events = np.zeros((n_time, n_comp), dtype=bool)
    else:
        liq = np.asarray(liquidity, dtype=bool)
        if liq.shape != (n_time, n_comp):
            return None
        events = liq & private
    tradable = ~private | events
    growth = _growth(cash_growth, n_time)
    rules = engine.rules
    n_rules = len(rules)
    kind = np.zeros(n_rules, dtype=np.int64)
    acts = np.zeros((n_rules, n_time, n_comp), dtype=bool)
    due = np.zeros((n_rules, n_time), dtype=bool)
    acc = np.zeros((n_rules, n_acc), dtype=bool)
    comp = np.zeros((n_rules, n_comp), dtype=bool)
    fpar = np.zeros((n_rules, 2))
    ipar = np.zeros((n_rules, 2), dtype=np.int64)
    fixed = np.zeros((n_rules, n_comp))
    for r, rule in enumerate(rules):
        acc[r] = rule.accounts
        comp[r] = rule.companies
        due[r] = rule.due & rule.window
        # BoundRule.acts & tradable, for every step at once
        public_due = rule.due[:, None] & ~private[None, :]
        acts[r] = rule.companies & rule.window[:, None] & (public_due | events) & tradable
        if isinstance(rule, TrimRule):
            kind[r] = _TRIM
            fpar[r] = (rule.spec.cap, rule.spec.band)
            ipar[r, 0] = int(rule.spec.reinvest)
        elif isinstance(rule, DrawdownRule):
            kind[r] = _DRAWDOWN
            fpar[r] = (rule.spec.drawdown, rule.spec.fraction)
            ipar[r] = (rule.spec.cooldown, int(rule.named))
        elif isinstance(rule, RebalanceRule):
            kind[r] = _REBALANCE
            fpar[r, 0] = 0.0 if rule.spec.band is None else rule.spec.band
            ipar[r, 1] = int(rule.spec.band is not None)
            if rule.fixed is not None:
                ipar[r, 0] = _FIXED
                fixed[r] = rule.fixed
            else:
                ipar[r, 0] = _EQUAL if rule.spec.targets == "equal" else _INITIAL
        elif isinstance(rule, FlowRule):
            if isinstance(rule.spec, Contribute):
                kind[r] = _CONTRIBUTE
                fpar[r, 0] = rule.spec.amount
            else:
                kind[r] = _WITHDRAW
                fpar[r] = (rule.spec.amount, rule.spec.fraction)
        else:  # pragma: no cover - every bound rule type is handled above
            return None
    trader = engine.trader
    insiders = (
        np.zeros(n_acc, dtype=bool) if trader.insiders is None else np.asarray(trader.insiders)
    )
    return PathKernel(
        accounts=engine.setup.accounts,
        tradable=np.ascontiguousarray(tradable),
        all_tradable=np.asarray(tradable.all(axis=1)),
        acts=acts,
        acts_any=np.asarray(acts.any(axis=2)),
        due=due,
        kind=kind,
        acc=acc,
        comp=comp,
        fpar=fpar,
        ipar=ipar,
        fixed=fixed,
        days=engine.days.astype(np.float64),
        rfirst=np.array([0, n_rules], dtype=np.int64),
        insiders=np.ascontiguousarray(insiders, dtype=bool).reshape(1, n_acc),
        has_insiders=np.array([trader.insiders is not None]),
        rate=np.array([float(trader.rate)]),
        margin=np.array([float(trader.margin)]),
        sizing=np.array([_SIZING[trader.sizing]], dtype=np.int64),
        growth=np.ones(n_time) if growth is None else np.ascontiguousarray(growth),
        grows=growth is not None,
    )


def warm() -> None:
    """Compile the kernel for the blocks the projection hands it (float32 multiples) on a
    tiny case: ``python -m conviction.warmup`` runs it (``make demo``), so the first
    ``conviction compare`` does not spend a minute compiling. (float64 multiples, which
    nothing in conviction makes, compile on their first use.)"""
    import datetime as dt

    from conviction.policies.engine import Setup
    from conviction.policies.simulate import step_dates
    from conviction.policies.spec import Costs, LastSeller, Policy, TrimToCap

    setup = Setup(
        companies=("a", "b"),
        accounts=("client", "me"),
        kinds=("client", "personal"),
        dates=step_dates(dt.date(2025, 1, 31), 2, 12),
        private=np.array([False, True]),
    )
    policy = Policy("warm", (LastSeller(), TrimToCap(cap=0.5)), costs=Costs(commission_bps=1.0))
    kernel = path_kernel(PolicyEngine(policy, setup), np.ones((3, 2), dtype=bool))
    if kernel is None:  # pragma: no cover - without numba there is nothing to compile
        return
    kernel.part(np.ones((1, 3, 2), dtype=np.float32), np.ones(2), np.ones((2, 2)), np.zeros(2))
