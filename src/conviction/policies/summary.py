"""Summaries of a policy over many simulated paths, gathered chunk by chunk.

Each chunk's :class:`~conviction.policies.results.PolicyRun` leaves one multiple and one
max drawdown per path and account (8 bytes each), so a million paths cost megabytes, not
the (paths, time, companies) cube. Percentiles are then exact, not sketched.

The multiple is (final value + withdrawn) / (initial value + contributed): with no flows,
final / initial. Means of the multiple are not reported: under fat-tailed returns they
need not exist (see REFERENCES.md); the mean of the log multiple is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from conviction._typing import Float64Array
from conviction.policies.results import PolicyRun

__all__ = ["PERCENTILES", "Outcome", "SimulationSummary", "SummaryAccumulator", "outcome"]

PERCENTILES: tuple[int, ...] = (5, 10, 25, 50, 75, 95)


@dataclass(frozen=True)
class Outcome:
    """The distribution of one account's (or the whole book's) multiple over the paths.

    ``prob_target[k]``: P(multiple >= k). ``worst_decile``: the 10th percentile;
    ``worst_decile_mean``: the mean multiple of the paths at or below it.
    ``median_cagr``: median multiple ** (1 / years) - 1 (calendar years of the run).
    """

    name: str
    paths: int
    median: float
    mean_log: float
    percentiles: dict[int, float]
    prob_target: dict[float, float]
    prob_loss: float
    worst_decile: float
    worst_decile_mean: float
    median_cagr: float
    median_max_drawdown: float


def outcome(
    name: str,
    multiples: Float64Array,
    max_drawdown: Float64Array,
    *,
    years: float,
    targets: Sequence[float],
) -> Outcome:
    """Summarise multiples (paths,) and max drawdowns (paths,) of one account or the book."""
    m = np.asarray(multiples, dtype=np.float64)
    m = m[np.isfinite(m)]
    if m.size == 0:
        nan = float("nan")
        return Outcome(name, 0, nan, nan, {}, {}, nan, nan, nan, nan, nan)
    pct = np.percentile(m, PERCENTILES)
    p10 = float(np.percentile(m, 10))
    median = float(np.median(m))
    with np.errstate(divide="ignore"):
        logs = np.log(m)
    return Outcome(
        name=name,
        paths=int(m.size),
        median=median,
        mean_log=float(logs.mean()),
        percentiles={q: float(v) for q, v in zip(PERCENTILES, pct, strict=True)},
        prob_target={float(k): float((m >= k).mean()) for k in targets},
        prob_loss=float((m < 1.0).mean()),
        worst_decile=p10,
        worst_decile_mean=float(m[m <= p10].mean()),
        median_cagr=float(median ** (1.0 / years) - 1.0) if years > 0 and median > 0 else 0.0,
        median_max_drawdown=float(np.median(max_drawdown)),
    )


@dataclass(frozen=True)
class SimulationSummary:
    """A policy over all paths: the book as a whole and each account."""

    policy: str
    paths: int
    years: float
    targets: tuple[float, ...]
    book: Outcome
    accounts: tuple[Outcome, ...]
    median_costs: float  # trading costs over the run, as a fraction of the initial book value
    median_trades: float  # trades per path, whole book


class SummaryAccumulator:
    """Collect chunk results of one policy, then :meth:`result` the summary."""

    def __init__(self, policy: str, years: float, targets: Sequence[float] = (5.0,)) -> None:
        self.policy = policy
        self.years = years
        self.targets = tuple(float(t) for t in targets)
        self._accounts: tuple[str, ...] | None = None
        self._parts: list[tuple[Float64Array, ...]] = []

    def add(self, run: PolicyRun) -> None:
        """Keep this chunk's per-path multiples and drawdowns (O(paths x accounts))."""
        self.extend(run.accounts, [self.part(run)])

    @staticmethod
    def part(run: PolicyRun) -> tuple[Float64Array, ...]:
        """What :meth:`add` keeps of a chunk's run (what a worker sends back)."""
        initial = run.initial_values.sum(axis=1)
        costs = np.divide(
            run.costs.sum(axis=1), initial, out=np.zeros_like(initial), where=initial > 0
        )
        return (
            run.multiples(),
            run.max_drawdown,
            run.book_multiples(),
            run.book_max_drawdown,
            costs,
            run.n_trades.sum(axis=1).astype(np.float64),
        )

    def extend(self, accounts: tuple[str, ...], parts: Sequence[tuple[Float64Array, ...]]) -> None:
        """Keep parts made by :meth:`part`, in path order, of runs over ``accounts``."""
        self._accounts = accounts
        self._parts.extend(parts)

    def result(self) -> SimulationSummary:
        if not self._parts or self._accounts is None:
            raise ValueError("no chunk was added")
        acc_m, acc_dd, book_m, book_dd, costs, trades = (
            np.concatenate(arrays) for arrays in zip(*self._parts, strict=True)
        )
        each = tuple(
            outcome(name, acc_m[:, i], acc_dd[:, i], years=self.years, targets=self.targets)
            for i, name in enumerate(self._accounts)
        )
        return SimulationSummary(
            policy=self.policy,
            paths=int(book_m.size),
            years=self.years,
            targets=self.targets,
            book=outcome("book", book_m, book_dd, years=self.years, targets=self.targets),
            accounts=each,
            median_costs=float(np.median(costs)),
            median_trades=float(np.median(trades)),
        )
