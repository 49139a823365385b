"""The engine's working state and the one place where trades happen.

Every rule proposes quantities to trade, shaped (paths, accounts, companies); only
:meth:`Trader.execute` changes holdings and cash. It enforces, for every rule alike:
private companies trade only at liquidity events, no short sales, the last-seller rule,
and cash that never goes below the margin floor (buys are cut to fit). Costs are charged
on the traded value, so each trade changes an account's value by minus its cost. How a
rule's amount of money becomes shares, and which buys are cut when cash is short, follow
the policy's sizing (:class:`~conviction.policies.spec.Costs`): ``conviction`` and ``bt``
scale an account's buys down together, ``vectorbt`` fills them one by one from the
smallest, as vectorbt's ``call_seq="auto"`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from conviction._typing import BoolArray, Float64Array, IntArray
from conviction.policies.spec import Sizing

__all__ = ["DUST", "State", "Step", "TradeChunk", "Trader"]

#: Holdings at or below this many shares count as none (for the last-seller rule).
DUST = 1e-9


@dataclass(eq=False, slots=True)
class Step:
    """What rules see at step ``t``: the prices and which companies can trade."""

    t: int
    day: int
    prices: Float64Array  # (paths, companies)
    tradable: BoolArray  # (1 or paths, companies): public, or private at a liquidity event
    event: BoolArray  # (1 or paths, companies): private and at a liquidity event
    peak: Float64Array  # (paths, companies): running peak price since the start


@dataclass(eq=False, slots=True)
class TradeChunk:
    """The trades one rule made on one step (flat arrays, one entry per trade)."""

    t: int
    rule: int
    path: IntArray
    account: IntArray
    company: IntArray
    quantity: Float64Array
    price: Float64Array
    cost: Float64Array


@dataclass(eq=False, slots=True)
class State:
    """Holdings and cash of every account on every path, and what has been spent."""

    holdings: Float64Array  # (paths, accounts, companies)
    cash: Float64Array  # (paths, accounts)
    costs: Float64Array = field(init=False)
    traded: Float64Array = field(init=False)
    n_trades: IntArray = field(init=False)
    inflow: Float64Array = field(init=False)
    outflow: Float64Array = field(init=False)
    trades: list[TradeChunk] | None = None

    def __post_init__(self) -> None:
        shape = self.cash.shape
        self.costs = np.zeros(shape)
        self.traded = np.zeros(shape)
        self.n_trades = np.zeros(shape, dtype=np.int64)
        self.inflow = np.zeros(shape)
        self.outflow = np.zeros(shape)

    def position_values(self, prices: Float64Array) -> Float64Array:
        """Value of each holding, (paths, accounts, companies)."""
        return self.holdings * prices[:, None, :]

    def values(self, prices: Float64Array) -> Float64Array:
        """Value of each account (cash included), (paths, accounts)."""
        held: Float64Array = np.einsum("pac,pc->pa", self.holdings, prices)
        return self.cash + held


@dataclass(frozen=True, eq=False)
class Trader:
    """The constraints every trade obeys, bound to one policy and one set of accounts.

    ``rate``: cost as a fraction of traded value. ``margin``: cash may fall to
    ``-margin * account value``. ``insiders``: accounts under the last-seller rule (None:
    no such rule); every other account is a client of theirs. ``sizing``: whose
    convention turns amounts into shares (:meth:`shares`) and cuts buys short of cash.
    """

    rate: float
    margin: float
    insiders: BoolArray | None
    sizing: Sizing = "conviction"

    def shares(self, amount: Float64Array, prices: Float64Array) -> Float64Array:
        """Shares for signed amounts of money (> 0 buy), priced at ``prices``.

        ``bt``: a buy of A spends A with its cost, a sale of A raises A after its cost
        (bt's ``allocate``, whose iteration converges to these); otherwise A / p, the
        cost on top (vectorbt's ``Value`` and ``TargetValue`` orders).
        """
        if self.sizing != "bt" or self.rate == 0.0:
            return np.asarray(amount / prices, dtype=np.float64)
        c = self.rate
        return np.asarray(amount / (prices * np.where(amount > 0, 1.0 + c, 1.0 - c)))

    def execute(self, state: State, step: Step, delta: Float64Array, rule: int) -> Float64Array:
        """Carry out the proposed trades ``delta`` (shares; > 0 buy) as far as allowed.

        Returns the quantities traded. ``delta`` is modified in place.
        """
        h = state.holdings
        p = step.prices[:, None, :]
        if not step.tradable.all():
            delta *= step.tradable[:, None, :]
        np.maximum(delta, -h, out=delta)  # no short sales
        if self.insiders is not None:
            inside, outside = self.insiders, ~self.insiders
            clients_after = h[:, outside] + delta[:, outside]
            blocked: BoolArray = np.asarray((clients_after > DUST).any(axis=1))  # (paths, comp)
            theirs = delta[:, inside]
            delta[:, inside] = np.where((theirs < 0) & blocked[:, None, :], 0.0, theirs)
        value = delta * p
        buys = np.maximum(value, 0.0).sum(axis=-1)
        sells = buys - value.sum(axis=-1)
        c = self.rate
        room = state.cash + sells * (1.0 - c)
        floor = None
        if self.margin > 0:
            floor = -self.margin * np.maximum(state.values(step.prices), 0.0)
            room -= floor
        need = buys * (1.0 + c)
        short = (need > room) & (need > 0)
        any_short = bool(short.any())
        if any_short and self.sizing == "vectorbt":
            delta, buys = _fill_in_order(delta, value, room, short, c)
        elif any_short:
            # Scale each short account's buys down to what its cash (and margin) allows.
            scale = np.ones_like(need)
            scale[short] = np.clip(room[short] / need[short], 0.0, 1.0)
            delta = np.where(delta > 0, delta * scale[..., None], delta)
            buys = buys * scale
        traded = buys + sells
        cost = c * traded
        h += delta
        state.cash += sells - buys - cost
        if any_short:
            # Rounding can leave a short account a hair below its floor: it spent all it had.
            low = 0.0 if floor is None else floor
            np.maximum(state.cash, np.where(short, low, -np.inf), out=state.cash)
        state.costs += cost
        state.traded += traded
        done = delta != 0
        state.n_trades += done.sum(axis=-1)
        if state.trades is not None and done.any():
            path, account, company = np.nonzero(done)
            prices = step.prices[path, company]
            qty = delta[path, account, company]
            state.trades.append(
                TradeChunk(
                    t=step.t,
                    rule=rule,
                    path=path.astype(np.int64),
                    account=account.astype(np.int64),
                    company=company.astype(np.int64),
                    quantity=qty,
                    price=prices,
                    cost=c * np.abs(qty) * prices,
                )
            )
        return delta


#: vectorbt's tolerance (``is_close_or_less_nb``): a buy within this of the cash is filled.
_VBT_REL_TOL = 1e-9


def _fill_in_order(
    delta: Float64Array, value: Float64Array, room: Float64Array, short: BoolArray, c: float
) -> tuple[Float64Array, Float64Array]:
    """Fill the buys of short accounts one by one, smallest first, each to the cash left.

    vectorbt with ``call_seq="auto"`` sorts a group's orders by value (sales first, then
    buys from the smallest) and cuts a buy that costs more than the cash left to what the
    cash buys after fees; the buys after it get nothing. Returns the new ``delta`` and
    each account's bought value.
    """
    buy = np.where(short[..., None], np.maximum(value, 0.0), 0.0)
    order = np.argsort(buy, axis=-1, kind="stable")
    ranked = np.take_along_axis(buy, order, axis=-1) * (1.0 + c)  # cash each buy needs
    before = np.cumsum(ranked, axis=-1) - ranked  # spent by the buys ahead of it
    left = np.maximum(room[..., None] - before, 0.0)
    full = ranked <= left + _VBT_REL_TOL * np.maximum(ranked, left)
    got = np.where(full, ranked, left) / (1.0 + c)  # traded value, fees excluded
    filled = np.empty_like(got)
    np.put_along_axis(filled, order, got, axis=-1)
    part = np.divide(filled, buy, out=np.ones_like(buy), where=buy > 0)
    delta = np.where(short[..., None] & (delta > 0), delta * part, delta)
    buys = np.where(short, filled.sum(axis=-1), np.maximum(value, 0.0).sum(axis=-1))
    return delta, buys
