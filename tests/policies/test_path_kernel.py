"""The compiled path kernel against the NumPy engine (the oracle), on random policies,
books and paths: the same per-path summary parts to 1e-12, costs, gate and liquidity
included; and `compare_blocks` (which runs the kernel) equal to `compare_on_paths` (which
runs the engine) on a real book."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conviction.io import read_book
from conviction.policies import Hold, LastSeller, Policy, TrimToCap
from conviction.policies import path_kernel as pk
from conviction.policies.engine import PolicyEngine, Setup
from conviction.policies.path_kernel import path_kernel, stack
from conviction.policies.simulate import (
    _cash_growth,
    compare_blocks,
    compare_on_paths,
    simulation_inputs,
    step_dates,
)
from conviction.policies.spec import (
    AddOnDrawdown,
    Contribute,
    Costs,
    Rebalance,
    Rule,
    Withdraw,
)
from conviction.policies.summary import SummaryAccumulator
from conviction.projection import AssetSpec, ProjectionSpec, iter_paths

KINDS = ("client", "fund", "personal")
PERIODS = ("day", "month", "quarter", "year")


@st.composite
def rules(draw: st.DrawFn, n_comp: int, accounts: tuple[str, ...]) -> list[Rule]:
    """One to four trading rules, any of them, scoped at random."""
    out: list[Rule] = []
    for _ in range(draw(st.integers(1, 4))):
        kinds = tuple(draw(st.lists(st.sampled_from(KINDS), min_size=1, unique=True)))
        scope: dict[str, Any] = {"kinds": kinds}
        if draw(st.booleans()):
            scope["accounts"] = tuple(
                draw(st.lists(st.sampled_from(accounts), min_size=1, unique=True))
            )
        names = [f"c{i}" for i in range(n_comp)]
        if draw(st.booleans()):
            scope["companies"] = tuple(
                draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
            )
        if draw(st.booleans()):
            scope["start"] = dt.date(2025, 1, 1) + dt.timedelta(days=draw(st.integers(0, 900)))
        which = draw(st.sampled_from(("trim", "drawdown", "rebalance", "contribute", "withdraw")))
        if which == "trim":
            out.append(
                TrimToCap(
                    cap=draw(st.floats(0.1, 0.6)),
                    band=draw(st.sampled_from((0.0, 0.02, 0.1))),
                    every=draw(st.sampled_from(PERIODS)),
                    reinvest=draw(st.booleans()),
                    **scope,
                )
            )
        elif which == "drawdown":
            out.append(
                AddOnDrawdown(
                    drawdown=draw(st.floats(0.05, 0.5)),
                    fraction=draw(st.floats(0.1, 1.0)),
                    cooldown=draw(st.sampled_from((0, 30, 90, 400))),
                    **scope,
                )
            )
        elif which == "rebalance":
            every = draw(st.sampled_from((None, "month", "quarter")))
            band = draw(st.sampled_from((None, 0.05))) if every else 0.05
            fixed = draw(
                st.one_of(
                    st.sampled_from(("equal", "initial")),
                    st.lists(
                        st.tuples(st.sampled_from(names), st.floats(0.0, 0.5)),
                        min_size=1,
                        max_size=2,
                        unique_by=lambda x: x[0],
                    ).map(tuple),
                )
            )
            out.append(Rebalance(targets=fixed, every=every, band=band, **scope))
        elif which == "contribute":
            out.append(
                Contribute(
                    amount=draw(st.floats(1.0, 500.0)),
                    every=draw(st.sampled_from(PERIODS)),
                    **scope,
                )
            )
        else:
            out.append(
                Withdraw(
                    amount=draw(st.floats(0.0, 200.0)),
                    fraction=draw(st.sampled_from((0.02, 0.1))),
                    every=draw(st.sampled_from(("month", "year"))),
                    **scope,
                )
            )
    return out


def assert_same_parts(want: tuple[np.ndarray, ...], got: tuple[np.ndarray, ...]) -> None:
    names = ("multiples", "max_drawdown", "book_multiples", "book_drawdown", "costs", "trades")
    for name, x, y in zip(names, want, got, strict=True):
        assert x.shape == y.shape, name
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y), err_msg=name)
        np.testing.assert_allclose(y, x, rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=name)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_kernel_equals_the_engine(data: st.DataObject) -> None:
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_paths, n_comp = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 5))
    n_flat = data.draw(st.integers(0, 1))
    n_time = data.draw(st.sampled_from((2, 13, 40)))
    steps_per_year = data.draw(st.sampled_from((12, 52)))
    n_acc = data.draw(st.integers(1, 3))
    accounts = tuple(f"a{i}" for i in range(n_acc))
    kinds = tuple(data.draw(st.lists(st.sampled_from(KINDS), min_size=n_acc, max_size=n_acc)))
    sigma = data.draw(st.sampled_from((0.05, 0.2)))
    mult = np.exp(np.cumsum(rng.normal(0.0, sigma, (n_paths, n_time, n_comp)), axis=1))
    mult[:, 0] = 1.0
    mult = mult.astype(np.float32)
    total = n_comp + n_flat
    start = rng.uniform(1.0, 200.0, total)
    private = rng.random(total) < 0.3
    every = data.draw(st.integers(1, 6))
    liquidity = np.zeros((n_time, total), dtype=bool)
    liquidity[::every] = True
    liquidity[-1] = True
    liquidity[0] = False
    holdings = rng.uniform(0.0, 100.0, (n_acc, total)) * (rng.random((n_acc, total)) < 0.7)
    cash = rng.uniform(0.0, 5_000.0, n_acc) * (rng.random(n_acc) < 0.7)
    chosen = data.draw(rules(total, accounts))
    if data.draw(st.booleans()):
        chosen.insert(data.draw(st.integers(0, len(chosen))), LastSeller())
    costs = Costs(
        commission_bps=data.draw(st.sampled_from((0.0, 1.0, 10.0))),
        slippage_bps=data.draw(st.sampled_from((0.0, 5.0))),
        sizing=data.draw(st.sampled_from(("conviction", "bt", "vectorbt"))),
    )
    margin = data.draw(st.sampled_from((0.0, 0.0, 0.3)))
    policy = Policy("random", tuple(chosen), costs=costs, margin=margin)
    setup = Setup(
        companies=tuple(f"c{i}" for i in range(total)),
        accounts=accounts,
        kinds=kinds,  # type: ignore[arg-type]
        dates=step_dates(dt.date(2025, 1, 15), n_time - 1, steps_per_year),
        private=private,
    )
    engine = PolicyEngine(policy, setup)
    prices = (
        np.concatenate([mult.astype(np.float64), np.ones((n_paths, n_time, n_flat))], axis=2)
        * start
    )
    # cash earning a random rate (or none), as compare's simulation_inputs make it
    rate = data.draw(st.one_of(st.just(0.0), st.floats(-0.5, 0.9)))
    growth = _cash_growth(rate, n_time - 1, steps_per_year)
    kw: dict[str, Any] = {"values": False, "trades": False, "cash_growth": growth}
    run = engine.run(prices, holdings, cash, liquidity=liquidity, **kw)
    kernel = path_kernel(engine, liquidity, growth)
    assert kernel is not None
    # paths in tiles of 1, 5 or the default: tiles and the last, partial one
    lanes = data.draw(st.sampled_from((1, 5, pk.LANES)))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pk, "LANES", lanes)
        got = kernel.part(mult, start, holdings, cash)
    assert_same_parts(SummaryAccumulator.part(run), got)
    # several policies in one pass (what compare runs): each equals its own engine
    other = Policy(
        "other",
        tuple(data.draw(rules(total, accounts))),
        costs=Costs(commission_bps=data.draw(st.sampled_from((0.0, 3.0)))),
    )
    other_engine = PolicyEngine(other, setup)
    other_run = other_engine.run(prices, holdings, cash, liquidity=liquidity, **kw)
    other_kernel = path_kernel(other_engine, liquidity, growth)
    assert other_kernel is not None
    both = stack(
        [
            other_kernel,
            kernel,
            path_kernel(PolicyEngine(Policy("hold", (Hold(),)), setup), liquidity, growth),
        ]
    )  # type: ignore[list-item]
    assert both is not None and both.policies == 3
    first, second, third = both.parts(mult, start, holdings, cash)
    assert_same_parts(SummaryAccumulator.part(other_run), first)
    assert_same_parts(SummaryAccumulator.part(run), second)
    assert third[5].sum() == 0
    # hold: each account's cash is C·(1 + rate)^years at the end, whatever the prices
    held = (
        holdings
        * np.concatenate([mult[:, -1].astype(np.float64), np.ones((n_paths, n_flat))], axis=1)[
            :, None, :
        ]
    )
    years = (n_time - 1) / steps_per_year
    end = (held * start).sum(axis=-1) + cash * (1.0 + rate) ** years
    begin = holdings @ start + cash
    want = np.divide(end, begin, out=np.full_like(end, np.nan), where=begin > 0)
    np.testing.assert_allclose(third[0], want, rtol=1e-12, atol=1e-300, equal_nan=True)


def test_cash_earns_the_rate_in_the_engine_and_the_kernel() -> None:
    """A book of cash alone, 4% a year for 2 years monthly: 1.04^2, step by step."""
    setup = Setup(("a",), ("x",), ("client",), step_dates(dt.date(2025, 1, 31), 24, 12))
    engine = PolicyEngine(Policy("hold", (Hold(),)), setup)
    growth = _cash_growth(0.04, 24, 12)
    assert growth is not None and growth[0] == 1.0
    prices = np.ones((1, 25, 1))
    run = engine.run(prices, np.zeros((1, 1)), np.array([100.0]), cash_growth=growth)
    assert run.cash[0, 0] == pytest.approx(100.0 * 1.04**2, rel=1e-13)
    assert run.values is not None
    np.testing.assert_allclose(
        run.values[0, :, 0], 100.0 * 1.04 ** (np.arange(25) / 12), rtol=1e-13
    )
    assert run.inflows[0, 0] == 0.0  # interest is income, not a contribution
    kernel = path_kernel(engine, None, growth)
    assert kernel is not None
    m = kernel.part(
        np.ones((1, 25, 1), dtype=np.float32), np.ones(1), np.zeros((1, 1)), np.array([100.0])
    )[2]
    assert m[0] == pytest.approx(1.04**2, rel=1e-13)
    assert _cash_growth(0.0, 24, 12) is None


def test_the_kernel_trades_as_the_baron_example_does() -> None:
    """A hand-checked case: a client over its cap is trimmed, the insider's shares are held
    by the gate while the client holds any, and the private company trades only on its
    liquidity step."""
    setup = Setup(
        companies=("pub", "priv"),
        accounts=("client", "me"),
        kinds=("client", "personal"),
        dates=step_dates(dt.date(2025, 1, 31), 3, 12),
        private=np.array([False, True]),
    )
    policy = Policy(
        "p",
        (LastSeller(), TrimToCap(cap=0.5, kinds=("client", "personal"))),
        costs=Costs(commission_bps=10.0),
    )
    engine = PolicyEngine(policy, setup)
    mult = np.ones((1, 4, 2), dtype=np.float32)
    mult[0, 1:, 0] = 2.0  # pub doubles at step 1
    liquidity = np.zeros((4, 2), dtype=bool)
    liquidity[3, 1] = True
    holdings = np.array([[10.0, 10.0], [10.0, 0.0]])
    cash = np.array([0.0, 0.0])
    kernel = path_kernel(engine, liquidity)
    assert kernel is not None
    parts = kernel.part(mult, np.array([1.0, 1.0]), holdings, cash)
    prices = mult.astype(np.float64)
    run = engine.run(prices, holdings, cash, liquidity=liquidity, values=False, trades=False)
    assert_same_parts(SummaryAccumulator.part(run), parts)
    # step 1: the client (20 of 30) sells pub to 50% after costs: one trade; the insider
    # (all pub) may not sell while the client holds pub. Nothing else trades.
    assert parts[5][0] == 1.0
    sold = (20.0 - 0.5 * 30.0) / (1.0 - 0.5 * 0.001)
    assert parts[4][0] == pytest.approx(0.001 * sold / 30.0, rel=1e-12)  # of the initial 30


def test_liquidity_per_path_falls_back_to_the_engine() -> None:
    setup = Setup(("a",), ("x",), ("client",), step_dates(dt.date(2025, 1, 31), 2, 12))
    engine = PolicyEngine(Policy("hold", (Hold(),)), setup)
    assert path_kernel(engine, np.zeros((1, 3, 1), dtype=bool)) is None
    assert path_kernel(engine, np.zeros((3, 1), dtype=bool)) is not None


MARKS = "date,company,price,kind,source\n2024-06-30,b,10,round,t\n2024-12-31,a,50,close,t\n"
TRANSACTIONS = """date,account,company,action,quantity,price,fees
2024-06-30,c1,,deposit,10000,,0
2024-06-30,c1,b,buy,100,10,0
2024-12-31,c1,a,buy,100,50,0
2024-12-31,me,,deposit,5000,,0
2024-12-31,me,a,buy,100,50,0
"""


def test_compare_blocks_runs_the_kernel_to_the_engines_answer(
    write_book: Callable[..., Path],
) -> None:
    book = read_book(write_book(TRANSACTIONS, MARKS).parent)
    spec = ProjectionSpec(
        assets=(
            AssetSpec("a", "gbm", expected_return=0.08, volatility=0.5),
            AssetSpec("b", "gbm", expected_return=0.05, volatility=0.3, mark_every_years=1.0),
        ),
        years=5,
        steps_per_year=12,
        paths=600,
        seed=11,
        block_paths=200,
    )
    inputs = simulation_inputs(
        book,
        spec.companies,
        as_of=dt.date(2024, 12, 31),
        steps=spec.n_steps,
        steps_per_year=spec.steps_per_year,
        mark_every=spec.mark_every_steps,
    )
    policies = [
        Policy("hold", (Hold(),)),
        Policy(
            "baron",
            (
                LastSeller(),
                TrimToCap(cap=0.41, band=0.04, every="quarter", reinvest=True),
                AddOnDrawdown(drawdown=0.3, fraction=0.25, cooldown=90),
            ),
            costs=Costs(commission_bps=1.0, slippage_bps=5.0),
        ),
        Policy(
            "index",
            (Rebalance(targets="equal", every="quarter"),),
            costs=Costs(commission_bps=1.0, slippage_bps=2.0),
        ),
    ]
    fast = compare_blocks(policies, spec, inputs, chunk_blocks=2)
    slow = compare_on_paths(
        policies, (b.multiples for b in iter_paths(spec)), inputs, targets=(5.0,)
    )
    for f, s in zip(fast, slow, strict=True):
        assert f.paths == s.paths == 600
        for fo, so in zip((f.book, *f.accounts), (s.book, *s.accounts), strict=True):
            assert fo.median == pytest.approx(so.median, rel=1e-12)
            assert fo.prob_target == pytest.approx(so.prob_target, rel=1e-12)
            assert fo.median_max_drawdown == pytest.approx(so.median_max_drawdown, rel=1e-12)
            assert fo.worst_decile_mean == pytest.approx(so.worst_decile_mean, rel=1e-12)
        assert f.median_costs == pytest.approx(s.median_costs, rel=1e-12)
        assert f.median_trades == s.median_trades
    assert fast[1].median_trades > 0 and fast[2].median_trades > 0
