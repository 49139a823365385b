"""Every metric against quantstats 0.0.86 and empyrical on every real price series.

quantstats ``stats.*`` with rf = 0, periods = 252, compounded is the reference we promise
to agree with to 1e-9 relative; empyrical is checked where its definitions coincide.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import empyrical as ep
import numpy as np
import pandas as pd
import pytest
import quantstats as qs

from conviction.analytics import stats
from conviction.analytics.returns import simple_returns

RTOL = 1e-9

# (our metric, the quantstats metric) with rf = 0, periods = 252, compounded.
QS_PAIRS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "cagr": (stats.cagr, qs.stats.cagr),
    "volatility": (stats.volatility, qs.stats.volatility),
    "sharpe": (stats.sharpe, qs.stats.sharpe),
    "sortino": (stats.sortino, qs.stats.sortino),
    "max_drawdown": (stats.max_drawdown, qs.stats.max_drawdown),
    "calmar": (stats.calmar, qs.stats.calmar),
}

# Where empyrical's definition coincides with ours on a series without gaps.
EP_PAIRS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "cagr": (stats.cagr, ep.cagr),
    "volatility": (stats.volatility, ep.annual_volatility),
    "sharpe": (stats.sharpe, ep.sharpe_ratio),
    "sortino": (stats.sortino, ep.sortino_ratio),
    "max_drawdown": (stats.max_drawdown, ep.max_drawdown),
    "calmar": (stats.calmar, ep.calmar_ratio),
}

SCALAR_METRICS: dict[str, Callable[..., Any]] = {
    "total_return": stats.total_return,
    "cagr": stats.cagr,
    "volatility": stats.volatility,
    "sharpe": stats.sharpe,
    "sortino": stats.sortino,
    "max_drawdown": stats.max_drawdown,
    "calmar": stats.calmar,
    "longest_drawdown": stats.longest_drawdown,
    "current_drawdown": stats.current_drawdown,
    "time_under_water": stats.time_under_water,
}


@pytest.mark.parametrize("metric", list(QS_PAIRS))
def test_metric_matches_quantstats(metric: str, returns: pd.Series) -> None:
    ours, theirs = QS_PAIRS[metric]
    assert ours(returns) == pytest.approx(float(theirs(returns)), rel=RTOL)


@pytest.mark.parametrize("metric", ["sharpe", "sortino"])
def test_risk_free_rate_matches_quantstats(metric: str, returns: pd.Series) -> None:
    ours, theirs = QS_PAIRS[metric]
    assert ours(returns, rf=0.03) == pytest.approx(float(theirs(returns, rf=0.03)), rel=RTOL)


@pytest.mark.parametrize("metric", list(EP_PAIRS))
def test_metric_matches_empyrical_without_gaps(metric: str, returns: pd.Series) -> None:
    ours, theirs = EP_PAIRS[metric]
    assert ours(returns) == pytest.approx(float(theirs(returns)), rel=RTOL)


def test_metrics_from_our_returns_equal_pandas_returns(
    prices: pd.Series, returns: pd.Series
) -> None:
    mine = simple_returns(prices)
    pd.testing.assert_series_equal(mine, returns, check_freq=False, rtol=0, atol=0)


def test_drawdown_series_matches_quantstats(returns: pd.Series) -> None:
    ours = stats.drawdown_series(returns)
    theirs = qs.stats.to_drawdown_series(returns)
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(
        ours.to_numpy(), ep.stats.drawdown_series(returns).to_numpy(), rtol=RTOL, atol=1e-12
    )


def test_drawdown_durations_match_quantstats_drawdown_details(
    returns: pd.Series, ticker: str, quantstats_drawdowns: Callable[[str], Any]
) -> None:
    """Longest and current drawdown, in observations, from quantstats' drawdown periods."""
    dd, _, lengths = quantstats_drawdowns(ticker)
    assert stats.longest_drawdown(returns) == max(lengths)
    ends_under = dd.iloc[-1] < 0
    assert stats.current_drawdown(returns) == (lengths[-1] if ends_under else 0)
    assert stats.time_under_water(returns) == pytest.approx(float((dd < 0).mean()), rel=1e-12)


def test_first_day_loss_counts_in_max_drawdown() -> None:
    """The phantom starting value: a first-day loss is a drawdown (quantstats agrees)."""
    r = pd.Series([-0.1, 0.05, 0.02], index=pd.bdate_range("2024-01-01", periods=3))
    assert stats.max_drawdown(r) == pytest.approx(-0.1, rel=1e-12)
    assert float(qs.stats.max_drawdown(r)) == pytest.approx(-0.1, rel=1e-12)


# --- gaps (NaN): quantstats stats.* skip them; empyrical's CAGR does not ----------------


@pytest.fixture
def gappy(returns: pd.Series) -> pd.Series:
    rng = np.random.default_rng(7)
    holes = rng.choice(len(returns), size=len(returns) // 20, replace=False)
    out = returns.copy()
    out.iloc[holes] = np.nan
    return out


@pytest.mark.parametrize("metric", list(QS_PAIRS))
def test_gaps_are_skipped_like_quantstats(metric: str, gappy: pd.Series) -> None:
    ours, theirs = QS_PAIRS[metric]
    assert ours(gappy) == pytest.approx(float(theirs(gappy)), rel=RTOL)


def test_empyrical_cagr_counts_gap_rows_ours_does_not(gappy: pd.Series) -> None:
    assert stats.cagr(gappy) == pytest.approx(float(ep.cagr(gappy.dropna())), rel=RTOL)
    assert stats.cagr(gappy) != pytest.approx(float(ep.cagr(gappy)), rel=1e-6)


# --- every input kind: 1-D array, Series, 2-D array, DataFrame --------------------------


@pytest.mark.parametrize("metric", list(SCALAR_METRICS))
def test_every_input_kind_gives_the_same_numbers(metric: str, panel: pd.DataFrame) -> None:
    f = SCALAR_METRICS[metric]
    by_frame = f(panel)
    by_array = f(panel.to_numpy())
    assert isinstance(by_frame, pd.Series)
    assert list(by_frame.index) == list(panel.columns)
    np.testing.assert_array_equal(by_frame.to_numpy(), by_array)
    for j, col in enumerate(panel.columns):
        one = f(panel[col])
        assert isinstance(one, float)
        assert one == f(panel[col].to_numpy())
        # Equal up to summation order (numpy sums a column and a 1-D array differently).
        assert one == pytest.approx(by_array[j], rel=1e-12)


@pytest.mark.parametrize("metric", ["cagr", "volatility", "sharpe", "sortino", "calmar"])
def test_panel_columns_equal_each_series_alone(
    metric: str, panel: pd.DataFrame, all_returns: dict[str, pd.Series]
) -> None:
    """Padding a series with NaN (other series' dates) changes nothing."""
    by_frame = SCALAR_METRICS[metric](panel)
    for col, r in all_returns.items():
        assert by_frame[col] == pytest.approx(SCALAR_METRICS[metric](r), rel=1e-12)


def test_drawdown_series_keeps_the_input_kind(panel: pd.DataFrame) -> None:
    frame = stats.drawdown_series(panel)
    assert isinstance(frame, pd.DataFrame) and frame.shape == panel.shape
    np.testing.assert_array_equal(frame.to_numpy(), stats.drawdown_series(panel.to_numpy()))
    col = panel.columns[0]
    np.testing.assert_array_equal(frame[col].to_numpy(), stats.drawdown_series(panel[col]))


# --- edges ------------------------------------------------------------------------------


def test_no_variation_gives_nan_ratios_not_infinities() -> None:
    flat = np.full(10, 0.001)
    assert np.isnan(stats.sharpe(flat))
    assert np.isnan(stats.sortino(flat))  # nothing lost
    assert np.isnan(stats.calmar(flat))  # no drawdown
    assert stats.max_drawdown(flat) == 0.0
    assert stats.longest_drawdown(flat) == 0.0


def test_nothing_observed_gives_nan() -> None:
    empty = np.full((5, 2), np.nan)
    for f in SCALAR_METRICS.values():
        assert np.all(np.isnan(f(empty)))


def test_three_dimensional_input_is_refused() -> None:
    with pytest.raises(ValueError, match="1-D or 2-D"):
        stats.cagr(np.zeros((2, 2, 2)))


def test_wide_row_major_panels_take_the_row_loop_and_agree() -> None:
    """From 64 columns a row-major array is accumulated row by row: same numbers."""
    rng = np.random.default_rng(3)
    x = rng.normal(0.0003, 0.02, (400, 100))
    x[rng.random(x.shape) < 0.05] = np.nan
    x[:50, :10] = np.nan  # accounts that open later
    c, f = np.ascontiguousarray(x), np.asfortranarray(x)
    for name in SCALAR_METRICS:
        metric = SCALAR_METRICS[name]
        by_col = np.array([metric(x[:, j]) for j in range(x.shape[1])])
        np.testing.assert_allclose(metric(c), by_col, rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(metric(f), by_col, rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(stats.drawdown_series(c), stats.drawdown_series(f), rtol=1e-12)
