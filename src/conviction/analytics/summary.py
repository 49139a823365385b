"""Every statistic of one series in one frozen result, and the same for many columns.

``summarize`` is what ``conviction stats`` prints; ``summary_frame`` gives the scalar
metrics of many columns (accounts, simulated paths) at once, vectorised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from conviction.analytics._kernels import Prepared
from conviction.analytics._shape import ArrayLike2, as_2d
from conviction.analytics.benchmark import BenchmarkComparison, align, compare
from conviction.analytics.frequency import (
    FREQUENCIES,
    Frequency,
    MarksFrequency,
    at_frequency,
    frequency_gaps,
    marks_frequency,
    too_sparse,
)
from conviction.analytics.periods import DAILY, PERIODS_PER_YEAR, year_convention
from conviction.analytics.returns import DataKind, to_returns, wealth_index
from conviction.analytics.rolling import RollingSummary, rolling_distribution
from conviction.analytics.stale import (
    DesmoothMethod,
    DesmoothReport,
    StaleReport,
    desmoothed_stats,
    staleness,
)
from conviction.errors import DataError

__all__ = ["StatsResult", "summarize", "summary_frame"]


@dataclass(frozen=True)
class StatsResult:
    """The statistics of one return series.

    Annualised figures count ``periods`` observations per year (``year_convention``):
    observations, not calendar days. Drawdown durations are in observations.
    ``observations`` counts returns (one fewer than prices).
    """

    name: str | None
    kind: DataKind
    periods: float
    start: date | None
    end: date | None
    observations: int
    years: float
    total_return: float
    cagr: float
    volatility: float
    sharpe: float
    sortino: float
    max_drawdown: float
    calmar: float
    longest_drawdown: int
    longest_drawdown_start: date | None
    longest_drawdown_end: date | None
    current_drawdown: int
    time_under_water: float
    rf: float
    rolling: tuple[RollingSummary, ...]
    staleness: StaleReport
    benchmark: BenchmarkComparison | None = None
    desmoothed: DesmoothReport | None = None
    frequency: Frequency = "daily"  # the returns the statistics are of
    marks: MarksFrequency | None = None  # how often the series is really marked
    warnings: tuple[str, ...] = ()

    @property
    def year_convention(self) -> str:
        return year_convention(self.periods, self.frequency)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (nested dicts) for JSON, with the year convention stated."""
        out = dataclasses.asdict(self)
        out["year_convention"] = self.year_convention
        return out


def _date(index: pd.Index | None, i: int) -> date | None:
    if isinstance(index, pd.DatetimeIndex) and 0 <= i < len(index):
        return index[i].date()
    return None


def summarize(
    data: ArrayLike2,
    benchmark: ArrayLike2 | None = None,
    *,
    kind: DataKind,
    periods: float = DAILY,
    rf: float = 0.0,
    years: Sequence[float] = (1, 3, 5, 10),
    desmooth: DesmoothMethod | None = None,
    lags: int = 2,
    name: str | None = None,
    frequency: Frequency | Literal["auto"] = "daily",
) -> StatsResult:
    """All statistics of one series of ``kind`` "prices" or "returns" (never guessed).

    ``benchmark`` (same ``kind``) is compared over the dates both have: prices are
    aligned before returns are taken, so each return spans the same dates on both sides.
    ``desmooth`` adds volatility and Sharpe of the desmoothed series ("geltner" or
    "gml" with ``lags``). Raises ``ValueError`` for 2-D data (use ``summary_frame``) and
    ``DataError`` when the benchmark shares no dates with the series.

    ``frequency`` (prices indexed by date): ``"daily"`` takes a return between every two
    rows, annualised with ``periods``, and warns (``warnings``) when the marks are rarer
    than daily (forward-filled marks); ``"auto"`` uses the frequency of the marks
    (``frequency.marks_frequency``); ``"weekly"``, ``"monthly"``... take the series and the
    benchmark at the end of each period, on the same dates, annualised with 52, 12...
    observations a year, and raise ``DataError`` (naming the series and the dates) when a
    period has no mark.
    """
    s = as_2d(data)
    if not s.one_d:
        raise ValueError("summarize takes one series; use summary_frame for 2-D data")
    if name is None and isinstance(data, pd.Series) and data.name is not None:
        name = str(data.name)
    used, marks, warnings = _frequency(data, kind, frequency, name)
    if frequency == "auto" and kind == "prices" and _dated(benchmark):
        assert isinstance(benchmark, pd.Series)
        theirs = marks_frequency(benchmark).frequency
        if FREQUENCIES.index(theirs) > FREQUENCIES.index(used):
            # both series on the same dates: at the sparser one's frequency
            used, warnings = theirs, ()
    if used != "daily":
        assert isinstance(data, pd.Series)  # checked by _frequency
        bench_prices = benchmark if isinstance(benchmark, pd.Series) else None
        if benchmark is not None and bench_prices is None:
            raise ValueError("a benchmark at a frequency must be a Series of prices by date")
        data, benchmark = at_frequency(data, used, bench_prices)
        periods = PERIODS_PER_YEAR[used]
        s = as_2d(data)
    returns = to_returns(data, kind=kind)
    r = as_2d(returns)
    x = r.values
    prep = Prepared(x)
    runs = prep.runs[:, 0]
    longest = int(runs.max()) if runs.size else 0
    end_at = int(np.argmax(runs)) if longest else -1
    n = int(prep.n[0])
    comparison = None
    if benchmark is not None:
        mine, theirs = align(data, benchmark)
        if len(mine) < (2 if kind == "prices" else 1):
            raise DataError("the series and its benchmark have no common dates to compare on")
        comparison = compare(
            to_returns(mine, kind=kind), to_returns(theirs, kind=kind), periods=periods, name=name
        )
    return StatsResult(
        name=name,
        kind=kind,
        periods=float(periods),
        start=_date(s.index, 0),
        end=_date(s.index, len(s.values) - 1),
        observations=n,
        years=n / periods,
        total_return=float(prep.total_return()[0]),
        cagr=float(prep.cagr(periods)[0]),
        volatility=float(prep.volatility(periods)[0]),
        sharpe=float(prep.sharpe(rf, periods)[0]),
        sortino=float(prep.sortino(rf, periods)[0]),
        max_drawdown=float(prep.max_drawdown()[0]),
        calmar=float(prep.calmar(periods)[0]),
        longest_drawdown=longest,
        longest_drawdown_start=_date(r.index, end_at - longest + 1) if longest else None,
        longest_drawdown_end=_date(r.index, end_at) if longest else None,
        current_drawdown=int(runs[-1]) if runs.size else 0,
        time_under_water=float(prep.time_under_water()[0]),
        rf=float(rf),
        rolling=rolling_distribution(x[:, 0], years, periods=periods),
        staleness=staleness(returns),
        benchmark=comparison,
        desmoothed=(
            None
            if desmooth is None
            else desmoothed_stats(x[:, 0], desmooth, lags=lags, rf=rf, periods=periods)
        ),
        frequency=used,
        marks=marks,
        warnings=warnings,
    )


def _dated(series: object) -> bool:
    return isinstance(series, pd.Series) and isinstance(series.index, pd.DatetimeIndex)


def _frequency(
    data: ArrayLike2, kind: DataKind, asked: Frequency | Literal["auto"], name: str | None
) -> tuple[Frequency, MarksFrequency | None, tuple[str, ...]]:
    """(the frequency to compute at, the marks' frequency, warnings)."""
    dated = isinstance(data, pd.Series) and isinstance(data.index, pd.DatetimeIndex)
    if not dated:
        if asked != "daily":
            raise ValueError(f"frequency {asked!r} needs a Series of prices indexed by date")
        return "daily", None, ()
    assert isinstance(data, pd.Series)
    if kind not in ("prices", "returns"):
        return "daily", None, ()  # to_returns says what kind is
    prices = data if kind == "prices" else wealth_index(data.astype(np.float64).fillna(0.0))
    if kind != "prices" and asked != "daily":
        raise ValueError(f"frequency {asked!r} needs prices (kind='prices'), not returns")
    found = marks_frequency(prices)
    used: Frequency = found.frequency if asked == "auto" else asked
    if asked != "auto" and asked != "daily":
        gaps = frequency_gaps(prices, used)
        if gaps:
            raise too_sparse(name, found, used, gaps)
    warnings: tuple[str, ...] = ()
    if used == "daily" and found.frequency != "daily":
        warnings = (
            f"{name or 'the series'}: its marks are {found.describe()}, yet these are daily "
            "statistics of forward-filled marks (zero returns between marks): volatility, "
            f"drawdowns, beta and correlation are understated; use {found.frequency} "
            "statistics (frequency auto)",
        )
    return used, found, warnings


#: The columns of ``summary_frame``, in order.
FRAME_METRICS = (
    "observations",
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "longest_drawdown",
    "current_drawdown",
    "time_under_water",
)


def summary_frame(
    data: ArrayLike2, *, kind: DataKind, periods: float = DAILY, rf: float = 0.0
) -> pd.DataFrame:
    """The scalar statistics of every column of ``data``: one row per column.

    Vectorised over columns (one pass per metric, no loop over columns); the values equal
    the plain metrics applied column by column. Column names come from a DataFrame, else
    0..n-1. Annualised with ``periods`` observations per year.
    """
    s = as_2d(data)
    p = Prepared(as_2d(to_returns(data, kind=kind)).values)
    cols = {
        "observations": p.n,
        "total_return": p.total_return(),
        "cagr": p.cagr(periods),
        "volatility": p.volatility(periods),
        "sharpe": p.sharpe(rf, periods),
        "sortino": p.sortino(rf, periods),
        "max_drawdown": p.max_drawdown(),
        "calmar": p.calmar(periods),
        "longest_drawdown": p.longest_drawdown(),
        "current_drawdown": p.current_drawdown(),
        "time_under_water": p.time_under_water(),
    }
    index = s.columns if s.columns is not None else pd.RangeIndex(p.x.shape[1])
    frame = pd.DataFrame(cols, index=index, columns=list(FRAME_METRICS))
    frame.attrs["year_convention"] = year_convention(periods)
    return frame
