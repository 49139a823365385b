"""Book benchmark: load 1,000,000 transactions from CSV into SQLite, and value
1,000 accounts × 50 companies on every business day of 16 years.

Bars (issue 2): load ≤ 20 s and valuation ≤ 5 s on a 2-core machine; peak memory reported.
Each phase runs in its own process so its peak memory (ru_maxrss) is its own. CPU time is
reported beside wall time: on a shared machine it is the steadier of the two.

    python benchmarks/bench_book.py            # the full size
    python benchmarks/bench_book.py --quick    # 100,000 transactions, 100 accounts
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_book(folder: Path, n_tx: int, n_accounts: int, n_companies: int, years: int) -> None:
    """A synthetic, valid book: deposits, then buys and sells that never oversell."""
    rng = np.random.default_rng(42)
    days = pd.bdate_range("2010-01-01", periods=years * 252)
    companies = [f"c{j:03d}" for j in range(n_companies)]
    accounts = [f"a{i:04d}" for i in range(n_accounts)]
    # daily closes: a random walk per company
    steps = rng.normal(0.0003, 0.02, size=(len(days), n_companies))
    closes = 50 * np.exp(np.cumsum(steps, axis=0))
    marks = pd.DataFrame(
        {
            "date": np.repeat(days.strftime("%Y-%m-%d"), n_companies),
            "company": np.tile(companies, len(days)),
            "price": np.round(closes.ravel(), 4),
            "kind": "close",
            "source": "synthetic",
        }
    )
    marks.to_csv(folder / "marks.csv", index=False)

    n_trades = n_tx - n_accounts
    acc = rng.integers(0, n_accounts, n_trades)
    com = rng.integers(0, n_companies, n_trades)
    day = np.sort(rng.integers(1, len(days), n_trades))
    sell = rng.random(n_trades) < 0.3
    qty = np.where(sell, rng.integers(1, 10, n_trades), rng.integers(10, 100, n_trades))
    frame = pd.DataFrame({"acc": acc, "com": com, "day": day, "sell": sell, "qty": qty})
    while True:  # turn any sell that would go below zero into a buy
        signed = np.where(frame["sell"], -frame["qty"], frame["qty"])
        held = pd.Series(signed).groupby([frame["acc"], frame["com"]]).cumsum()
        bad = (held < 0).to_numpy() & frame["sell"].to_numpy()
        if not bad.any():
            break
        frame.loc[bad, "sell"] = False
    price = np.round(closes[frame["day"], frame["com"]], 4)
    trades = pd.DataFrame(
        {
            "date": days[frame["day"]].strftime("%Y-%m-%d"),
            "account": np.array(accounts)[frame["acc"]],
            "company": np.array(companies)[frame["com"]],
            "action": np.where(frame["sell"], "sell", "buy"),
            "quantity": frame["qty"],
            "price": price,
            "fees": 1.0,
        }
    )
    deposits = pd.DataFrame(
        {
            "date": days[0].strftime("%Y-%m-%d"),
            "account": accounts,
            "company": "",
            "action": "deposit",
            "quantity": 10_000_000.0,
            "price": "",
            "fees": 0.0,
        }
    )
    tx = pd.concat([deposits, trades], ignore_index=True)
    # exact duplicates are rejected as input errors; nudge repeated rows' fees apart
    dup = tx.duplicated(["date", "account", "company", "action", "quantity", "price"], keep=False)
    tx.loc[dup, "fees"] = 1.0 + tx.index[dup] % 1000 / 1000
    tx = tx.drop_duplicates(["date", "account", "company", "action", "quantity", "price"])
    tx.to_csv(folder / "transactions.csv", index=False)
    toml = [
        "[book]",
        'name = "benchmark"',
        'transactions = "transactions.csv"',
        'marks = "marks.csv"',
        "",
    ]
    for c in companies:
        toml += ["[[company]]", f'id = "{c}"', f'name = "{c}"', ""]
    for a in accounts:
        toml += ["[[account]]", f'id = "{a}"', f'name = "{a}"', 'kind = "client"', ""]
    (folder / "book.toml").write_text("\n".join(toml))


def phase_load(folder: Path) -> dict[str, float]:
    from conviction.io import read_book
    from conviction.store import connect_for_writing
    from conviction.store.loading import load_book

    t0, c0 = time.perf_counter(), time.process_time()
    book = read_book(folder)
    t1 = time.perf_counter()
    engine = connect_for_writing(f"sqlite:///{folder / 'bench.db'}")
    load_book(engine, folder / "book.toml", book)
    t2, c2 = time.perf_counter(), time.process_time()
    return {
        "rows": len(book.transactions),
        "read_validate_s": t1 - t0,
        "store_s": t2 - t1,
        "load_s": t2 - t0,
        "load_cpu_s": c2 - c0,
        "peak_mb": _peak_mb(),
    }


def phase_value(folder: Path) -> dict[str, float]:
    from conviction.ledger import business_days, value_history
    from conviction.store import connect, read_book

    engine = connect(f"sqlite:///{folder / 'bench.db'}")
    t0 = time.perf_counter()
    book = read_book(engine)
    t1 = time.perf_counter()
    tx_days = book.transactions["date"].to_numpy()
    days = business_days(tx_days.min(), tx_days.max())
    t2, c2 = time.perf_counter(), time.process_time()
    vh = value_history(book, days)
    t3, c3 = time.perf_counter(), time.process_time()
    return {
        "read_db_s": t1 - t0,
        "value_s": t3 - t2,
        "value_cpu_s": c3 - c2,
        "days": len(days),
        "accounts": len(vh.accounts),
        "companies": len(book.companies),
        "cells": len(days) * len(vh.accounts) * len(book.companies),
        "peak_mb": _peak_mb(),
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--phase", choices=["load", "value"])
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.phase:
        fn = phase_load if args.phase == "load" else phase_value
        print(json.dumps(fn(args.folder)))
        return
    n_tx, n_acc = (100_000, 100) if args.quick else (1_000_000, 1_000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        make_book(folder, n_tx, n_acc, 50, 16)
        print(
            f"generated {n_tx:,} transactions, {n_acc} accounts × 50 companies × 16 years "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        results = {}
        for phase in ("load", "value"):
            out = subprocess.run(
                [sys.executable, __file__, "--phase", phase, "--folder", str(folder)],
                capture_output=True,
                text=True,
                check=True,
            )
            results[phase] = json.loads(out.stdout.strip().splitlines()[-1])
    load, value = results["load"], results["value"]
    print(
        f"load   {load['rows']:,} rows: {load['load_s']:.2f} s wall, "
        f"{load['load_cpu_s']:.2f} s CPU "
        f"(read+validate {load['read_validate_s']:.2f} s, store {load['store_s']:.2f} s), "
        f"peak {load['peak_mb']:.0f} MB   [bar 20 s]"
    )
    print(
        f"value  {value['accounts']} accounts × {value['companies']} companies × "
        f"{value['days']} days: {value['value_s']:.2f} s wall, "
        f"{value['value_cpu_s']:.2f} s CPU, peak {value['peak_mb']:.0f} MB "
        f"(reading the book back from SQLite: {value['read_db_s']:.2f} s)   [bar 5 s]"
    )


if __name__ == "__main__":
    main()
