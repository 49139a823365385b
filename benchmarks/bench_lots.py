"""Lot replay benchmark: the row-by-row replay (the test oracle, the old code) against the
array kernel, side by side, on one synthetic book of 1,000,000 transactions (1,000
accounts × 50 companies, some splits and dividends), under fifo, hifo and average.

For the new replay it times the first call (numba's cache load, or its compilation when
there is no cache yet) and a second call, each twice over: ``replay`` alone (lots and sales
stay arrays until asked for) and ``replay`` + building every Lot and Sale object, which is
what the old one always did. CPU time is reported beside wall time: on a shared machine it
is the steadier of the two.

    python benchmarks/bench_lots.py            # 1,000,000 transactions
    python benchmarks/bench_lots.py --quick    # 100,000 transactions
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "ledger"))
sys.path.insert(0, str(ROOT / "src"))

from lot_oracle import replay as old_replay  # noqa: E402

from conviction._typing import LotMethod  # noqa: E402
from conviction.book.model import Account  # noqa: E402
from conviction.ledger.lots import replay as new_replay  # noqa: E402


def make_transactions(n_tx: int, n_accounts: int, n_companies: int) -> pd.DataFrame:
    """Buys and sells that never oversell, a dividend and a split now and then."""
    rng = np.random.default_rng(7)
    days = pd.bdate_range("2010-01-01", periods=16 * 252).to_numpy().astype("datetime64[D]")
    n = n_tx
    acc = rng.integers(0, n_accounts, n)
    com = rng.integers(0, n_companies, n)
    day = np.sort(rng.integers(0, len(days), n))
    kind = rng.random(n)
    split = kind > 0.99995  # a few dozen company splits (x2: they only add to positions)
    dividend = (kind > 0.98) & ~split
    sell = kind < 0.3
    qty = np.where(sell, rng.integers(1, 10, n), rng.integers(10, 100, n)).astype(float)
    buy = ~sell & ~dividend & ~split
    while True:  # turn any sell that would go below zero into a buy
        signed = np.where(sell, -qty, np.where(buy, qty, 0.0))
        held = pd.Series(signed).groupby([acc, com]).cumsum().to_numpy()
        bad = (held < 0) & sell
        if not bad.any():
            break
        sell, buy = sell & ~bad, buy | bad
    action = np.select([buy, sell, dividend], ["buy", "sell", "dividend"], "split")
    action = action.astype(object)
    qty = np.where(split, 2.0, qty)
    price = np.round(rng.uniform(10, 200, n), 2)
    return pd.DataFrame(
        {
            "date": days[day],
            "account": np.where(split, "", np.char.add("a", acc.astype(str))).astype(object),
            "company": np.char.add("c", com.astype(str)).astype(object),
            "action": action,
            "quantity": qty,
            "price": np.where(split, np.nan, price),
            "fees": np.where(split, 0.0, rng.choice([0.0, 1.0, 4.95], n)),
            "currency": "",
            "fx_rate": np.nan,
            "lot": "",
            "file": "transactions.csv",
            "line": np.arange(2, n + 2),
        }
    )


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def check_same(new: Any, old: Any) -> None:
    assert len(new.lots) == len(old.lots) and len(new.sales) == len(old.sales)
    for f in ("quantity", "cost", "cost_account"):
        a, b = sum(getattr(x, f) for x in new.lots), sum(getattr(x, f) for x in old.lots)
        assert math.isclose(a, b, rel_tol=1e-9), (f, a, b)
    a, b = sum(s.cost for s in new.sales), sum(s.cost for s in old.sales)
    assert math.isclose(a, b, rel_tol=1e-9), ("sale cost", a, b)


def objects(state: Any) -> Any:
    state.lots, state.sales  # noqa: B018 - build every Lot and Sale
    return state


def run_method(
    tx: pd.DataFrame, rates: np.ndarray, method: LotMethod, first: bool
) -> dict[str, tuple[float, float]]:
    """(wall, cpu) seconds of each replay of one book under one lot method."""
    accounts = {f"a{i}": Account(f"a{i}", f"A{i}", lot_method=method) for i in range(1000)}
    rows: dict[str, tuple[float, float]] = {}
    if first:  # the process's first call: numba loads (or compiles) the kernel
        _, wall, cpu = timed(lambda: new_replay(tx, accounts, rates))
        rows["new, first call"] = (wall, cpu)
    _, wall, cpu = timed(lambda: new_replay(tx, accounts, rates))
    rows["new"] = (wall, cpu)
    _, wall, cpu = timed(lambda: objects(new_replay(tx, accounts, rates)))
    rows["new + Lot/Sale objects"] = (wall, cpu)
    old, wall, cpu = timed(lambda: old_replay(tx, accounts, rates))
    rows["old (row by row)"] = (wall, cpu)
    check_same(objects(new_replay(tx, accounts, rates)), old)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 transactions")
    args = parser.parse_args()
    n_tx = 100_000 if args.quick else 1_000_000
    tx = make_transactions(n_tx, n_accounts=1000, n_companies=50)
    counts = tx["action"].value_counts().to_dict()
    rates = np.full(len(tx), 1.1)
    results: dict[str, Any] = {"rows": len(tx), "actions": counts}
    print(f"{len(tx):,} rows: {counts}")
    print(f"{'method':8} {'replay':26} {'wall s':>8} {'cpu s':>8} {'old/new wall':>13} {'cpu':>6}")
    methods: tuple[LotMethod, ...] = ("fifo", "hifo", "average")
    for i, method in enumerate(methods):
        rows = run_method(tx, rates, method, first=i == 0)
        old_wall, old_cpu = rows["old (row by row)"]
        for label, (w, c) in rows.items():
            ratio = "" if label.startswith("old") else f"{old_wall / w:13.1f} {old_cpu / c:6.1f}"
            print(f"{method:8} {label:26} {w:8.3f} {c:8.3f} {ratio}")
        results[method] = {k: {"wall_s": w, "cpu_s": c} for k, (w, c) in rows.items()}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
