"""What a policy run returns: frozen arrays, with pandas views for history."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from conviction._typing import DateArray, Float64Array, IntArray

__all__ = ["PolicyRun", "TradeLog"]


@dataclass(frozen=True, eq=False)
class TradeLog:
    """Every trade of a run, one entry per (step, account, company) traded, in time order.

    ``quantity`` > 0 is a buy. ``cost`` is in cash; ``rule`` indexes ``rule_names``.
    """

    path: IntArray
    step: IntArray
    date: DateArray
    account: IntArray
    company: IntArray
    quantity: Float64Array
    price: Float64Array
    cost: Float64Array
    rule: IntArray
    rule_names: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.step.size)

    def to_frame(self, accounts: tuple[str, ...], companies: tuple[str, ...]) -> pd.DataFrame:
        """One row per trade with ids and rule names instead of indices."""
        return pd.DataFrame(
            {
                "path": self.path,
                "date": pd.to_datetime(self.date),
                "account": np.asarray(accounts, dtype=object)[self.account],
                "company": np.asarray(companies, dtype=object)[self.company],
                "action": np.where(self.quantity > 0, "buy", "sell"),
                "quantity": self.quantity,
                "price": self.price,
                "value": self.quantity * self.price,
                "cost": self.cost,
                "rule": np.asarray(self.rule_names, dtype=object)[self.rule],
            }
        )


@dataclass(frozen=True, eq=False)
class PolicyRun:
    """A policy run over (paths, time, companies) prices, per path and account.

    Values are in cash units. ``values`` (paths, time, accounts) is the account value after
    each step's trades, kept only when asked (history); ``trades`` likewise. The rest is
    always there and small: O(paths x accounts).
    """

    policy: str
    accounts: tuple[str, ...]
    companies: tuple[str, ...]
    dates: DateArray
    initial_values: Float64Array  # (paths, accounts)
    final_values: Float64Array  # (paths, accounts)
    holdings: Float64Array  # (paths, accounts, companies), at the end
    cash: Float64Array  # (paths, accounts), at the end
    inflows: Float64Array  # contributions, (paths, accounts)
    outflows: Float64Array  # withdrawals, (paths, accounts)
    costs: Float64Array  # trading costs paid, (paths, accounts)
    traded: Float64Array  # traded value (turnover), (paths, accounts)
    n_trades: IntArray  # (paths, accounts)
    max_drawdown: Float64Array  # of each account's value, flows included, (paths, accounts)
    book_max_drawdown: Float64Array  # of the sum over accounts, (paths,)
    values: Float64Array | None = None
    flows: Float64Array | None = None  # net contributions on each step (paths, time, accounts)
    trades: TradeLog | None = None

    @property
    def n_paths(self) -> int:
        return int(self.final_values.shape[0])

    def multiples(self) -> Float64Array:
        """(paths, accounts): (final value + withdrawn) / (initial value + contributed)."""
        return _multiple(self.final_values + self.outflows, self.initial_values + self.inflows)

    def book_multiples(self) -> Float64Array:
        """(paths,): the same multiple for the sum of all accounts."""
        return _multiple(
            (self.final_values + self.outflows).sum(axis=1),
            (self.initial_values + self.inflows).sum(axis=1),
        )

    def value_frame(self, path: int = 0) -> pd.DataFrame:
        """Dates x accounts values of one path, plus a ``total`` column (history runs)."""
        if self.values is None:
            raise ValueError("this run did not keep its value series (values=False)")
        frame = pd.DataFrame(
            self.values[path],
            index=pd.DatetimeIndex(pd.to_datetime(self.dates), name="date"),
            columns=list(self.accounts),
        )
        frame["total"] = frame.sum(axis=1)
        return frame

    def returns(self, path: int = 0) -> pd.DataFrame:
        """Time-weighted step returns of each account and the total (history runs):
        r_t = (V_t - F_t) / V_{t-1} - 1, F_t the contributions less withdrawals of step t."""
        if self.values is None or self.flows is None:
            raise ValueError("this run did not keep its value series (values=False)")
        values = np.concatenate([self.values[path], self.values[path].sum(1, keepdims=True)], 1)
        flows = np.concatenate([self.flows[path], self.flows[path].sum(1, keepdims=True)], 1)
        prior = values[:-1]
        out = np.full(prior.shape, np.nan)
        np.divide(values[1:] - flows[1:], prior, out=out, where=prior > 0)
        return pd.DataFrame(
            out - 1.0,
            index=pd.DatetimeIndex(pd.to_datetime(self.dates[1:]), name="date"),
            columns=[*self.accounts, "total"],
        )

    def trade_frame(self) -> pd.DataFrame:
        """The trade log as a DataFrame (history runs)."""
        if self.trades is None:
            raise ValueError("this run did not keep its trades (trades=False)")
        return self.trades.to_frame(self.accounts, self.companies)


def _multiple(end: Float64Array, start: Float64Array) -> Float64Array:
    out = np.full(np.shape(end), np.nan)
    np.divide(end, start, out=out, where=start > 0)
    return out
