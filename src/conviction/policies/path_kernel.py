"""A policy on blocks of simulated paths, compiled: per path and step, straight to summaries.

:class:`~conviction.policies.engine.PolicyEngine` runs a policy vectorised over paths,
one step at a time, in NumPy: on a block of 4,096 monthly paths that is a few dozen array
operations of (paths, accounts, companies) per step, and about 20x the time it takes to
make the paths. This module runs the same rules (same binding, same order, same
arithmetic) in one numba kernel that loops over paths, then steps, then the rules, with
each path's holdings and cash in a few registers' worth of scratch, and leaves only what
:meth:`~conviction.policies.summary.SummaryAccumulator.part` keeps of a run: per path, the
multiple and max drawdown of each account and of the book, the costs as a fraction of the
initial book, and the number of trades. No (paths, time, accounts) array is made, and the
prices are formed from the block's multiples inside the kernel (no float64 copy of the
block).

    kernel = path_kernel(engine, liquidity)      # None: not supported, use the engine
    part = kernel.part(multiples, start_prices, holdings, cash)
    both = stack([kernel, other])                # several policies, one pass per path
    part, other_part = both.parts(multiples, start_prices, holdings, cash)

``compare`` runs its policies stacked: each path's prices and running peaks are formed
once (from the block's float32 multiples), then every policy runs over them in turn,
with its holdings and cash in the same small scratch arrays.

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
    order: Any,
) -> None:
    """Trader.execute for one path: delta (accounts, companies) is changed in place.

    ``insiders[q]``: the accounts under policy q's last-seller rule; ``rows``: scratch
    rows of companies (0: buys, 1: values, 2: what vectorbt fills). The loops are written
    without short-circuit conditions so that they compile to selects, not branches."""
    n_acc, n_comp = h.shape
    anything = False
    for a in range(n_acc):
        for c in range(n_comp):
            anything |= delta[a, c] != 0
    if not anything:  # no trade: nothing changes (the engine's arithmetic adds zeros)
        return
    if not all_trad:
        for a in range(n_acc):
            for c in range(n_comp):
                if not tradable[t, c]:
                    delta[a, c] = delta[a, c] * 0.0
    for a in range(n_acc):
        for c in range(n_comp):
            low = -h[a, c]
            d = delta[a, c]
            delta[a, c] = low if d < low else d
    if has_ins:
        for c in range(n_comp):
            blocked = False
            for a in range(n_acc):
                blocked |= (not insiders[q, a]) & (h[a, c] + delta[a, c] > DUST)
            if blocked:
                for a in range(n_acc):
                    if insiders[q, a] and delta[a, c] < 0:
                        delta[a, c] = 0.0
    for a in range(n_acc):
        some = False
        for c in range(n_comp):
            some |= delta[a, c] != 0
        if not some:  # this account trades nothing: adding zeros changes nothing
            continue
        for c in range(n_comp):
            v = delta[a, c] * p[c]
            rows[1, c] = v
            rows[0, c] = max(v, 0.0)
        buys = _psum(rows, 0, n_comp)
        sells = buys - _psum(rows, 1, n_comp)
        room = cash[a] + sells * (1.0 - rate)
        floor = 0.0
        if margin > 0:
            held = 0.0
            for c in range(n_comp):
                held += h[a, c] * p[c]  # (the engine's einsum adds in its own order)
            floor = -margin * max(cash[a] + held, 0.0)
            room -= floor
        need = buys * (1.0 + rate)
        short = need > room and need > 0
        if short and sizing == 2:
            # vectorbt: buys filled one by one from the smallest, each to the cash left
            for c in range(n_comp):
                order[c] = c
            for i in range(1, n_comp):  # stable insertion sort by buy
                k = order[i]
                j = i - 1
                while j >= 0 and rows[0, order[j]] > rows[0, k]:
                    order[j + 1] = order[j]
                    j -= 1
                order[j + 1] = k
            spent = 0.0
            for i in range(n_comp):
                c = order[i]
                ranked = rows[0, c] * (1.0 + rate)
                spent += ranked
                before = spent - ranked
                left = max(room - before, 0.0)
                full = ranked <= left + _VBT_REL_TOL * max(ranked, left)
                got = (ranked if full else left) / (1.0 + rate)
                rows[2, c] = got
                if rows[0, c] > 0 and delta[a, c] > 0:
                    delta[a, c] = delta[a, c] * (got / rows[0, c])
            buys = _psum(rows, 2, n_comp)
        elif short:
            scale = min(max(room / need, 0.0), 1.0)
            for c in range(n_comp):
                if delta[a, c] > 0:
                    delta[a, c] = delta[a, c] * scale
            buys = buys * scale
        traded = buys + sells
        cost = rate * traded
        for c in range(n_comp):
            h[a, c] += delta[a, c]
            ntr[a] += delta[a, c] != 0
        cash[a] += sells - buys - cost
        if short:
            cash[a] = max(cash[a], floor)
        costs[a] += cost


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
) -> None:
    """Every path of a block through each policy's rules (policy q: rules rfirst[q] up to
    rfirst[q + 1]); writes the six per-path parts of each policy. A path's prices and
    running peaks are formed once, for all the policies."""
    n_paths, n_time, n_sim = mult.shape
    n_acc, n_comp = h0.shape
    n_rules = kind.shape[0]
    n_pol = rfirst.shape[0] - 1
    prices = np.empty((n_time, n_comp))
    peaks = np.empty((n_time, n_comp))
    p = np.empty(n_comp)
    peak = np.empty(n_comp)
    h = np.empty((n_acc, n_comp))
    hp = np.empty((n_acc, n_comp))
    delta = np.empty((n_acc, n_comp))
    over = np.zeros((n_acc, n_comp), dtype=np.bool_)
    cash = np.empty(n_acc)
    value = np.empty(n_acc)
    initial = np.empty(n_acc)
    inflow = np.empty(n_acc)
    outflow = np.empty(n_acc)
    costs = np.empty(n_acc)
    ntr = np.zeros(n_acc, dtype=np.int64)
    acc_peak = np.empty(n_acc)
    acc_dd = np.empty(n_acc)
    go = np.zeros(n_acc, dtype=np.bool_)
    low = np.zeros(n_comp, dtype=np.bool_)
    rows = np.zeros((4, n_comp))  # 0-2: the trade step's; 3: the trim's
    order = np.empty(n_comp, dtype=np.int64)
    last = np.empty((n_rules, n_acc, n_comp))
    targets = np.empty((n_rules, n_acc, n_comp))
    for path in range(n_paths):
        for t in range(n_time):
            for c in range(n_comp):
                v = np.float64(mult[path, t, c]) * start[c] if c < n_sim else start[c]
                prices[t, c] = v
                if t == 0:
                    peaks[t, c] = v
                else:
                    before = peaks[t - 1, c]
                    peaks[t, c] = v if v > before else before
        for q in range(n_pol):
            rate, margin, sizing, gate = rates[q], margins[q], sizings[q], has_ins[q]
            r_lo, r_hi = rfirst[q], rfirst[q + 1]
            for a in range(n_acc):
                cash[a] = cash0[a]
                inflow[a] = 0.0
                outflow[a] = 0.0
                costs[a] = 0.0
                ntr[a] = 0
                acc_peak[a] = -np.inf
                acc_dd[a] = 0.0
                for c in range(n_comp):
                    h[a, c] = h0[a, c]
            for c in range(n_comp):
                p[c] = prices[0, c]
            for a in range(n_acc):
                held = 0.0
                for c in range(n_comp):
                    held += h[a, c] * p[c]
                initial[a] = cash[a] + held
            for r in range(r_lo, r_hi):
                if kind[r] == _DRAWDOWN:
                    last[r] = -np.inf
                elif kind[r] == _REBALANCE:
                    for a in range(n_acc):
                        count = 0
                        for c in range(n_comp):
                            hp[a, c] = h[a, c] * p[c]
                            if hp[a, c] > 0:
                                count += 1
                        total = cash[a] + _psum(hp, a, n_comp)
                        for c in range(n_comp):
                            if ipar[r, 0] == _FIXED:
                                targets[r, a, c] = fixed[r, c]
                            elif ipar[r, 0] == _EQUAL:
                                targets[r, a, c] = (
                                    (1.0 if hp[a, c] > 0 else 0.0) / count if count > 0 else 0.0
                                )
                            else:
                                targets[r, a, c] = hp[a, c] / total if total > 0 else 0.0
            book_peak = -np.inf
            book_dd = 0.0
            for t in range(n_time):
                if grows and t > 0:  # interest on the cash over the step, first
                    for a in range(n_acc):
                        cash[a] *= growth[t]
                for c in range(n_comp):
                    p[c] = prices[t, c]
                    peak[c] = peaks[t, c]
                for r in range(r_lo, r_hi):
                    k = kind[r]
                    trade = False  # (one call of the trade step below: numba compiles it once)
                    if k == _CONTRIBUTE:
                        if due[r, t]:
                            amount = fpar[r, 0]
                            for a in range(n_acc):
                                if acc[r, a]:
                                    cash[a] += amount
                                    inflow[a] += amount
                        continue
                    if k == _WITHDRAW:
                        if not due[r, t]:
                            continue
                        any_short = False
                        for a in range(n_acc):
                            held = 0.0
                            for c in range(n_comp):
                                held += h[a, c] * p[c]
                            want = (
                                fpar[r, 0] + fpar[r, 1] * max(cash[a] + held, 0.0)
                                if acc[r, a]
                                else 0.0
                            )
                            value[a] = want
                            if want - max(cash[a], 0.0) > 0:
                                any_short = True
                        if any_short:
                            for a in range(n_acc):
                                sellable = 0.0
                                for c in range(n_comp):
                                    sell = comp[r, c] and tradable[t, c]
                                    hp[a, c] = h[a, c] * p[c] * (1.0 if sell else 0.0)
                                    sellable += hp[a, c]
                                if sizing != 2:
                                    sellable = sellable * (1.0 - rate)
                                short = value[a] - max(cash[a], 0.0)
                                part = short / sellable if sellable > 0 else 0.0
                                part = min(max(part, 0.0), 1.0)
                                for c in range(n_comp):
                                    delta[a, c] = -(hp[a, c] / p[c]) * part
                            trade = True
                    elif not acts_any[r, t]:
                        continue
                    elif k == _TRIM:
                        cap = fpar[r, 0]
                        limit = cap + fpar[r, 1]
                        anything = False
                        for a in range(n_acc):
                            for c in range(n_comp):
                                hp[a, c] = h[a, c] * p[c]
                            value[a] = cash[a] + _psum(hp, a, n_comp)
                            ok = acc[r, a] & (value[a] > 0)
                            for c in range(n_comp):
                                o = ok & (hp[a, c] > limit * value[a]) & acts[r, t, c]
                                over[a, c] = o
                                anything |= o
                        if not anything:
                            continue
                        for a in range(n_acc):
                            if sizing == 0:
                                n = 0
                                for c in range(n_comp):
                                    rows[3, c] = hp[a, c] if over[a, c] else 0.0
                                    n += over[a, c]
                                total = _psum(rows, 3, n_comp)
                                sold = (total - n * cap * value[a]) / (1.0 - n * cap * rate)
                                keep = cap * (value[a] - rate * sold)
                                for c in range(n_comp):
                                    delta[a, c] = -(hp[a, c] - keep) / p[c] if over[a, c] else 0.0
                                spend = sold * (1.0 - rate) / (1.0 + rate)
                            else:
                                for c in range(n_comp):
                                    gap = cap * value[a] - hp[a, c] if over[a, c] else 0.0
                                    delta[a, c] = _shares(gap, p[c], rate, sizing)
                                    rows[3, c] = delta[a, c] * p[c]
                                spend = -_psum(rows, 3, n_comp) * (1.0 - rate)
                            if ipar[r, 0]:  # reinvest into the other holdings
                                for c in range(n_comp):
                                    others = (not over[a, c]) & (hp[a, c] > 0) & tradable[t, c]
                                    rows[3, c] = hp[a, c] if others else 0.0
                                base_sum = _psum(rows, 3, n_comp)
                                for c in range(n_comp):
                                    share = rows[3, c] / base_sum if base_sum > 0 else 0.0
                                    amount = share * spend
                                    if sizing == 0:
                                        delta[a, c] += amount / p[c]
                                    else:
                                        delta[a, c] += _shares(amount, p[c], rate, sizing)
                        trade = True
                    elif k == _DRAWDOWN:
                        fall = 1.0 - fpar[r, 0]
                        anything = False
                        for c in range(n_comp):
                            lo = (p[c] <= peak[c] * fall) & acts[r, t, c]
                            low[c] = lo
                            anything |= lo
                        if not anything:
                            continue
                        cooldown = ipar[r, 0]
                        named = ipar[r, 1] != 0
                        day = days[t]
                        buying = False
                        for a in range(n_acc):
                            n = 0
                            ok_acc = acc[r, a]
                            for c in range(n_comp):
                                ok = low[c] & ok_acc & (named | (h[a, c] > 0))
                                if cooldown != 0:
                                    ok = ok & ((day - last[r, a, c]) >= cooldown)
                                over[a, c] = ok
                                n += ok
                            budget = fpar[r, 1] * max(cash[a], 0.0) / max(n, 1)
                            for c in range(n_comp):
                                if over[a, c]:  # (few are: no division for the others)
                                    per_share = p[c] if sizing == 2 else p[c] * (1.0 + rate)
                                    delta[a, c] = budget / per_share
                                    buying |= delta[a, c] != 0
                                else:
                                    delta[a, c] = 0.0
                        if not buying:  # the trade step would return at once
                            continue
                        trade = True
                    else:  # rebalance
                        band = fpar[r, 0]
                        banded = ipar[r, 1] != 0
                        anything = False
                        for a in range(n_acc):
                            for c in range(n_comp):
                                hp[a, c] = h[a, c] * p[c]
                            value[a] = cash[a] + _psum(hp, a, n_comp)
                            g = (value[a] > 0) & acc[r, a]
                            if g and banded:
                                off = False
                                for c in range(n_comp):
                                    w = hp[a, c] / value[a]
                                    off |= (abs(w - targets[r, a, c]) > band) & acts[r, t, c]
                                g = off
                            go[a] = g
                            anything |= g
                        if not anything:
                            continue
                        for a in range(n_acc):
                            for c in range(n_comp):
                                gap = targets[r, a, c] * value[a] - hp[a, c]
                                keep = go[a] & acts[r, t, c]
                                if not keep or abs(gap) <= 1e-9 * abs(value[a]):
                                    gap = 0.0
                                delta[a, c] = _shares(gap, p[c], rate, sizing)
                        trade = True
                    if trade:
                        _execute(
                            h, cash, p, delta, tradable, t, all_trad[t], insiders, q,
                            gate, rate, margin, sizing, costs, ntr, rows, order,
                        )  # fmt: skip
                    if k == _WITHDRAW:
                        for a in range(n_acc):
                            take = min(value[a], max(cash[a], 0.0))
                            cash[a] -= take
                            outflow[a] += take
                    elif k == _DRAWDOWN:
                        for a in range(n_acc):
                            for c in range(n_comp):
                                if delta[a, c] > 0:
                                    last[r, a, c] = days[t]
                # the values after this step's trades: drawdowns of each account and the book
                book = 0.0
                for a in range(n_acc):
                    held = 0.0
                    for c in range(n_comp):
                        held += h[a, c] * p[c]
                    now = cash[a] + held
                    value[a] = now
                    book += now
                    if now > acc_peak[a]:
                        acc_peak[a] = now
                    elif now < acc_peak[a]:  # (at its peak the drawdown is 0: no division)
                        loss = now / acc_peak[a] if acc_peak[a] > 0 else 1.0
                        if 1.0 - loss > acc_dd[a]:
                            acc_dd[a] = 1.0 - loss
                if book > book_peak:
                    book_peak = book
                elif book < book_peak:
                    loss = book / book_peak if book_peak > 0 else 1.0
                    if 1.0 - loss > book_dd:
                        book_dd = 1.0 - loss
            end_sum = 0.0
            start_sum = 0.0
            initial_sum = 0.0
            cost_sum = 0.0
            trades = 0
            for a in range(n_acc):
                end = value[a] + outflow[a]
                begin = initial[a] + inflow[a]
                out_m[q, path, a] = end / begin if begin > 0 else np.nan
                out_dd[q, path, a] = acc_dd[a]
                end_sum += end
                start_sum += begin
                initial_sum += initial[a]
                cost_sum += costs[a]
                trades += ntr[a]
            out_bm[q, path] = end_sum / start_sum if start_sum > 0 else np.nan
            out_bdd[q, path] = book_dd
            out_cost[q, path] = cost_sum / initial_sum if initial_sum > 0 else 0.0
            out_trades[q, path] = trades


# numba compiles at the first call per argument types (a few seconds) and, with
# cache=True, keeps the machine code in __pycache__ beside this file for later processes.
if HAVE_NUMBA:
    _psum_block = numba.njit(cache=True, error_model="numpy")(_psum_block)
    _psum = numba.njit(cache=True, error_model="numpy")(_psum)
    _shares = numba.njit(cache=True, error_model="numpy")(_shares)
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
