"""Currency benchmark: value 1,000 accounts in 5 base currencies × 50 companies in 3
currencies on every business day of 16 years, in the reporting currency — side by side,
in one run, with the same book in one currency.

Bar (issue 8): the currency version within 1.5x of the single-currency one.

Both books hold the same trades at the same prices; the currency book only adds account
and company currencies and a daily table of four stored pairs (USDJPY, EURUSD, GBPUSD,
USDCHF; every other pair is derived through USD). The two valuations alternate, a few
rounds each, and both wall and CPU time are reported (the machine is shared: CPU time is
the steadier figure). The books are built in memory: loading is bench_book.py's business.

    python benchmarks/bench_currency.py            # 1,000,000 transactions, 1,000 accounts
    python benchmarks/bench_currency.py --quick    # 100,000 transactions, 100 accounts
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import time

import numpy as np
import pandas as pd

from conviction.book.model import (
    FX_COLUMNS,
    MARK_COLUMNS,
    TRANSACTION_COLUMNS,
    Account,
    Book,
    BookMeta,
    Company,
)

ACCOUNT_CCY = ("USD", "JPY", "EUR", "GBP", "CHF")
COMPANY_CCY = ("USD", "EUR", "JPY")
PAIRS = {"USDJPY": 110.0, "EURUSD": 1.15, "GBPUSD": 1.35, "USDCHF": 0.95}


def make_books(
    n_tx: int, n_accounts: int, n_companies: int, years: int, seed: int = 42
) -> tuple[Book, Book, np.ndarray]:
    """The same trades as a one-currency book and as a five-currency book, and the days."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2010-01-01", periods=years * 252).to_numpy().astype("datetime64[D]")
    companies = [f"c{j:03d}" for j in range(n_companies)]
    accounts = [f"a{i:04d}" for i in range(n_accounts)]
    closes = 50 * np.exp(np.cumsum(rng.normal(0.0003, 0.02, (days.size, n_companies)), axis=0))
    marks = pd.DataFrame(
        {
            "date": np.repeat(days, n_companies),
            "company": np.tile(companies, days.size),
            "price": np.round(closes.ravel(), 4),
            "kind": "close",
            "source": "synthetic",
            "grade": "A",
            "file": "marks.csv",
            "line": np.arange(days.size * n_companies) + 2,
        },
        columns=list(MARK_COLUMNS),
    )
    n = n_tx - n_accounts
    acc = rng.integers(0, n_accounts, n)
    com = rng.integers(0, n_companies, n)
    day = np.sort(rng.integers(1, days.size, n))
    sell = rng.random(n) < 0.3
    qty = np.where(sell, rng.integers(1, 10, n), rng.integers(10, 100, n)).astype(float)
    while True:  # a sale larger than the position becomes a buy
        held = pd.Series(np.where(sell, -qty, qty)).groupby([acc, com]).cumsum().to_numpy()
        bad = (held < 0) & sell
        if not bad.any():
            break
        sell[bad] = False
    tx = pd.DataFrame(
        {
            "date": np.concatenate([np.repeat(days[:1], n_accounts), days[day]]),
            "account": np.concatenate([accounts, np.array(accounts)[acc]]),
            "company": np.concatenate([[""] * n_accounts, np.array(companies)[com]]),
            "action": np.concatenate([["deposit"] * n_accounts, np.where(sell, "sell", "buy")]),
            "quantity": np.concatenate([np.full(n_accounts, 1e7), qty]),
            "price": np.concatenate([np.full(n_accounts, np.nan), closes[day, com].round(4)]),
            "fees": np.concatenate([np.zeros(n_accounts), np.ones(n)]),
            "currency": "",
            "fx_rate": np.nan,
            "lot": "",
            "file": "transactions.csv",
            "line": np.arange(n_tx) + 2,
        },
        columns=list(TRANSACTION_COLUMNS),
    )
    steps = rng.normal(0.0, 0.005, (days.size, len(PAIRS)))
    rates = np.array(list(PAIRS.values())) * np.exp(np.cumsum(steps, axis=0))
    fx = pd.DataFrame(
        {
            "date": np.repeat(days, len(PAIRS)),
            "pair": np.tile(list(PAIRS), days.size),
            "rate": rates.ravel(),
            "source": "synthetic",
            "file": "fx.csv",
            "line": np.arange(rates.size) + 2,
        },
        columns=list(FX_COLUMNS),
    )
    meta = BookMeta("benchmark", currency="USD", as_of=days[-1].astype(dt.date))
    single = Book(
        meta,
        companies={c: Company(c, c) for c in companies},
        accounts={a: Account(a, a) for a in accounts},
        transactions=tx,
        marks=marks,
    )
    multi = Book(
        meta,
        companies={
            c: Company(c, c, currency=COMPANY_CCY[j % len(COMPANY_CCY)])
            for j, c in enumerate(companies)
        },
        accounts={
            a: Account(a, a, currency=ACCOUNT_CCY[i % len(ACCOUNT_CCY)])
            for i, a in enumerate(accounts)
        },
        transactions=tx,
        marks=marks,
        fx=fx,
    )
    return single, multi, days


def _time(fn: object) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    from conviction.io.book_reader import validate_book
    from conviction.ledger import status, value_history

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n_tx, n_acc = (100_000, 100) if args.quick else (1_000_000, 1_000)
    t0 = time.perf_counter()
    single, multi, days = make_books(n_tx, n_acc, 50, 16)
    for book in (single, multi):
        validate_book(book)  # what a load would check, outside the timings
    print(
        f"built {n_tx:,} transactions, {n_acc} accounts × 50 companies × {days.size} days "
        f"(accounts in {len(ACCOUNT_CCY)} currencies, companies in {len(COMPANY_CCY)}, "
        f"{len(multi.fx):,} stored rates) in {time.perf_counter() - t0:.1f} s"
    )
    timings: dict[str, list[tuple[float, float]]] = {"one currency": [], "five currencies": []}
    value_history(single, days[:10])  # warm imports and caches alike
    value_history(multi, days[:10])
    for _ in range(args.rounds):
        timings["one currency"].append(_time(lambda: value_history(single, days)))
        timings["five currencies"].append(_time(lambda: value_history(multi, days)))
    for name, runs in timings.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        print(
            f"value_history, {name:15}: wall min {min(walls):.2f} s, median "
            f"{statistics.median(walls):.2f} s; CPU min {min(cpus):.2f} s, median "
            f"{statistics.median(cpus):.2f} s  ({args.rounds} runs)"
        )
    one, five = timings["one currency"], timings["five currencies"]
    ratio_wall = min(w for w, _ in five) / min(w for w, _ in one)
    ratio_cpu = min(c for _, c in five) / min(c for _, c in one)
    print(f"ratio five/one: wall {ratio_wall:.2f}x, CPU {ratio_cpu:.2f}x   [bar 1.5x]")
    on = days[-1].astype(dt.date)
    s1, s5 = _time(lambda: status(single, on)), _time(lambda: status(multi, on))
    print(
        f"status on {on} (lots replayed, effects): one currency {s1[0]:.2f} s wall "
        f"{s1[1]:.2f} s CPU; five currencies {s5[0]:.2f} s wall {s5[1]:.2f} s CPU"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the process {peak:.0f} MB")


if __name__ == "__main__":
    main()
