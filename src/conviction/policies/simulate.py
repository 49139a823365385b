"""Policies side by side on simulated futures: the same engine, fed chunk by chunk.

The paths come from outside (the projection's blocks, or any iterable of arrays shaped
(paths, time, companies)); every policy runs on every chunk, and only per-path summaries
are kept, so memory stays bounded by one chunk whatever the number of paths.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from conviction._typing import BoolArray, Float64Array, FloatArray
from conviction.book.model import Book
from conviction.errors import DataError
from conviction.ledger.valuation import cash, positions, price_history
from conviction.policies.engine import PolicyEngine, Setup
from conviction.policies.spec import Policy
from conviction.policies.summary import SimulationSummary, SummaryAccumulator

__all__ = ["SimulationInputs", "compare_on_paths", "simulation_inputs", "step_dates"]

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
) -> SimulationInputs:
    """Positions, cash and prices of ``book`` on ``as_of`` for simulated ``companies``.

    ``mark_every[c]``: private company c is marked (and can trade) every that many steps
    and on the last one; companies the book marks public trade on every step. Companies
    held but not simulated are appended, at a constant price (see ``flat``).
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
    private = np.array([not book.companies[c].public for c in companies])
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
    )


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
        prices = np.asarray(chunk, dtype=np.float64)
        if inputs.flat:  # held companies the paths leave out: constant
            same = 1.0 if multiples else inputs.start_prices[-len(inputs.flat) :]
            pad = np.broadcast_to(same, (*prices.shape[:2], len(inputs.flat)))
            prices = np.concatenate([prices, pad], axis=2)
        if multiples:
            prices = prices * inputs.start_prices
        for engine, summary in zip(engines, sums, strict=True):
            run = engine.run(
                prices,
                inputs.holdings,
                inputs.cash,
                liquidity=inputs.liquidity,
                values=False,
                trades=False,
            )
            summary.add(run)
        done += prices.shape[0]
        if progress is not None:
            progress(n, done)
    return tuple(s.result() for s in sums)
