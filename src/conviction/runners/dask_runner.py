"""Run chunks on a Dask cluster (``dask.distributed``), imported only when used.

Tasks are submitted with ``client.map`` and gathered in task order, so the result is the one
the in-process runner gives. Install with ``pip install "dask[distributed]"``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

__all__ = ["DaskRunner", "dask_available"]

T = TypeVar("T")
R = TypeVar("R")


def dask_available() -> bool:
    """Whether ``dask.distributed`` can be imported."""
    try:
        importlib.import_module("dask.distributed")
    except ImportError:
        return False
    return True


class DaskRunner:
    """Runs tasks through a ``dask.distributed.Client``: the one given, or one connected to
    ``address`` (a scheduler such as "tcp://host:8786"), or a local cluster when neither is
    given (closed again after each ``map``)."""

    def __init__(self, client: Any = None, *, address: str | None = None) -> None:
        self.client = client
        self.address = address

    def map(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
        try:  # imported by name so that type checkers need no dask stubs
            client_cls = importlib.import_module("dask.distributed").Client
        except ImportError:
            raise RuntimeError(
                'the Dask runner needs dask.distributed: pip install "dask[distributed]"'
            ) from None
        own = self.client is None
        client = self.client if not own else client_cls(self.address, processes=True)
        try:
            futures = client.map(fn, list(tasks), pure=False)
            for future in futures:
                yield future.result()
        finally:
            if own:
                client.close()
