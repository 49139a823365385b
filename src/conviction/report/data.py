"""What a report shows, as plain data: assembled from a book and what was run on it.

``report_data`` is pure (no files, no database): the caller reads the book, the theses,
a benchmark price series, runs the projection and the backtests (which take time and
may be cached), and hands them in. Everything the figures and tables need is computed
here once, so the template and the figures only draw.

Conventions: history is valued on the sessions of the book's trading calendar
(``calendar`` in book.toml, XNYS by default; ``ledger.sessions``) from the first
transaction to ``as_of``; the book's return is time-weighted (deposits and withdrawals
taken out, see ``conviction.ledger.returns``). Its statistics are at the frequency of its
marks (``analytics.frequency``: a book of prices marked twice a month gets monthly
statistics, 12 a year, against the benchmark on the same dates); daily statistics count
the calendar's sessions a year (252 on XNYS, quantstats' convention). The CAGR of the
time-weighted return is given both ways: ``cagr_sessions`` (sessions a year) and
``cagr_calendar`` (calendar time, 365.25 days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from conviction._typing import Float64Array
from conviction.analytics import (
    DAILY,
    RollingSummary,
    StatsResult,
    rolling_cagr,
    rolling_distribution,
)
from conviction.book.model import Book
from conviction.errors import DataError
from conviction.ledger.book_status import BookStatus, status
from conviction.ledger.returns import time_weighted_returns
from conviction.ledger.valuation import value_history
from conviction.policies.history import Backtest
from conviction.policies.summary import SimulationSummary
from conviction.projection.result import ProjectionResult
from conviction.theses.book_review import review_book
from conviction.theses.model import Scorecard, Thesis
from conviction.theses.triggers import Review, ReviewSettings

if TYPE_CHECKING:
    from conviction.app.scenario_runs import ScenarioReport
    from conviction.app.sensitivity_runs import SensitivityAnswer
    from conviction.app.tearsheet import TearSheet
    from conviction.app.track_runs import TrackAnswer

__all__ = [
    "HORIZONS",
    "History",
    "PolicyLine",
    "PolicyOutcome",
    "ReportData",
    "RollingWindows",
    "Waterfall",
    "policy_line",
    "policy_outcome",
    "report_data",
]

#: Holding periods (years) of the rolling return distribution; the last is the headline.
HORIZONS: tuple[int, ...] = (1, 3, 5, 10)

#: progress(step done, steps in all, what was just done)
ReportProgress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class History:
    """Value of each account on each business day, and the book's time-weighted index."""

    days: np.ndarray  # datetime64[D]
    accounts: tuple[str, ...]
    values: Float64Array  # (days, accounts)
    flows: Float64Array  # (days, accounts) deposits less withdrawals
    index: Float64Array  # (days,) growth of 1 (time-weighted), 1.0 on the first day
    drawdown: Float64Array  # (days,) index / running peak - 1 (<= 0)
    benchmark_name: str | None = None
    benchmark_index: Float64Array | None = None  # (days,) rebased to 1.0, NaN before its data
    benchmark_drawdown: Float64Array | None = None

    @property
    def total(self) -> Float64Array:
        out: Float64Array = self.values.sum(axis=1)
        return out


@dataclass(frozen=True)
class Waterfall:
    """From money put in to value today: ``start`` + each step = ``end`` (``other`` closes
    the gap: fees and anything not attributed)."""

    start_label: str
    start: float
    labels: tuple[str, ...]
    steps: tuple[float, ...]
    other: float
    end_label: str
    end: float


@dataclass(frozen=True)
class RollingWindows:
    """Annualised returns of every window of ``years`` years, of the book and benchmark."""

    years: int
    book: Float64Array
    benchmark: Float64Array | None


@dataclass(frozen=True)
class PolicyLine:
    """One policy's backtest for the side-by-side view (or why it could not run)."""

    name: str
    description: str
    dates: np.ndarray  # datetime64[D]
    total: Float64Array  # the policy's book value on each step
    hold: Float64Array  # holding the same start
    start_value: float
    end_value: float
    end_if_held: float
    trades: int
    costs: float
    max_drawdown: float
    error: str | None = None
    # the book's flows replayed (policy_answers.BacktestReport.flows): the book as traded
    traded: Float64Array | None = None
    end_as_traded: float | None = None


@dataclass(frozen=True)
class PolicyOutcome:
    """One policy run on the projection's paths: the distribution of the whole book's
    multiple ((final value + withdrawn) / (value today + contributed), cash included)."""

    name: str
    paths: int
    years: float
    target: float
    percentiles: dict[int, float]  # 5, 10, 25, 50, 75, 95
    prob_target: float
    prob_loss: float
    median_cagr: float
    median_max_drawdown: float
    median_trades: float
    median_costs: float


def policy_outcome(summary: SimulationSummary) -> PolicyOutcome:
    """The report's view of ``policies.simulate.compare_on_paths``'s summary."""
    book = summary.book
    target = summary.targets[0]
    return PolicyOutcome(
        name=summary.policy,
        paths=summary.paths,
        years=summary.years,
        target=target,
        percentiles=dict(book.percentiles),
        prob_target=book.prob_target[target],
        prob_loss=book.prob_loss,
        median_cagr=book.median_cagr,
        median_max_drawdown=book.median_max_drawdown,
        median_trades=summary.median_trades,
        median_costs=summary.median_costs,
    )


@dataclass(frozen=True)
class ReportData:
    """Everything one report shows."""

    title: str
    as_of: dt.date
    currency: str
    generated: str
    status: BookStatus
    history: History
    stats: StatsResult
    benchmark_stats: StatsResult | None
    rolling: tuple[RollingSummary, ...]
    benchmark_rolling: tuple[RollingSummary, ...]
    windows: tuple[RollingWindows, ...]
    by_company: Waterfall
    by_person: Waterfall
    company_names: dict[str, str]
    person_names: dict[str, str]
    account_names: dict[str, str]
    settings: ReviewSettings
    theses: tuple[Thesis, ...] = ()
    scorecards: tuple[Scorecard, ...] = ()
    reviews: tuple[Review, ...] = ()
    projection: ProjectionResult | None = None
    projection_name: str | None = None
    policies: tuple[PolicyLine, ...] = ()
    outcomes: tuple[PolicyOutcome, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    track: TrackAnswer | None = None  # the odds at each milestone update (conviction track)
    sensitivity: SensitivityAnswer | None = None  # the tornado (conviction sensitivity)
    scenarios: ScenarioReport | None = None  # base and scenarios (project --scenario)
    tearsheet: TearSheet | None = None  # months, years, drawdowns, contributors (whole history)
    calendar: str = "XNYS"  # the trading calendar whose sessions the history values
    sessions_per_year: int = 252  # a year of the calendar's sessions
    cagr_sessions: float = float("nan")  # the book's TWR a year, sessions_per_year a year
    cagr_calendar: float = float("nan")  # the book's TWR a year, calendar time (365.25 days)


def report_data(
    book: Book,
    as_of: dt.date | None = None,
    *,
    theses: Sequence[Thesis] = (),
    scorecards: Sequence[Scorecard] = (),
    settings: ReviewSettings | None = None,
    benchmark: pd.Series | None = None,
    projection: ProjectionResult | None = None,
    projection_name: str | None = None,
    policies: Sequence[PolicyLine] = (),
    outcomes: Sequence[PolicyOutcome] = (),
    generated: str = "",
    progress: ReportProgress | None = None,
    track: TrackAnswer | None = None,
    sensitivity: SensitivityAnswer | None = None,
    scenarios: ScenarioReport | None = None,
) -> ReportData:
    """Assemble a report of ``book`` on ``as_of`` (default: the book's ``as_of``).

    ``benchmark`` is a price series indexed by date (``io.read_price_csv``), named by
    its ``name``. ``policies`` (backtests on history) come from :func:`policy_line`,
    ``outcomes`` (the same policies on the projection's paths) from :func:`policy_outcome`.
    """
    as_of = as_of or book.meta.as_of
    if as_of is None:
        raise DataError("no date given and the book sets no as_of")
    steps = 4
    done = 0

    def step(what: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps, what)

    settings = settings or ReviewSettings()
    st = status(book, as_of)
    step("status")
    history = _history(book, as_of, benchmark)
    step("history")
    returns = pd.Series(history.index, index=pd.DatetimeIndex(history.days), name="book")
    bench = None
    if history.benchmark_index is not None:
        bench = pd.Series(
            history.benchmark_index, index=pd.DatetimeIndex(history.days), name="benchmark"
        ).dropna()
    from conviction.ledger.sessions import sessions_per_year

    per_year = sessions_per_year(book.meta.calendar)  # 252 on XNYS
    # at the marks' frequency (monthly marks: monthly statistics), benchmark on the same
    # dates: the one definition of the book's statistics (GET /api/v1/stats is the same)
    from conviction.app.stats import index_statistics

    stats, bench_stats = index_statistics(
        returns, bench, periods=per_year, years=HORIZONS, benchmark_name=history.benchmark_name
    )
    windows = _windows(history)
    step("statistics")
    reviews = review_book(
        book, as_of, theses=theses, scorecards=scorecards, settings=settings, book_status=st
    )
    step("reviews")
    net_in = float(history.flows.sum())
    from conviction.app.tearsheet import tear_sheet

    return ReportData(
        title=book.meta.name,
        as_of=as_of,
        currency=st.currency,
        generated=generated,
        status=st,
        history=history,
        stats=stats,
        benchmark_stats=bench_stats,
        rolling=_daily_rolling(history.index, per_year),  # CAGRs: endpoints, not marks
        benchmark_rolling=(
            _daily_rolling(history.benchmark_index, per_year) if bench_stats is not None else ()
        ),
        windows=windows,
        by_company=_waterfall(net_in, [(c.company, c.gain) for c in st.by_company], st.total_value),
        by_person=_waterfall(net_in, [(p.name, p.gain) for p in st.by_person], st.total_value),
        company_names={c.id: c.name for c in book.companies.values()},
        person_names={p.id: p.name for p in book.persons.values()},
        account_names={a.id: a.name for a in book.accounts.values()},
        settings=settings,
        theses=tuple(theses),
        scorecards=tuple(scorecards),
        reviews=reviews,
        projection=projection,
        projection_name=projection_name,
        policies=tuple(policies),
        outcomes=tuple(outcomes),
        notes=_notes(st),
        track=track,
        sensitivity=sensitivity,
        scenarios=scenarios,
        tearsheet=tear_sheet(book, history, st),
        calendar=book.meta.calendar,
        sessions_per_year=per_year,
        cagr_sessions=_annual(history, per_year),
        cagr_calendar=_annual(history, None),
    )


def _daily_rolling(index: Float64Array | None, per_year: int) -> tuple[RollingSummary, ...]:
    """Rolling CAGRs of every window of ``years * per_year`` sessions of a growth index:
    a window's CAGR depends on its two ends only, so marks carried forward between them do
    not bias it (as they bias volatility and beta), and the daily grid gives every window."""
    if index is None:
        return ()
    x = index[np.isfinite(index)]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.diff(x) / x[:-1]
    return rolling_distribution(r, HORIZONS, periods=per_year)


def _annual(history: History, per_year: int | None) -> float:
    """The book's time-weighted return a year: ``per_year`` sessions a year, or (None)
    calendar time, 365.25 days."""
    growth = float(history.index[-1]) if history.index.size else float("nan")
    span = (
        (history.days.size - 1) / per_year
        if per_year
        else int((history.days[-1] - history.days[0]).astype(np.int64)) / 365.25
    )
    if not span > 0 or not growth > 0:
        return float("nan")
    return float(growth ** (1.0 / span) - 1.0)


def _history(book: Book, as_of: dt.date, benchmark: pd.Series | None) -> History:
    tx_days = book.transactions["date"].to_numpy().astype("datetime64[D]")
    if not tx_days.size:
        raise DataError("the book has no transactions to report on")
    from conviction.ledger.sessions import valuation_days

    days = valuation_days(tx_days.min(), as_of, book.meta.calendar)
    vh = value_history(book, days)
    total, flows = vh.value.sum(axis=1), vh.flows.sum(axis=1)
    index = np.cumprod(1.0 + time_weighted_returns(total, flows), dtype=np.float64)
    b_index = b_dd = None
    name = None
    if benchmark is not None and len(benchmark):
        name = str(benchmark.name) if benchmark.name is not None else "benchmark"
        b_index = _rebased(benchmark, days)
        b_dd = _drawdown(b_index)
    return History(
        days=days,
        accounts=vh.accounts,
        values=vh.value,
        flows=vh.flows,
        index=index,
        drawdown=_drawdown(index),
        benchmark_name=name,
        benchmark_index=b_index,
        benchmark_drawdown=b_dd,
    )


def _rebased(prices: pd.Series, days: np.ndarray) -> Float64Array:
    """The benchmark's last price on or before each day, over its first such price."""
    series = prices.sort_index()
    idx = pd.DatetimeIndex(series.index).values.astype("datetime64[D]")
    pos = np.searchsorted(idx, days, side="right") - 1
    values = series.to_numpy(dtype=np.float64)
    out = np.where(pos >= 0, values[np.clip(pos, 0, None)], np.nan)
    first = np.flatnonzero(np.isfinite(out))
    if not first.size:
        raise DataError(f"the benchmark {prices.name!r} has no price in the report's period")
    rebased: Float64Array = out / out[first[0]]
    return rebased


def _drawdown(index: Float64Array) -> Float64Array:
    peak = np.fmax.accumulate(np.where(np.isfinite(index), index, -np.inf))
    with np.errstate(invalid="ignore", divide="ignore"):
        dd: Float64Array = np.where(np.isfinite(index) & (peak > 0), index / peak - 1.0, np.nan)
    return dd


def _windows(history: History) -> tuple[RollingWindows, ...]:
    r = np.diff(history.index) / history.index[:-1]
    b = None
    if history.benchmark_index is not None:
        bi = history.benchmark_index
        with np.errstate(invalid="ignore", divide="ignore"):
            b = np.diff(bi) / bi[:-1]
    out = []
    for years in HORIZONS:
        window = years * DAILY
        book = _finite(rolling_cagr(r, window)) if r.size >= window else np.empty(0)
        bench = None
        if b is not None:
            bench = _finite(rolling_cagr(b, window)) if b.size >= window else np.empty(0)
        out.append(RollingWindows(years, book, bench))
    return tuple(out)


def _finite(values: object) -> Float64Array:
    x = np.asarray(values, dtype=np.float64).ravel()
    out: Float64Array = x[np.isfinite(x)]
    return out


def _waterfall(net_in: float, gains: list[tuple[str, float]], end: float) -> Waterfall:
    total = sum(g for _, g in gains)
    return Waterfall(
        start_label="net money in",
        start=net_in,
        labels=tuple(name for name, _ in gains),
        steps=tuple(float(g) for _, g in gains),
        other=float(end - net_in - total),
        end_label="value today",
        end=float(end),
    )


def _notes(st: BookStatus) -> tuple[str, ...]:
    notes = [
        f"{s.company} is valued at its last {s.kind} mark of {s.last_mark_date} "
        f"({s.age_days} days old, grade {s.grade})"
        for s in st.stale_marks
    ]
    if st.stale_fx:
        notes.append("some currency rates were carried forward from an earlier date")
    return tuple(notes)


def policy_line(name: str, description: str, result: Backtest | str) -> PolicyLine:
    """One policy's backtest for the report, or (``result`` a message) why it failed."""
    if isinstance(result, str):
        empty = np.empty(0)
        nan = float("nan")
        return PolicyLine(
            name,
            description,
            empty.astype("datetime64[D]"),
            empty,
            empty,
            nan,
            nan,
            nan,
            0,
            0.0,
            nan,
            error=result,
        )
    from conviction.app.policy_answers import backtest_report

    answer = backtest_report(result)  # the three lines of `conviction backtest`
    whole = answer.accounts[-1]  # the total

    def totals(rows: Sequence[Mapping[str, str | float]]) -> Float64Array:
        return np.array([float(r["total"]) for r in rows])

    return PolicyLine(
        name=name,
        description=description,
        dates=np.array([str(r["date"]) for r in answer.series], dtype="datetime64[D]"),
        total=totals(answer.series),
        hold=totals(answer.hold_series),
        start_value=whole.start_value,
        end_value=whole.end_value,
        end_if_held=whole.end_value_if_held,
        trades=whole.trades,
        costs=whole.costs,
        max_drawdown=whole.max_drawdown,  # of the time-weighted returns on the sessions, as the CLI
        traded=totals(answer.traded_series) if answer.flows else None,
        end_as_traded=whole.end_value_as_traded,
    )
