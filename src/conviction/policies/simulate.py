"""Policies side by side on simulated futures: the same engine, fed chunk by chunk.

The paths come from outside (the projection's blocks, or any iterable of arrays shaped
(paths, time, companies)); every policy runs on every chunk, and only per-path summaries
are kept, so memory stays bounded by one chunk whatever the number of paths.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from conviction._typing import BoolArray, Float64Array, FloatArray
from conviction.book.model import Book
from conviction.errors import DataError
from conviction.ledger.corporate import private_on
from conviction.ledger.valuation import cash, positions, price_history
from conviction.policies.engine import PolicyEngine, Setup
from conviction.policies.path_kernel import path_kernel, stack
from conviction.policies.results import PolicyRun
from conviction.policies.spec import Policy
from conviction.policies.summary import SimulationSummary, SummaryAccumulator

if TYPE_CHECKING:
    from conviction.projection.spec import ProjectionSpec

__all__ = [
    "CompareTask",
    "SimulationInputs",
    "compare_blocks",
    "compare_chunk",
    "compare_on_paths",
    "simulation_inputs",
    "step_dates",
]

#: progress(chunks done, paths done)
ChunkProgress = Callable[[int, int], None]


@dataclass(frozen=True, eq=False)
class SimulationInputs:
    """The book today, ready for simulated prices: ``prices = multiples x start_prices``."""

    setup: Setup
    start_prices: Float64Array  # (companies,)
    holdings: Float64Array  # (accounts, companies)
    cash: Float64Array  # (accounts,)
    liquidity: BoolArray  # (time, companies): steps on which private companies mark
    years: float
    flat: tuple[str, ...] = ()  # held but not simulated: the last companies, price constant
    #: (time,) the factor cash grows by on each step, (1 + cash_rate) ** (1 / steps a year)
    #: from step 1 on (so ``(1 + cash_rate) ** years`` at the horizon, as ``project``'s
    #: whole book); None: cash earns nothing
    cash_growth: Float64Array | None = None


def step_dates(start: dt.date, steps: int, steps_per_year: int) -> np.ndarray:
    """Dates of steps 0..steps, ``steps_per_year`` to a year (whole months when 12)."""
    first = np.datetime64(start, "D")
    if 12 % steps_per_year == 0:  # monthly, quarterly, half-yearly, yearly: calendar months
        months = np.datetime64(start, "M") + np.arange(steps + 1) * (12 // steps_per_year)
        offset = first - np.datetime64(start, "M").astype("datetime64[D]")
        return np.asarray(months.astype("datetime64[D]") + offset)
    days = np.round(np.arange(steps + 1) * 365.25 / steps_per_year).astype(np.int64)
    return np.asarray(first + days)


def simulation_inputs(
    book: Book,
    companies: Sequence[str],
    *,
    as_of: dt.date,
    steps: int,
    steps_per_year: int,
    mark_every: Mapping[str, int] | None = None,
    cash_rate: float = 0.0,
) -> SimulationInputs:
    """Positions, cash and prices of ``book`` on ``as_of`` for simulated ``companies``.

    ``mark_every[c]``: private company c is marked (and can trade) every that many steps
    and on the last one; companies the book marks public trade on every step. Companies
    held but not simulated are appended, at a constant price (see ``flat``). Cash earns
    ``cash_rate`` a year (the projection's): a factor ``(1 + cash_rate) ** (1 /
    steps_per_year)`` on every step (``cash_growth``).
    """
    held = positions(book, as_of)
    unknown = [c for c in companies if c not in book.companies]
    if unknown:
        raise DataError(f"the projection simulates {unknown[0]}, which the book does not know")
    # Holdings the projection leaves out stay at today's mark (and are named in `flat`).
    flat = tuple(c for c in held.columns if c not in companies and (held[c].to_numpy() != 0).any())
    companies = (*companies, *flat)
    today = price_history(book, [as_of])[list(companies)].to_numpy(dtype=np.float64)[0]
    missing = np.flatnonzero(np.isnan(today))
    if missing.size:
        raise DataError(f"no mark for {companies[missing[0]]} on or before {as_of}")
    accounts = tuple(book.accounts)
    private = np.array([private_on(book, c, as_of) for c in companies])  # listed: public
    liquidity = np.zeros((steps + 1, len(companies)), dtype=bool)
    k = np.arange(steps + 1)
    for j, c in enumerate(companies):
        every = (mark_every or {}).get(c)
        if private[j]:
            liquidity[:, j] = (k > 0) & ((k % every == 0) | (k == steps)) if every else k > 0
    setup = Setup(
        companies=tuple(companies),
        accounts=accounts,
        kinds=tuple(book.accounts[a].kind for a in accounts),
        dates=step_dates(as_of, steps, steps_per_year),
        private=private,
    )
    return SimulationInputs(
        setup=setup,
        start_prices=today,
        holdings=held.loc[list(accounts), list(companies)].to_numpy(dtype=np.float64),
        cash=cash(book, as_of).reindex(list(accounts)).to_numpy(dtype=np.float64),
        liquidity=liquidity,
        years=steps / steps_per_year,
        flat=flat,
        cash_growth=_cash_growth(cash_rate, steps, steps_per_year),
    )


def _cash_growth(rate: float, steps: int, steps_per_year: int) -> Float64Array | None:
    if rate == 0:
        return None
    growth = np.full(steps + 1, (1.0 + rate) ** (1.0 / steps_per_year))
    growth[0] = 1.0
    return growth


def compare_on_paths(
    policies: Sequence[Policy],
    chunks: Iterable[FloatArray],
    inputs: SimulationInputs,
    *,
    targets: Sequence[float] = (5.0,),
    multiples: bool = True,
    progress: ChunkProgress | None = None,
) -> tuple[SimulationSummary, ...]:
    """Run every policy on every chunk of paths; one summary per policy, in order.

    Each chunk is (paths, time, companies): value multiples of today (1 at step 0) when
    ``multiples``, else prices.
    """
    engines = [PolicyEngine(p, inputs.setup) for p in policies]
    sums = [SummaryAccumulator(p.name, inputs.years, targets) for p in policies]
    done = 0
    for n, chunk in enumerate(chunks, start=1):
        prices = _prices(chunk, inputs, multiples)
        for engine, summary in zip(engines, sums, strict=True):
            summary.add(_run(engine, prices, inputs))
        done += prices.shape[0]
        if progress is not None:
            progress(n, done)
    return tuple(s.result() for s in sums)


def _prices(chunk: FloatArray, inputs: SimulationInputs, multiples: bool) -> Float64Array:
    prices = np.asarray(chunk, dtype=np.float64)
    if inputs.flat:  # held companies the paths leave out: constant
        same = 1.0 if multiples else inputs.start_prices[-len(inputs.flat) :]
        pad = np.broadcast_to(same, (*prices.shape[:2], len(inputs.flat)))
        prices = np.concatenate([prices, pad], axis=2)
    if multiples:
        prices = prices * inputs.start_prices
    return prices


def _run(engine: PolicyEngine, prices: Float64Array, inputs: SimulationInputs) -> PolicyRun:
    return engine.run(
        prices,
        inputs.holdings,
        inputs.cash,
        liquidity=inputs.liquidity,
        values=False,
        trades=False,
        cash_growth=inputs.cash_growth,
    )


#: Blocks of paths per task when policies are compared through a runner.
COMPARE_CHUNK_BLOCKS = 4


@dataclass(frozen=True, eq=False)
class CompareTask:
    """Blocks ``first_block`` up to ``last_block`` (excluded) of the projection run with
    root seed (``entropy``, ``spawn_key``), every policy on each; picklable (what a runner
    sends to a worker, which simulates the paths itself: no paths travel)."""

    spec: ProjectionSpec
    entropy: int | tuple[int, ...]
    spawn_key: tuple[int, ...]
    first_block: int
    last_block: int
    policies: tuple[Policy, ...]
    inputs: SimulationInputs


#: What a task sends back: per policy, the accounts and one part per block.
ChunkParts = list[tuple[tuple[str, ...], list[tuple[Float64Array, ...]]]]


def compare_chunk(task: CompareTask) -> ChunkParts:
    """Simulate the task's blocks (as :func:`conviction.projection.iter_paths` does) and run
    every policy on each block, one block at a time: what :func:`compare_on_paths` keeps."""
    from conviction.projection.engine import simulate_paths
    from conviction.projection.plan import build_plan

    spec, inputs = task.spec, task.inputs
    root = np.random.SeedSequence(task.entropy, spawn_key=task.spawn_key)
    plan = build_plan(spec)
    engines = [PolicyEngine(p, inputs.setup) for p in task.policies]
    # the compiled kernel where it runs the policy (the same parts), else the engine
    kernels = [path_kernel(e, inputs.liquidity, inputs.cash_growth) for e in engines]
    # the kernels' policies in one pass over each path (its prices formed once)
    where = [i for i, k in enumerate(kernels) if k is not None]
    both = stack([k for k in kernels if k is not None])
    book = (inputs.start_prices, inputs.holdings, inputs.cash)
    out: ChunkParts = [((), []) for _ in engines]
    for block in range(task.first_block, task.last_block):
        paths = simulate_paths(spec, block, root, plan=plan)
        prices: Float64Array | None = None
        done = dict(zip(where, both.parts(paths.multiples, *book), strict=True)) if both else {}
        for i, (engine, kernel) in enumerate(zip(engines, kernels, strict=True)):
            if i in done:
                part = done[i]
            elif kernel is not None:
                part = kernel.part(paths.multiples, *book)
            else:
                if prices is None:
                    prices = _prices(paths.multiples, inputs, multiples=True)
                part = SummaryAccumulator.part(_run(engine, prices, inputs))
            out[i] = (inputs.setup.accounts, [*out[i][1], part])
    return out


class CompareRunner(Protocol):
    """Runs ``fn`` over ``tasks`` and yields the results in task order (any runner of
    :mod:`conviction.runners`)."""

    def map(
        self, fn: Callable[[CompareTask], ChunkParts], tasks: Sequence[CompareTask]
    ) -> Iterable[ChunkParts]: ...


class _Here:
    def map(
        self, fn: Callable[[CompareTask], ChunkParts], tasks: Sequence[CompareTask]
    ) -> Iterator[ChunkParts]:
        return map(fn, tasks)


def compare_blocks(
    policies: Sequence[Policy],
    spec: ProjectionSpec,
    inputs: SimulationInputs,
    *,
    targets: Sequence[float] = (5.0,),
    runner: CompareRunner | None = None,
    chunk_blocks: int = COMPARE_CHUNK_BLOCKS,
    progress: ChunkProgress | None = None,
) -> tuple[SimulationSummary, ...]:
    """:func:`compare_on_paths` on the paths of ``spec``'s run (its seed), the blocks
    simulated and run through the policies by ``runner`` (default: here). Every block is
    the one :func:`conviction.projection.iter_paths` yields and the parts are kept in block
    order, so the summaries do not depend on the runner."""
    from conviction.projection.engine import normalise_seed

    root = normalise_seed(spec.seed)
    entropy = root.entropy
    if entropy is None:  # pragma: no cover - SeedSequence always fills it
        raise DataError("seed sequence without entropy")
    ent: int | tuple[int, ...] = (
        entropy if isinstance(entropy, int) else tuple(int(e) for e in entropy)
    )
    chosen = tuple(policies)
    tasks = [
        CompareTask(
            spec,
            ent,
            tuple(root.spawn_key),
            b,
            min(spec.n_blocks, b + chunk_blocks),
            chosen,
            inputs,
        )
        for b in range(0, spec.n_blocks, chunk_blocks)
    ]
    sums = [SummaryAccumulator(p.name, inputs.years, targets) for p in chosen]
    done = 0
    for n, parts in enumerate((runner or _Here()).map(compare_chunk, tasks), start=1):
        for summary, (accounts, chunk) in zip(sums, parts, strict=True):
            summary.extend(accounts, chunk)
        done += sum(p[2].shape[0] for p in parts[0][1]) if parts else 0
        if progress is not None:
            progress(n, done)
    return tuple(s.result() for s in sums)
