"""Hand-checked cases of each rule: small books whose answers are worked out on paper."""

from __future__ import annotations

import numpy as np
import pytest

from conviction.policies import (
    AddOnDrawdown,
    Contribute,
    Costs,
    Hold,
    LastSeller,
    Policy,
    PolicyRun,
    Rebalance,
    TrimToCap,
    Withdraw,
    run_policy,
)


def days(n: int, start: str = "2024-01-01") -> np.ndarray:
    return np.arange(np.datetime64(start), np.datetime64(start) + n)


def run(
    rules: tuple,  # type: ignore[type-arg]
    prices: list[list[float]],
    holdings: list[list[float]],
    cash: list[float],
    *,
    kinds: tuple[str, ...] | None = None,
    dates: np.ndarray | None = None,
    costs: Costs | None = None,
    margin: float = 0.0,
    private: list[bool] | None = None,
    liquidity: np.ndarray | None = None,
) -> PolicyRun:
    p = np.asarray(prices, dtype=float)[None]
    n_acc = len(cash)
    kinds = kinds or ("client",) * n_acc
    return run_policy(
        Policy("test", tuple(rules), costs=costs or Costs(), margin=margin),
        p,
        np.asarray(holdings, dtype=float),
        np.asarray(cash, dtype=float),
        companies=tuple(f"c{i}" for i in range(p.shape[2])),
        accounts=tuple(f"a{i}" for i in range(n_acc)),
        kinds=kinds,  # type: ignore[arg-type]
        dates=days(p.shape[1]) if dates is None else dates,
        private=None if private is None else np.asarray(private),
        liquidity=liquidity,
    )


def test_hold_values_are_cash_plus_marks_times_quantities() -> None:
    prices = [[10.0, 5.0], [12.0, 4.0], [9.0, 6.0]]
    r = run((Hold(),), prices, [[3, 2], [0, 10]], [100.0, 0.0])
    expected = np.array([[100 + 30 + 10, 50], [100 + 36 + 8, 40], [100 + 27 + 12, 60]])
    np.testing.assert_allclose(r.values[0], expected)
    assert len(r.trades) == 0
    np.testing.assert_allclose(r.multiples()[0], expected[-1] / expected[0])


def test_trim_sells_to_exactly_the_cap() -> None:
    # Day 1: A = 10 x 30 = 300 of V = 300 + 100 + 0 cash = 400 -> 75% > 50%: sell to 200.
    prices = [[10.0, 10.0], [30.0, 10.0]]
    r = run((TrimToCap(cap=0.5, kinds=("client",)),), prices, [[10, 10]], [0.0])
    np.testing.assert_allclose(r.holdings[0, 0], [200 / 30, 10])
    np.testing.assert_allclose(r.cash[0, 0], 100.0)
    trades = r.trade_frame()
    assert list(trades["quantity"]) == pytest.approx([-(10 - 200 / 30)])
    assert list(trades["rule"]) == ["trim_to_cap"]


def test_trim_with_costs_lands_on_the_cap_of_what_is_left() -> None:
    prices = [[10.0, 10.0, 10.0], [30.0, 30.0, 10.0]]  # two companies over the cap at once
    costs = Costs(commission_bps=50, slippage_bps=50)  # 1%
    rule = TrimToCap(cap=0.3, kinds=("client",))
    r = run((rule,), prices, [[10, 10, 10]], [100.0], costs=costs)
    assert list(r.trades.step) == [1, 1]  # day 0: 25% each, under the cap
    value = r.final_values[0, 0]
    weights = r.holdings[0, 0] * np.array(prices[-1]) / value
    np.testing.assert_allclose(weights[:2], [0.3, 0.3])
    # The value lost is exactly the cost: 1% of the value sold (800 before the trades).
    sold = (-r.trades.quantity * r.trades.price).sum()
    np.testing.assert_allclose(800.0 - value, 0.01 * sold)
    np.testing.assert_allclose(r.costs[0, 0], 0.01 * sold)


def test_trim_band_and_schedule() -> None:
    # Weight 0.55 with cap 0.5 and band 0.1: inside the band, no trade.
    r = run((TrimToCap(cap=0.5, band=0.1),), [[1.0, 1.0], [1.22, 1.0]], [[1, 1]], [0.0])
    assert len(r.trades) == 0
    # Monthly: the trim waits for the first day of the next month.
    dates = np.array(["2024-01-30", "2024-01-31", "2024-02-01"], dtype="datetime64[D]")
    prices = [[1.0, 1.0], [3.0, 1.0], [3.0, 1.0]]
    r = run((TrimToCap(cap=0.5, every="month"),), prices, [[1, 1]], [0.0], dates=dates)
    assert list(r.trades.step) == [2]


def test_trim_reinvests_in_the_other_holdings_by_value() -> None:
    prices = [[10.0, 10.0, 10.0], [40.0, 10.0, 20.0]]  # V = 400 + 100 + 200 = 700
    r = run((TrimToCap(cap=0.5, reinvest=True),), prices, [[10, 10, 10]], [0.0])
    np.testing.assert_allclose(r.final_values[0, 0], 700.0)
    # Sold 400 - 350 = 50, split 1:2 between the others.
    np.testing.assert_allclose(r.holdings[0, 0], [350 / 40, 10 + 50 / 3 / 10, 10 + 100 / 3 / 20])
    np.testing.assert_allclose(r.cash[0, 0], 0.0, atol=1e-12)


def test_trim_leaves_out_of_scope_accounts_alone() -> None:
    prices = [[1.0], [5.0]]
    r = run((TrimToCap(cap=0.5),), prices, [[10], [10]], [10.0, 10.0], kinds=("fund", "personal"))
    assert list(r.trades.account) == [0]


def test_add_on_drawdown_buys_with_a_fraction_of_cash_and_waits_for_cooldown() -> None:
    # Peak 120 on day 1; day 2 at 80 is 33% below it: buy with half the cash (100).
    prices = [[100.0], [120.0], [80.0], [70.0], [60.0], [84.0]]
    rule = AddOnDrawdown(drawdown=0.3, fraction=0.5, cooldown=2)
    r = run((rule,), prices, [[1]], [200.0])
    t = r.trade_frame()
    assert list(r.trades.step) == [2, 4]  # day 3 is inside the cooldown; day 5 is 30% off
    np.testing.assert_allclose(t["value"], [100.0, 50.0])
    np.testing.assert_allclose(r.cash[0, 0], 50.0)


def test_add_on_drawdown_only_buys_what_is_held_unless_named() -> None:
    prices = [[10.0, 10.0], [5.0, 5.0]]
    r = run((AddOnDrawdown(drawdown=0.4, fraction=1.0),), prices, [[1, 0]], [100.0])
    assert list(r.trades.company) == [0]
    named = AddOnDrawdown(drawdown=0.4, fraction=1.0, companies=("c0", "c1"))
    r = run((named,), prices, [[1, 0]], [100.0])
    np.testing.assert_allclose(r.trades.quantity * r.trades.price, [50.0, 50.0])


def test_rebalance_to_fixed_targets_and_equal_and_initial() -> None:
    prices = [[10.0, 10.0], [20.0, 10.0]]
    r = run((Rebalance(targets=(("c0", 0.4), ("c1", 0.4)), every="day"),), prices, [[5, 5]], [0.0])
    value = r.final_values[0, 0]
    np.testing.assert_allclose(r.holdings[0, 0] * prices[-1] / value, [0.4, 0.4])
    np.testing.assert_allclose(r.cash[0, 0] / value, 0.2)
    r = run((Rebalance(targets="equal", every="day"),), prices, [[5, 5]], [0.0])
    np.testing.assert_allclose(r.holdings[0, 0] * prices[-1], [75.0, 75.0])
    r = run((Rebalance(targets="initial", every="day"),), prices, [[5, 5]], [100.0])
    # Initial weights: 50 / 200 each; at the end V = 250 -> 62.5 in each.
    np.testing.assert_allclose(r.holdings[0, 0] * prices[-1], [62.5, 62.5])


def test_rebalance_band_only_trades_when_a_weight_drifts_out() -> None:
    prices = [[10.0, 10.0], [11.0, 10.0], [14.0, 10.0]]
    r = run((Rebalance(targets="initial", every=None, band=0.05),), prices, [[5, 5]], [0.0])
    # Day 1: weight 0.524, inside the band; day 2: 0.583, outside -> back to 0.5.
    assert set(r.trades.step.tolist()) == {2}
    np.testing.assert_allclose(r.holdings[0, 0] * prices[-1], [60.0, 60.0])


def test_contributions_and_withdrawals() -> None:
    dates = np.array(["2024-01-31", "2024-02-01", "2024-02-02", "2024-03-01"], "datetime64[D]")
    prices = [[10.0]] * 4
    r = run((Contribute(amount=100.0, every="month"),), prices, [[1]], [0.0], dates=dates)
    np.testing.assert_allclose(r.values[0, :, 0], [110, 210, 210, 310])
    np.testing.assert_allclose(r.inflows[0, 0], 300.0)
    np.testing.assert_allclose(r.multiples()[0, 0], 310 / 310)
    # Withdraw 25 a month: cash first, then a pro-rata sale of the holding.
    r = run((Withdraw(amount=25.0, every="month"),), prices, [[10]], [30.0], dates=dates)
    np.testing.assert_allclose(r.values[0, :, 0], [105, 80, 80, 55])
    np.testing.assert_allclose(r.outflows[0, 0], 75.0)
    np.testing.assert_allclose(r.holdings[0, 0, 0], 5.5)


def test_withdraw_a_fraction_of_value() -> None:
    r = run((Withdraw(fraction=0.1, every="day"),), [[10.0], [10.0]], [[10]], [0.0])
    np.testing.assert_allclose(r.values[0, :, 0], [90.0, 81.0])


def test_last_seller_blocks_insiders_until_clients_are_out() -> None:
    kinds = ("client", "personal")
    prices = [[1.0], [1.0], [1.0]]
    # A trim on every kind: the client trims, the insider may not while the client holds.
    rules = (LastSeller(), TrimToCap(cap=0.5, kinds=("client", "personal")))
    r = run(rules, prices, [[10], [10]], [0.0, 0.0], kinds=kinds)
    assert set(r.trades.account.tolist()) == {0}
    np.testing.assert_allclose(r.holdings[0, 1, 0], 10.0)
    # Without the rule the insider trims too.
    r = run(rules[1:], prices, [[10], [10]], [0.0, 0.0], kinds=kinds)
    assert set(r.trades.account.tolist()) == {0, 1}
    # Once the client has fully exited (in the same trade), the insider may sell.
    rules2 = (LastSeller(), Rebalance(targets=(("c0", 0.0),), every="day"))
    r = run(rules2, prices, [[10], [10]], [0.0, 0.0], kinds=kinds)
    np.testing.assert_allclose(r.holdings[0, :, 0], [0.0, 0.0])


def test_last_seller_also_binds_withdrawals() -> None:
    kinds = ("fund", "personal")
    rules = (LastSeller(), Withdraw(amount=5.0, every="day"))
    r = run(rules, [[1.0], [1.0]], [[10], [10]], [0.0, 0.0], kinds=kinds)
    # Day 0: the fund sells 5, the insider nothing. Day 1: the fund sells its last 5, and
    # in that same trade the insider, whose clients are then out, may sell too.
    np.testing.assert_allclose(r.values[0], [[5.0, 10.0], [0.0, 5.0]])
    np.testing.assert_allclose(r.outflows[0], [10.0, 5.0])


def test_private_companies_trade_only_at_liquidity_events() -> None:
    prices = [[1.0, 1.0], [4.0, 4.0], [4.0, 4.0], [4.0, 4.0]]
    liquidity = np.zeros((4, 2), dtype=bool)
    liquidity[2, 1] = True  # a tender for c1 on day 2
    rule = TrimToCap(cap=0.3, every="month")  # due only on day 0 for public companies
    r = run((rule,), prices, [[10, 10]], [20.0], private=[False, True], liquidity=liquidity)
    # Day 0: nothing over the cap. Day 2: c1 trims at its tender; c0 waits for a month start.
    assert list(zip(r.trades.step, r.trades.company, strict=True)) == [(2, 1)]
    # With no event at all the private company never trades.
    r = run((rule,), prices, [[10, 10]], [20.0], private=[False, True])
    assert len(r.trades) == 0


def test_buys_are_scaled_to_cash_unless_margin_allows_more() -> None:
    rule = Rebalance(targets=(("c0", 1.0),), every="day")
    r = run((rule,), [[10.0, 10.0], [10.0, 10.0]], [[0, 10]], [0.0])
    # No margin: c1 is sold to 0 first, then 100 buys c0: never below zero cash.
    np.testing.assert_allclose(r.holdings[0, 0], [10.0, 0.0])
    np.testing.assert_allclose(r.cash[0, 0], 0.0, atol=1e-12)
    buy = AddOnDrawdown(drawdown=0.1, fraction=1.0)
    r = run((buy,), [[10.0], [5.0]], [[10]], [50.0], costs=Costs(commission_bps=100))
    np.testing.assert_allclose(r.cash[0, 0], 0.0, atol=1e-12)
    np.testing.assert_allclose(r.holdings[0, 0, 0], 10 + 50 / 5 / 1.01)
    # With a 50% margin, a rebalance to 150% may borrow half the account's value.
    lever = Rebalance(targets=(("c0", 1.5),), every="day")
    r = run((lever,), [[10.0], [10.0]], [[10]], [0.0], margin=0.5)
    assert r.cash[0, 0] == pytest.approx(-50.0)
    np.testing.assert_allclose(r.holdings[0, 0, 0], 15.0)
    # With costs the same order would pass the floor: it is scaled down to end on it.
    r = run((lever,), [[10.0]], [[10]], [0.0], margin=0.5, costs=Costs(slippage_bps=100))
    assert r.cash[0, 0] == pytest.approx(-50.0)
    np.testing.assert_allclose(r.holdings[0, 0, 0], 10 + 50 / 10 / 1.01)


def test_paths_run_together_equal_paths_run_alone() -> None:
    rng = np.random.default_rng(7)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.05, (5, 40, 3)), axis=1))
    policy = Policy(
        "mix",
        (
            LastSeller(),
            TrimToCap(cap=0.4, every="week"),
            AddOnDrawdown(drawdown=0.1, fraction=0.3, cooldown=5),
            Withdraw(fraction=0.01, every="week", kinds=("personal",)),
        ),
        costs=Costs(commission_bps=10),
    )
    kw = {
        "companies": ("a", "b", "c"),
        "accounts": ("x", "y"),
        "kinds": ("client", "personal"),
        "dates": days(40),
    }
    h0 = np.array([[5.0, 1.0, 1.0], [3.0, 3.0, 0.0]])
    cash0 = np.array([100.0, 50.0])
    together = run_policy(policy, prices, h0, cash0, **kw)  # type: ignore[arg-type]
    for p in range(5):
        alone = run_policy(policy, prices[p : p + 1], h0, cash0, **kw)  # type: ignore[arg-type]
        np.testing.assert_allclose(together.values[p], alone.values[0], rtol=1e-12)
        np.testing.assert_allclose(together.holdings[p], alone.holdings[0], rtol=1e-12)


def test_a_window_opening_starts_the_rules_first_period() -> None:
    import datetime as dt

    dates = np.array(
        ["2024-01-10", "2024-01-17", "2024-01-24", "2024-02-07", "2024-02-14", "2024-03-06"],
        dtype="datetime64[D]",
    )
    prices = [[1.0, 1.0], [2.0, 1.0], [3.0, 1.0], [4.0, 1.0], [5.0, 1.0], [6.0, 1.0]]
    rule = TrimToCap(cap=0.5, every="month", start=dt.date(2024, 1, 15), end=dt.date(2024, 2, 29))
    r = run((rule,), prices, [[1, 1]], [0.0], dates=dates)
    # Opens on the 17th (first step inside), then the first step of February; March is out.
    assert list(r.trades.step) == [1, 3]


def test_returns_are_time_weighted() -> None:
    dates = np.array(["2024-01-31", "2024-02-01", "2024-02-02"], dtype="datetime64[D]")
    r = run((Contribute(amount=50.0, every="month"),), [[10.0], [11.0], [12.1]], [[10]], [0.0],
            dates=dates)  # fmt: skip
    # Contributions (50 on each month's first step, day 0 included) are not returns:
    # V = 150, 210, 221 with flows 50, 50, 0.
    returns = r.returns()["a0"].to_numpy()
    np.testing.assert_allclose(returns, [(210 - 50) / 150 - 1, 221 / 210 - 1])
