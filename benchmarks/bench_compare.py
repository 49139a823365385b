"""Time `compare` of hold, baron and index against the projection alone on the same paths.

The case of issue 13: PATHS paths x 120 monthly steps x 10 correlated Student-t companies
(df 4, key-person and market jumps: bench_projection's spec; two of the ten private,
marked yearly) x 2 accounts (clients with cash, Ron's personal account). Side by side, in
one run, each in its own child process so that its peak memory (``ru_maxrss`` of the
process and of its pool workers) is its own:

  project-2   Projection(spec).run on ProcessRunner(2): the paths made and summarised
              (what `conviction project --workers 2` runs)
  compare-2   compare_blocks(hold, baron, index) on ProcessRunner(2): the same blocks made
              again in the workers and run through the three policies (the example's
              policy files, examples/baron/policies/), summaries only (what `conviction
              compare --workers 2` runs)

Both include the pool's start-up; the kernels are loaded (or compiled) in the parent
before timing, and the forked workers inherit them. Rows give wall time and the CPU time
of the timed section (this process and its workers). The bar: compare-2 at most 3x
project-2, peak memory under 1 GB.

    python benchmarks/bench_compare.py            # 1,000,000 paths
    python benchmarks/bench_compare.py --quick    # 20,000 paths
    python benchmarks/bench_compare.py --per-block  # CPU per block: paths, each policy
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

STEPS, ASSETS, DF = 120, 10, 4.0
PRIVATE = (8, 9)  # marked yearly: they trade only on their liquidity steps
POLICIES = Path(__file__).resolve().parent.parent / "examples" / "baron" / "policies"
AS_OF = dt.date(2025, 11, 14)


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
            mark_every_years=1.0 if i in PRIVATE else None,
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


def inputs(s: Any) -> Any:
    """The book of the case: clients hold every company and cash, Ron a few companies."""
    from conviction.policies.engine import Setup
    from conviction.policies.simulate import SimulationInputs, step_dates

    n = len(s.companies)
    private = np.array([i in PRIVATE for i in range(n)])
    k = np.arange(STEPS + 1)
    liquidity = np.zeros((STEPS + 1, n), dtype=bool)
    for j, c in enumerate(s.companies):
        every = s.mark_every_steps.get(c)
        if every:
            liquidity[:, j] = (k > 0) & ((k % every == 0) | (k == STEPS))
    setup = Setup(
        companies=tuple(s.companies),
        accounts=("clients", "ron"),
        kinds=("client", "personal"),
        dates=step_dates(AS_OF, STEPS, 12),
        private=private,
    )
    holdings = np.zeros((2, n))
    holdings[0] = 1_000.0
    holdings[0, 0] = 8_000.0  # the clients' big position: over baron's 41% cap
    holdings[1, [0, 1, 8]] = (5_000.0, 500.0, 2_000.0)
    return SimulationInputs(
        setup=setup,
        start_prices=np.linspace(50.0, 300.0, n),
        holdings=holdings,
        cash=np.array([500_000.0, 50_000.0]),
        liquidity=liquidity,
        years=STEPS / 12,
    )


def policies() -> list[Any]:
    from conviction.io.policy_toml import read_policy

    return [read_policy(POLICIES / f"{name}.toml") for name in ("hold", "baron", "index")]


def cpu_now() -> float:
    """CPU seconds of this process and of its finished children (pool workers count once
    the pool has shut down)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    them = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + them.ru_utime + them.ru_stime


def project(paths: int, workers: int) -> dict[str, Any]:
    from conviction.projection import Projection
    from conviction.runners import ProcessRunner

    Projection(spec(4096)).run()  # load (or compile) the kernel before timing
    t, c = time.perf_counter(), cpu_now()
    r = Projection(spec(paths)).run(runner=ProcessRunner(workers))
    return {
        "seconds": time.perf_counter() - t,
        "cpu": cpu_now() - c,
        "what": f"P(5x) {r.prob_target:.4f}",
    }


def compare(paths: int, workers: int) -> dict[str, Any]:
    from conviction.policies.simulate import compare_blocks
    from conviction.runners import ProcessRunner

    chosen = policies()
    small = spec(4096)
    compare_blocks(chosen, small, inputs(small))  # load (or compile) the kernels
    s = spec(paths)
    t, c = time.perf_counter(), cpu_now()
    sums = compare_blocks(chosen, s, inputs(s), runner=ProcessRunner(workers))
    secs = time.perf_counter() - t
    what = ", ".join(
        f"{x.policy} median {x.book.median:.3f} trades {x.median_trades:.0f}" for x in sums
    )
    return {"seconds": secs, "cpu": cpu_now() - c, "what": what}


def per_block(blocks: int = 4) -> None:
    """Where a block's time goes, in this process, one core: CPU ms per block of 2,048
    paths (the fastest of ``blocks`` blocks) to make the paths, to run each policy alone
    in the path kernel, and to run the three in one pass (what compare's workers do)."""
    from conviction.policies.engine import PolicyEngine
    from conviction.policies.path_kernel import path_kernel, stack
    from conviction.projection.engine import normalise_seed, simulate_paths
    from conviction.projection.plan import build_plan

    s = spec(2048 * blocks)
    inp, chosen = inputs(s), policies()
    root, plan = normalise_seed(s.seed), build_plan(s)
    book = (inp.start_prices, inp.holdings, inp.cash)
    kernels = [path_kernel(PolicyEngine(p, inp.setup), inp.liquidity) for p in chosen]
    both = stack([k for k in kernels if k is not None])
    made = [simulate_paths(s, b, root, plan=plan).multiples for b in range(blocks)]
    assert both is not None and all(k is not None for k in kernels)
    both.parts(made[0][:2], *book)  # load (or compile) the kernel

    def best(fn: Any) -> float:
        times = []
        for b in range(blocks):
            c = time.process_time()
            fn(b)
            times.append(time.process_time() - c)
        return min(times) * 1e3

    row = {"make paths": best(lambda b: simulate_paths(s, b, root, plan=plan))}
    for p, k in zip(chosen, kernels, strict=True):
        row[p.name] = best(lambda b, k=k: k.part(made[b], *book))  # type: ignore[union-attr]
    row["all three, one pass"] = best(lambda b: both.parts(made[b], *book))
    print("CPU ms per block of 2,048 paths: " + ", ".join(f"{n} {v:.1f}" for n, v in row.items()))


VARIANTS = {
    "project-2": lambda a: project(a.paths, 2),
    "compare-2": lambda a: compare(a.paths, 2),
}


def child(args: argparse.Namespace) -> None:
    out = VARIANTS[args.variant](args)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out["peak_mb"] = max(own, kids) / 1024  # Linux reports KiB
    print(json.dumps(out))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="20,000 paths")
    p.add_argument("--paths", type=int)
    p.add_argument("--variant", choices=sorted(VARIANTS), help=argparse.SUPPRESS)
    p.add_argument(
        "--per-block", action="store_true", help="only where a block's time goes (in process)"
    )
    args = p.parse_args()
    args.paths = args.paths or (20_000 if args.quick else 1_000_000)
    if args.per_block:
        per_block()
        return
    if args.variant:
        child(args)
        return
    print(
        f"# bench_compare {dt.date.today()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, numpy {np.__version__}, python {platform.python_version()}"
    )
    print(f"# {args.paths:,} paths x {STEPS} months x {ASSETS} companies x 2 accounts")
    print(f"# load average before: {os.getloadavg()[0]:.2f}")
    rows = {}
    for name in VARIANTS:
        cmd = [sys.executable, __file__, "--variant", name, "--paths", str(args.paths)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows[name] = r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{name:10s} {r['seconds']:8.2f} s  cpu {r['cpu']:7.2f} s  "
            f"peak {r['peak_mb']:6.0f} MB  ({r['what']})",
            flush=True,
        )
    a, b = rows["project-2"], rows["compare-2"]
    print(
        f"ratio compare-2 / project-2: wall {b['seconds'] / a['seconds']:.2f}x, "
        f"cpu {b['cpu'] / a['cpu']:.2f}x (bar: at most 3x; peak under 1,024 MB)"
    )
    print(f"# load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
