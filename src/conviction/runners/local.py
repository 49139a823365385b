"""Run chunks here, or on local processes (``concurrent.futures``).

A runner's only duty is ``map(fn, tasks)``: call ``fn`` on every task and yield the results
in task order. What the tasks compute, and from which seeds, is fixed before the runner sees
them, so results do not depend on the runner or on its number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

__all__ = ["InProcessRunner", "ProcessRunner", "default_runner"]

T = TypeVar("T")
R = TypeVar("R")


class InProcessRunner:
    """One task after the other, in this process."""

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        for task in tasks:
            yield fn(task)


class ProcessRunner:
    """Tasks spread over ``workers`` local processes (default: one per CPU).

    ``context`` is the multiprocessing start method. By default: "fork" where the platform
    has it and this process runs no other thread — workers then start in milliseconds with
    the kernel already compiled — else "spawn", which starts clean interpreters (safe with
    threads, but each worker imports NumPy and loads the kernel: one to two seconds).
    ``fn`` and the tasks must be picklable (module-level functions, frozen dataclasses).
    """

    def __init__(self, workers: int | None = None, *, context: str | None = None) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers or os.cpu_count() or 1
        self.context = context

    def start_method(self) -> str:
        """The start method ``map`` will use now."""
        if self.context is not None:
            return self.context
        forkable = "fork" in multiprocessing.get_all_start_methods()
        return "fork" if forkable and threading.active_count() == 1 else "spawn"

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        if not tasks:
            return
        ctx = multiprocessing.get_context(self.start_method())
        with ProcessPoolExecutor(max_workers=min(self.workers, len(tasks)), mp_context=ctx) as ex:
            yield from ex.map(fn, tasks)


def default_runner(workers: int | None) -> InProcessRunner | ProcessRunner:
    """In process for one worker, else a process pool (None: one worker per CPU)."""
    n = workers or os.cpu_count() or 1
    return InProcessRunner() if n == 1 else ProcessRunner(n)
