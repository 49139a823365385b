"""Each rule bound to a run: masks resolved to arrays, and one vectorised step function.

A bound rule knows which accounts and companies it acts on and on which steps; its
``apply`` proposes trades for all paths and accounts at once and hands them to the
:class:`~conviction.policies.trading.Trader`. Nothing here loops over paths or accounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from conviction._typing import BoolArray, Float64Array
from conviction.policies.spec import (
    AddOnDrawdown,
    Contribute,
    Rebalance,
    TrimToCap,
    Withdraw,
)
from conviction.policies.trading import State, Step, Trader

__all__ = ["BoundRule", "DrawdownRule", "FlowRule", "RebalanceRule", "TrimRule"]


@dataclass(eq=False)
class BoundRule:
    """Scope and timing shared by every trading rule.

    ``accounts`` (A,) and ``companies`` (C,) are masks; ``due`` (T,) marks the steps on
    which the rule acts on public companies (its period starts, inside its window);
    private companies are acted on at their liquidity events inside the window instead.
    """

    index: int
    accounts: BoolArray
    companies: BoolArray
    window: BoolArray
    due: BoolArray
    private: BoolArray

    def acts(self, step: Step) -> BoolArray:
        """(1 or paths, companies): where this rule may trade at this step."""
        public_due = bool(self.due[step.t]) & ~self.private
        return self.companies & bool(self.window[step.t]) & (public_due | step.event)

    def candidate_steps(self, private_events: BoolArray) -> BoolArray:
        """(T,) the steps on which the rule could act (an upper bound)."""
        return self.due | (self.window & private_events)

    def start(self, state: State, prices: Float64Array) -> None:
        """Called once before the first step (rules with state set it up here)."""

    def apply(self, trader: Trader, state: State, step: Step) -> None:
        raise NotImplementedError  # every concrete rule overrides it


@dataclass(eq=False)
class TrimRule(BoundRule):
    spec: TrimToCap = field(kw_only=True)

    def apply(self, trader: Trader, state: State, step: Step) -> None:
        acts = self.acts(step) & step.tradable
        if not acts.any():
            return
        cap, c = self.spec.cap, trader.rate
        hp = state.position_values(step.prices)
        value = state.cash + hp.sum(axis=-1)
        # weight > cap + band, written without a division (accounts worth <= 0 never trim)
        over = hp > (cap + self.spec.band) * value[..., None]
        over &= acts[:, None, :]
        over &= (self.accounts & (value > 0))[..., None]
        if not over.any():
            return
        p = step.prices[:, None, :]
        if trader.sizing == "conviction":
            # Sell every over-cap company to exactly `cap` of the value left after the
            # costs of these sales: S = (sum hp - n cap V) / (1 - n cap c), closed form.
            n = over.sum(axis=-1)
            total = np.where(over, hp, 0.0).sum(axis=-1)
            sold = (total - n * cap * value) / (1.0 - n * cap * c)
            keep = cap * (value - c * sold)
            delta = np.where(over, -(hp - keep[..., None]) / p, 0.0)
            spend = sold * (1.0 - c) / (1.0 + c)  # the proceeds, less the buys' costs
        else:
            # bt and vectorbt: the sale is the gap to `cap` of today's value, sized by the
            # library's convention; the proceeds (after costs) are what is reinvested.
            gap = np.where(over, cap * value[..., None] - hp, 0.0)
            delta = trader.shares(gap, p)
            spend = -(delta * p).sum(axis=-1) * (1.0 - c)  # the proceeds after costs
        if self.spec.reinvest:
            # Into every other holding, not only the companies this rule trims.
            others = ~over & (hp > 0) & step.tradable[:, None, :]
            base = np.where(others, hp, 0.0)
            base_sum = base.sum(axis=-1)
            share = np.divide(
                base, base_sum[..., None], out=np.zeros_like(base), where=base_sum[..., None] > 0
            )
            buy = share * spend[..., None]
            delta += buy / p if trader.sizing == "conviction" else trader.shares(buy, p)
        trader.execute(state, step, delta, self.index)


@dataclass(eq=False)
class DrawdownRule(BoundRule):
    spec: AddOnDrawdown = field(kw_only=True)
    named: bool = field(kw_only=True, default=False)  # companies named: buy even if not held
    last_buy: Float64Array = field(init=False, default_factory=lambda: np.zeros(0))

    def start(self, state: State, prices: Float64Array) -> None:
        self.last_buy = np.full(state.holdings.shape, -np.inf)

    def apply(self, trader: Trader, state: State, step: Step) -> None:
        acts = self.acts(step) & step.tradable
        low = (step.prices <= step.peak * (1.0 - self.spec.drawdown)) & acts
        if not low.any():
            return
        h = state.holdings
        ok = low[:, None, :] & self.accounts[None, :, None]
        if not self.named:
            ok &= h > 0
        if self.spec.cooldown:
            ok &= (step.day - self.last_buy) >= self.spec.cooldown
        n = ok.sum(axis=-1)
        budget = self.spec.fraction * np.maximum(state.cash, 0.0) / np.maximum(n, 1)
        # conviction and bt spend the budget, costs included; vectorbt buys its value
        per_share = step.prices[:, None, :]
        if trader.sizing != "vectorbt":
            per_share = per_share * (1.0 + trader.rate)
        delta = np.where(ok, budget[..., None] / per_share, 0.0)
        done = trader.execute(state, step, delta, self.index)
        self.last_buy[done > 0] = step.day


@dataclass(eq=False)
class RebalanceRule(BoundRule):
    spec: Rebalance = field(kw_only=True)
    fixed: Float64Array | None = field(kw_only=True, default=None)  # (C,) target weights
    targets: Float64Array = field(init=False, default_factory=lambda: np.zeros(0))

    def candidate_steps(self, private_events: BoolArray) -> BoolArray:
        if self.spec.every is None:  # band only: checked on every step of the window
            return self.window.copy()
        return super().candidate_steps(private_events)

    def start(self, state: State, prices: Float64Array) -> None:
        hp = state.position_values(prices)
        if self.fixed is not None:
            self.targets = np.broadcast_to(self.fixed, hp.shape)
        elif self.spec.targets == "equal":
            held = hp > 0
            count = held.sum(axis=-1, keepdims=True)
            self.targets = np.divide(held, count, out=np.zeros_like(hp), where=count > 0)
        else:  # "initial": each account's weights at the start, cash included
            value = state.cash + hp.sum(axis=-1)
            self.targets = np.divide(
                hp, value[..., None], out=np.zeros_like(hp), where=value[..., None] > 0
            )

    def apply(self, trader: Trader, state: State, step: Step) -> None:
        acts = self.acts(step) & step.tradable
        if not acts.any():
            return
        hp = state.position_values(step.prices)
        value = state.cash + hp.sum(axis=-1)
        go = (value > 0) & self.accounts
        if self.spec.band is not None:
            weight = np.divide(
                hp, value[..., None], out=np.zeros_like(hp), where=value[..., None] > 0
            )
            off = (np.abs(weight - self.targets) > self.spec.band) & acts[:, None, :]
            go &= off.any(axis=-1)
        if not go.any():
            return
        gap = self.targets * value[..., None] - hp
        # Leave alone what is already on target up to rounding (no dust trades).
        tiny = np.abs(gap) <= 1e-9 * np.abs(value)[..., None]
        gap = np.where(go[..., None] & acts[:, None, :] & ~tiny, gap, 0.0)
        # conviction and vectorbt trade the gap (costs on top); bt spends or raises it
        delta = trader.shares(gap, step.prices[:, None, :])
        trader.execute(state, step, delta, self.index)


@dataclass(eq=False)
class FlowRule(BoundRule):
    spec: Contribute | Withdraw = field(kw_only=True)

    def apply(self, trader: Trader, state: State, step: Step) -> None:
        if not (self.due[step.t] and self.window[step.t]):
            return
        scope = np.broadcast_to(self.accounts, state.cash.shape)
        if isinstance(self.spec, Contribute):
            add = np.where(scope, self.spec.amount, 0.0)
            state.cash += add
            state.inflow += add
            return
        value = state.values(step.prices)
        want = np.where(scope, self.spec.amount + self.spec.fraction * np.maximum(value, 0), 0.0)
        short = want - np.maximum(state.cash, 0.0)
        if (short > 0).any():
            # Raise the shortfall by selling every tradable holding pro rata.
            hp = state.position_values(step.prices) * (self.companies & step.tradable)[:, None, :]
            sellable = hp.sum(axis=-1)
            if trader.sizing != "vectorbt":  # raise the shortfall after costs
                sellable = sellable * (1.0 - trader.rate)
            part = np.divide(short, sellable, out=np.zeros_like(short), where=sellable > 0)
            part = np.clip(part, 0.0, 1.0)
            delta = -(hp / step.prices[:, None, :]) * part[..., None]
            trader.execute(state, step, delta, self.index)
        take = np.minimum(want, np.maximum(state.cash, 0.0))
        state.cash -= take
        state.outflow += take
