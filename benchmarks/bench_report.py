"""Report and web benchmark: how long the example's report takes, phase by phase; how fast
the web app answers; and the same report on a large synthetic book.

    python benchmarks/bench_report.py            # example + 1,000 accounts x 50 companies
    python benchmarks/bench_report.py --quick    # example + 100 accounts x 20 companies

Each phase is timed a few times and the median reported (wall and CPU time: on a shared
machine CPU time is the steadier). The large book comes from bench_book's generator.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "baron"
GSPC = ROOT.parent / "shared" / "data" / "prices" / "GSPC.csv"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[dict[str, float], Any]:
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus)}, result


def load(url: str, folder: Path) -> None:
    from conviction.io.book_reader import find_book_toml, read_book
    from conviction.store import connect_for_writing
    from conviction.store.loading import load_book

    load_book(connect_for_writing(url), find_book_toml(folder), read_book(folder))


def bench_example(tmp: Path, repeat: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from conviction.app.report import ReportRequest, folder_inputs, gather
    from conviction.report import render_report
    from conviction.store import connect
    from conviction.web import create_app

    url = f"sqlite:///{tmp / 'baron.db'}"
    load(url, EXAMPLE)
    engine = connect(url)
    projection, policies = folder_inputs(EXAMPLE)
    bench = GSPC if GSPC.is_file() else None
    out: dict[str, Any] = {}
    out["data (book, history, stats, reviews)"], _ = timed(
        lambda: gather(engine, ReportRequest(benchmark=bench)), repeat
    )
    out["backtests (4 policies)"], _ = timed(
        lambda: gather(engine, ReportRequest(policies=policies)), repeat
    )
    out["projection (100,000 paths) + compare (10,000 paths x 4 policies)"], full = timed(
        lambda: gather(
            engine, ReportRequest(benchmark=bench, projection=projection, policies=policies)
        ),
        repeat,
    )
    out["render (figures + template + inlined plotly.js)"], html = timed(
        lambda: render_report(full), repeat
    )
    out["report bytes"] = len(html.encode("utf-8"))

    app = create_app(engine, "benchmark-token-0123456789", ROOT, allowed_hosts=["testserver"])
    with TestClient(app) as client:
        client.get("/")  # warm the cache
        for path in ("/api/v1/status", "/api/v1/history", "/api/v1/reviews", "/", "/theses"):

            def get(p: str = path) -> None:
                assert client.get(p).status_code == 200

            out[f"GET {path}"], _ = timed(get, 5 * repeat)
    return out


def bench_large(tmp: Path, accounts: int, companies: int, n_tx: int, years: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_book import make_book
    from conviction.app.report import ReportRequest, gather
    from conviction.report import render_report
    from conviction.store import connect

    folder = tmp / "large"
    folder.mkdir()
    make_book(folder, n_tx, accounts, companies, years)
    url = f"sqlite:///{tmp / 'large.db'}"
    load(url, folder)
    engine = connect(url)
    out: dict[str, Any] = {
        "book": f"{accounts} accounts, {companies} companies, "
        f"{n_tx:,} transactions, {years} years of daily marks"
    }
    out["data"], data = timed(lambda: gather(engine, ReportRequest()), 1)
    out["render"], html = timed(lambda: render_report(data), 1)
    out["report bytes"] = len(html.encode("utf-8"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller large book, fewer runs")
    args = parser.parse_args()
    repeat = 2 if args.quick else 3
    size = (100, 20, 100_000, 10) if args.quick else (1000, 50, 1_000_000, 16)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        result = {
            "example": bench_example(tmp, repeat),
            "large": bench_large(tmp, *size),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
