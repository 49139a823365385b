"""Start-up of the command line, measured as whole processes (what a user waits for).

    python benchmarks/bench_startup.py            # 7 repeats of each, median
    python benchmarks/bench_startup.py --quick    # 3 repeats

Each command runs in a fresh process (``subprocess``); wall time is the median over the
repeats, CPU (user + system) and peak memory (``ru_maxrss``) are each process's own, from
``os.wait4`` (``getrusage(RUSAGE_CHILDREN)`` would give the largest ``ru_maxrss`` of all
children so far, so the load of the book would mask every later figure). The book is the bundled
example, loaded into a temporary SQLite database first. The projection runs with
``NUMBA_CACHE_DIR`` set to a temporary folder: once with the folder empty (numba compiles
the kernel, as on the first run after installing), then again (it loads the cache), then
the same after ``python -m conviction.warmup`` (what ``make demo`` runs first).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import Run, run

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "baron"
_SCRIPT = Path(sys.executable).parent / "conviction"
#: The installed entry point (what a user runs), else the same function through -c.
CONVICTION = (
    [str(_SCRIPT)]
    if _SCRIPT.exists()
    else [sys.executable, "-c", "from conviction.cli import main; main()"]
)


def measure(args: list[str], env: dict[str, str], repeats: int) -> Run:
    runs = [run(args, env) for _ in range(repeats)]
    return Run(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        max(r.max_rss_mb for r in runs),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument("--paths", type=int, default=2000, help="projection paths")
    opts = parser.parse_args()
    repeats = 3 if opts.quick else 7
    rows: list[tuple[str, Run]] = []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        db = f"sqlite:///{Path(tmp) / 'baron.db'}"
        cache = Path(tmp) / "numba-cache"
        env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "COLUMNS": "100"}
        run([*CONVICTION, "--db", db, "load", str(EXAMPLE)], env)
        rows.append(("conviction --help", measure([*CONVICTION, "--help"], env, repeats)))
        rows.append(("conviction --version", measure([*CONVICTION, "--version"], env, repeats)))
        rows.append(
            (
                "conviction status --help",
                measure([*CONVICTION, "status", "--help"], env, repeats),
            )
        )
        # The floor of any command that reads a book here: importing pandas, measured beside
        # the command in the same run (it varies by half between runs on a shared machine).
        pandas = [sys.executable, "-c", "import pandas"]
        rows.append(("python -c 'import pandas' (floor)", measure(pandas, env, repeats)))
        status = [*CONVICTION, "--db", db, "status", "--as-of", "2025-11-14", "--json"]
        rows.append(("conviction status --as-of 2025-11-14 --json", measure(status, env, repeats)))
        table = [*CONVICTION, "--db", db, "status", "--as-of", "2025-11-14"]
        rows.append(("conviction status --as-of 2025-11-14", measure(table, env, repeats)))
        project = [*CONVICTION, "--db", db, "project", "--json"]
        project += ["--config", str(EXAMPLE / "projection.toml"), "--paths", str(opts.paths)]
        label = f"conviction project --paths {opts.paths}"
        shutil.rmtree(cache, ignore_errors=True)
        rows.append((f"{label}: first, numba cache empty", run(project, env)))
        rows.append((f"{label}: second", measure(project, env, repeats)))
        shutil.rmtree(cache, ignore_errors=True)
        warm = run([sys.executable, "-m", "conviction.warmup"], env)
        rows.append(("python -m conviction.warmup (cache empty)", warm))
        rows.append((f"{label}: first after the warm-up", run(project, env)))
        rows.append((f"{label}: second after the warm-up", measure(project, env, repeats)))
    width = max(len(name) for name, _ in rows)
    print(f"{'command':<{width}}  {'wall s':>7}  {'CPU s':>7}  {'peak MB':>8}")
    for name, r in rows:
        print(f"{name:<{width}}  {r.wall:7.2f}  {r.cpu:7.2f}  {r.max_rss_mb:8.0f}")
    print(f"(median of {repeats} runs where repeated; peak memory is the largest of the runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
