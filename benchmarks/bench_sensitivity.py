"""Time a tornado against one projection of the same paths in all (issue 14's bar: <= 1.5x).

The book is the Baron example (examples/baron: three driver-modelled companies, 13 random
drivers, 3 correlations, a key-person jump; 120 monthly steps), weighted by its holdings on
the book's date. Its tornado has every uncertain input (21: 13 drivers, 3 volatilities, a
jump's probability and loss, 3 correlations) at two ends, each end PATHS paths on the same
random numbers, plus the base run and the drivers' Sobol indices — all of what
``conviction sensitivity`` computes. It is timed against one projection of
(1 + 2 · inputs) · PATHS paths of the same spec (``conviction project``'s engine), each
variant in its own child process, one after the other in the same run:

  projection-1    Projection(spec).run() of (1 + 2·inputs)·PATHS paths, in process
  tornado-1       sensitivity(spec) at PATHS paths a run, in process
  projection-2    the same projection on ProcessRunner(2)
  tornado-2       the same tornado on ProcessRunner(2)

    python benchmarks/bench_sensitivity.py            # 100,000 paths a run (4.3M in all)
    python benchmarks/bench_sensitivity.py --quick    # 10,000 paths a run
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "baron"


def baron_spec(paths: int) -> Any:
    from conviction.app.reads import book_status
    from conviction.io.book_reader import read_book
    from conviction.io.projection_toml import Overrides, read_projection

    book = read_book(EXAMPLE)
    st = book_status(book)
    start = {line.company: line.value for line in st.by_company}
    return read_projection(
        EXAMPLE / "projection.toml", book=book, start_values=start, overrides=Overrides(paths)
    )


def cpu_now() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    them = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + them.ru_utime + them.ru_stime


def _runner(workers: int) -> Any:
    from conviction.runners import InProcessRunner, ProcessRunner

    return InProcessRunner() if workers == 1 else ProcessRunner(workers)


def projection(paths: int, workers: int) -> dict[str, Any]:
    from conviction.projection import Projection
    from conviction.projection.sensitivity import sensitivity_inputs

    small = baron_spec(2048)
    Projection(small).run()  # load the kernel before timing
    runs = 1 + 2 * len(sensitivity_inputs(small))
    spec = baron_spec(paths * runs)
    t, c = time.perf_counter(), cpu_now()
    r = Projection(spec).run(runner=_runner(workers))
    return {
        "seconds": time.perf_counter() - t,
        "cpu": cpu_now() - c,
        "paths": spec.paths,
        "prob_target": r.prob_target,
        "median_multiple": float(r.terminal_multiple[2]),
    }


def tornado(paths: int, workers: int) -> dict[str, Any]:
    from conviction.projection import Projection
    from conviction.projection.sensitivity import sensitivity

    Projection(baron_spec(2048)).run()  # load the kernel before timing
    spec = baron_spec(paths)
    t, c = time.perf_counter(), cpu_now()
    res = sensitivity(spec, runner=_runner(workers))
    return {
        "seconds": time.perf_counter() - t,
        "cpu": cpu_now() - c,
        "inputs": len(res.bars),
        "paths": paths * (1 + 2 * len(res.bars)),
        "prob_target": res.base_p,
        "top": [(b.input, round(b.p_swing, 4)) for b in res.bars[:3]],
    }


VARIANTS = {
    "projection-1": lambda a: projection(a.paths, 1),
    "tornado-1": lambda a: tornado(a.paths, 1),
    "projection-2": lambda a: projection(a.paths, 2),
    "tornado-2": lambda a: tornado(a.paths, 2),
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="10,000 paths a run")
    p.add_argument("--paths", type=int, help="paths a run of the tornado")
    p.add_argument("--variant", choices=sorted(VARIANTS), help=argparse.SUPPRESS)
    p.add_argument("--only", nargs="*", choices=sorted(VARIANTS))
    args = p.parse_args()
    args.paths = args.paths or (10_000 if args.quick else 100_000)
    if args.variant:
        out = VARIANTS[args.variant](args)
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        out["peak_mb"] = max(own, kids) / 1024
        print(json.dumps(out))
        return
    print(
        f"# bench_sensitivity {dt.date.today()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, numpy {np.__version__}, python {platform.python_version()}"
    )
    print(f"# Baron example, {args.paths:,} paths a tornado run")
    print(f"# load average before: {os.getloadavg()[0]:.2f}")
    rows: dict[str, dict[str, Any]] = {}
    for name in args.only or list(VARIANTS):
        cmd = [sys.executable, __file__, "--variant", name, "--paths", str(args.paths)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows[name] = r = json.loads(done.stdout.strip().splitlines()[-1])
        extra = f"P(5x) = {r['prob_target']:.4f}"
        if "inputs" in r:
            extra += f", {r['inputs']} inputs, top swings {r['top']}"
        print(
            f"{name:13s} {r['paths']:>10,} paths {r['seconds']:8.2f} s  cpu {r['cpu']:7.2f} s  "
            f"peak {r['peak_mb']:6.0f} MB  ({extra})",
            flush=True,
        )
    for w in ("1", "2"):
        t, pr = rows.get(f"tornado-{w}"), rows.get(f"projection-{w}")
        if t and pr:
            print(
                f"ratio tornado/projection ({w} process{'es' if w == '2' else ''}): "
                f"{t['seconds'] / pr['seconds']:.2f}x wall, {t['cpu'] / pr['cpu']:.2f}x cpu "
                "(bar: <= 1.5x)"
            )


if __name__ == "__main__":
    main()
