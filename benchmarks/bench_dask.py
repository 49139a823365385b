"""A projection on a 2-worker Dask LocalCluster against the same on 2 local processes.

The case of issue 14: the Baron example's projection (``examples/baron/projection.toml``,
three driver-modelled companies, 120 monthly steps, correlated, a key-person jump) at PATHS
paths, from the book's values as ``conviction project`` starts it. In one run, side by side:

  local-2   ``--workers 2``: the blocks on a local process pool of 2 (forked; start-up
            included, as a command pays it)
  dask-2    ``--scheduler ADDRESS``: the blocks on a ``LocalCluster(n_workers=2,
            processes=True, threads_per_worker=1)`` started by this script before the
            timings (a cluster is long-lived: its start is not timed; connecting the
            client is)

Each variant runs in its own child process (so the local pool may fork, and neither pays
the other's imports), ``--repeat`` times in alternation; each first runs a small projection
on its runner, untimed, so that the kernel is loaded in every worker. The timed section is
what ``conviction project`` does: open the runner (``app.compute.open_runner``) and run.
Both results must be equal bit for bit. The ratio is dask-2 / local-2 (best of the repeats).

    python benchmarks/bench_dask.py            # 1,000,000 paths, 3 repeats
    python benchmarks/bench_dask.py --quick    # 100,000 paths, 2 repeats
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "baron"
CONFIG = EXAMPLE / "projection.toml"


def digest(result: Any) -> str:
    """A hash of every number of a ProjectionResult (equal bit for bit or not)."""
    from dataclasses import fields

    import numpy as np

    h = hashlib.sha256()
    for f in fields(result):
        v = getattr(result, f.name)
        h.update(
            np.ascontiguousarray(v).tobytes() if isinstance(v, np.ndarray) else repr(v).encode()
        )
    return h.hexdigest()[:16]


def child(args: argparse.Namespace) -> None:
    from conviction.app.compute import open_runner
    from conviction.app.sensitivity_runs import book_spec
    from conviction.io.projection_toml import Overrides
    from conviction.projection import Projection
    from conviction.store import connect, read_book

    book = read_book(connect(args.db))
    spec = book_spec(book, CONFIG, overrides=Overrides(paths=args.paths)).spec
    small = book_spec(book, CONFIG, overrides=Overrides(paths=40_000)).spec
    where: dict[str, Any] = (
        {"scheduler": args.address} if args.variant == "dask-2" else {"workers": 2}
    )
    with open_runner(**where) as runner:  # untimed: the kernel loaded in every worker
        Projection(small).run(runner=runner)
    t = time.perf_counter()
    with open_runner(paths=spec.paths, **where) as runner:
        result = Projection(spec).run(runner=runner)
    secs = time.perf_counter() - t
    out = {
        "seconds": secs,
        "digest": digest(result),
        "prob_target": result.prob_target,
        "median_multiple": float(result.terminal_multiple[2]),
        "summary": result.summary,
    }
    print(json.dumps(out))


def run_child(variant: str, args: argparse.Namespace, address: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--variant", variant, "--paths", str(args.paths)]
    cmd += ["--db", args.db, "--address", address]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{done.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="100,000 paths, 2 repeats")
    p.add_argument("--paths", type=int)
    p.add_argument("--repeat", type=int)
    p.add_argument("--variant", choices=("local-2", "dask-2"), help=argparse.SUPPRESS)
    p.add_argument("--db", help=argparse.SUPPRESS)
    p.add_argument("--address", help=argparse.SUPPRESS)
    args = p.parse_args()
    args.paths = args.paths or (100_000 if args.quick else 1_000_000)
    repeat = args.repeat or (2 if args.quick else 3)
    if args.variant:
        child(args)
        return

    from dask.distributed import LocalCluster

    print(
        f"# bench_dask {dt.date.today()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, python {platform.python_version()}; "
        f"{args.paths:,} paths of {CONFIG.relative_to(ROOT)}, best of {repeat}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        args.db = f"sqlite:///{Path(tmp) / 'baron.db'}"
        load = [sys.executable, "-c", "from conviction.cli import main; main()"]
        subprocess.run(
            [*load, "--db", args.db, "load", str(EXAMPLE)], check=True, capture_output=True
        )
        started = time.perf_counter()
        with LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster:
            address = str(cluster.scheduler_address)
            print(f"# LocalCluster of 2 workers up in {time.perf_counter() - started:.1f} s")
            rows: dict[str, list[dict[str, Any]]] = {"local-2": [], "dask-2": []}
            for _ in range(repeat):
                for variant in rows:
                    rows[variant].append(run_child(variant, args, address))
    best = {v: min(r["seconds"] for r in runs) for v, runs in rows.items()}
    digests = {r["digest"] for runs in rows.values() for r in runs}
    for v, runs in rows.items():
        times = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        print(
            f"{v:8s} best {best[v]:6.2f} s  (runs: {times})  "
            f"P(5x) {runs[0]['prob_target']:.4f}  median {runs[0]['median_multiple']:.3f}x  "
            f"{runs[0]['summary']}"
        )
    print(f"ratio dask-2 / local-2: {best['dask-2'] / best['local-2']:.2f}x (bar: <= 1.3x)")
    print(f"results equal bit for bit: {len(digests) == 1} ({', '.join(sorted(digests))})")


if __name__ == "__main__":
    main()
