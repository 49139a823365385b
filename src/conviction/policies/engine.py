"""The one engine: a policy over prices shaped (paths, time, companies).

History is one path; a Monte Carlo chunk is many. Holdings and cash are arrays shaped
(paths, accounts, companies) and (paths, accounts), updated step by step; each step runs
the policy's rules in order, each vectorised over paths and accounts. The loop is over
time only, and only over the steps on which some rule can act (a monthly policy on daily
prices visits ~21x fewer steps); between them holdings are constant and values follow
the prices in one matrix product per stretch.

    engine = PolicyEngine(policy, Setup(companies, accounts, kinds, dates, private))
    run = engine.run(prices, holdings, cash)        # -> PolicyRun (frozen arrays)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from conviction._typing import AccountKind, BoolArray, DateArray, Float64Array
from conviction.errors import UnknownIdError
from conviction.policies.results import PolicyRun, TradeLog
from conviction.policies.rules import (
    BoundRule,
    DrawdownRule,
    FlowRule,
    RebalanceRule,
    TrimRule,
)
from conviction.policies.schedule import as_days, period_starts, window
from conviction.policies.spec import (
    AddOnDrawdown,
    Contribute,
    Policy,
    Rebalance,
    Rule,
    TrimToCap,
    Withdraw,
)
from conviction.policies.trading import State, Step, Trader

__all__ = ["FLOW_RULE", "PolicyEngine", "Progress", "Setup", "run_policy"]

#: progress(steps done, steps in all)
Progress = Callable[[int, int], None]

#: The rule name of the sales that fund a replayed withdrawal short of cash.
FLOW_RULE = "withdrawal"

#: Above this many prices, drawdown rules visit every step instead of finding triggers first.
_EXACT_TRIGGERS = 4_000_000


@dataclass(frozen=True, eq=False)
class Setup:
    """What a policy runs on: companies, accounts (ids and kinds) and the dates of the steps.

    ``private`` (companies,) marks companies that trade only at liquidity events.
    """

    companies: tuple[str, ...]
    accounts: tuple[str, ...]
    kinds: tuple[AccountKind, ...]
    dates: DateArray
    private: BoolArray | None = None

    def __post_init__(self) -> None:
        if len(self.kinds) != len(self.accounts):
            raise ValueError("one kind per account is needed")
        if self.private is not None and np.shape(self.private) != (len(self.companies),):
            raise ValueError("private must be a boolean per company")


class PolicyEngine:
    """A policy bound to a setup: rules resolved to masks once, then run on any prices."""

    def __init__(self, policy: Policy, setup: Setup) -> None:
        self.policy = policy
        self.setup = setup
        self.days = as_days(setup.dates)
        n_comp = len(setup.companies)
        self.private = (
            np.zeros(n_comp, dtype=bool)
            if setup.private is None
            else np.asarray(setup.private, dtype=bool)
        )
        kinds = np.asarray(setup.kinds, dtype=object)
        seller = policy.last_seller
        insiders = None
        if seller is not None:
            where = policy.rules.index(seller)
            insiders = np.isin(kinds, list(seller.kinds)) & self._account_mask(seller, where)
            if not insiders.any() or insiders.all():
                insiders = None  # nobody to protect, or nobody to protect them from
        self.trader = Trader(
            rate=policy.costs.rate,
            margin=policy.margin,
            insiders=insiders,
            sizing=policy.costs.sizing,
        )
        self.rules: list[BoundRule] = []
        for i, rule in enumerate(policy.rules):
            bound = self._bind(i, rule, kinds)
            if bound is not None:
                self.rules.append(bound)
        #: the last name is the trades that fund a replayed withdrawal (``run(deposits=)``)
        self.rule_names = (*(r.type for r in policy.rules), FLOW_RULE)

    # -- binding ---------------------------------------------------------------------------

    def _account_mask(self, rule: Rule, index: int) -> BoolArray:
        mask = np.ones(len(self.setup.accounts), dtype=bool)
        if rule.accounts:
            known = set(self.setup.accounts)
            for name in rule.accounts:
                if name not in known:
                    raise UnknownIdError(
                        f"unknown account {name!r}",
                        file=self.policy.source,
                        field=f"rules[{index}].accounts",
                    )
            mask = np.isin(np.asarray(self.setup.accounts, dtype=object), list(rule.accounts))
        return mask

    def _company_index(self, name: str, index: int, key: str) -> int:
        try:
            return self.setup.companies.index(name)
        except ValueError:
            raise UnknownIdError(
                f"unknown company {name!r}", file=self.policy.source, field=f"rules[{index}].{key}"
            ) from None

    def _bind(self, i: int, rule: Rule, kinds: np.ndarray) -> BoundRule | None:
        if not isinstance(rule, TrimToCap | AddOnDrawdown | Rebalance | Contribute | Withdraw):
            return None  # hold does nothing; last_seller lives in the Trader
        accounts = np.isin(kinds, list(rule.kinds)) & self._account_mask(rule, i)
        companies = np.zeros(len(self.setup.companies), dtype=bool)
        for name in rule.companies:
            companies[self._company_index(name, i, "companies")] = True
        if not rule.companies:
            companies[:] = True
        inside = window(self.days, rule.start, rule.end)
        every = getattr(rule, "every", None) if not isinstance(rule, AddOnDrawdown) else None
        # A window's first step starts the rule's first period, whatever the calendar says.
        opens = inside & ~np.concatenate([[False], inside[:-1]])
        due = (period_starts(self.days, every) | opens) & inside
        common = (i, accounts, companies, inside, due, self.private)
        if isinstance(rule, TrimToCap):
            return TrimRule(*common, spec=rule)
        if isinstance(rule, AddOnDrawdown):
            return DrawdownRule(*common, spec=rule, named=bool(rule.companies))
        if isinstance(rule, Rebalance):
            fixed = None
            if not isinstance(rule.targets, str):
                fixed = np.zeros(len(self.setup.companies))
                for name, weight in rule.targets:
                    fixed[self._company_index(name, i, f"targets.{name}")] = weight
            return RebalanceRule(*common, spec=rule, fixed=fixed)
        return FlowRule(*common, spec=rule)

    # -- running ---------------------------------------------------------------------------

    def _active_steps(
        self, prices: Float64Array, events: BoolArray, external: BoolArray | None = None
    ) -> BoolArray:
        event_any: BoolArray = np.asarray(events.any(axis=(0, 2)))
        active = np.zeros(prices.shape[1], dtype=bool)
        active[0] = True
        if external is not None:
            active |= external
        for rule in self.rules:
            if isinstance(rule, DrawdownRule):
                if prices.size <= _EXACT_TRIGGERS:
                    peak = np.maximum.accumulate(prices, axis=1)
                    low = prices <= peak * (1.0 - rule.spec.drawdown)
                    active |= rule.window & (low & rule.companies).any(axis=(0, 2))
                else:
                    active |= rule.window
            else:
                active |= rule.candidate_steps(event_any)
        return active

    def run(
        self,
        prices: Float64Array,
        holdings: Float64Array,
        cash: Float64Array,
        *,
        liquidity: BoolArray | None = None,
        values: bool = True,
        trades: bool = True,
        progress: Progress | None = None,
        deposits: Float64Array | None = None,
        dividends: Float64Array | None = None,
        cash_growth: Float64Array | None = None,
    ) -> PolicyRun:
        """Run the policy. Trades happen at each step's price (the close).

        ``prices`` (paths, time, companies), finite and positive; ``holdings`` (accounts,
        companies) or (paths, accounts, companies); ``cash`` (accounts,) or (paths,
        accounts); ``liquidity`` (time, companies) or (paths, time, companies): the steps
        on which private companies can trade (ignored for public ones). ``values`` and
        ``trades``: keep the value series and the trade log (for history; off for large
        simulations, whose memory then stays O(paths x accounts x companies)).

        ``deposits`` (time, accounts): external cash on each step, before the rules act
        (> 0 a deposit, < 0 a withdrawal: a backtest's replayed flows). A withdrawal is
        taken in full: when cash is short, holdings are sold pro rata to raise it (after
        costs, under the gate, logged as rule ``"withdrawal"``), and what the gate does not
        let them raise leaves cash below 0. ``dividends`` (time, accounts, companies):
        cash per share held, paid on that step before the rules act (income, not a flow).
        Both count from step 1 (step 0 is the start state).

        ``cash_growth`` (time,): the factor each account's cash is multiplied by on each
        step from step 1 on, first thing on the step (interest on the cash held over it:
        ``(1 + cash_rate) ** (1 / steps_per_year)`` on simulated paths, see
        :func:`~conviction.policies.simulate.simulation_inputs`). Interest is income, not a
        flow (it is in the final value, not in what was contributed). None: cash earns
        nothing (exactly as a growth of 1).
        """
        prices = np.asarray(prices, dtype=np.float64)
        if prices.ndim != 3:
            raise ValueError("prices must be shaped (paths, time, companies)")
        n_paths, n_time, n_comp = prices.shape
        n_acc = len(self.setup.accounts)
        if n_time != self.days.size or n_comp != len(self.setup.companies):
            raise ValueError(
                f"prices are shaped {prices.shape}; the setup has {self.days.size} dates "
                f"and {len(self.setup.companies)} companies"
            )
        h = np.array(np.broadcast_to(holdings, (n_paths, n_acc, n_comp)), dtype=np.float64)
        money = np.array(np.broadcast_to(cash, (n_paths, n_acc)), dtype=np.float64)
        if liquidity is None:
            events = np.zeros((1, n_time, n_comp), dtype=bool)
        else:
            liq = np.asarray(liquidity, dtype=bool)
            events = (liq[None] if liq.ndim == 2 else liq) & self.private
        tradable = ~self.private | events
        growth = _growth(cash_growth, n_time)
        state = State(holdings=h, cash=money, trades=[] if trades else None)
        initial = state.values(prices[:, 0])
        for rule in self.rules:
            rule.start(state, prices[:, 0])

        external = _external_steps(deposits, dividends, n_time, n_acc, n_comp)
        steps = np.flatnonzero(self._active_steps(prices, events, external))
        series = np.empty((n_paths, n_time, n_acc)) if values else None
        flows = np.zeros((n_paths, n_time, n_acc)) if values else None
        peak = prices[:, 0].copy()
        acc_peak = np.full((n_paths, n_acc), -np.inf)
        acc_dd = np.zeros((n_paths, n_acc))
        book_peak = np.full(n_paths, -np.inf)
        book_dd = np.zeros(n_paths)
        track_peak = any(isinstance(r, DrawdownRule) for r in self.rules)
        for k, t in enumerate(steps.tolist()):
            if k and track_peak:
                np.maximum(peak, prices[:, steps[k - 1] + 1 : t + 1].max(axis=1), out=peak)
            step = Step(
                t=t,
                day=int(self.days[t]),
                prices=prices[:, t],
                tradable=tradable[:, t],
                event=events[:, t],
                peak=peak,
            )
            if growth is not None and t > 0:  # interest over the step, before anything else
                state.cash *= growth[t]
            net_before = state.inflow - state.outflow if flows is not None else None
            if external is not None and external[t]:
                self._external(state, step, deposits, dividends)
            for rule in self.rules:
                rule.apply(self.trader, state, step)
            if flows is not None and net_before is not None:
                flows[:, t] = state.inflow - state.outflow - net_before
            end = int(steps[k + 1]) if k + 1 < steps.size else n_time
            # Holdings are constant until the next active step: value the stretch at once.
            stretch = np.matmul(prices[:, t:end], state.holdings.transpose(0, 2, 1))
            if growth is None:
                stretch += state.cash[:, None, :]
            else:  # cash grows step by step over the stretch (as the kernel multiplies it)
                stretch[:, 0] += state.cash
                for s in range(t + 1, end):
                    state.cash *= growth[s]
                    stretch[:, s - t] += state.cash
            if series is not None:
                series[:, t:end] = stretch  # drawdowns from the whole series, below
            else:
                acc_peak, acc_dd = _drawdown(stretch, acc_peak, acc_dd)
                book_peak, book_dd = _drawdown(stretch.sum(axis=-1), book_peak, book_dd)
            if progress is not None:
                progress(end, n_time)

        if series is not None:
            _, acc_dd = _drawdown(series, acc_peak, acc_dd)
            _, book_dd = _drawdown(series.sum(axis=-1), book_peak, book_dd)
        return PolicyRun(
            policy=self.policy.name,
            accounts=self.setup.accounts,
            companies=self.setup.companies,
            dates=np.asarray(self.setup.dates, dtype="datetime64[D]"),
            initial_values=initial,
            final_values=state.values(prices[:, -1]),
            holdings=state.holdings,
            cash=state.cash,
            inflows=state.inflow,
            outflows=state.outflow,
            costs=state.costs,
            traded=state.traded,
            n_trades=state.n_trades,
            max_drawdown=acc_dd,
            book_max_drawdown=book_dd,
            values=series,
            flows=flows,
            trades=self._trade_log(state),
        )

    def _external(
        self,
        state: State,
        step: Step,
        deposits: Float64Array | None,
        dividends: Float64Array | None,
    ) -> None:
        """The replayed flows of step ``step.t``: dividends on the shares held, deposits
        into cash, withdrawals out of it (selling pro rata when cash is short)."""
        t = step.t
        if dividends is not None:
            state.cash += np.einsum("pac,ac->pa", state.holdings, dividends[t])
        if deposits is None:
            return
        flow = np.broadcast_to(deposits[t], state.cash.shape)
        add = np.maximum(flow, 0.0)
        state.cash += add
        state.inflow += add
        take = np.maximum(-flow, 0.0)
        short = take - np.maximum(state.cash, 0.0)
        if (short > 0).any():
            hp = state.position_values(step.prices) * step.tradable[:, None, :]
            sellable = hp.sum(axis=-1)
            if self.trader.sizing != "vectorbt":  # raise the shortfall after costs
                sellable = sellable * (1.0 - self.trader.rate)
            part = np.divide(short, sellable, out=np.zeros_like(short), where=sellable > 0)
            part = np.clip(part, 0.0, 1.0)
            delta = -(hp / step.prices[:, None, :]) * part[..., None]
            self.trader.execute(state, step, delta, len(self.rule_names) - 1)
        state.cash -= take
        state.outflow += take

    def _trade_log(self, state: State) -> TradeLog | None:
        if state.trades is None:
            return None
        chunks = state.trades

        def cat(name: str, dtype: type) -> np.ndarray:
            if not chunks:
                return np.zeros(0, dtype=dtype)
            return np.concatenate([getattr(c, name) for c in chunks]).astype(dtype)

        step = (
            np.concatenate([np.full(c.path.size, c.t) for c in chunks]).astype(np.int64)
            if chunks
            else np.zeros(0, dtype=np.int64)
        )
        rule = (
            np.concatenate([np.full(c.path.size, c.rule) for c in chunks]).astype(np.int64)
            if chunks
            else np.zeros(0, dtype=np.int64)
        )
        return TradeLog(
            path=cat("path", np.int64),
            step=step,
            date=np.asarray(self.setup.dates, dtype="datetime64[D]")[step],
            account=cat("account", np.int64),
            company=cat("company", np.int64),
            quantity=cat("quantity", np.float64),
            price=cat("price", np.float64),
            cost=cat("cost", np.float64),
            rule=rule,
            rule_names=self.rule_names,
        )


def _external_steps(
    deposits: Float64Array | None,
    dividends: Float64Array | None,
    n_time: int,
    n_acc: int,
    n_comp: int,
) -> BoolArray | None:
    """(time,) the steps with a replayed flow (None: no flows given); step 0 never."""
    if deposits is None and dividends is None:
        return None
    active = np.zeros(n_time, dtype=bool)
    if deposits is not None:
        if np.shape(deposits) != (n_time, n_acc):
            raise ValueError(f"deposits must be shaped (time, accounts) = {(n_time, n_acc)}")
        active |= np.asarray(deposits != 0).any(axis=1)
    if dividends is not None:
        if np.shape(dividends) != (n_time, n_acc, n_comp):
            raise ValueError("dividends must be shaped (time, accounts, companies)")
        active |= np.asarray(dividends != 0).any(axis=(1, 2))
    active[0] = False
    return active


def _growth(cash_growth: Float64Array | None, n_time: int) -> Float64Array | None:
    """The per-step cash factors as an array (None: no interest, also when all are 1)."""
    if cash_growth is None:
        return None
    growth = np.asarray(cash_growth, dtype=np.float64)
    if growth.shape != (n_time,):
        raise ValueError(f"cash_growth must be shaped (time,) = {(n_time,)}")
    if not np.isfinite(growth).all() or (growth <= 0).any():
        raise ValueError("cash_growth must be finite and > 0")
    return None if (growth[1:] == 1.0).all() else growth


def _drawdown(
    values: Float64Array, peak: Float64Array, worst: Float64Array
) -> tuple[Float64Array, Float64Array]:
    """Carry the running peak and the worst drawdown over a stretch (time on axis 1)."""
    if values.shape[1] == 1:  # the common case in simulations: one step at a time
        now = values[:, 0]
        peak = np.maximum(peak, now)
        loss = np.divide(now, peak, out=np.ones_like(now), where=peak > 0)
        return peak, np.maximum(worst, 1.0 - loss)
    running = np.maximum.accumulate(values, axis=1)
    np.maximum(running, peak[:, None], out=running)
    loss = np.divide(values, running, out=np.ones_like(values), where=running > 0)
    return running[:, -1], np.maximum(worst, 1.0 - loss.min(axis=1))


def run_policy(
    policy: Policy,
    prices: Float64Array,
    holdings: Float64Array,
    cash: Float64Array,
    *,
    companies: Sequence[str],
    accounts: Sequence[str],
    kinds: Sequence[AccountKind],
    dates: DateArray,
    private: BoolArray | None = None,
    liquidity: BoolArray | None = None,
    values: bool = True,
    trades: bool = True,
    progress: Progress | None = None,
) -> PolicyRun:
    """Bind and run in one call (see :class:`PolicyEngine`)."""
    setup = Setup(tuple(companies), tuple(accounts), tuple(kinds), np.asarray(dates), private)
    return PolicyEngine(policy, setup).run(
        prices,
        holdings,
        cash,
        liquidity=liquidity,
        values=values,
        trades=trades,
        progress=progress,
    )
