"""Lot matching over arrays: one pass per (account, company), compiled with numba.

Lots of different (account, company) keys never interact, so the kernel counting-sorts
the rows by key (keeping row order inside a key) and replays each key on its own, with
plain arrays for its lots. Every buy opens at most one lot, so lot storage is one slot
per buy row, contiguous per key in opening order; a lot that is sold out is flagged dead,
and a window [head, tail) of the key's slots brackets the live ones.

- fifo / lifo take from the head / the tail of the window;
- hifo picks, again and again, the live lot with the highest unit cost (ties: the older);
- average keeps one pooled lot: a buy into a live pool adds to it, so the pool keeps the
  first open date;
- specific takes the lots a sale's spec names (``id`` or ``id:qty;id2:qty2``); a sale
  with no spec is fifo. Specs are rare, so they are parsed here in Python into flat part
  arrays, and names are matched as integer codes (the last live lot of that name wins).

A split is a company event, applied once per (date, company): the first such row counts,
whichever account it names. Each key applies its company's splits in row order among its
own rows, multiplying the quantities of its live lots (and its position, once it has
bought): the same multiplications, in the same order, as a row-by-row replay, so results
agree with one to the last bit, including the 1e-9 thresholds below.

The kernel cannot raise LedgerError: it reports the first failing row (code, row, part,
two numbers) and ``replay_arrays`` raises with the row's file and line. A key stops at its
first error; the book's error is the earliest such row, as a row-by-row replay would meet.

``_kernel`` runs under numba when it can be imported and as plain Python otherwise (the
same source, so the two are twins; the tests compare them).
"""

from __future__ import annotations

import functools
import importlib.util
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from conviction._typing import BoolArray, Float64Array, IntArray
from conviction.errors import LedgerError

__all__ = [
    "AVERAGE",
    "BASIS_OUT",
    "BUY",
    "CARRY_OUT",
    "DIVIDEND",
    "FIFO",
    "HAVE_NUMBA",
    "HIFO",
    "LIFO",
    "METHOD_CODES",
    "OTHER",
    "SELL",
    "SPECIFIC",
    "SPLIT",
    "DividendArrays",
    "LotArrays",
    "MatchArrays",
    "ReplayArrays",
    "SaleArrays",
    "action_codes",
    "replay_arrays",
    "warm",
]

# numba is a dependency, but the replay must still run where it cannot be imported
HAVE_NUMBA = importlib.util.find_spec("numba") is not None

#: Below this many rows the plain-Python kernel takes milliseconds, and a small book does
#: not pay numba's import and cache load (about half a second of every command).
NUMBA_ROWS = 20_000

ObjectArray = npt.NDArray[np.object_]

# action codes (int8)
BUY, SELL, SPLIT, DIVIDEND, OTHER = 0, 1, 2, 3, 4
# corporate actions written out per account (``conviction.ledger.corporate``): a position
# leaves with its lots (no sale), or its lots keep ``1 - price`` of their cost
CARRY_OUT, BASIS_OUT = 5, 6
_ACTIONS = {
    "buy": BUY,
    "sell": SELL,
    "split": SPLIT,
    "dividend": DIVIDEND,
    "carry_out": CARRY_OUT,
    "basis_out": BASIS_OUT,
}
# lot method codes, per account
FIFO, LIFO, HIFO, AVERAGE, SPECIFIC = 0, 1, 2, 3, 4
METHOD_CODES = {"fifo": FIFO, "lifo": LIFO, "hifo": HIFO, "average": AVERAGE, "specific": SPECIFIC}

# error codes the kernel reports
_OK, _OVERSELL, _NO_LOT, _BAD_PART, _LOT_SHORT, _SPEC_TOTAL = 0, 1, 2, 3, 4, 5
# a spec part's quantity: none given (take what the lot holds), given, unreadable
_PART_ALL, _PART_QTY, _PART_BAD = 0, 1, 2

_EPS = 1e-9


def action_codes(actions: ObjectArray | pd.Series[Any]) -> npt.NDArray[np.int8]:
    """Action strings -> BUY, SELL, SPLIT, DIVIDEND; anything else (cash rows) OTHER."""
    raw, names = pd.factorize(actions)  # a handful of names: map those, not the rows
    table = np.array([_ACTIONS.get(str(a), OTHER) for a in names] + [OTHER], dtype=np.int8)
    return table[raw]


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LotArrays:
    """Open lots, in the order a row-by-row replay keeps them: keys by first buy, then
    lots by opening. ``row`` is the buy that opened the lot, ``seq`` its number among the
    key's buys (1-based), from which the default id ``f"{company}-{seq}"`` comes."""

    account: IntArray
    company: IntArray
    opened: IntArray  # day number
    quantity: Float64Array
    cost: Float64Array  # company currency, fees included
    cost_account: Float64Array
    row: IntArray
    seq: IntArray
    names: ObjectArray  # the lot column of the opening rows
    company_ids: Sequence[str]

    @cached_property
    def lot_id(self) -> ObjectArray:
        return _lot_ids(self.names, self.company, self.seq, self.company_ids)


@dataclass(frozen=True, eq=False)
class SaleArrays:
    """One entry per sell row, in row order; its matches are
    ``matches[first_match[i] : first_match[i] + n_matches[i]]``."""

    row: IntArray
    account: IntArray
    company: IntArray
    day: IntArray
    quantity: Float64Array
    proceeds: Float64Array  # company currency, net of fees
    proceeds_account: Float64Array
    cost: Float64Array
    cost_account: Float64Array
    rate: Float64Array
    first_match: IntArray
    n_matches: IntArray


@dataclass(frozen=True, eq=False)
class MatchArrays:
    """One entry per (sale, lot consumed), sale by sale, in the order the lots were taken."""

    sale: IntArray  # index into SaleArrays
    lot_row: IntArray  # the buy row that opened the lot
    opened: IntArray
    quantity: Float64Array
    cost: Float64Array
    cost_account: Float64Array
    seq: IntArray
    names: ObjectArray
    company: IntArray
    company_ids: Sequence[str]

    @cached_property
    def lot_id(self) -> ObjectArray:
        return _lot_ids(self.names, self.company, self.seq, self.company_ids)


@dataclass(frozen=True, eq=False)
class DividendArrays:
    """Dividends per (account, company) that had any, in order of the first one."""

    account: IntArray
    company: IntArray
    amount: Float64Array  # company currency, net of fees
    amount_account: Float64Array


@dataclass(frozen=True, eq=False)
class ReplayArrays:
    lots: LotArrays
    sales: SaleArrays
    matches: MatchArrays
    dividends: DividendArrays


def _lot_ids(
    names: ObjectArray, company: IntArray, seq: IntArray, company_ids: Sequence[str]
) -> ObjectArray:
    ids = [
        name or f"{company_ids[c]}-{s}"
        for name, c, s in zip(names.tolist(), company.tolist(), seq.tolist(), strict=True)
    ]
    out = np.empty(len(ids), dtype=object)
    out[:] = ids
    return out


# --- the kernel ---------------------------------------------------------------------------


def _kernel(
    grp: Any,
    n_groups: int,
    account: Any,
    company: Any,
    action: Any,
    quantity: Any,
    price: Any,
    fees: Any,
    rate: Any,
    method: Any,
    name: Any,
    spec: Any,
    part_ptr: Any,
    part_name: Any,
    part_kind: Any,
    part_qty: Any,
    split_ptr: Any,
    split_row: Any,
    split_ratio: Any,
    given_cost: Any,
    given_costa: Any,
    # outputs, preallocated by the caller
    l_row: Any,
    l_qty: Any,
    l_cost: Any,
    l_costa: Any,
    l_seq: Any,
    alive: Any,
    first_buy: Any,
    s_cost: Any,
    s_costa: Any,
    s_first: Any,
    s_count: Any,
    m_slot: Any,
    m_qty: Any,
    m_cost: Any,
    m_costa: Any,
    d_amt: Any,
    d_amta: Any,
    d_first: Any,
    open_slots: Any,
    counts: Any,
    err: Any,
    err_val: Any,
) -> None:
    """Replay every key. Writes counts = (matches, open lots) and, on error, err[0] != 0."""
    n = grp.shape[0]
    # counting sort of rows by key (stable), lot slots per key, sale index per sell row
    start = np.zeros(n_groups + 1, np.int64)
    lot_start = np.zeros(n_groups + 1, np.int64)
    sale_of = np.full(n, -1, np.int64)
    n_sales = 0
    for r in range(n):
        g = grp[r]
        if g >= 0:
            start[g + 1] += 1
            if action[r] == BUY:
                lot_start[g + 1] += 1
            elif action[r] == SELL:
                sale_of[r] = n_sales
                n_sales += 1
    for g in range(n_groups):
        start[g + 1] += start[g]
        lot_start[g + 1] += lot_start[g]
    order = np.empty(start[n_groups], np.int64)
    fill = start[:n_groups].copy()
    for r in range(n):
        g = grp[r]
        if g >= 0:
            order[fill[g]] = r
            fill[g] += 1
    # the rows' numbers in key order, so that each key reads memory in sequence
    m_rows = order.shape[0]
    g_act = np.empty(m_rows, np.int8)
    g_q, g_p, g_f, g_rate = np.empty(m_rows), np.empty(m_rows), np.empty(m_rows), np.empty(m_rows)
    g_gc, g_gca = np.empty(m_rows), np.empty(m_rows)
    for k in range(m_rows):
        r = order[k]
        g_gc[k], g_gca[k] = given_cost[r], given_costa[r]
        g_act[k], g_q[k], g_p[k], g_f[k], g_rate[k] = (
            action[r],
            quantity[r],
            price[r],
            fees[r],
            rate[r],
        )
    max_parts = 0
    for k in range(part_ptr.shape[0] - 1):
        max_parts = max(max_parts, part_ptr[k + 1] - part_ptr[k])
    tk_slot = np.empty(max_parts, np.int64)
    tk_q = np.empty(max_parts, np.float64)

    err[0] = _OK
    err[1] = n  # the earliest failing row so far (n: none)
    n_m = 0
    for g in range(n_groups):
        lo, hi = start[g], start[g + 1]
        first = order[lo]
        a, c = account[first], company[first]
        m = method[a] if a >= 0 else FIFO
        base = lot_start[g]
        n_lots = 0
        head = 0  # live lots lie in slots base + [head, tail)
        tail = 0
        position = 0.0
        bought = False
        seq = 0
        sp, sp_end = 0, 0
        if c >= 0:
            sp, sp_end = split_ptr[c], split_ptr[c + 1]
        failed = False
        for k in range(lo, hi):
            r = order[k]
            if r >= err[1]:  # an earlier row of another key already failed
                failed = True
                break
            while sp < sp_end and split_row[sp] < r:
                if bought:
                    ratio = split_ratio[sp]
                    for j in range(base + head, base + tail):
                        if alive[j]:
                            l_qty[j] *= ratio
                    position *= ratio
                sp += 1
            act = g_act[k]
            q = g_q[k]
            if act == BUY:
                if g_gc[k] == g_gc[k]:  # a lot carried in by a corporate action
                    cost = g_gc[k]
                    costa = g_gca[k]
                else:
                    cost = q * g_p[k] + g_f[k]
                    costa = cost * g_rate[k]
                    seq += 1
                bought = True
                position += q
                if m == AVERAGE and head < tail:
                    j = base + head
                    l_qty[j] += q
                    l_cost[j] += cost
                    l_costa[j] += costa
                    continue
                j = base + n_lots
                l_row[j] = r
                l_qty[j] = q
                l_cost[j] = cost
                l_costa[j] = costa
                l_seq[j] = seq
                alive[j] = True
                if first_buy[g] < 0:
                    first_buy[g] = r
                if head == tail:
                    head = n_lots
                n_lots += 1
                tail = n_lots
            elif act == SELL:
                held = position
                if q > held + 1e-9 * max(1.0, held):
                    err[0], err[1], err[2] = _OVERSELL, r, -1
                    err_val[0], err_val[1] = held, q
                    failed = True
                    break
                s = sale_of[r]
                s_first[s] = n_m
                cost_sum = 0.0
                costa_sum = 0.0
                si = spec[r] if m == SPECIFIC else -1
                if si >= 0:
                    # check every part against the lots as they stand, then take them
                    n_parts = part_ptr[si + 1] - part_ptr[si]
                    code = _OK
                    for t in range(n_parts):
                        p = part_ptr[si] + t
                        found = -1
                        if part_name[p] >= 0:
                            for j in range(base + tail - 1, base + head - 1, -1):
                                if alive[j] and name[l_row[j]] == part_name[p]:
                                    found = j
                                    break
                        if found < 0:
                            code = _NO_LOT
                        elif part_kind[p] == _PART_BAD:
                            code = _BAD_PART
                        else:
                            lq = l_qty[found]
                            qq = part_qty[p] if part_kind[p] == _PART_QTY else min(lq, q)
                            if qq > lq + _EPS:
                                code = _LOT_SHORT
                                err_val[0], err_val[1] = lq, qq
                        if code != _OK:
                            err[0], err[1], err[2] = code, r, p
                            break
                        tk_slot[t] = found
                        tk_q[t] = qq
                    if code == _OK:
                        total = 0.0
                        for t in range(n_parts):
                            total += tk_q[t]
                        if abs(total - q) > 1e-6 * max(1.0, q):
                            err[0], err[1], err[2] = _SPEC_TOTAL, r, -1
                            err_val[0], err_val[1] = total, q
                            code = _SPEC_TOTAL
                    if code != _OK:
                        failed = True
                        break
                    for t in range(n_parts):
                        j = tk_slot[t]
                        share = tk_q[t] / l_qty[j]
                        ct, cta = l_cost[j] * share, l_costa[j] * share
                        m_slot[n_m], m_qty[n_m], m_cost[n_m], m_costa[n_m] = j, tk_q[t], ct, cta
                        n_m += 1
                        l_qty[j] -= tk_q[t]
                        l_cost[j] -= ct
                        l_costa[j] -= cta
                        cost_sum += ct
                        costa_sum += cta
                    for t in range(n_parts):
                        if l_qty[tk_slot[t]] <= _EPS:
                            alive[tk_slot[t]] = False
                else:
                    remaining = q
                    i = head if m != LIFO else tail - 1
                    while remaining > _EPS:
                        if m == HIFO:
                            j = -1
                            best = 0.0
                            for jj in range(base + head, base + tail):
                                if alive[jj]:
                                    uc = l_cost[jj] / l_qty[jj] if l_qty[jj] > _EPS else 0.0
                                    if j < 0 or uc > best:
                                        j, best = jj, uc
                            if j < 0:
                                break
                        else:
                            if i < head or i >= tail:
                                break
                            j = base + i
                            i = i + 1 if m != LIFO else i - 1
                            if not alive[j]:
                                continue
                        lq = l_qty[j]
                        qq = remaining if remaining < lq else lq
                        share = qq / lq
                        ct, cta = l_cost[j] * share, l_costa[j] * share
                        m_slot[n_m], m_qty[n_m], m_cost[n_m], m_costa[n_m] = j, qq, ct, cta
                        n_m += 1
                        l_qty[j] -= qq
                        l_cost[j] -= ct
                        l_costa[j] -= cta
                        cost_sum += ct
                        costa_sum += cta
                        remaining -= qq
                        if l_qty[j] <= _EPS:
                            alive[j] = False
                while head < tail and not alive[base + head]:
                    head += 1
                while tail > head and not alive[base + tail - 1]:
                    tail -= 1
                position = held - q
                s_cost[s], s_costa[s] = cost_sum, costa_sum
                s_count[s] = n_m - s_first[s]
            elif act == CARRY_OUT:
                for j in range(base + head, base + tail):
                    alive[j] = False
                head = tail
                position = 0.0
            elif act == BASIS_OUT:
                for j in range(base + head, base + tail):
                    if alive[j]:
                        l_cost[j] -= l_cost[j] * g_p[k]
                        l_costa[j] -= l_costa[j] * g_p[k]
            elif act == DIVIDEND:
                amount = q * g_p[k] - g_f[k]
                if d_first[g] < 0:
                    d_first[g] = r
                d_amt[g] += amount
                d_amta[g] += amount * g_rate[k]
        if not failed and bought:  # the company's splits after the key's last row
            while sp < sp_end:
                ratio = split_ratio[sp]
                for j in range(base + head, base + tail):
                    if alive[j]:
                        l_qty[j] *= ratio
                sp += 1
    # open lots: keys in order of their first buy (a key with none has no lots)
    n_open = 0
    for g in np.argsort(first_buy):
        if first_buy[g] >= 0:
            for j in range(lot_start[g], lot_start[g + 1]):
                if alive[j]:
                    open_slots[n_open] = j
                    n_open += 1
    counts[0], counts[1] = n_m, n_open


_COMPILE = threading.Lock()


def _compiled() -> Any:
    """The kernel's numba dispatcher, made once (a warm-up thread may be making it)."""
    with _COMPILE:
        return _compiled_dispatcher()


@functools.cache
def _compiled_dispatcher() -> Any:
    import numba  # only for books big enough to need it (see NUMBA_ROWS)

    return numba.njit(cache=True, error_model="numpy")(_kernel)


# --- the boundary -------------------------------------------------------------------------


def _parse_part(part: str) -> tuple[str, int, float]:
    lot_id, _, qty_text = part.partition(":")
    if not qty_text:
        return lot_id.strip(), _PART_ALL, np.nan
    try:
        return lot_id.strip(), _PART_QTY, float(qty_text)
    except ValueError:
        return lot_id.strip(), _PART_BAD, np.nan


_warned = False


def replay_arrays(
    day: IntArray,
    account: IntArray,
    company: IntArray,
    action: npt.NDArray[np.int8],
    quantity: Float64Array,
    price: Float64Array,
    fees: Float64Array,
    rate: Float64Array,
    method: IntArray,
    lot: ObjectArray,
    n_accounts: int,
    n_companies: int,
    until_row: int | None = None,
    *,
    account_ids: Sequence[str],
    company_ids: Sequence[str],
    file: ObjectArray | None = None,
    line: IntArray | None = None,
    where: Callable[[int], tuple[str | None, int | None]] | None = None,
    backend: str = "auto",
    opened: IntArray | None = None,
    given_cost: Float64Array | None = None,
    given_cost_account: Float64Array | None = None,
) -> ReplayArrays:
    """Replay rows [0, until_row) (rows in date order) and return lots, sales, matches and
    dividends as arrays.

    ``account``/``company`` are codes into ``account_ids``/``company_ids`` (-1: none),
    ``action`` holds BUY, SELL, SPLIT, DIVIDEND, OTHER, ``method`` the lot method code of
    each account, ``lot`` the lot column ('' none). ``rate`` converts a row's company
    currency into its account's. Raises ``LedgerError`` for a sale larger than the
    position (field "quantity") or a bad specific-lot spec (field "lot"), at the file and
    line that ``file``/``line`` or ``where(row) -> (file, line)`` give.
    ``backend``: "auto" (numba from ``NUMBA_ROWS`` rows on), "numba" or "python" (the
    kernel's plain-Python twin).
    ``opened``, ``given_cost``, ``given_cost_account``: per row, a lot carried in by a
    corporate action (``conviction.ledger.corporate``): a buy row whose cost is given
    (not NaN) opens a lot of that cost, acquired on ``opened``, and counts as no buy for
    default lot ids.
    """
    global _warned
    if backend not in ("auto", "numba", "python"):
        raise ValueError(f"backend must be 'auto', 'numba' or 'python', got {backend!r}")
    if backend == "numba" and not HAVE_NUMBA:
        raise RuntimeError("numba is not installed")
    if backend == "auto" and not HAVE_NUMBA and not _warned:  # pragma: no cover
        warnings.warn("numba is not available: the lot replay runs in Python", stacklevel=2)
        _warned = True
    if len(method) < n_accounts:
        raise ValueError(f"method has {len(method)} entries for {n_accounts} accounts")
    n = len(day) if until_row is None else int(until_row)
    fast = backend == "numba" or (backend == "auto" and n >= NUMBA_ROWS)
    kernel = _compiled() if HAVE_NUMBA and fast else _kernel
    account = np.ascontiguousarray(account[:n], dtype=np.int64)
    company = np.ascontiguousarray(company[:n], dtype=np.int64)
    action = np.ascontiguousarray(action[:n], dtype=np.int8)
    quantity = np.ascontiguousarray(quantity[:n], dtype=np.float64)
    price = np.nan_to_num(np.asarray(price[:n], dtype=np.float64))
    fees = np.nan_to_num(np.asarray(fees[:n], dtype=np.float64))
    rate = np.ascontiguousarray(rate[:n], dtype=np.float64)
    method = np.ascontiguousarray(method, dtype=np.int64)
    day = np.asarray(day[:n], dtype=np.int64)
    lot = np.asarray(lot[:n], dtype=object)
    opened_day = day if opened is None else np.asarray(opened[:n], dtype=np.int64)
    nan_rows = np.full(n, np.nan)
    g_cost = nan_rows if given_cost is None else np.ascontiguousarray(given_cost[:n], np.float64)
    g_costa = (
        nan_rows
        if given_cost_account is None
        else np.ascontiguousarray(given_cost_account[:n], np.float64)
    )

    # keys: one per (account, company) that trades or receives a dividend
    traded = (action == BUY) | (action == SELL) | (action == DIVIDEND)
    traded |= (action == CARRY_OUT) | (action == BASIS_OUT)
    key = (account + 1) * (n_companies + 1) + (company + 1)
    grp = np.full(n, -1, np.int64)
    codes, uniques = pd.factorize(key[traded])
    grp[traded] = codes
    n_groups = len(uniques)

    # a split counts once per (date, company): its first row
    split_rows = np.flatnonzero((action == SPLIT) & (company >= 0))
    split_key = day[split_rows] * (n_companies + 1) + company[split_rows]
    _, firsts = np.unique(split_key, return_index=True)
    split_rows = np.sort(split_rows[firsts])
    split_rows = split_rows[np.argsort(company[split_rows], kind="stable")]
    split_ptr = np.searchsorted(company[split_rows], np.arange(n_companies + 1)).astype(np.int64)
    split_ratio = quantity[split_rows]

    name, spec, part_ptr, part_name, part_kind, part_qty, parts_text = _specs(
        lot, account, company, action, method, key, company_ids, np.isnan(g_cost)
    )

    n_buys = int(np.count_nonzero(action == BUY))
    is_sell = action == SELL
    n_sales = int(np.count_nonzero(is_sell))
    l_row = np.zeros(n_buys, np.int64)
    l_qty, l_cost, l_costa = np.zeros(n_buys), np.zeros(n_buys), np.zeros(n_buys)
    l_seq = np.zeros(n_buys, np.int64)
    alive: BoolArray = np.zeros(n_buys, np.bool_)
    first_buy = np.full(n_groups, -1, np.int64)
    s_cost, s_costa = np.zeros(n_sales), np.zeros(n_sales)
    s_first, s_count = np.zeros(n_sales, np.int64), np.zeros(n_sales, np.int64)
    # a match either empties a lot (once per lot) or ends its sale (once per sale), or is
    # one named part of a spec
    cap = n_buys + n_sales + len(part_name)
    m_slot = np.zeros(cap, np.int64)
    m_qty, m_cost, m_costa = np.zeros(cap), np.zeros(cap), np.zeros(cap)
    d_amt, d_amta = np.zeros(n_groups), np.zeros(n_groups)
    d_first = np.full(n_groups, -1, np.int64)
    open_slots = np.zeros(n_buys, np.int64)
    counts = np.zeros(2, np.int64)
    err = np.zeros(3, np.int64)
    err_val = np.zeros(2)
    kernel(
        grp, n_groups, account, company, action, quantity, price, fees, rate, method,
        name, spec, part_ptr, part_name, part_kind, part_qty,
        split_ptr, split_rows, split_ratio, g_cost, g_costa,
        l_row, l_qty, l_cost, l_costa, l_seq, alive, first_buy,
        s_cost, s_costa, s_first, s_count,
        m_slot, m_qty, m_cost, m_costa,
        d_amt, d_amta, d_first, open_slots, counts, err, err_val,
    )  # fmt: skip
    if err[0] != _OK:
        locate = where or _locator(file, line)
        _raise(err, err_val, quantity, account, company, account_ids, company_ids,
               parts_text, locate)  # fmt: skip

    # open lots: keys in order of their first buy, lots in opening order
    n_m, n_open = int(counts[0]), int(counts[1])
    slots = open_slots[:n_open]
    lr = l_row[slots]
    lots = LotArrays(
        account=account[lr],
        company=company[lr],
        opened=opened_day[lr],
        quantity=l_qty[slots],
        cost=l_cost[slots],
        cost_account=l_costa[slots],
        row=lr,
        seq=l_seq[slots],
        names=lot[lr],
        company_ids=company_ids,
    )

    srow = np.flatnonzero(is_sell)
    sq = quantity[srow]
    proceeds = sq * price[srow] - fees[srow]
    new_first = np.cumsum(s_count) - s_count
    sales = SaleArrays(
        row=srow,
        account=account[srow],
        company=company[srow],
        day=day[srow],
        quantity=sq,
        proceeds=proceeds,
        proceeds_account=proceeds * rate[srow],
        cost=s_cost,
        cost_account=s_costa,
        rate=rate[srow],
        first_match=new_first,
        n_matches=s_count,
    )

    # matches were written key by key; put them sale by sale
    total = int(s_count.sum())
    take = np.repeat(s_first - new_first, s_count) + np.arange(total)
    assert total == n_m
    ms = m_slot[take]
    mr = l_row[ms]
    matches = MatchArrays(
        sale=np.repeat(np.arange(n_sales), s_count),
        lot_row=mr,
        opened=opened_day[mr],
        quantity=m_qty[take],
        cost=m_cost[take],
        cost_account=m_costa[take],
        seq=l_seq[ms],
        names=lot[mr],
        company=company[mr],
        company_ids=company_ids,
    )

    paid = np.flatnonzero(d_first >= 0)
    paid = paid[np.argsort(d_first[paid], kind="stable")]
    dr = d_first[paid]
    dividends = DividendArrays(account[dr], company[dr], d_amt[paid], d_amta[paid])
    return ReplayArrays(lots, sales, matches, dividends)


def _specs(
    lot: ObjectArray,
    account: IntArray,
    company: IntArray,
    action: npt.NDArray[np.int8],
    method: IntArray,
    key: IntArray,
    company_ids: Sequence[str],
    counted: BoolArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray, npt.NDArray[np.int8], Float64Array, list[str]]:
    """Specific-lot specs as flat arrays: ``spec[row]`` indexes ``part_ptr`` (-1: none);
    part names and the names of the buys of the keys they sell from become integer codes
    (-1: a name no lot has)."""
    n = len(lot)
    name = np.full(n, -1, np.int64)
    spec = np.full(n, -1, np.int64)
    row_method = np.append(method, FIFO)[account]  # account -1: none, fifo
    rows = np.flatnonzero((action == SELL) & (row_method == SPECIFIC))
    if rows.size:
        rows = rows[lot[rows] != ""]
    if not rows.size:
        empty = np.zeros(0, np.int64)
        return name, spec, np.zeros(1, np.int64), empty, np.zeros(0, np.int8), np.zeros(0), []
    # the buys of the keys that sell by name, with their ids (given, or company-seq)
    buys = np.flatnonzero((action == BUY) & np.isin(key, key[rows]))
    # carried lots (not counted) have their names; they take no number among the buys
    ones = counted[buys].astype(np.int64)
    seq = np.asarray(pd.Series(ones).groupby(key[buys]).cumsum(), np.int64)
    ids = _lot_ids(lot[buys], company[buys], seq, company_ids)
    codes: dict[str, int] = {}
    name[buys] = [codes.setdefault(i, len(codes)) for i in ids.tolist()]
    ptr = [0]
    names: list[int] = []
    kinds: list[int] = []
    qtys: list[float] = []
    texts: list[str] = []
    for k, text in enumerate(lot[rows].tolist()):
        spec[rows[k]] = k
        for part in (p.strip() for p in str(text).split(";")):
            if not part:
                continue
            lot_id, kind, qty = _parse_part(part)
            names.append(codes.get(lot_id, -1))
            kinds.append(kind)
            qtys.append(qty)
            texts.append(part)
        ptr.append(len(names))
    return (
        name,
        spec,
        np.array(ptr, np.int64),
        np.array(names, np.int64),
        np.array(kinds, np.int8),
        np.array(qtys, np.float64),
        texts,
    )


def _locator(
    file: ObjectArray | None, line: IntArray | None
) -> Callable[[int], tuple[str | None, int | None]]:
    def where(r: int) -> tuple[str | None, int | None]:
        return (None if file is None else str(file[r]), None if line is None else int(line[r]))

    return where


def _raise(
    err: IntArray,
    err_val: Float64Array,
    quantity: Float64Array,
    account: IntArray,
    company: IntArray,
    account_ids: Sequence[str],
    company_ids: Sequence[str],
    parts_text: list[str],
    where: Callable[[int], tuple[str | None, int | None]],
) -> None:
    code, r, p = int(err[0]), int(err[1]), int(err[2])
    file, line = where(r)
    if code == _OVERSELL:
        acc = account_ids[account[r]] if account[r] >= 0 else ""
        com = company_ids[company[r]] if company[r] >= 0 else ""
        raise LedgerError(
            f"sale of {quantity[r]:g} {com} is larger than the position of {err_val[0]:g} in {acc}",
            field="quantity",
            file=file,
            line=line,
        )
    part = parts_text[p] if p >= 0 else ""
    lot_id = part.partition(":")[0].strip()
    if code == _NO_LOT:
        message = f"lot {lot_id!r} does not exist or is already sold"
    elif code == _BAD_PART:
        message = f"expected 'lot:quantity', got {part!r}"
    elif code == _LOT_SHORT:
        message = f"lot {lot_id!r} holds {err_val[0]:g}, cannot sell {err_val[1]:g} from it"
    else:
        message = f"named lots add up to {err_val[0]:g} but the sale is {err_val[1]:g}"
    raise LedgerError(message, file=file, line=line, field="lot")


def warm() -> None:
    """Compile the kernel into numba's on-disk cache (``conviction.warmup``)."""
    if not HAVE_NUMBA:  # pragma: no cover - exercised only without numba
        return
    one = np.zeros(1, dtype=np.int64)
    replay_arrays(
        one, one, one, np.array([BUY], dtype=np.int8), np.ones(1), np.ones(1), np.zeros(1),
        np.ones(1), np.array([FIFO]), np.array([""], dtype=object), 1, 1,
        account_ids=["a"], company_ids=["c"], backend="numba",
    )  # fmt: skip
