"""How chunks of work run: here, on local processes, or on a Dask cluster."""

from conviction.runners.dask_runner import DaskRunner, dask_available
from conviction.runners.local import InProcessRunner, ProcessRunner, default_runner

__all__ = ["DaskRunner", "InProcessRunner", "ProcessRunner", "dask_available", "default_runner"]
