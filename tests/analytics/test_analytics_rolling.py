"""Rolling windows: generated from the plain metrics, checked against direct evaluation,
quantstats' rolling Sharpe/volatility and numpy's percentiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import quantstats as qs

from conviction.analytics import rolling, stats


@pytest.mark.parametrize("years", [1, 3, 10])
def test_fast_rolling_cagr_equals_the_plain_metric_rolled(returns: pd.Series, years: int) -> None:
    window = years * 252
    fast = rolling.rolling_cagr(returns, window)
    plain = rolling.roll(stats.cagr, returns, window)
    assert fast.index.equals(plain.index)
    np.testing.assert_allclose(fast.to_numpy(), plain.to_numpy(), rtol=1e-9, atol=1e-12)


def test_rolling_windows_equal_quantstats_on_the_slice(returns: pd.Series) -> None:
    window = 756
    rolled = rolling.rolling_cagr(returns, window)
    assert len(rolled) == len(returns) - window + 1
    for i in np.linspace(0, len(rolled) - 1, 5).astype(int):
        piece = returns.iloc[i : i + window]
        assert rolled.index[i] == piece.index[-1]
        assert rolled.iloc[i] == pytest.approx(float(qs.stats.cagr(piece)), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("ticker", ["TSLA", "SPY"])
def test_rolling_sharpe_and_volatility_match_quantstats(returns: pd.Series) -> None:
    ours = rolling.rolling_sharpe(returns, 126)
    theirs = qs.stats.rolling_sharpe(returns, rolling_period=126).iloc[125:]
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-9)
    vol = rolling.rolling_volatility(returns, 126)
    np.testing.assert_allclose(
        vol.to_numpy(), qs.stats.rolling_volatility(returns, 126).iloc[125:].to_numpy(), rtol=1e-9
    )


def test_rolling_max_drawdown_is_max_drawdown_of_each_window(returns: pd.Series) -> None:
    window = 252
    rolled = rolling.rolling_max_drawdown(returns.iloc[:2000], window)
    for i in (0, 500, len(rolled) - 1):
        piece = returns.iloc[i : i + window]
        assert rolled.iloc[i] == pytest.approx(float(qs.stats.max_drawdown(piece)), rel=1e-9)


def test_rolling_on_a_panel_equals_each_column(panel: pd.DataFrame) -> None:
    window = 504
    by_frame = rolling.rolling_cagr(panel, window)
    via_roll = rolling.roll(stats.cagr, panel, window)
    np.testing.assert_allclose(by_frame.to_numpy(), via_roll.to_numpy(), rtol=1e-9, atol=1e-12)
    for col in panel.columns:
        alone = rolling.rolling_cagr(panel[col], window)
        np.testing.assert_array_equal(by_frame[col].to_numpy(), alone.to_numpy())


def test_incomplete_windows_are_nan_unless_min_count_allows() -> None:
    r = np.full(30, 0.01)
    r[10] = np.nan
    strict = rolling.rolling_cagr(r, 5)
    assert np.isnan(strict[6:11]).all() and not np.isnan(strict[:6]).any()
    loose = rolling.rolling_cagr(r, 5, min_count=4)
    assert not np.isnan(loose).any()
    np.testing.assert_allclose(loose, rolling.roll(stats.cagr, r, 5, min_count=4), rtol=1e-12)


def test_a_total_loss_falls_back_to_the_plain_route() -> None:
    r = np.array([0.1, -1.0, 0.2, 0.1, 0.05, 0.3])
    np.testing.assert_array_equal(rolling.rolling_cagr(r, 3), rolling.roll(stats.cagr, r, 3))


def test_distribution_summarises_every_window(returns: pd.Series) -> None:
    summaries = rolling.rolling_distribution(returns, (1, 3, 5, 10))
    for s in summaries:
        vals = rolling.rolling_cagr(returns, s.window).to_numpy()
        assert s.window == round(s.years * 252)
        assert s.count == max(len(returns) - s.window + 1, 0) == vals.size
        assert s.median == pytest.approx(float(np.median(vals)), rel=1e-12)
        assert s.p5 == pytest.approx(float(np.percentile(vals, 5)), rel=1e-12)
        assert (s.min, s.max) == (vals.min(), vals.max())
        assert s.share_negative == float(np.mean(vals < 0))
        assert s.min <= s.p5 <= s.p25 <= s.median <= s.p75 <= s.p95 <= s.max


def test_distribution_of_a_short_series_is_empty() -> None:
    (s,) = rolling.rolling_distribution(np.full(100, 0.001), (1,))
    assert s.count == 0 and np.isnan(s.median)


def test_bad_windows_are_refused() -> None:
    with pytest.raises(ValueError, match="window"):
        rolling.rolling_cagr(np.zeros(10), 0)
    with pytest.raises(ValueError, match="min_count"):
        rolling.roll(stats.cagr, np.zeros(10), 3, min_count=4)


def test_generated_functions_say_what_they_roll() -> None:
    assert rolling.rolling_sharpe.__name__ == "rolling_sharpe"
    assert "Sharpe" in (rolling.rolling_sharpe.__doc__ or "")
