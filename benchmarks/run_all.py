"""Run every benchmark script in this folder, passing ``--quick`` through when given.

python benchmarks/run_all.py --quick     # a smoke run of each (what `make bench` does)
python benchmarks/run_all.py             # the full sizes (minutes; see docs/benchmarks.md)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = []
    for script in sorted(here.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        if subprocess.run([sys.executable, str(script), *sys.argv[1:]], check=False).returncode:
            failed.append(script.name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
