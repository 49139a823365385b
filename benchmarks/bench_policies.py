"""Benchmark the policy engine (docs/benchmarks.md).

(a) A monthly trim-to-cap policy on one account over the real daily closes of TSLA, AAPL,
    MSFT, AMZN and QQQ (their common dates, 2010-06-29 .. 2025-06-30), run by conviction,
    bt and vectorbt; the value series must agree to 1e-6 relative. Warm times are medians
    of repeated runs in this process; cold times are first runs in a fresh process.
(b) 1,000 accounts x 20 companies x 16 years of daily prices (a seeded GBM), one path,
    with the Baron rules and the value series and trade log kept.
(c) 100,000 simulated paths x 120 months x 10 companies x 2 accounts, paths from the
    projection engine (conviction.projection.iter_paths, GBM assets), summaries streamed.

    .venv/bin/python benchmarks/bench_policies.py [--quick] [--skip-peers]

Needs the bench extra for (a): .venv/bin/pip install bt vectorbt
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from conviction.io.prices import read_price_csv
from conviction.policies import (
    AddOnDrawdown,
    Contribute,
    LastSeller,
    Policy,
    PolicyEngine,
    Setup,
    TrimToCap,
    run_policy,
)
from conviction.policies.summary import SummaryAccumulator

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "prices"
TICKERS = ("TSLA", "AAPL", "MSFT", "AMZN", "QQQ")
CAP = 0.30
CAPITAL = 1e6


def load_prices() -> pd.DataFrame:
    series = {t: read_price_csv(DATA / f"{t}.csv") for t in TICKERS}
    return pd.concat(series, axis=1, sort=True).dropna()


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


# -- (a) conviction, bt, vectorbt on one account ------------------------------------------


def run_conviction(frame: pd.DataFrame) -> np.ndarray:
    prices = frame.to_numpy()[None]
    holdings = (CAPITAL / len(TICKERS) / prices[0, 0])[None]  # equal weights on day one
    run = run_policy(
        Policy("trim", (TrimToCap(cap=CAP, every="month", kinds=("client",)),)),
        prices,
        holdings,
        np.zeros(1),
        companies=TICKERS,
        accounts=("a",),
        kinds=("client",),
        dates=frame.index.to_numpy(),
    )
    assert run.values is not None
    return run.values[0, :, 0]


def run_bt(frame: pd.DataFrame) -> np.ndarray:
    import bt

    class EqualOnce(bt.Algo):  # type: ignore[misc]
        def __call__(self, target: bt.core.StrategyBase) -> bool:
            if "done" in target.perm:
                return True
            target.perm["done"] = True
            base = target.value
            for name in target.universe.columns:
                target.rebalance(1.0 / len(TICKERS), child=name, base=base, update=False)
            target.root.update(target.now)
            return False

    class Trim(bt.Algo):  # type: ignore[misc]
        def __call__(self, target: bt.core.StrategyBase) -> bool:
            base = target.value
            for name, child in target.children.items():
                if child.value / base > CAP:
                    target.rebalance(CAP, child=name, base=base, update=False)
            target.root.update(target.now)
            return True

    strategy = bt.Strategy("trim", [EqualOnce(), bt.algos.RunMonthly(), Trim()])
    test = bt.Backtest(strategy, frame, initial_capital=CAPITAL, integer_positions=False)
    result = bt.run(test)
    prices = result.prices["trim"].iloc[1:]  # bt adds a day before the first
    return np.asarray(prices.to_numpy() * CAPITAL / 100.0)


VBT_SOURCE = """
import numpy as np
from numba import njit
from vectorbt.portfolio import nb as pnb
from vectorbt.portfolio.enums import SizeType


@njit
def keep_close(c):
    # Value each asset at today's close before any order (today's close as valuation price).
    for col in range(c.from_col, c.to_col):
        c.last_val_price[col] = c.close[c.i, col]
    return ()


@njit
def trim_order(c, cap, first_weight):
    price = c.close[c.i, c.col]
    if c.i == 0:
        return pnb.order_nb(size=first_weight, price=price, size_type=SizeType.TargetPercent)
    if c.position_now * price / c.value_now > cap:
        return pnb.order_nb(size=cap, price=price, size_type=SizeType.TargetPercent)
    return pnb.order_nothing_nb()
"""


def run_vectorbt(frame: pd.DataFrame, funcs: dict[str, object]) -> np.ndarray:
    import vectorbt as vbt

    month = frame.index.year * 12 + frame.index.month
    due = np.r_[True, month[1:] != month[:-1]]
    # Sells only (after day one), so the call order within a day does not matter here.
    portfolio = vbt.Portfolio.from_order_func(
        frame,
        funcs["trim_order"],
        CAP,
        1.0 / len(TICKERS),
        init_cash=CAPITAL,
        cash_sharing=True,
        group_by=True,
        segment_mask=due[:, None],
        pre_segment_func_nb=funcs["keep_close"],
        freq="1D",
    )
    return np.asarray(portfolio.value().to_numpy())


def vbt_funcs() -> dict[str, object]:
    space: dict[str, object] = {}
    exec(compile(VBT_SOURCE, "vbt_funcs", "exec"), space)
    return space


COLD = """
import sys, time
sys.path.insert(0, {bench!r})
import bench_policies as b
frame = b.load_prices()
start = time.perf_counter()
{call}
print(time.perf_counter() - start)
"""


def cold(call: str, *, empty_cache: bool = False) -> float:
    """The first call in a fresh process; with ``empty_cache``, numba's on-disk cache is
    an empty folder too, so every cached kernel compiles again (a first use ever)."""
    code = COLD.format(bench=str(Path(__file__).parent), call=call)
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as folder:
        if empty_cache:
            env["NUMBA_CACHE_DIR"] = folder
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
    return float(out.stdout.strip().splitlines()[-1])


def bench_a(quick: bool, peers: bool) -> None:
    frame = load_prices()
    years = (frame.index[-1] - frame.index[0]).days / 365.25
    print(
        f"(a) trim to {CAP:.0%} monthly, 1 account, {len(TICKERS)} series x {len(frame)} days "
        f"({frame.index[0].date()} .. {frame.index[-1].date()}, {years:.1f} years)"
    )
    ours_cold = cold("b.run_conviction(frame)")
    ours, values = timed(lambda: run_conviction(frame), 20 if quick else 100)
    assert isinstance(values, np.ndarray)
    print(
        f"  conviction  warm {ours * 1e3:8.2f} ms   cold {ours_cold * 1e3:8.1f} ms   "
        f"final value {values[-1]:,.2f}"
    )
    if not peers:
        return
    bt_cold = cold("b.run_bt(frame)")
    bt_time, bt_values = timed(lambda: run_bt(frame), 3 if quick else 10)
    assert isinstance(bt_values, np.ndarray)
    bt_err = float(np.max(np.abs(bt_values / values - 1)))
    print(
        f"  bt          warm {bt_time * 1e3:8.2f} ms   cold {bt_cold * 1e3:8.1f} ms   "
        f"max rel diff {bt_err:.1e}   bt / conviction {bt_time / ours:6.1f}x"
    )
    funcs = vbt_funcs()
    vbt_cold = cold("b.run_vectorbt(frame, b.vbt_funcs())")
    vbt_first = cold("b.run_vectorbt(frame, b.vbt_funcs())", empty_cache=True)
    run_vectorbt(frame, funcs)  # compile in this process before timing warm runs
    vbt_time, vbt_values = timed(lambda: run_vectorbt(frame, funcs), 5 if quick else 20)
    assert isinstance(vbt_values, np.ndarray)
    vbt_err = float(np.max(np.abs(vbt_values / values - 1)))
    print(
        f"  vectorbt    warm {vbt_time * 1e3:8.2f} ms   cold {vbt_cold * 1e3:8.1f} ms   "
        f"max rel diff {vbt_err:.1e}   vectorbt / conviction {vbt_time / ours:6.1f}x"
    )
    print(f"  vectorbt    first use (empty numba cache) {vbt_first:.1f} s")
    if max(bt_err, vbt_err) > 1e-6:
        raise SystemExit("results differ by more than 1e-6 relative")


# -- (b) many accounts, one path ----------------------------------------------------------

BARON = (
    LastSeller(),
    Contribute(amount=1_000.0, every="month", kinds=("client",)),
    TrimToCap(cap=0.25, band=0.02, every="month", reinvest=True),
    AddOnDrawdown(drawdown=0.3, fraction=0.2, cooldown=60),
)


def gbm(rng: np.random.Generator, paths: int, steps: int, n: int, dt_years: float) -> np.ndarray:
    mu = rng.uniform(0.02, 0.15, n)
    sigma = rng.uniform(0.15, 0.6, n)
    shocks = rng.standard_normal((paths, steps, n)) * sigma * np.sqrt(dt_years)
    logs = np.cumsum((mu - sigma**2 / 2) * dt_years + shocks, axis=1)
    return np.asarray(
        100 * np.exp(np.concatenate([np.zeros((paths, 1, n)), logs], axis=1)), dtype=np.float64
    )


def bench_b(quick: bool) -> None:
    n_acc, n_comp = (100 if quick else 1000), 20
    dates = pd.bdate_range("2009-07-01", "2025-06-30").to_numpy().astype("datetime64[D]")
    rng = np.random.default_rng(2024)
    prices = gbm(rng, 1, dates.size - 1, n_comp, 1 / 252)
    kinds = tuple(rng.choice(["client", "fund", "personal"], n_acc).tolist())
    holdings = rng.integers(0, 1000, (n_acc, n_comp)).astype(float)
    cash = rng.uniform(0, 50_000, n_acc)
    setup = Setup(
        tuple(f"c{i}" for i in range(n_comp)),
        tuple(f"a{i}" for i in range(n_acc)),
        kinds,  # type: ignore[arg-type]
        dates,
    )
    engine = PolicyEngine(Policy("baron", BARON), setup)
    seconds, run = timed(lambda: engine.run(prices, holdings, cash), 2 if quick else 3)
    n_trades = len(run.trades) if run.trades is not None else 0  # type: ignore[attr-defined]
    print(
        f"(b) {n_acc} accounts x {n_comp} companies x {dates.size} days (16 years), "
        f"1 path: {seconds:.2f} s, {n_trades:,} trades kept, value series kept"
    )


# -- (c) many simulated paths --------------------------------------------------------------


def bench_c(quick: bool) -> None:
    from conviction.projection import AssetSpec, ProjectionSpec, iter_paths

    n_paths, n_comp = (10_000 if quick else 100_000), 10
    rng = np.random.default_rng(11)
    assets = tuple(
        AssetSpec(f"c{i}", "gbm", expected_return=float(m), volatility=float(s))
        for i, (m, s) in enumerate(
            zip(rng.uniform(0.03, 0.15, n_comp), rng.uniform(0.2, 0.6, n_comp), strict=True)
        )
    )
    spec = ProjectionSpec(assets=assets, years=10, steps_per_year=12, paths=n_paths, seed=5)
    months = np.arange(121).astype("timedelta64[M]") + np.datetime64("2025-11", "M")
    dates = months.astype("datetime64[D]")
    setup = Setup(
        tuple(a.company for a in assets), ("clients", "ron"), ("client", "personal"), dates
    )
    engine = PolicyEngine(Policy("baron", BARON), setup)
    start_prices = np.full(n_comp, 100.0)
    holdings = np.array([np.full(n_comp, 100.0), np.full(n_comp, 50.0)])
    cash = np.array([10_000.0, 0.0])
    summary = SummaryAccumulator("baron", years=10.0, targets=(2.0, 5.0))
    gen = policy = 0.0
    t0 = time.perf_counter()
    for block in iter_paths(spec):
        t1 = time.perf_counter()
        run = engine.run(block.prices(start_prices), holdings, cash, values=False, trades=False)
        summary.add(run)
        t2 = time.perf_counter()
        gen += t1 - t0
        policy += t2 - t1
        t0 = t2
    result = summary.result()
    print(
        f"(c) {n_paths:,} paths x 120 months x {n_comp} companies x 2 accounts: "
        f"policy engine {policy:.1f} s + path generation {gen:.1f} s = {policy + gen:.1f} s; "
        f"book median multiple {result.book.median:.2f}, P(5x) {result.book.prob_target[5.0]:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller (b), (c)")
    parser.add_argument("--skip-peers", action="store_true", help="(a) without bt and vectorbt")
    args = parser.parse_args()
    print(
        f"bench_policies {dt.date.today()}  numpy {np.__version__}  python "
        f"{sys.version.split()[0]}  {'quick' if args.quick else 'full'}"
    )
    bench_a(args.quick, not args.skip_peers)
    bench_b(args.quick)
    bench_c(args.quick)


if __name__ == "__main__":
    main()
