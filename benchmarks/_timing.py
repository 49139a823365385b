"""A whole process as a user feels it: wall time, and its own CPU time and peak memory.

``os.wait4`` gives the child's own rusage; ``getrusage(RUSAGE_CHILDREN)`` would give the
largest ``ru_maxrss`` of all children so far, so one big process would mask every later
figure.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    max_rss_mb: float


def run(args: list[str], env: Mapping[str, str] | None = None) -> Run:
    """Run one process to its end (output discarded); exit with its stderr if it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(args, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            text = err.read().decode(errors="replace")
            raise SystemExit(f"{' '.join(args)} failed ({code}):\n{text}")
    # ru_maxrss is in KiB on Linux; user + system CPU of the process
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
