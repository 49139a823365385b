"""The answer of ``conviction project`` and of a finished projection job, as a result object.

A ``ProjectionResult`` holds arrays indexed by percentile; a reader wants them labelled:
``{"p5": ..., "p50": ..., "p95": ..., "mean": ...}`` (``mean`` ``null`` where the mean does
not exist, docs/projection.md). ``ProjectionReport`` is that reading, with what of the book
the projection left out, serialised like every answer by ``app.answers``. The core's
``ProjectionResult.to_dict`` (for notebooks) gives the same figures; tests/app holds them
equal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from conviction._typing import Float64Array
    from conviction.app.runs import ProjectedBook
    from conviction.projection.result import ProjectionResult

__all__ = [
    "Cash",
    "CompanyProjection",
    "CompanyTerminal",
    "Estimate",
    "Holdings",
    "ProjectionReport",
    "Terminal",
    "projection_report",
]

#: Percentile label ("p5", "p50", "p97_5", or "mean") -> value; ``null`` where none exists.
Labelled = dict[str, float | None]


@dataclass(frozen=True, slots=True)
class Terminal:
    """The book at the horizon: value and multiple by percentile, and the mean's errors."""

    value: Labelled
    multiple: Labelled
    mean_multiple_se: float | None
    mean_log_multiple: float
    mean_log_multiple_se: float
    mean_note: str | None  # why the mean is null, where it is


@dataclass(frozen=True, slots=True)
class CompanyTerminal:
    value: Labelled
    multiple: Labelled
    mean_log_multiple: float


@dataclass(frozen=True, slots=True)
class CompanyProjection:
    company: str
    start_value: float
    terminal: CompanyTerminal


@dataclass(frozen=True, slots=True)
class Estimate:
    estimate: float
    se: float


@dataclass(frozen=True, slots=True)
class Cash:
    """The book's cash today, the annual rate it earns, and what it is at the horizon."""

    value: float
    rate: float
    at_horizon: float


@dataclass(frozen=True, slots=True)
class Holdings:
    """The projected holdings alone (cash and unprojected holdings left out): the second
    line beside the whole book's figures."""

    start_value: float
    multiple: Labelled
    prob_target: Estimate


@dataclass(frozen=True)
class ProjectionReport:
    """A projection of the whole book: ``start_value``, ``terminal``, ``prob_target``,
    ``cagr`` and ``fan`` count the projected holdings, the held companies the file does not
    model (``unprojected``, kept at today's value) and ``cash`` (earning its rate);
    ``holdings`` is the projected holdings alone; ``max_drawdown`` is theirs. ``fan`` rows
    are ``{"year": 0, "p5": value, ...}``, one per year end."""

    paths: int
    years: int
    steps_per_year: int
    seed: int | None
    start_value: float
    target_multiple: float
    terminal: Terminal
    prob_target: Estimate
    required_cagr: float
    cagr: Labelled
    max_drawdown: Labelled
    fan: tuple[dict[str, int | float | None], ...]
    companies: tuple[CompanyProjection, ...]
    summary: str
    backend: str
    cash: Cash
    unprojected: float
    holdings: Holdings
    as_of: dt.date
    currency: str
    config: str
    not_projected: tuple[str, ...]  # held companies the projection does not model

    def to_frame(self, by: str = "terminal") -> pd.DataFrame:
        """A DataFrame of one table: ``terminal`` (default), ``fan`` or ``companies``."""
        from conviction.app.frames import projection_frame

        return projection_frame(self, by)

    def _repr_html_(self) -> str:
        from conviction.app.frames import projection_html

        return projection_html(self)


def _label(q: float) -> str:
    return f"p{q:g}".replace(".", "_")


def _pcts(r: ProjectionResult, values: Float64Array) -> Labelled:
    return {_label(q): float(v) for q, v in zip(r.percentiles, values, strict=True)}


def projection_report(run: ProjectedBook) -> ProjectionReport:
    """The labelled reading of a projection of the book."""
    from conviction.projection.result import NO_MEAN_NOTE

    r = run.result
    start, mean = r.start_value, r.mean_multiple
    held = r.terminal_multiple if r.holdings_multiple is None else r.holdings_multiple
    companies = []
    for i, cid in enumerate(r.companies):
        sv = float(r.start_values[i])
        cmean = r.company_mean_multiple[i]
        companies.append(
            CompanyProjection(
                company=cid,
                start_value=sv,
                terminal=CompanyTerminal(
                    value={
                        **_pcts(r, r.company_multiple[i] * sv),
                        "mean": None if cmean is None else cmean * sv,
                    },
                    multiple={**_pcts(r, r.company_multiple[i]), "mean": cmean},
                    mean_log_multiple=float(r.company_mean_log_multiple[i]),
                ),
            )
        )
    return ProjectionReport(
        paths=r.paths,
        years=r.years,
        steps_per_year=r.steps_per_year,
        seed=r.seed,
        start_value=start,
        target_multiple=r.target_multiple,
        terminal=Terminal(
            value={**_pcts(r, r.terminal_value), "mean": None if mean is None else mean * start},
            multiple={**_pcts(r, r.terminal_multiple), "mean": mean},
            mean_multiple_se=r.mean_multiple_se,
            mean_log_multiple=r.mean_log_multiple,
            mean_log_multiple_se=r.mean_log_multiple_se,
            mean_note=NO_MEAN_NOTE if mean is None else None,
        ),
        prob_target=Estimate(r.prob_target, r.prob_target_se),
        required_cagr=r.required_cagr,
        cagr=_pcts(r, r.cagr),
        max_drawdown=_pcts(r, r.max_drawdown),
        fan=tuple({"year": y, **_pcts(r, r.fan[y] * start)} for y in range(r.years + 1)),
        companies=tuple(companies),
        summary=r.summary,
        backend=r.backend,
        cash=Cash(r.cash, r.cash_rate, r.cash_at_horizon),
        unprojected=r.unprojected,
        holdings=Holdings(
            start_value=r.holdings_value,
            multiple=_pcts(r, held),
            prob_target=Estimate(
                r.prob_target if r.holdings_prob_target is None else r.holdings_prob_target,
                r.prob_target_se
                if r.holdings_prob_target_se is None
                else r.holdings_prob_target_se,
            ),
        ),
        as_of=run.as_of,
        currency=run.currency,
        config=run.config,
        not_projected=run.not_projected,
    )
