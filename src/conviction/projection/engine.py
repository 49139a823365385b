"""Run a projection: blocks of paths, grouped into chunks, run by a runner, summarised.

Randomness. The paths are cut into *blocks* of ``spec.block_paths`` paths. Block ``b`` draws
from ``SeedSequence(seed).spawn(n_blocks)[b]`` (its first child feeds the path kernel, its
second the driver model), so a path's numbers depend only on the seed and its block, not
on how blocks are grouped into *chunks* of work, nor on how many workers run the chunks.
Per-block sums are added in block order, so results are equal bit for bit across runners.

Runners (``conviction.runners``) only need a ``map(fn, tasks)`` that yields results in task
order; without one, chunks run here, one after the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from conviction._typing import Float64Array, FloatArray, SeedLike
from conviction.errors import SpecError
from conviction.projection.plan import Plan, build_plan
from conviction.projection.result import ProjectionResult, build_result
from conviction.projection.spec import ProjectionSpec
from conviction.projection.summaries import (
    Accumulator,
    ChunkSummary,
    SummaryMode,
    choose_mode,
    concat_blocks,
    summarise_block,
)

__all__ = [
    "ChunkRunner",
    "ChunkTask",
    "PathBlock",
    "ProgressFn",
    "Projection",
    "block_seed",
    "iter_paths",
    "normalise_seed",
    "project",
    "run_chunk",
    "simulate_paths",
]

#: progress(paths done, paths in all)
ProgressFn = Callable[[int, int], None]

#: A driver value at or below zero counts as a total loss: this multiple of today's value.
WIPED_OUT = 1e-9
#: Blocks per chunk when the caller does not say.
DEFAULT_CHUNK_BLOCKS = 16


class ChunkRunner(Protocol):
    """Runs ``fn`` over ``tasks`` and yields the results in task order."""

    def map(
        self, fn: Callable[[ChunkTask], ChunkSummary], tasks: Sequence[ChunkTask]
    ) -> Iterable[ChunkSummary]: ...


def normalise_seed(seed: SeedLike) -> np.random.SeedSequence:
    """The root SeedSequence of a run: from an int, a SeedSequence, a Generator (one draw
    from it) or None (fresh entropy, which the result reports so the run can be repeated)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(int(seed.integers(0, 2**63)))
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SpecError(f"a seed is an int >= 0, a Generator or None, got {seed!r}")
    return np.random.SeedSequence(int(seed))


def block_seed(root: np.random.SeedSequence, block: int) -> np.random.SeedSequence:
    """``root.spawn(n)[block]`` for any n > block, without spawning the others."""
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, block))


def _generators(
    root: np.random.SeedSequence, block: int
) -> tuple[np.random.Generator, np.random.Generator]:
    paths_seq, driver_seq = block_seed(root, block).spawn(2)
    return (
        np.random.Generator(np.random.SFC64(paths_seq)),
        np.random.Generator(np.random.SFC64(driver_seq)),
    )


def _block_size(spec: ProjectionSpec, block: int) -> int:
    return min(spec.block_paths, spec.paths - block * spec.block_paths)


def driver_terminals(
    spec: ProjectionSpec, plan: Plan, rng: np.random.Generator, n: int
) -> Float64Array:
    """Log terminal multiples (n, D) of the driver-modelled assets, one draw per path."""
    out = np.zeros((n, len(plan.driver_names)))
    if spec.drivers is None or not plan.driver_names:
        return out
    values = spec.drivers.sample(rng, n)
    for col, (name, scale) in enumerate(zip(plan.driver_names, plan.driver_scales, strict=True)):
        v = values[name]
        bad = np.isnan(v)
        if bad.any():
            raise SpecError(
                f"driver {name!r} is not a number on {int(bad.sum())} of {n} paths "
                "(0/0, log of a negative...)",
                field=f"driver[{name}]",
            )
        out[:, col] = np.log(np.maximum(v / scale, WIPED_OUT))
    return out


@dataclass(frozen=True)
class ChunkTask:
    """Blocks ``first_block`` up to ``last_block`` (excluded) of a run; picklable."""

    spec: ProjectionSpec
    entropy: int | tuple[int, ...]
    spawn_key: tuple[int, ...]
    first_block: int
    last_block: int
    mode: SummaryMode
    backend: str = "auto"

    @property
    def root(self) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)


def run_chunk(task: ChunkTask) -> ChunkSummary:
    """Simulate and summarise one chunk (what runners call, in this or another process)."""
    spec = task.spec
    plan = build_plan(spec)
    root = task.root
    parts = []
    for block in range(task.first_block, task.last_block):
        n = _block_size(spec, block)
        rng, driver_rng = _generators(root, block)
        dterm = driver_terminals(spec, plan, driver_rng, n)
        from conviction.projection.kernels import simulate_block  # numba: when run

        out = simulate_block(plan, rng, n, dterm, backend=task.backend)
        parts.append(
            summarise_block(
                task.mode,
                block,
                out.log_terminal,
                out.book,
                out.max_drawdown,
                spec.target_multiple,
                spec.whole_book(spec.years),
            )
        )
    return concat_blocks(parts)


class _InProcess:
    def map(
        self, fn: Callable[[ChunkTask], ChunkSummary], tasks: Sequence[ChunkTask]
    ) -> Iterator[ChunkSummary]:
        return map(fn, tasks)


class Projection:
    """``Projection(spec).run(seed)`` → :class:`ProjectionResult`.

    ``backend`` picks the kernel ("auto": numba when available, else NumPy); ``summary``
    forces "exact" or "histogram" percentiles (default: exact while they fit in 512 MB).
    """

    def __init__(
        self,
        spec: ProjectionSpec,
        *,
        backend: str = "auto",
        summary: SummaryMode | None = None,
    ) -> None:
        if backend not in ("auto", "numba", "numpy"):
            raise ValueError(f"backend must be 'auto', 'numba' or 'numpy', got {backend!r}")
        self.spec = spec
        self.plan = build_plan(spec)  # checks correlations once, before any work starts
        self.backend = backend
        self.summary: SummaryMode = summary or choose_mode(spec.paths, len(spec.assets), spec.years)

    def tasks(self, root: np.random.SeedSequence, chunk_blocks: int) -> list[ChunkTask]:
        entropy = root.entropy
        if entropy is None:  # pragma: no cover - SeedSequence always fills it
            raise SpecError("seed sequence without entropy")
        ent: int | tuple[int, ...] = (
            entropy if isinstance(entropy, int) else tuple(int(e) for e in entropy)
        )
        n_blocks = self.spec.n_blocks
        return [
            ChunkTask(
                self.spec,
                ent,
                tuple(root.spawn_key),
                b,
                min(n_blocks, b + chunk_blocks),
                self.summary,
                self.backend,
            )
            for b in range(0, n_blocks, chunk_blocks)
        ]

    def run(
        self,
        seed: SeedLike = None,
        *,
        runner: ChunkRunner | None = None,
        chunk_blocks: int | None = None,
        progress: ProgressFn | None = None,
    ) -> ProjectionResult:
        """Simulate ``spec.paths`` paths. ``seed`` defaults to ``spec.seed``."""
        spec = self.spec
        root = normalise_seed(spec.seed if seed is None else seed)
        cb = DEFAULT_CHUNK_BLOCKS if chunk_blocks is None else chunk_blocks
        if cb < 1:
            raise ValueError(f"chunk_blocks must be >= 1, got {cb}")
        acc = Accumulator(self.summary, spec.paths, len(spec.assets), spec.years, spec.block_paths)
        if progress is not None:
            progress(0, spec.paths)
        for chunk in (runner or _InProcess()).map(run_chunk, self.tasks(root, cb)):
            acc.add(chunk)
            if progress is not None:
                progress(acc.done, spec.paths)
        entropy = root.entropy
        seed_out = entropy if isinstance(entropy, int) else None
        return build_result(spec, acc, seed=seed_out, backend=self._backend_used())

    def _backend_used(self) -> str:
        from conviction.projection.kernels import HAVE_NUMBA

        if self.backend == "auto":
            return "numba" if HAVE_NUMBA else "numpy"
        return self.backend


def project(
    spec: ProjectionSpec,
    seed: SeedLike = None,
    *,
    runner: ChunkRunner | None = None,
    chunk_blocks: int | None = None,
    progress: ProgressFn | None = None,
    backend: str = "auto",
) -> ProjectionResult:
    """Shorthand for ``Projection(spec, backend=backend).run(seed, ...)``."""
    return Projection(spec, backend=backend).run(
        seed, runner=runner, chunk_blocks=chunk_blocks, progress=progress
    )


@dataclass(frozen=True)
class PathBlock:
    """Simulated observed values of one block: ``multiples[p, t, a]`` is company a's value
    on path p at step t over its value today (1.0 at t = 0), for ``first_path + p``."""

    block: int
    first_path: int
    multiples: FloatArray  # (n, steps + 1, companies)
    companies: tuple[str, ...]
    steps_per_year: int

    def prices(self, start: Sequence[float] | Float64Array) -> FloatArray:
        """The multiples times today's price of each company."""
        scaled: FloatArray = self.multiples * np.asarray(start, dtype=self.multiples.dtype)
        return scaled


def simulate_paths(
    spec: ProjectionSpec,
    block: int,
    seed: SeedLike = None,
    *,
    dtype: type[np.floating[Any]] = np.float32,
    backend: str = "auto",
    plan: Plan | None = None,
) -> PathBlock:
    """Every observed path of block ``block`` — the same paths (same draws) that
    :class:`Projection` summarises for the same spec and seed. Memory: n · (steps + 1) ·
    companies numbers (2048 · 121 · 10 float32 ≈ 10 MB for a default block)."""
    if not 0 <= block < spec.n_blocks:
        raise ValueError(f"block must lie in [0, {spec.n_blocks}), got {block}")
    plan = plan or build_plan(spec)
    root = normalise_seed(spec.seed if seed is None else seed)
    n = _block_size(spec, block)
    rng, driver_rng = _generators(root, block)
    dterm = driver_terminals(spec, plan, driver_rng, n)
    from conviction.projection.kernels import simulate_block  # numba: when run

    out = simulate_block(plan, rng, n, dterm, paths_dtype=dtype, backend=backend)
    if out.paths is None:  # pragma: no cover - asked for above
        raise RuntimeError("kernel returned no paths")
    return PathBlock(
        block, block * spec.block_paths, out.paths, spec.companies, spec.steps_per_year
    )


def iter_paths(
    spec: ProjectionSpec,
    seed: SeedLike = None,
    *,
    dtype: type[np.floating[Any]] = np.float32,
    backend: str = "auto",
) -> Iterator[PathBlock]:
    """All blocks of a run, one :class:`PathBlock` at a time (bounded memory). ``seed``
    must be reproducible (an int or a SeedSequence) for the blocks to belong to one run:
    a None seed is fixed once here."""
    root = normalise_seed(spec.seed if seed is None else seed)
    plan = build_plan(spec)
    for block in range(spec.n_blocks):
        yield simulate_paths(spec, block, root, dtype=dtype, backend=backend, plan=plan)
