"""`conviction backtest` of the five-series monthly policies as a whole process, against
`conviction status` on the same book (issue 13: at most 1 s more).

    python benchmarks/bench_backtest_process.py            # best of 7
    python benchmarks/bench_backtest_process.py --quick    # best of 3

The book: the five real daily series of benchmarks/bench_policies.py and
tests/policies/test_cost_references.py (TSLA, AAPL, MSFT, AMZN, QQQ in
``../shared/data/prices/``, adjusted closes on their 3,774 common dates 2010-06-29 ..
2025-06-30) as `close` marks, and one client account that deposits $1M on the first day
and buys 20% of each (6 transactions, 18,870 marks), loaded into a temporary SQLite
database. The policies, monthly with 10 bp of commission: ``rebalance`` (back to 20% each
on the first trading day of each month) and ``trim`` (cut a company above 30% back to
30%). Each command runs in a fresh process (``subprocess``), timed from start to exit;
CPU (user + system) and peak memory (``ru_maxrss``) are that process's own (``os.wait4``).
Rows are the best of N runs (the fastest wall time; its CPU and memory beside it), the
commands interleaved so that a busy moment of the shared machine slows all of them.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import Run, run

ROOT = Path(__file__).resolve().parent.parent
PRICES = ROOT.parent / "shared" / "data" / "prices"
TICKERS = ("TSLA", "AAPL", "MSFT", "AMZN", "QQQ")
_SCRIPT = Path(sys.executable).parent / "conviction"
#: The installed entry point (what a user runs), else the same function through -c.
CONVICTION = (
    [str(_SCRIPT)]
    if _SCRIPT.exists()
    else [sys.executable, "-c", "from conviction.cli import main; main()"]
)
POLICIES = {
    "rebalance": """[policy]
name = "rebalance"
description = "Back to 20% each on the first trading day of each month."

[costs]
commission_bps = 10.0

[[rules]]
rule = "rebalance"
targets = "equal"
every = "month"
""",
    "trim": """[policy]
name = "trim"
description = "Cut a company above 30% back to 30% on the first trading day of each month."

[costs]
commission_bps = 10.0

[[rules]]
rule = "trim_to_cap"
cap = 0.30
every = "month"
""",
}


def write_book(folder: Path) -> None:
    """The five series as marks, one client account holding 20% of each from day one."""
    import pandas as pd

    from conviction.io.prices import read_price_csv

    frame = pd.concat(
        {t: read_price_csv(PRICES / f"{t}.csv") for t in TICKERS}, axis=1, sort=True
    ).dropna()
    marks = ["date,company,price,kind,source"]
    for day, row in zip(frame.index, frame.to_numpy().tolist(), strict=True):
        iso = day.date().isoformat()
        marks += [
            f"{iso},{t.lower()},{p!r},close,{t} adj_close"
            for t, p in zip(TICKERS, row, strict=True)
        ]
    (folder / "marks.csv").write_text("\n".join(marks) + "\n")
    first = frame.index[0].date().isoformat()
    rows = ["date,account,company,action,quantity,price,fees", f"{first},fund,,deposit,1e6,,0"]
    for t in TICKERS:
        price = float(frame[t].iloc[0])
        rows.append(f"{first},fund,{t.lower()},buy,{200_000.0 / price!r},{price!r},0")
    (folder / "transactions.csv").write_text("\n".join(rows) + "\n")
    companies = "".join(
        f'\n[[company]]\nid = "{t.lower()}"\nname = "{t}"\npublic = true\nticker = "{t}"\n'
        for t in TICKERS
    )
    (folder / "book.toml").write_text(
        f'[book]\nname = "Five series"\ncurrency = "USD"\nas_of = {frame.index[-1].date()}\n'
        f'transactions = "transactions.csv"\nmarks = "marks.csv"\n{companies}\n'
        '[[account]]\nid = "fund"\nname = "One client account"\nkind = "client"\n'
    )
    for name, text in POLICIES.items():
        (folder / f"{name}.toml").write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="best of 3 instead of 7")
    opts = parser.parse_args()
    repeats = 3 if opts.quick else 7
    print(
        f"# bench_backtest_process {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
        f"python {platform.python_version()}, load average before {os.getloadavg()[0]:.2f}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-backtest-") as tmp:
        folder = Path(tmp)
        write_book(folder)
        db = f"sqlite:///{folder / 'five.db'}"
        env = {**os.environ, "COLUMNS": "100"}
        run([*CONVICTION, "--db", db, "load", str(folder)], env)
        commands = {
            "python -c 'import pandas' (floor)": [sys.executable, "-c", "import pandas"],
            "conviction status": [*CONVICTION, "--db", db, "status"],
            **{
                f"conviction backtest --policy {name}.toml": [
                    *CONVICTION,
                    "--db",
                    db,
                    "backtest",
                    "--policy",
                    str(folder / f"{name}.toml"),
                ]
                for name in POLICIES
            },
        }
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for _ in range(repeats):
            for name, args in commands.items():
                runs[name].append(run(args, env))
    best = {name: min(rs, key=lambda r: r.wall) for name, rs in runs.items()}
    width = max(len(name) for name in best)
    status = best["conviction status"]
    print(f"{'command':<{width}}  {'wall s':>7}  {'CPU s':>7}  {'peak MB':>8}  vs status")
    for name, r in best.items():
        more = ""
        if name.startswith("conviction backtest"):
            more = f"+{r.wall - status.wall:.2f} s wall, +{r.cpu - status.cpu:.2f} s CPU"
        print(f"{name:<{width}}  {r.wall:7.2f}  {r.cpu:7.2f}  {r.max_rss_mb:8.0f}  {more}")
    print(f"(best of {repeats}; bar: a backtest at most 1 s more than status)")
    print(f"# load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
