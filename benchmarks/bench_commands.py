"""Commands as a user feels them: whole `conviction` processes on a fund-sized book.

Bars (issue 11), on the 1,000,000-transaction, 1,000-account, 50-company book of
``bench_book.py`` in SQLite, against the floor of reading it in Python — the time the
``sqlite3`` driver takes to fetch the whole transactions table (``SELECT *``,
``fetchall()``), measured in the same run:

- ``status``, ``status --account A``, ``history``, ``gains --year Y``, ``private``,
  ``review``: each at most 2x the floor, peak memory at most 1 GB;
- ``report``: at most 5x the floor.

Each command runs in its own process, timed from start to exit; CPU time and peak memory
are that process's own (``os.wait4``). Beside them, the in-process figure: reading the
book, indexing it, and each answer computed from the index.

    python benchmarks/bench_commands.py            # the full size (about 3 minutes)
    python benchmarks/bench_commands.py --quick    # 100,000 transactions, 100 accounts
    python benchmarks/bench_commands.py --folder /tmp/big   # reuse a generated book
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import run
from bench_book import make_book

CONVICTION = str(Path(sys.executable).with_name("conviction"))


FLOOR = """
import sqlite3, sys, time
t = time.perf_counter()
rows = sqlite3.connect(sys.argv[1]).execute("SELECT * FROM transactions").fetchall()
print(time.perf_counter() - t, len(rows))
"""

IN_PROCESS = """
import datetime as dt, json, sys, time
t0 = time.perf_counter()
from conviction.store import connect, read_book
from conviction.ledger.index import index_book
from conviction.ledger import status, realized_gains, private_measures
from conviction.ledger.history import history_report
from conviction.ledger.valuation import business_days
t1 = time.perf_counter()
book = read_book(connect(sys.argv[1]))
t2 = time.perf_counter()
ix = index_book(book)
t3 = time.perf_counter()
out = {"import_s": t1 - t0, "read_s": t2 - t1, "index_s": t3 - t2}
as_of, first = book.meta.as_of or dt.date.today(), ix.trades.day.min()
steps = {
    "status": lambda: status(ix, as_of),
    "status (again, replay cached)": lambda: status(ix, as_of),
    "status --account": lambda: status(ix, as_of, accounts=[ix.accounts[1]]),
    "history": lambda: history_report(ix, business_days(first, as_of)),
    "gains --year": lambda: realized_gains(ix, year=int(sys.argv[2])),
    "private": lambda: private_measures(ix, as_of),
}
for name, step in steps.items():
    t = time.perf_counter()
    step()
    out[name] = time.perf_counter() - t
print(json.dumps(out))
"""


WEB = """
import json, sys, time
from fastapi.testclient import TestClient
from conviction.store import connect_for_writing
from conviction.web.app import create_app
app = create_app(
    connect_for_writing(sys.argv[1]), "bench-token-0123456789", sys.argv[2],
    allowed_hosts=["testserver"],
)
client = TestClient(app)
paths = ["/api/v1/book", "/api/v1/status", "/api/v1/history", "/api/v1/reviews",
         "/api/v1/companies/c001", "/api/v1/accounts/a0001", "/", "/company/c001",
         "/account/a0001", "/theses"]
out = {}
for path in paths:
    times = []
    for _ in range(3):
        t = time.perf_counter()
        r = client.get(path)
        times.append(time.perf_counter() - t)
        if r.status_code != 200:
            raise SystemExit(f"{path}: {r.status_code} {r.text[:300]}")
    out[path] = {"first_s": times[0], "after_s": max(times[1:])}
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--folder", type=Path, help="a folder holding a generated book")
    parser.add_argument("--repeat", type=int, default=1, help="runs per command (best kept)")
    args = parser.parse_args()
    n_tx, n_acc = (100_000, 100) if args.quick else (1_000_000, 1_000)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "book.toml").exists():
            t = time.perf_counter()
            make_book(folder, n_tx, n_acc, 50, 16)
            print(f"generated {n_tx:,} transactions in {time.perf_counter() - t:.1f} s")
        db = folder / "commands.db"
        if not db.exists():
            # the book's last trade day as its date, so status is of a day with marks
            subprocess.run([CONVICTION, "--db", f"sqlite:///{db}", "load", str(folder)],
                           check=True, capture_output=True)  # fmt: skip
        url = f"sqlite:///{db}"
        measure(url, db, args.repeat)


def measure(url: str, db: Path, repeat: int) -> None:
    floor_out = subprocess.run(
        [sys.executable, "-c", FLOOR, str(db)], check=True, capture_output=True, text=True
    )
    floor_s, rows = floor_out.stdout.split()
    floor = float(floor_s)
    print(f"floor: sqlite3 fetchall of {int(rows):,} transactions: {floor:.2f} s\n")
    year = "2020"
    commands: list[tuple[str, list[str], float]] = [
        ("--help", ["--help"], 0.0),
        ("status", ["status"], 2.0),
        ("status --account a0001", ["status", "--account", "a0001"], 2.0),
        ("history", ["history"], 2.0),
        (f"gains --year {year}", ["gains", "--year", year], 2.0),
        ("private", ["private"], 2.0),
        ("review", ["review"], 2.0),
        ("report", ["report", "--out", str(db.with_suffix(".html"))], 5.0),
    ]
    print(f"{'command':<24} {'wall s':>7} {'CPU s':>7} {'peak MB':>8} {'x floor':>8}  bar")
    for name, argv, bar in commands:
        best = min(
            (run([CONVICTION, "--db", url, *argv]) for _ in range(repeat)),
            key=lambda r: r.wall,
        )
        ratio = best.wall / floor
        verdict = f"<= {bar:.0f}x {'ok' if ratio <= bar else 'MISSED'}" if bar else ""
        print(
            f"{name:<24} {best.wall:7.2f} {best.cpu:7.2f} {best.max_rss_mb:8.0f} "
            f"{ratio:8.2f}  {verdict}"
        )
    inner = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, url, year], check=True, capture_output=True, text=True
    )
    figures = json.loads(inner.stdout.strip().splitlines()[-1])
    print("\nin process (s): " + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()))
    web = subprocess.run(
        [sys.executable, "-c", WEB, url, str(db.parent)], check=True, capture_output=True, text=True
    )
    pages = json.loads(web.stdout.strip().splitlines()[-1])
    print(f"\n{'web read':<26} {'first s':>8} {'after s':>8}  bar: at most 1 s after the first")
    for path, t in pages.items():
        verdict = "ok" if t["after_s"] <= 1.0 else "MISSED"
        print(f"{path:<26} {t['first_s']:8.2f} {t['after_s']:8.2f}  {verdict}")


if __name__ == "__main__":
    main()
