"""Run chunks on a Dask cluster (``dask.distributed``), imported only when used.

Tasks are submitted with ``client.map`` and gathered in task order, so the result is the one
the in-process runner gives. Install with ``pip install "dask[distributed]"``.

What travels: each task (a small frozen dataclass naming its blocks and the seed, with the
spec) goes to a worker, the worker draws its blocks' random numbers itself, and only the
chunk's summary comes back. No random numbers and no paths travel.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, TypeVar

from conviction.errors import InputError

__all__ = ["DEFAULT_CONNECT_TIMEOUT", "DaskRunner", "dask_available"]

T = TypeVar("T")
R = TypeVar("R")

#: Seconds to wait for a scheduler to answer before saying that none does.
DEFAULT_CONNECT_TIMEOUT = 3.0
#: Seconds to wait for a scheduler that answers to have one worker.
WORKER_WAIT = 10.0


def dask_available() -> bool:
    """Whether ``dask.distributed`` can be imported."""
    try:
        importlib.import_module("dask.distributed")
    except ImportError:
        return False
    return True


def _refused_fast(address: str, timeout: float) -> None:
    """For a tcp:// address (or one without a scheme), one plain connection: a port that
    nobody listens on is refused at once, where Dask's own connect retries until its
    timeout."""
    import socket

    if "://" in address and not address.startswith("tcp://"):
        return  # tls://, inproc://, ucx://: left to Dask
    addressing = importlib.import_module("distributed.comm.addressing")
    host, port = addressing.get_address_host_port(address)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except ConnectionRefusedError:
        raise OSError("connection refused (nothing listens on that port)") from None
    except OSError:
        return  # unreachable, unknown host...: Dask's connect says it in its own words


class DaskRunner:
    """Runs tasks through a ``dask.distributed.Client``: the one given, or one connected to
    ``address`` (a scheduler such as "tcp://host:8786"), or a local cluster when neither is
    given.

    Used as a context manager (``with DaskRunner(address=...) as runner``), the client it
    opens is kept for every ``map`` until the block ends; used bare, each ``map`` opens and
    closes its own. A scheduler that does not answer within ``timeout`` seconds raises an
    :class:`~conviction.errors.InputError` (``field``: where the address came from), and so
    does one that has no worker within ``worker_wait`` seconds."""

    def __init__(
        self,
        client: Any = None,
        *,
        address: str | None = None,
        timeout: float = DEFAULT_CONNECT_TIMEOUT,
        field: str | None = None,
        worker_wait: float = WORKER_WAIT,
    ) -> None:
        self.client = client
        self.address = address
        self.timeout = timeout
        self.worker_wait = worker_wait
        self.field = field
        self._owned: Any = None  # the client this runner opened and must close

    def connect(self) -> Any:
        """The client: the one given, or the one this runner opened (opened now if not yet)."""
        if self.client is not None:
            return self.client
        if self._owned is None:
            self._owned = self._open()
        return self._owned

    def _open(self) -> Any:
        try:  # imported by name so that type checkers need no dask stubs
            client_cls = importlib.import_module("dask.distributed").Client
        except ImportError:
            raise InputError(
                'the Dask runner needs dask.distributed: pip install "dask[distributed]"',
                field=self.field,
            ) from None
        if self.address is None:
            return client_cls(processes=True, set_as_default=False)
        self._probe(self.address)
        try:
            client = client_cls(self.address, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"no Dask scheduler answers at {self.address}: {exc}", field=self.field
            ) from None
        try:  # a scheduler without workers would take the tasks and never answer
            client.wait_for_workers(1, timeout=self.worker_wait)
        except TimeoutError:
            client.close()
            raise InputError(
                f"the Dask scheduler at {self.address} has no workers: start one with "
                f"'dask worker {self.address}'",
                field=self.field,
            ) from None
        return client

    def _probe(self, address: str) -> None:
        """Open and close one connection to the scheduler first: a ``Client`` that fails to
        connect leaves a half-made object whose clean-up waits seconds more at exit."""
        import asyncio

        comm = importlib.import_module("distributed.comm")

        async def probe() -> None:
            conn = await comm.connect(address, timeout=self.timeout)
            await conn.close()

        try:
            _refused_fast(address, self.timeout)
            asyncio.run(probe())
        except Exception as exc:  # refused, timed out, not an address, not a Dask scheduler
            reason = str(exc).strip() or type(exc).__name__
            if isinstance(exc, MemoryError):  # something answered, not in Dask's protocol
                reason = "what answers there does not speak Dask's protocol"
            raise InputError(
                f"no Dask scheduler answers at {address}: {reason}", field=self.field
            ) from None

    def close(self) -> None:
        """Close the client this runner opened (a client given to it stays open)."""
        owned, self._owned = self._owned, None
        if owned is not None:
            owned.close()

    def __enter__(self) -> DaskRunner:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        if not tasks:
            return
        transient = self.client is None and self._owned is None
        client = self.connect()
        try:
            futures = client.map(fn, list(tasks), pure=False)
            try:
                for future in futures:
                    yield future.result()
            finally:
                client.cancel(futures)
        finally:
            if transient:
                self.close()
