"""Where a run's blocks are computed: here, on local processes, or on a Dask cluster.

The one place that chooses: ``project``, ``compare``, ``sensitivity`` and ``solve`` (through
:mod:`conviction.app.runs` and :mod:`conviction.app.sensitivity_runs`) open their runner here.

- ``scheduler`` (``--scheduler ADDRESS``) runs the blocks on that Dask cluster;
- else ``workers`` (``--workers N``) on N local processes (1: in this process);
- else ``$CONVICTION_SCHEDULER``, when set, names the cluster;
- else in this process for small runs, on one process per CPU from
  :data:`POOL_FROM_PATHS` paths of work.

Every block draws its own random numbers from the seed and its index, and the results are
merged in block order, so the answer is the same bit for bit whichever runner computed it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from conviction.errors import FormatError
from conviction.runners import DaskRunner, InProcessRunner, ProcessRunner, default_runner
from conviction.runners.dask_runner import DEFAULT_CONNECT_TIMEOUT

__all__ = ["POOL_FROM_PATHS", "SCHEDULER_ENV", "Runner", "open_runner"]

#: The environment variable naming a Dask scheduler ("tcp://host:8786").
SCHEDULER_ENV = "CONVICTION_SCHEDULER"
#: Below this many paths of work (all runs together) a process pool costs more than it saves.
POOL_FROM_PATHS = 200_000

Runner = InProcessRunner | ProcessRunner | DaskRunner


@contextmanager
def open_runner(
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    paths: int = 0,
    timeout: float = DEFAULT_CONNECT_TIMEOUT,
) -> Iterator[Runner]:
    """The runner for ``paths`` paths of work (see the module's docstring), open for the
    ``with`` block: a Dask client is connected once (a scheduler that does not answer within
    ``timeout`` seconds raises an :class:`~conviction.errors.InputError` naming the address)
    and closed at the end."""
    scheduler = scheduler.strip() if scheduler else None
    if scheduler and workers is not None:
        raise FormatError(
            "give --scheduler (a Dask cluster) or --workers (local processes), not both",
            field="--scheduler",
        )
    if workers is not None and workers < 1:
        raise FormatError(f"expected --workers >= 1, got {workers}", field="--workers")
    field = "--scheduler"
    if not scheduler and workers is None:
        scheduler = os.environ.get(SCHEDULER_ENV, "").strip() or None
        field = SCHEDULER_ENV
    if scheduler:
        with DaskRunner(address=scheduler, timeout=timeout, field=field) as runner:
            yield runner
        return
    if workers is None and paths < POOL_FROM_PATHS:
        workers = 1
    yield default_runner(workers)
