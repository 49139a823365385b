"""`[costs] sizing = "bt" | "vectorbt"`: each equals its library with costs (issue 13).

The five real daily series of benchmarks/bench_policies.py (TSLA, AAPL, MSFT, AMZN, QQQ,
their common dates 2010-06-29 .. 2025-06-30), $1M in cash, 10 bp on every trade:

- a monthly rebalance to 20% each (bt: RunMonthly + WeighEqually + Rebalance; vectorbt:
  from_orders, TargetPercent, call_seq="auto");
- the benchmark's monthly trim to 30% after buying 20% each on the first day (bt: the
  benchmark's algos; vectorbt: from_order_func, TargetPercent at today's close).

The expected series come from bt and vectorbt, run here; conviction's whole daily value
series must equal them to 1e-9 relative. Without costs every sizing equals both to 1e-10.
bt and vectorbt are in the test extra (through bench): these tests never skip.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import bt
import numpy as np
import pandas as pd
import pytest
import vectorbt as vbt
from numba import njit
from vectorbt.portfolio import nb as pnb
from vectorbt.portfolio.enums import SizeType

from conviction.io.policy_toml import read_policy_text
from conviction.io.prices import read_price_csv
from conviction.policies import SIZINGS, Costs, Policy, Rebalance, TrimToCap, run_policy

PRICES = Path(__file__).resolve().parents[3] / "shared" / "data" / "prices"
TICKERS = ("TSLA", "AAPL", "MSFT", "AMZN", "QQQ")
CAPITAL = 1e6
CAP = 0.30
WEIGHT = 1.0 / len(TICKERS)


@cache
def frame() -> pd.DataFrame:
    series = {t: read_price_csv(PRICES / f"{t}.csv") for t in TICKERS}
    return pd.concat(series, axis=1, sort=True).dropna()


def month_starts(index: pd.Index) -> np.ndarray:
    dates = pd.DatetimeIndex(index)
    month = np.asarray(dates.year * 12 + dates.month)
    return np.concatenate([[True], month[1:] != month[:-1]])


# -- conviction ----------------------------------------------------------------------------


def ours(case: str, bps: float, sizing: str) -> np.ndarray:
    data = frame()
    first = data.index[0].date()
    weights = tuple((t, WEIGHT) for t in TICKERS)
    rules: tuple[Any, ...]
    if case == "rebalance":
        rules = (Rebalance(targets=weights, every="month", kinds=("client",)),)
    else:
        rules = (
            Rebalance(targets=weights, every="day", kinds=("client",), start=first, end=first),
            TrimToCap(cap=CAP, every="month", kinds=("client",)),
        )
    policy = Policy(case, rules, costs=Costs(commission_bps=bps, sizing=sizing))  # type: ignore[arg-type]
    run = run_policy(
        policy,
        data.to_numpy()[None],
        np.zeros((1, len(TICKERS))),
        np.array([CAPITAL]),
        companies=TICKERS,
        accounts=("a",),
        kinds=("client",),
        dates=data.index.to_numpy(),
    )
    assert run.values is not None
    return run.values[0, :, 0]


# -- bt ------------------------------------------------------------------------------------


class EqualOnce(bt.Algo):  # type: ignore[misc]
    def __call__(self, target: Any) -> bool:
        if "done" in target.perm:
            return True
        target.perm["done"] = True
        base = target.value
        for name in target.universe.columns:
            target.rebalance(WEIGHT, child=name, base=base, update=False)
        target.root.update(target.now)
        return False


class Trim(bt.Algo):  # type: ignore[misc]
    def __call__(self, target: Any) -> bool:
        base = target.value
        for name, child in target.children.items():
            if child.value / base > CAP:
                target.rebalance(CAP, child=name, base=base, update=False)
        target.root.update(target.now)
        return True


@cache
def with_bt(case: str, bps: float) -> np.ndarray:
    rate = bps / 10_000

    def commission(q: float, p: float) -> float:
        return abs(q) * p * rate

    algos: list[Any]
    if case == "rebalance":
        algos = [bt.algos.RunMonthly(), bt.algos.SelectAll(), bt.algos.WeighEqually()]
        algos.append(bt.algos.Rebalance())
    else:
        algos = [EqualOnce(), bt.algos.RunMonthly(), Trim()]
    test = bt.Backtest(
        bt.Strategy(case, algos),
        frame(),
        initial_capital=CAPITAL,
        integer_positions=False,
        commissions=commission,
    )
    test.run()  # bt.run would add ffn's statistics too
    return np.asarray(test.strategy.prices.iloc[1:].to_numpy() * CAPITAL / 100.0)  # bt: 100


# -- vectorbt ------------------------------------------------------------------------------


@njit
def close_as_value(c: Any) -> tuple[()]:
    for col in range(c.from_col, c.to_col):  # value every asset at today's close
        c.last_val_price[col] = c.close[c.i, col]
    return ()


@njit
def trim_order(c: Any, cap: float, first_weight: float, fees: float) -> Any:
    price = c.close[c.i, c.col]
    if c.i == 0:  # equal buys (equal order values: "auto" would keep this column order)
        return pnb.order_nb(
            size=first_weight, price=price, size_type=SizeType.TargetPercent, fees=fees
        )
    if c.position_now * price / c.value_now > cap:  # sales only from here on
        return pnb.order_nb(size=cap, price=price, size_type=SizeType.TargetPercent, fees=fees)
    return pnb.order_nothing_nb()


@cache
def with_vectorbt(case: str, bps: float) -> np.ndarray:
    data = frame()
    due = month_starts(data.index)
    fees = bps / 10_000
    if case == "rebalance":
        size = np.where(due[:, None], WEIGHT, np.nan) * np.ones((1, len(TICKERS)))
        portfolio = vbt.Portfolio.from_orders(
            data,
            size=size,
            size_type="targetpercent",
            group_by=True,
            cash_sharing=True,
            call_seq="auto",
            fees=fees,
            init_cash=CAPITAL,
            freq="1D",
        )
    else:
        portfolio = vbt.Portfolio.from_order_func(
            data,
            trim_order,
            CAP,
            WEIGHT,
            fees,
            init_cash=CAPITAL,
            cash_sharing=True,
            group_by=True,
            segment_mask=due[:, None],
            pre_segment_func_nb=close_as_value,
            freq="1D",
        )
    return np.asarray(portfolio.value().to_numpy())


LIBRARIES: dict[str, Callable[[str, float], np.ndarray]] = {
    "bt": with_bt,
    "vectorbt": with_vectorbt,
}


def worst(a: np.ndarray, b: np.ndarray) -> float:
    assert a.shape == b.shape
    return float(np.max(np.abs(a / b - 1.0)))


@pytest.mark.slow
@pytest.mark.parametrize("case", ["rebalance", "trim"])
@pytest.mark.parametrize("library", ["bt", "vectorbt"])
def test_each_sizing_equals_its_library_with_10bp(case: str, library: str) -> None:
    theirs = LIBRARIES[library](case, 10.0)
    assert worst(ours(case, 10.0, library), theirs) < 1e-9
    # ... and the other libraries' sizing does not (the test can tell them apart)
    for other in SIZINGS:
        if other != library:
            assert worst(ours(case, 10.0, other), theirs) > 1e-6


@pytest.mark.slow
@pytest.mark.parametrize("case", ["rebalance", "trim"])
@pytest.mark.parametrize("library", ["bt", "vectorbt"])
def test_without_costs_every_sizing_equals_both(case: str, library: str) -> None:
    theirs = LIBRARIES[library](case, 0.0)
    for sizing in SIZINGS:
        assert worst(ours(case, 0.0, sizing), theirs) < 1e-10


def test_sizing_is_read_from_the_policy_file() -> None:
    text = '[costs]\ncommission_bps = 10\nsizing = "vectorbt"\n\n[[rules]]\nrule = "hold"\n'
    assert read_policy_text(text).costs == Costs(commission_bps=10.0, sizing="vectorbt")
    assert read_policy_text('[[rules]]\nrule = "hold"\n').costs.sizing == "conviction"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ('"zipline"', "unknown sizing 'zipline' (expected one of conviction, bt, vectorbt)"),
        ('"BT"', "unknown sizing 'BT'"),
        ("1", "expected one of conviction, bt, vectorbt in quotes, got 1"),
    ],
)
def test_unknown_sizing_names_file_line_and_field(tmp_path: Path, value: str, says: str) -> None:
    from conviction.errors import ConvictionError
    from conviction.io.policy_toml import read_policy

    path = tmp_path / "p.toml"
    path.write_text(
        f'[policy]\nname = "p"\n\n[costs]\ncommission_bps = 10\nsizing = {value}\n\n'
        '[[rules]]\nrule = "hold"\n'
    )
    with pytest.raises(ConvictionError) as caught:
        read_policy(path)
    message = str(caught.value)
    assert f"{path}:6" in message
    assert "costs.sizing" in message
    assert says in message


# -- the worked example of docs/policies.md ("Costs and sizing") ---------------------------

HAND_DAYS = pd.to_datetime(["2024-01-31", "2024-02-01"])
HAND = pd.DataFrame({"X": [100.0, 100.0], "Y": [50.0, 50.0], "Z": [50.0, 50.0]}, HAND_DAYS)
HAND_WEIGHTS = {"X": 0.40, "Y": 0.25, "Z": 0.35}


def hand_ours(sizing: str, rule: str) -> np.ndarray:
    """100 X ($10,000) and no cash; on 2024-02-01 the rule acts, 10 bp."""
    day = HAND_DAYS[1].date()
    spec: Any = (
        Rebalance(targets=tuple(HAND_WEIGHTS.items()), every="month", kinds=("client",), start=day)
        if rule == "rebalance"
        else TrimToCap(cap=0.40, every="month", kinds=("client",), start=day)
    )
    run = run_policy(
        Policy("hand", (spec,), costs=Costs(commission_bps=10.0, sizing=sizing)),  # type: ignore[arg-type]
        HAND.to_numpy()[None],
        np.array([[100.0, 0.0, 0.0]]),
        np.zeros(1),
        companies=("X", "Y", "Z"),
        accounts=("a",),
        kinds=("client",),
        dates=HAND_DAYS.to_numpy(),
    )
    return np.r_[run.holdings[0, 0], run.cash[0, 0]]


def hand_bt(rule: str) -> np.ndarray:
    """bt buys the 100 X without costs on the first day, then trades with 10 bp."""
    rate = {"now": 0.0}

    class FirstDay(bt.Algo):  # type: ignore[misc]
        def __call__(self, target: Any) -> bool:
            if "done" not in target.perm:
                target.perm["done"] = True
                target.rebalance(1.0, child="X", base=target.value)
                return False
            rate["now"] = 0.001
            return True

    class TrimX(bt.Algo):  # type: ignore[misc]
        def __call__(self, target: Any) -> bool:
            base = target.value
            if target.children["X"].value / base > 0.40:
                target.rebalance(0.40, child="X", base=base)
            return True

    algos: list[Any] = [FirstDay()]
    if rule == "rebalance":
        algos += [bt.algos.WeighSpecified(**HAND_WEIGHTS), bt.algos.Rebalance()]
    else:
        algos.append(TrimX())
    test = bt.Backtest(
        bt.Strategy("hand", algos),
        HAND,
        initial_capital=10_000.0,
        integer_positions=False,
        commissions=lambda q, p: abs(q) * p * rate["now"],
    )
    test.run()
    strategy = test.strategy
    held = [strategy.children[c].position if c in strategy.children else 0.0 for c in "XYZ"]
    return np.array([*held, float(strategy.cash.iloc[-1])])


def hand_vectorbt(rule: str) -> np.ndarray:
    """vectorbt buys the 100 X with fees 0 on the first day, then 10 bp."""
    if rule == "rebalance":
        size = np.array([[1.0, 0.0, 0.0], list(HAND_WEIGHTS.values())])
    else:
        size = np.array([[1.0, np.nan, np.nan], [0.40, np.nan, np.nan]])
    portfolio = vbt.Portfolio.from_orders(
        HAND,
        size=size,
        size_type="targetpercent",
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        fees=np.array([[0.0], [0.001]]),
        init_cash=10_000.0,
        freq="1D",
    )
    return np.r_[portfolio.assets().to_numpy()[-1], float(portfolio.cash().to_numpy()[-1])]


@pytest.mark.parametrize("rule", ["rebalance", "trim"])
def test_the_worked_example_in_the_docs(rule: str) -> None:
    """Shares of X, Y, Z and cash after the trade, as docs/policies.md gives them."""
    theirs = {"bt": hand_bt(rule), "vectorbt": hand_vectorbt(rule)}
    for library, expected in theirs.items():
        np.testing.assert_allclose(hand_ours(library, rule), expected, rtol=1e-12, atol=1e-9)
    doc = {  # the table in docs/policies.md, to the 6 decimals it shows
        ("rebalance", "bt"): [39.93994, 49.95005, 69.93007, 0.0],
        ("rebalance", "vectorbt"): [40.0, 50.0, 69.76024, 0.0],
        ("trim", "bt"): [39.93994, 0.0, 0.0, 6000.0],
        ("trim", "vectorbt"): [40.0, 0.0, 0.0, 5994.0],
    }
    for library, expected in theirs.items():
        np.testing.assert_allclose(expected, doc[rule, library], atol=5e-6)
    ours = {"rebalance": [40.0, 49.9001, 69.86014, 0.0], "trim": [39.97599, 0.0, 0.0, 5996.398559]}
    np.testing.assert_allclose(hand_ours("conviction", rule), ours[rule], atol=5e-6)
