"""Invariants of the engine on random books, prices and policies (hypothesis).

Each run's history is rebuilt independently from its trade log and value series:
holdings after every (step, rule) from the log; cash as value minus marks x holdings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from conviction._typing import ACCOUNT_KINDS
from conviction.policies import (
    PERIODS,
    SIZINGS,
    AddOnDrawdown,
    Contribute,
    Costs,
    Hold,
    LastSeller,
    Policy,
    PolicyRun,
    Rebalance,
    Rule,
    TrimToCap,
    Withdraw,
    run_policy,
)
from conviction.policies.trading import DUST

TOL = 1e-7


@dataclass
class Case:
    policy: Policy
    prices: np.ndarray
    holdings: np.ndarray
    cash: np.ndarray
    kinds: tuple[str, ...]
    dates: np.ndarray
    private: np.ndarray
    liquidity: np.ndarray

    def run(self, policy: Policy | None = None) -> PolicyRun:
        return run_policy(
            policy or self.policy,
            self.prices,
            self.holdings,
            self.cash,
            companies=tuple(f"c{i}" for i in range(self.prices.shape[2])),
            accounts=tuple(f"a{i}" for i in range(self.cash.size)),
            kinds=self.kinds,  # type: ignore[arg-type]
            dates=self.dates,
            private=self.private,
            liquidity=self.liquidity,
        )


kinds_subset = st.lists(st.sampled_from(ACCOUNT_KINDS), min_size=1, max_size=3, unique=True).map(
    tuple
)
periods = st.sampled_from(PERIODS)


def trading_rules(n_comp: int) -> st.SearchStrategy[Rule]:
    weights = st.lists(st.floats(0, 1), min_size=n_comp, max_size=n_comp).map(
        lambda w: tuple((f"c{i}", x / max(1.0, sum(w))) for i, x in enumerate(w))
    )
    return st.one_of(
        st.builds(
            TrimToCap,
            cap=st.floats(0.05, 1.0),
            band=st.floats(0.0, 0.1),
            every=periods,
            kinds=kinds_subset,
            reinvest=st.booleans(),
        ),
        st.builds(
            AddOnDrawdown,
            drawdown=st.floats(0.01, 0.5),
            fraction=st.floats(0.01, 1.0),
            cooldown=st.integers(0, 10),
            kinds=kinds_subset,
        ),
        st.builds(
            Rebalance,
            targets=st.one_of(st.sampled_from(["equal", "initial"]), weights),
            every=periods,
            kinds=kinds_subset,
        ),
        st.just(Hold()),
    )


flow_rules = st.one_of(
    st.builds(Contribute, amount=st.floats(1, 100), every=periods, kinds=kinds_subset),
    st.builds(
        Withdraw,
        amount=st.floats(1, 100),
        fraction=st.floats(0, 0.2),
        every=periods,
        kinds=kinds_subset,
    ),
)


@st.composite
def cases(draw: st.DrawFn, *, flows: bool = True) -> Case:
    n_paths = draw(st.integers(1, 3))
    n_time = draw(st.integers(2, 40))
    n_comp = draw(st.integers(1, 4))
    n_acc = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    prices = 10 * np.exp(np.cumsum(rng.normal(0, 0.1, (n_paths, n_time, n_comp)), axis=1))
    kinds = tuple(draw(st.lists(st.sampled_from(ACCOUNT_KINDS), min_size=n_acc, max_size=n_acc)))
    holdings = rng.integers(0, 20, (n_acc, n_comp)) * (rng.random((n_acc, n_comp)) < 0.7)
    cash = rng.uniform(0, 200, n_acc) * (rng.random(n_acc) < 0.7)
    step = draw(st.sampled_from([1, 3, 10]))
    dates = np.datetime64("2020-01-01") + step * np.arange(n_time)
    rule_set = trading_rules(n_comp) | flow_rules if flows else trading_rules(n_comp)
    rules = draw(st.lists(rule_set, min_size=1, max_size=4))
    if draw(st.booleans()):
        rules.insert(draw(st.integers(0, len(rules))), LastSeller())
    costs = Costs(
        commission_bps=draw(st.sampled_from([0.0, 5.0, 50.0])),
        sizing=draw(st.sampled_from(SIZINGS)),
    )
    return Case(
        policy=Policy("random", tuple(rules), costs=costs),
        prices=prices,
        holdings=holdings.astype(float),
        cash=cash,
        kinds=kinds,
        dates=dates,
        private=rng.random(n_comp) < 0.3,
        liquidity=rng.random((n_time, n_comp)) < 0.2,
    )


def holdings_by_step(case: Case, run: PolicyRun) -> np.ndarray:
    """(paths, time, accounts, companies) holdings after each step, from the trade log."""
    n_paths, n_time, _ = case.prices.shape
    delta = np.zeros((n_paths, n_time, *case.holdings.shape))
    log = run.trades
    assert log is not None
    np.add.at(delta, (log.path, log.step, log.account, log.company), log.quantity)
    return case.holdings + np.cumsum(delta, axis=1)


@settings(max_examples=120, deadline=None)
@given(cases())
def test_no_short_no_overdraft_and_last_seller_holds(case: Case) -> None:
    run = case.run()
    held = holdings_by_step(case, run)
    np.testing.assert_allclose(held[:, -1], run.holdings, atol=1e-9)
    assert (held >= -TOL).all()
    assert run.values is not None
    cash = run.values - np.einsum("ptac,ptc->pta", held, case.prices)
    assert (cash >= -TOL * (1 + np.abs(run.values))).all()
    np.testing.assert_allclose(cash[:, -1], run.cash, atol=1e-6)

    check_last_seller(case, run)


def check_last_seller(case: Case, run: PolicyRun) -> int:
    """Replay the log (step, rule) by (step, rule): whenever an insider sells, the clients
    must hold none of that company after that rule's trades. Returns the insider sales."""
    insider_kinds = () if case.policy.last_seller is None else case.policy.last_seller.kinds
    insiders = np.isin(case.kinds, list(insider_kinds))
    if not insiders.any() or insiders.all():
        return 0
    log = run.trades
    assert log is not None
    state = np.broadcast_to(case.holdings, run.holdings.shape).copy()
    keys = log.step * 1000 + log.rule
    count = 0
    for key in np.unique(keys):
        part = keys == key
        np.add.at(state, (log.path[part], log.account[part], log.company[part]), log.quantity[part])
        sells = part & (log.quantity < 0) & insiders[log.account]
        for p, c in zip(log.path[sells], log.company[sells], strict=True):
            assert (state[p, ~insiders, c] <= DUST).all()
            count += 1
    return count


@settings(max_examples=80, deadline=None)
@given(cases(flows=False))
def test_every_trade_conserves_value_up_to_its_cost(case: Case) -> None:
    run = case.run()
    log = run.trades
    assert log is not None and run.values is not None
    rate = case.policy.costs.rate
    np.testing.assert_allclose(log.cost, rate * np.abs(log.quantity) * log.price, rtol=1e-12)
    cost = np.zeros(run.values.shape)
    np.add.at(cost, (log.path, log.step, log.account), log.cost)
    held = holdings_by_step(case, run)
    before = np.concatenate(
        [np.broadcast_to(case.holdings, held[:, :1].shape), held[:, :-1]], axis=1
    )
    # Value change on each step = price move on the holdings before it - the step's costs.
    previous = np.concatenate([run.initial_values[:, None], run.values[:, :-1]], axis=1)
    previous_prices = np.concatenate([case.prices[:, :1], case.prices[:, :-1]], axis=1)
    move = np.einsum("ptac,ptc->pta", before, case.prices - previous_prices)
    np.testing.assert_allclose(
        run.values - previous, move - cost, atol=1e-8 * (1 + np.abs(run.values).max())
    )


@settings(max_examples=60, deadline=None)
@given(cases())
def test_totals_balance_with_flows(case: Case) -> None:
    run = case.run()
    assert run.values is not None
    held = holdings_by_step(case, run)
    before = np.concatenate(
        [np.broadcast_to(case.holdings, held[:, :1].shape), held[:, :-1]], axis=1
    )
    previous_prices = np.concatenate([case.prices[:, :1], case.prices[:, :-1]], axis=1)
    gains = np.einsum("ptac,ptc->pa", before, case.prices - previous_prices)
    expected = run.initial_values + gains + run.inflows - run.outflows - run.costs
    scale = 1 + np.abs(run.values).max()
    np.testing.assert_allclose(run.final_values, expected, atol=1e-8 * scale)


@settings(max_examples=40, deadline=None)
@given(cases())
def test_hold_history_is_marks_times_initial_quantities(case: Case) -> None:
    run = case.run(Policy("hold", (Hold(),)))
    expected = case.cash + np.einsum("ac,ptc->pta", case.holdings, case.prices)
    assert run.values is not None
    np.testing.assert_allclose(run.values, expected, rtol=1e-12)
    assert run.trades is not None and len(run.trades) == 0


@st.composite
def insider_cases(draw: st.DrawFn) -> Case:
    """Books with insiders and clients side by side, under rules that sell from both."""
    base = draw(cases())
    n_acc = base.cash.size
    kinds = ["personal", draw(st.sampled_from(["client", "fund"]))]
    kinds += draw(st.lists(st.sampled_from(ACCOUNT_KINDS), min_size=n_acc, max_size=n_acc))
    n_acc = len(kinds)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_comp = base.prices.shape[2]
    holdings = rng.integers(1, 20, (n_acc, n_comp)) * (rng.random((n_acc, n_comp)) < 0.8)
    sellers = st.one_of(
        st.builds(Withdraw, amount=st.floats(10, 400), every=periods),
        st.builds(TrimToCap, cap=st.floats(0.05, 0.5), every=periods, kinds=st.just(ACCOUNT_KINDS)),
        st.builds(
            Rebalance,
            targets=st.lists(st.floats(0, 0.3), min_size=n_comp, max_size=n_comp).map(
                lambda w: tuple((f"c{i}", x) for i, x in enumerate(w))
            ),
            every=periods,
        ),
    )
    rules = [LastSeller(), *draw(st.lists(sellers, min_size=1, max_size=3))]
    return Case(
        policy=Policy("sellers", tuple(rules)),
        prices=base.prices,
        holdings=holdings.astype(float),
        cash=rng.uniform(0, 50, n_acc),
        kinds=tuple(kinds),
        dates=base.dates,
        private=base.private,
        liquidity=base.liquidity,
    )


@settings(max_examples=120, deadline=None)
@given(insider_cases())
def test_insiders_sell_only_what_clients_have_left(case: Case) -> None:
    check_last_seller(case, case.run())
