"""Run chunks here, or on local processes (``concurrent.futures``).

A runner's only duty is ``map(fn, tasks)``: call ``fn`` on every task and yield the results
in task order. What the tasks compute, and from which seeds, is fixed before the runner sees
them, so results do not depend on the runner or on its number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
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

    ``context`` is the multiprocessing start method. "spawn" (the default) starts clean
    interpreters: safe when the caller runs threads (a progress bar does), at the cost of
    importing NumPy and loading the compiled kernel in each worker (about a second).
    ``fn`` and the tasks must be picklable (module-level functions, frozen dataclasses).
    """

    def __init__(self, workers: int | None = None, *, context: str = "spawn") -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers or os.cpu_count() or 1
        self.context = context

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        if not tasks:
            return
        ctx = multiprocessing.get_context(self.context)
        with ProcessPoolExecutor(max_workers=min(self.workers, len(tasks)), mp_context=ctx) as ex:
            yield from ex.map(fn, tasks)


def default_runner(workers: int | None) -> InProcessRunner | ProcessRunner:
    """In process for one worker, else a process pool (None: one worker per CPU)."""
    n = workers or os.cpu_count() or 1
    return InProcessRunner() if n == 1 else ProcessRunner(n)
