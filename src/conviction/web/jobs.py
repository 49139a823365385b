"""Projection jobs: run in the background, report progress, reuse identical results.

A projection takes seconds to minutes, far too long for a request, so ``POST
/api/v1/projections`` only queues a job and answers at once; ``GET`` on the job reports
its progress (paths done of paths in all) and, once done, its result. Jobs run one at a
time on a worker thread (the machine's cores go to the projection itself, not to
several at once).

A job's key is a hash of everything its result depends on: the spec file's bytes, the
request's overrides and date, and the database's state (``fingerprint``). An identical
second request gets the same job back, running or done, and never starts a second run.
Failed jobs are forgotten on the next identical request, so a fixed file can run again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from conviction.errors import ConvictionError, InputError

__all__ = ["Job", "JobRunner", "job_key"]

JobState = Literal["queued", "running", "done", "failed"]
#: run(progress) -> result; progress(done, total)
Work = Callable[[Callable[[int, int], None]], Any]


def job_key(parts: dict[str, Any]) -> str:
    """A short stable hash of a job's inputs (JSON with sorted keys)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@dataclass
class Job:
    """One job's state; mutated only under the runner's lock."""

    id: str
    request: dict[str, Any]
    status: JobState = "queued"
    done: int = 0
    total: int = 0
    result: Any = None
    error: dict[str, Any] | None = None
    hits: int = field(default=0)

    @property
    def fraction(self) -> float:
        if self.status == "done":
            return 1.0
        return self.done / self.total if self.total else 0.0


class JobRunner:
    """Queue, run and remember jobs (the last ``keep`` of them)."""

    def __init__(self, *, keep: int = 32) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="conviction-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._keep = keep

    def submit(self, key: str, request: dict[str, Any], work: Work) -> tuple[Job, bool]:
        """The job for ``key``: the existing one (second value True), or a new one queued."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.status != "failed":
                job.hits += 1
                self._jobs.move_to_end(key)
                return job, True
            job = Job(key, request)
            self._jobs[key] = job
            self._trim()
        self._pool.submit(self._run, job, work)
        return job, False

    def get(self, key: str) -> Job | None:
        """The job as it is now: a copy, so that a page or an answer shows one state of it
        (a page that read "running" and then rendered "done" showed a finished job with
        no result, and nothing told the browser to reload it)."""
        with self._lock:
            job = self._jobs.get(key)
            return None if job is None else replace(job)

    def jobs(self) -> list[Job]:
        """Every job kept, each as it is now (copies, as ``get``)."""
        with self._lock:
            return [replace(job) for job in self._jobs.values()]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _trim(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.status in ("done", "failed")]
        while len(self._jobs) > self._keep and finished:
            del self._jobs[finished.pop(0)]

    def _run(self, job: Job, work: Work) -> None:
        def progress(done: int, total: int) -> None:
            with self._lock:
                job.done, job.total = done, total

        with self._lock:
            job.status = "running"
        try:
            result = work(progress)
        except InputError as exc:
            self._fail(
                job,
                {"message": exc.message, "field": exc.field, "line": exc.line, "file": exc.file},
            )
        except ConvictionError as exc:
            self._fail(job, {"message": str(exc)})
        except Exception as exc:  # a bug must not kill the worker: record it on the job
            self._fail(job, {"message": f"{type(exc).__name__}: {exc}"})
        else:
            with self._lock:
                job.result = result
                job.status = "done"
                job.done = job.total = max(job.total, job.done)

    def _fail(self, job: Job, error: dict[str, Any]) -> None:
        with self._lock:
            job.error = error
            job.status = "failed"
