"""Time the projection engine against the raw cost of the normals it needs.

The case of issue 3: PATHS paths x 120 monthly steps x 10 correlated Student-t assets
(df = 4, one chi-square per path-step shared by the assets) with a key-person jump on four
of them and a market jump on all, keeping only the summaries (percentiles, target
probability, fan, drawdowns). In one run, side by side, each variant in its own child
process so that its peak memory (``ru_maxrss`` of the process and of its workers) is its own:

  numpy-draw-1    numpy default_rng().standard_normal, same count, in 10^7 pieces, 1 core
  numpy-draw-2    the same split over 2 processes (the "practical floor" on this machine)
  sfc64-draw-1    numpy Generator(SFC64) draws, 1 core (our kernel's bit generator)
  plain-numpy     a plain vectorised NumPy engine that materialises every path (paths,
                  steps, assets) — run at PLAIN_PATHS paths (it would need ~10 GB per
                  float64 cube at 10^6) and its time scaled linearly to PATHS
  engine-1        conviction.projection, numba kernel, in process (1 core)
  engine-2        the same on ProcessRunner(2) (2 cores; worker start-up included)

Each row gives wall time and the CPU time of the timed section (this process and its pool
workers): on a shared machine the wall time of two processes swings with the neighbours'
load, the CPU time much less.

    python benchmarks/bench_projection.py            # 1,000,000 paths (plain at 50,000)
    python benchmarks/bench_projection.py --quick    # 100,000 paths (plain at 20,000)
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
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

STEPS, ASSETS, DF = 120, 10, 4.0


def spec(paths: int) -> Any:
    from conviction.projection import AssetSpec, CorrelationSpec, JumpSpec, ProjectionSpec

    assets = tuple(
        AssetSpec(
            f"c{i}",
            model="student_t",
            expected_return=0.06 + 0.01 * i,
            volatility=0.2 + 0.04 * i,
            df=DF,
            people=("musk",) if i < 4 else (),
            start_value=10.0 - 0.5 * i,
        )
        for i in range(ASSETS)
    )
    corr = tuple(
        CorrelationSpec(f"c{i}", f"c{j}", 0.6 if (i < 4 and j < 4) else 0.3)
        for i in range(ASSETS)
        for j in range(i + 1, ASSETS)
    )
    jumps = (
        JumpSpec("key-person", 0.03, 0.5, people=("musk",)),
        JumpSpec("market", 0.05, 0.25, companies=tuple(a.company for a in assets)),
    )
    return ProjectionSpec(
        assets=assets, correlations=corr, jumps=jumps, years=10, paths=paths, seed=7
    )


def cpu_now() -> float:
    """CPU seconds of this process and of its finished children (pool workers count once
    the pool has shut down)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    them = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + them.ru_utime + them.ru_stime


def _draw(args: tuple[int, str, int]) -> float:
    count, bitgen, seed = args
    rng = np.random.Generator(getattr(np.random, bitgen)(seed))
    piece = 10_000_000
    buf = np.empty(piece)
    left = count
    while left > 0:
        k = min(piece, left)
        rng.standard_normal(out=buf[:k])
        left -= k
    return float(buf[0])


def raw_draw(paths: int, bitgen: str, workers: int) -> dict[str, Any]:
    count = paths * STEPS * ASSETS
    t, c = time.perf_counter(), cpu_now()
    if workers == 1:
        _draw((count, bitgen, 1))
    else:
        with ProcessPoolExecutor(workers) as ex:
            list(ex.map(_draw, [(count // workers, bitgen, s) for s in range(workers)]))
    return {"seconds": time.perf_counter() - t, "cpu": cpu_now() - c, "normals": count}


def plain_numpy(paths: int, full_paths: int) -> dict[str, Any]:
    """Every path in memory: (paths, steps, assets) normals, correlated, t-scaled, jumps,
    cumulated, exponentiated, valued; then the same summaries. Time scaled to full_paths."""
    s = spec(paths)
    from conviction.projection.plan import build_plan

    plan = build_plan(s)
    rng = np.random.default_rng(1)
    w = plan.weights / plan.weights.sum()
    t, c = time.perf_counter(), cpu_now()
    z = rng.standard_normal((paths, STEPS, ASSETS))
    z = z @ plan.factor.T
    chi = rng.chisquare(DF, (paths, STEPS, 1))
    z *= np.sqrt((DF - 2.0) / chi)
    x = plan.drift + plan.vol * z
    del z, chi
    for j in range(plan.jcdf.shape[0]):
        u = rng.random((paths, STEPS, 1))
        counts = (plan.jcdf[j][None, None, :] <= u).sum(axis=2, keepdims=True)
        x += counts * plan.jlog[j]
    np.cumsum(x, axis=1, out=x)
    np.exp(x, out=x)
    book = x @ w  # (paths, steps)
    del x
    peak = np.maximum.accumulate(np.maximum(book, 1.0), axis=1)
    dd = (1.0 - book / peak).max(axis=1)
    q = [5, 25, 50, 75, 95]
    np.percentile(book[:, -1], q)
    np.percentile(book[:, 11::12], q, axis=0)
    np.percentile(dd, q)
    float(np.mean(book[:, -1] >= 5.0))
    secs = time.perf_counter() - t
    return {
        "seconds": secs * full_paths / paths,
        "cpu": (cpu_now() - c) * full_paths / paths,
        "measured_seconds": secs,
        "measured_paths": paths,
    }


def engine(paths: int, workers: int) -> dict[str, Any]:
    from conviction.projection import Projection
    from conviction.runners import InProcessRunner, ProcessRunner

    Projection(spec(4096)).run()  # load (or compile) the kernel before timing
    runner = InProcessRunner() if workers == 1 else ProcessRunner(workers)
    t, c = time.perf_counter(), cpu_now()
    r = Projection(spec(paths)).run(runner=runner)
    secs = time.perf_counter() - t
    return {
        "seconds": secs,
        "cpu": cpu_now() - c,
        "prob_target": r.prob_target,
        "median_multiple": float(r.terminal_multiple[2]),
        "summary": r.summary,
    }


VARIANTS = {
    "numpy-draw-1": lambda a: raw_draw(a.paths, "PCG64", 1),
    "numpy-draw-2": lambda a: raw_draw(a.paths, "PCG64", 2),
    "sfc64-draw-1": lambda a: raw_draw(a.paths, "SFC64", 1),
    "plain-numpy": lambda a: plain_numpy(a.plain_paths, a.paths),
    "engine-1": lambda a: engine(a.paths, 1),
    "engine-2": lambda a: engine(a.paths, 2),
}


def child(args: argparse.Namespace) -> None:
    out = VARIANTS[args.variant](args)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out["peak_mb"] = max(own, kids) / 1024  # Linux reports KiB
    out["peak_mb_process"] = own / 1024
    out["peak_mb_largest_worker"] = kids / 1024
    print(json.dumps(out))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="100,000 paths")
    p.add_argument("--paths", type=int)
    p.add_argument("--plain-paths", type=int)
    p.add_argument("--variant", choices=sorted(VARIANTS), help=argparse.SUPPRESS)
    p.add_argument("--only", nargs="*", choices=sorted(VARIANTS))
    args = p.parse_args()
    args.paths = args.paths or (100_000 if args.quick else 1_000_000)
    args.plain_paths = args.plain_paths or (20_000 if args.quick else 50_000)
    if args.variant:
        child(args)
        return
    print(
        f"# bench_projection {dt.date.today()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, numpy {np.__version__}, python {platform.python_version()}"
    )
    print(f"# {args.paths:,} paths x {STEPS} steps x {ASSETS} Student-t assets, key-person jumps")
    print(f"# load average before: {os.getloadavg()[0]:.2f}")
    rows = {}
    for name in args.only or list(VARIANTS):
        cmd = [sys.executable, __file__, "--variant", name, "--paths", str(args.paths)]
        cmd += ["--plain-paths", str(args.plain_paths)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows[name] = json.loads(done.stdout.strip().splitlines()[-1])
        r = rows[name]
        extra = ""
        if "measured_paths" in r:
            extra = f" (measured {r['measured_seconds']:.2f} s at {r['measured_paths']:,} paths)"
        if "prob_target" in r:
            extra = f" (P(5x) = {r['prob_target']:.4f}, median {r['median_multiple']:.3f})"
        print(
            f"{name:14s} {r['seconds']:8.2f} s  cpu {r['cpu']:7.2f} s  "
            f"peak {r['peak_mb']:6.0f} MB{extra}",
            flush=True,
        )
    floor1 = rows.get("numpy-draw-1", {})
    floor2 = rows.get("numpy-draw-2", {})
    for name in ("engine-1", "engine-2", "plain-numpy"):
        if name in rows:
            parts = []
            if floor1:
                parts.append(f"{rows[name]['seconds'] / floor1['seconds']:.2f}x the 1-core draw")
            if floor2:
                parts.append(f"{rows[name]['seconds'] / floor2['seconds']:.2f}x the 2-process draw")
            if floor1:
                parts.append(f"cpu {rows[name]['cpu'] / floor1['cpu']:.2f}x the draw's cpu")
            print(f"ratio {name:12s} " + ", ".join(parts))


if __name__ == "__main__":
    main()
