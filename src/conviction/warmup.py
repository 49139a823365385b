"""Compile the numba kernels ahead of their first use: ``python -m conviction.warmup``.

numba compiles a kernel the first time it is called (seconds for the projection kernel)
and, with ``cache=True``, writes the machine code to its on-disk cache (``__pycache__``
beside the source, or ``$NUMBA_CACHE_DIR``), from which every later process loads it in a
fraction of that. ``make demo`` runs this once after installing, so the first
``conviction project`` costs what the second does. The cache follows the source file's
timestamp: after an edit of a kernel module the next call compiles again (or run this).

A kernel module takes part by being listed in :data:`KERNEL_MODULES` and defining
``warm() -> None``, which calls each of its kernels on tiny inputs of every set of
argument types the library calls it with. The command compiles the modules in as many
processes as there are cores (each module's cache files are its own): the path kernel
alone takes over a minute, the other three together about forty seconds.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Sequence

__all__ = ["KERNEL_MODULES", "main", "warm", "warm_in_background", "warm_in_processes"]

#: The modules whose ``warm()`` compiles their numba kernels, the longest to compile first.
KERNEL_MODULES: tuple[str, ...] = (
    "conviction.policies.path_kernel",
    "conviction.projection.kernels",
    "conviction.ledger.lot_kernels",
    "conviction.ledger.holdings",
)


def warm(modules: Sequence[str] = KERNEL_MODULES) -> dict[str, float]:
    """Call ``warm()`` of each module; the seconds each took (import included)."""
    took: dict[str, float] = {}
    for name in modules:
        started = time.perf_counter()
        importlib.import_module(name).warm()
        took[name] = time.perf_counter() - started
    return took


def warm_in_processes(modules: Sequence[str], workers: int) -> dict[str, float]:
    """``warm(modules)`` with the modules shared out over ``workers`` fresh processes
    (spawned: numba's compiler is not safe to fork once loaded); the seconds each took."""
    if workers <= 1 or len(modules) <= 1:
        return warm(modules)
    from concurrent.futures import ProcessPoolExecutor

    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        futures = [pool.submit(warm, [name]) for name in modules]
        took: dict[str, float] = {}
        for future in futures:
            took.update(future.result())
    return took


def warm_in_background(modules: Sequence[str]) -> threading.Thread:
    """Load the kernels of ``modules`` on a daemon thread, and return it.

    For a command about to read a large book: the database read runs in C without the
    GIL, so numba's import and cache load (about a second) happen beside it instead of
    after it. A failure here is not the command's: the kernel then loads on first call.
    """

    def load() -> None:
        with contextlib.suppress(Exception):  # the first real call loads (and reports) it
            warm(modules)

    thread = threading.Thread(target=load, name="conviction-warm-up", daemon=True)
    thread.start()
    return thread


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in args):
        sys.stdout.write(__doc__ or "")
        return 0
    modules = args or KERNEL_MODULES
    started = time.perf_counter()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(len(modules), cores or 1)  # sched_getaffinity: Linux only
    for name, seconds in warm_in_processes(modules, workers).items():
        sys.stderr.write(f"warm-up: {name} compiled or loaded in {seconds:.1f} s\n")
    took = time.perf_counter() - started
    sys.stderr.write(f"warm-up: {took:.1f} s in all, on {workers} process(es)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
