"""Test oracle: the original one-row-at-a-time lot replay, kept verbatim in behaviour.

``conviction.ledger.lots.replay`` now runs an array kernel; the property tests in
``test_lots_arrays.py`` and ``benchmarks/bench_lots.py`` compare it with this.
Tests only: nothing in ``src`` imports it.

Original docstring:

Tax lots: replay trades in date order, matching each sale to lots by the account's method.

One small function per lot method behind a dispatch table (after Beancount's
``booking_method.py``). A lot is (id, opened, quantity, cost); cost is the total paid in
the company's currency including fees, and also in the account's currency at the rate of
the day it was bought. Splits multiply quantities and leave costs alone.

The replay is the one sequential part of the ledger (lot matching depends on order); it
runs once per query over plain tuples, and everything after it is arrays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from conviction.book.model import Account
from conviction.errors import LedgerError

__all__ = ["Lot", "LotMatch", "Replay", "Sale", "replay"]

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


@dataclass(frozen=True)
class Replay:
    """The state after replaying a book's trades up to a date."""

    lots: tuple[Lot, ...]
    sales: tuple[Sale, ...]
    dividends: Mapping[tuple[str, str], float] = field(default_factory=dict)
    dividends_account: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def open_quantity(self, account: str, company: str) -> float:
        return sum(
            lot.quantity for lot in self.lots if lot.account == account and lot.company == company
        )


# --- lot methods: which lots a sale of `quantity` consumes, in order ---------------------

Picker = Callable[[list[Lot], float, str, str, int], list[tuple[Lot, float]]]


def _take_in_order(lots: list[Lot], quantity: float) -> list[tuple[Lot, float]]:
    taken: list[tuple[Lot, float]] = []
    remaining = quantity
    for lot in lots:
        if remaining <= _EPS:
            break
        q = min(lot.quantity, remaining)
        taken.append((lot, q))
        remaining -= q
    return taken


def _fifo(
    lots: list[Lot], quantity: float, spec: str, file: str, line: int
) -> list[tuple[Lot, float]]:
    return _take_in_order(lots, quantity)


def _lifo(
    lots: list[Lot], quantity: float, spec: str, file: str, line: int
) -> list[tuple[Lot, float]]:
    return _take_in_order(lots[::-1], quantity)


def _hifo(
    lots: list[Lot], quantity: float, spec: str, file: str, line: int
) -> list[tuple[Lot, float]]:
    # Highest unit cost first; ties by age (older first) so the choice is deterministic.
    return _take_in_order(sorted(lots, key=lambda lot: -lot.unit_cost), quantity)


def _specific(
    lots: list[Lot], quantity: float, spec: str, file: str, line: int
) -> list[tuple[Lot, float]]:
    if not spec:
        return _take_in_order(lots, quantity)  # no lot named: first in, first out
    by_id = {lot.id: lot for lot in lots}
    taken: list[tuple[Lot, float]] = []
    parts = [p.strip() for p in spec.split(";") if p.strip()]
    for part in parts:
        lot_id, _, qty_text = part.partition(":")
        lot = by_id.get(lot_id.strip())
        if lot is None:
            raise LedgerError(
                f"lot {lot_id.strip()!r} does not exist or is already sold",
                file=file,
                line=line,
                field="lot",
            )
        try:
            q = float(qty_text) if qty_text else min(lot.quantity, quantity)
        except ValueError:
            raise LedgerError(
                f"expected 'lot:quantity', got {part!r}", file=file, line=line, field="lot"
            ) from None
        if q > lot.quantity + _EPS:
            raise LedgerError(
                f"lot {lot.id!r} holds {lot.quantity:g}, cannot sell {q:g} from it",
                file=file,
                line=line,
                field="lot",
            )
        taken.append((lot, q))
    total = sum(q for _, q in taken)
    if abs(total - quantity) > 1e-6 * max(1.0, quantity):
        raise LedgerError(
            f"named lots add up to {total:g} but the sale is {quantity:g}",
            file=file,
            line=line,
            field="lot",
        )
    return taken


_PICKERS: dict[str, Picker] = {
    "fifo": _fifo,
    "lifo": _lifo,
    "hifo": _hifo,
    "specific": _specific,
    "average": _fifo,  # an average-cost account holds one pooled lot, so any order is the same
}


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
    Raises ``LedgerError`` naming the row for a sale larger than the position.
    """
    tx = transactions
    if until is not None:
        cutoff = np.datetime64(until, "D")
        tx = tx[tx["date"].to_numpy() <= cutoff]
    n = len(tx)
    rates = np.ones(n) if to_account_rate is None else np.asarray(to_account_rate)[:n]
    book: dict[tuple[str, str], list[Lot]] = {}
    holders: dict[str, set[str]] = {}
    sales: list[Sale] = []
    dividends: dict[tuple[str, str], float] = {}
    dividends_account: dict[tuple[str, str], float] = {}
    lot_seq: dict[tuple[str, str], int] = {}
    splits_done: set[tuple[object, str]] = set()
    position: dict[tuple[str, str], float] = {}

    columns = (
        tx["date"].to_numpy().astype("datetime64[D]").astype(object),  # datetime.date, at C speed
        tx["account"].to_numpy(),
        tx["company"].to_numpy(),
        tx["action"].to_numpy(),
        tx["quantity"].to_numpy(dtype=float),
        tx["price"].to_numpy(dtype=float),
        tx["fees"].to_numpy(dtype=float),
        tx["lot"].to_numpy(),
        tx["file"].to_numpy(),
        tx["line"].to_numpy(),
        rates,
    )
    for date64, acc, com, action, qty, price, fees, lot_spec, file, line, rate in zip(
        *columns, strict=True
    ):
        if action == "buy":
            key = (acc, com)
            cost = qty * price + fees
            seq = lot_seq.get(key, 0) + 1
            lot_seq[key] = seq
            lots = book.setdefault(key, [])
            holders.setdefault(com, set()).add(acc)
            position[key] = position.get(key, 0.0) + qty
            if accounts[acc].lot_method == "average" and lots:
                pooled = lots[0]
                pooled.quantity += qty
                pooled.cost += cost
                pooled.cost_account += cost * rate
                continue
            lot_id = lot_spec or f"{com}-{seq}"
            date = date64
            lots.append(Lot(lot_id, acc, com, date, float(qty), float(cost), float(cost * rate)))
        elif action == "sell":
            key = (acc, com)
            lots = book.get(key, [])
            held = position.get(key, 0.0)
            if qty > held + 1e-9 * max(1.0, held):
                raise LedgerError(
                    f"sale of {qty:g} {com} is larger than the position of {held:g} in {acc}",
                    file=file,
                    line=int(line),
                    field="quantity",
                )
            method = accounts[acc].lot_method
            taken = _PICKERS[method](lots, float(qty), str(lot_spec), str(file), int(line))
            matches: list[LotMatch] = []
            cost = cost_account = 0.0
            for lot, q in taken:
                share = q / lot.quantity
                c, ca = lot.cost * share, lot.cost_account * share
                matches.append(LotMatch(lot.id, lot.opened, q, c, ca))
                lot.quantity -= q
                lot.cost -= c
                lot.cost_account -= ca
                cost += c
                cost_account += ca
            for lot, _ in taken:
                if lot.quantity <= _EPS:
                    lots.remove(lot)
            position[key] = held - qty
            proceeds = qty * price - fees
            sales.append(
                Sale(
                    date64,
                    acc,
                    com,
                    float(qty),
                    float(proceeds),
                    float(proceeds * rate),
                    cost,
                    cost_account,
                    tuple(matches),
                    str(file),
                    int(line),
                    float(rate),
                )
            )
        elif action == "split":
            # A split is a company event: it applies once, to every holder, whichever
            # account (if any) the row names.
            if (date64, com) in splits_done:
                continue
            splits_done.add((date64, com))
            for holder in holders.get(com, ()):
                for lot in book.get((holder, com), []):
                    lot.quantity *= qty
                if (holder, com) in position:
                    position[holder, com] *= qty
        elif action == "dividend":
            key = (acc, com)
            amount = qty * price - fees
            dividends[key] = dividends.get(key, 0.0) + amount
            dividends_account[key] = dividends_account.get(key, 0.0) + amount * rate
    # Each replay builds its own lots, and nothing changes them once it returns.
    open_lots = tuple(lot for lots in book.values() for lot in lots)
    return Replay(open_lots, tuple(sales), dividends, dividends_account)
