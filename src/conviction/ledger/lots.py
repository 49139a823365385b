"""Tax lots: replay trades in date order, matching each sale to lots by the account's method.

A lot is (id, opened, quantity, cost); cost is the total paid in the company's currency
including fees, and also in the account's currency at the rate of the day it was bought.
Splits multiply quantities and leave costs alone. Methods: fifo, lifo, hifo (highest unit
cost first, ties older first), average (one pooled lot) and specific (the ``lot`` column
names lots as ``id`` or ``id:qty;id2:qty2``; no lot named: fifo).

The matching itself runs over arrays in ``lot_kernels`` (numba, one pass per (account,
company)); ``replay`` turns a transactions table into those arrays and hands back a
``Replay`` whose ``Lot``/``Sale`` objects are built from them only when first asked for
(``Replay.arrays`` holds them as arrays).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import starmap

import numpy as np
import pandas as pd

from conviction._typing import IntArray
from conviction.book.model import Account
from conviction.ledger.lot_kernels import (
    FIFO,
    METHOD_CODES,
    ReplayArrays,
    action_codes,
    replay_arrays,
)

__all__ = ["Lot", "LotMatch", "Replay", "ReplayArrays", "Sale", "replay", "replay_arrays"]

_EPS = 1e-9


@dataclass(slots=True)
class Lot:
    """An open lot. Changed only by the replay that made it; treat results as read-only."""

    id: str
    account: str
    company: str
    opened: dt.date
    quantity: float
    cost: float  # company currency, fees included
    cost_account: float  # account currency, at the purchase day's rate

    @property
    def unit_cost(self) -> float:
        return self.cost / self.quantity if self.quantity > _EPS else 0.0


@dataclass(frozen=True, slots=True)
class LotMatch:
    """The part of one lot a sale consumed."""

    lot: str
    opened: dt.date
    quantity: float
    cost: float
    cost_account: float


@dataclass(frozen=True, slots=True)
class Sale:
    """A realised sale: proceeds net of fees, the lots it used and the gain."""

    date: dt.date
    account: str
    company: str
    quantity: float
    proceeds: float  # company currency, net of fees
    proceeds_account: float
    cost: float
    cost_account: float
    lots: tuple[LotMatch, ...]
    file: str
    line: int
    rate: float = 1.0  # company currency -> account currency, as the sale converted

    @property
    def gain(self) -> float:
        return self.proceeds - self.cost

    @property
    def gain_account(self) -> float:
        return self.proceeds_account - self.cost_account


@dataclass(frozen=True, eq=False)
class Replay:
    """The state after replaying a book's trades up to a date.

    ``arrays`` holds the result as arrays (codes into ``account_ids``/``company_ids``);
    ``lots``, ``sales`` and the dividend mappings are built from them on first use.
    """

    arrays: ReplayArrays
    account_ids: Sequence[str]
    company_ids: Sequence[str]
    files: pd.Series[str]  # per transaction row, for Sale.file/line
    lines: IntArray

    @cached_property
    def lots(self) -> tuple[Lot, ...]:
        la = self.arrays.lots
        return tuple(
            starmap(
                Lot,
                zip(
                    la.lot_id.tolist(),
                    _names(self.account_ids, la.account),
                    _names(self.company_ids, la.company),
                    _dates(la.opened),
                    la.quantity.tolist(),
                    la.cost.tolist(),
                    la.cost_account.tolist(),
                    strict=True,
                ),
            )
        )

    @cached_property
    def sales(self) -> tuple[Sale, ...]:
        sa, ma = self.arrays.sales, self.arrays.matches
        matches = list(
            starmap(
                LotMatch,
                zip(
                    ma.lot_id.tolist(),
                    _dates(ma.opened),
                    ma.quantity.tolist(),
                    ma.cost.tolist(),
                    ma.cost_account.tolist(),
                    strict=True,
                ),
            )
        )
        first = sa.first_match.tolist()
        stop = (sa.first_match + sa.n_matches).tolist()
        # most sales use one lot: (m,) is much cheaper than tuple(matches[a:b])
        taken = [
            (matches[a],) if b - a == 1 else tuple(matches[a:b])
            for a, b in zip(first, stop, strict=True)
        ]
        return tuple(
            starmap(
                Sale,
                zip(
                    _dates(sa.day),
                    _names(self.account_ids, sa.account),
                    _names(self.company_ids, sa.company),
                    sa.quantity.tolist(),
                    sa.proceeds.tolist(),
                    sa.proceeds_account.tolist(),
                    sa.cost.tolist(),
                    sa.cost_account.tolist(),
                    taken,
                    list(map(str, self.files.iloc[sa.row].tolist())),
                    self.lines[sa.row].tolist(),
                    sa.rate.tolist(),
                    strict=True,
                ),
            )
        )

    @cached_property
    def dividends(self) -> Mapping[tuple[str, str], float]:
        amounts: list[float] = self.arrays.dividends.amount.tolist()
        return dict(zip(self._dividend_keys, amounts, strict=True))

    @cached_property
    def dividends_account(self) -> Mapping[tuple[str, str], float]:
        amounts: list[float] = self.arrays.dividends.amount_account.tolist()
        return dict(zip(self._dividend_keys, amounts, strict=True))

    @cached_property
    def _dividend_keys(self) -> list[tuple[str, str]]:
        d = self.arrays.dividends
        acc, com = _names(self.account_ids, d.account), _names(self.company_ids, d.company)
        return list(zip(acc, com, strict=True))

    def open_quantity(self, account: str, company: str) -> float:
        la = self.arrays.lots
        acc, com = _code(self.account_ids, account), _code(self.company_ids, company)
        mine = (la.account == acc) & (la.company == com)
        quantities: list[float] = la.quantity[mine].tolist()
        return sum(quantities, 0.0)  # in lot order, as a sum over the lots would


def _names(ids: Sequence[str], codes: IntArray) -> list[str]:
    table = np.array([*ids, ""], dtype=object)  # code -1: none
    out: list[str] = table[codes].tolist()
    return out


def _code(ids: Sequence[str], name: str) -> int:
    try:
        return list(ids).index(name)
    except ValueError:
        return -2  # matches no row's code


def _dates(days: IntArray) -> list[dt.date]:
    out: list[dt.date] = days.astype("datetime64[D]").astype(object).tolist()
    return out


def _factorize(values: pd.Series[str]) -> tuple[IntArray, list[str]]:
    """Codes in order of first appearance, with "" (no account; cash rows) as -1."""
    raw, uniques = pd.factorize(values)  # on the column itself: fast for Arrow strings
    ids = [str(u) for u in uniques]
    codes = raw.astype(np.int64)
    if "" in ids:
        k = ids.index("")
        codes = np.where(codes == k, -1, codes - (codes > k))
        del ids[k]
    return codes, ids


def replay(
    transactions: pd.DataFrame,
    accounts: Mapping[str, Account],
    to_account_rate: np.ndarray | None = None,
    *,
    until: dt.date | None = None,
) -> Replay:
    """Replay trades (sorted by date) up to and including ``until``.

    ``to_account_rate[i]`` converts row i's company currency into its account's currency
    (1.0 when they are the same); None means a single-currency book.
    Raises ``LedgerError`` naming the row for a sale larger than the position, or for
    named lots (specific) that do not exist, hold too little or do not add up to the sale.
    """
    tx = transactions
    day = tx["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    until_row = len(tx)
    if until is not None:
        keep = day <= np.datetime64(until, "D").astype(np.int64)
        until_row = int(np.count_nonzero(keep))
        if not keep[:until_row].all():  # not date-sorted after all: filter the rows
            tx, day = tx[keep], day[keep]
    if to_account_rate is None:
        rates = np.ones(until_row)
    else:  # the first rates, as the rows before ``until`` are the first rows
        rates = np.asarray(to_account_rate, dtype=np.float64)[:until_row]
    account, account_ids = _factorize(tx["account"])
    company, company_ids = _factorize(tx["company"])
    # an account the mapping lacks can only appear on rows that need no method
    method = np.array(
        [METHOD_CODES[accounts[a].lot_method] if a in accounts else FIFO for a in account_ids],
        dtype=np.int64,
    )
    files = tx["file"]
    lines = tx["line"].to_numpy(dtype=np.int64)
    # the lot column is nearly all empty: convert only the rest out of Arrow strings
    named = (tx["lot"] != "").to_numpy(dtype=bool)
    lot = np.full(len(tx), "", dtype=object)
    lot[named] = tx["lot"][named].to_numpy(dtype=object)

    def where(row: int) -> tuple[str | None, int | None]:
        return str(files.iloc[row]), int(lines[row])

    arrays = replay_arrays(
        day,
        account,
        company,
        action_codes(tx["action"]),
        tx["quantity"].to_numpy(dtype=np.float64),
        tx["price"].to_numpy(dtype=np.float64),
        tx["fees"].to_numpy(dtype=np.float64),
        rates,
        method,
        lot,
        len(account_ids),
        len(company_ids),
        until_row,
        account_ids=account_ids,
        company_ids=company_ids,
        where=where,
    )
    return Replay(arrays, account_ids, company_ids, files, lines)
