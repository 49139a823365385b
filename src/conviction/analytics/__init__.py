"""Return analytics: pure, stateless functions over returns (the empyrical pattern).

Every metric takes a 1-D array, a 2-D (time, columns) array, a Series or a DataFrame of
**returns** and answers per column; ``simple_returns`` turns prices into returns, and
``summarize`` takes either, said explicitly with ``kind=``. Annualised figures count
``periods`` observations per year (``DAILY = 252``), never calendar days. The
definitions agree with quantstats 0.0.86 (rf = 0, periods = 252, compounded); see
docs/analytics.md.

    periods     annualisation constants
    returns     prices -> returns, wealth index
    stats       cagr, volatility, sharpe, sortino, drawdowns, time under water
    rolling     rolling windows generated from the plain metrics; return distributions
    benchmark   beta, alpha, correlation, tracking error, information ratio, capture
    stale       stale-mark flags, Geltner and Getmansky-Lo-Makarov desmoothing
    summary     summarize (one series) and summary_frame (many columns)
"""

from conviction.analytics.benchmark import (
    BenchmarkComparison,
    align,
    alpha,
    beta,
    compare,
    correlation,
    down_capture,
    excess_cagr,
    information_ratio,
    tracking_error,
    up_capture,
)
from conviction.analytics.periods import DAILY, MONTHLY, QUARTERLY, WEEKLY, YEARLY
from conviction.analytics.returns import DataKind, simple_returns, to_returns, wealth_index
from conviction.analytics.rolling import (
    RollingSummary,
    roll,
    rolling_cagr,
    rolling_distribution,
    rolling_max_drawdown,
    rolling_sharpe,
    rolling_sortino,
    rolling_volatility,
)
from conviction.analytics.stale import (
    DesmoothMethod,
    DesmoothReport,
    StaleReport,
    desmooth,
    desmoothed_stats,
    geltner,
    gml,
    gml_weights,
    lag1_autocorrelation,
    staleness,
    zero_return_share,
)
from conviction.analytics.stats import (
    cagr,
    calmar,
    current_drawdown,
    drawdown_series,
    longest_drawdown,
    max_drawdown,
    sharpe,
    sortino,
    time_under_water,
    total_return,
    volatility,
)
from conviction.analytics.summary import StatsResult, summarize, summary_frame

__all__ = [
    "DAILY",
    "MONTHLY",
    "QUARTERLY",
    "WEEKLY",
    "YEARLY",
    "BenchmarkComparison",
    "DataKind",
    "DesmoothMethod",
    "DesmoothReport",
    "RollingSummary",
    "StaleReport",
    "StatsResult",
    "align",
    "alpha",
    "beta",
    "cagr",
    "calmar",
    "compare",
    "correlation",
    "current_drawdown",
    "desmooth",
    "desmoothed_stats",
    "down_capture",
    "drawdown_series",
    "excess_cagr",
    "geltner",
    "gml",
    "gml_weights",
    "information_ratio",
    "lag1_autocorrelation",
    "longest_drawdown",
    "max_drawdown",
    "roll",
    "rolling_cagr",
    "rolling_distribution",
    "rolling_max_drawdown",
    "rolling_sharpe",
    "rolling_sortino",
    "rolling_volatility",
    "sharpe",
    "simple_returns",
    "sortino",
    "staleness",
    "summarize",
    "summary_frame",
    "time_under_water",
    "to_returns",
    "total_return",
    "tracking_error",
    "up_capture",
    "volatility",
    "wealth_index",
    "zero_return_share",
]
