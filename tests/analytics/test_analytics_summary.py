"""summarize (one series) and summary_frame (many columns) collect the plain metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import quantstats as qs

from conviction.analytics import benchmark as bm
from conviction.analytics import rolling, stale, stats
from conviction.analytics.summary import StatsResult, summarize, summary_frame
from conviction.errors import DataError


def test_summary_of_prices_agrees_with_quantstats(prices: pd.Series, returns: pd.Series) -> None:
    res = summarize(prices, kind="prices")
    assert res.observations == len(returns)
    assert res.years == len(returns) / 252
    assert res.start == prices.index[0].date() and res.end == prices.index[-1].date()
    assert res.cagr == pytest.approx(float(qs.stats.cagr(returns)), rel=1e-9)
    assert res.volatility == pytest.approx(float(qs.stats.volatility(returns)), rel=1e-9)
    assert res.sharpe == pytest.approx(float(qs.stats.sharpe(returns)), rel=1e-9)
    assert res.sortino == pytest.approx(float(qs.stats.sortino(returns)), rel=1e-9)
    assert res.max_drawdown == pytest.approx(float(qs.stats.max_drawdown(returns)), rel=1e-9)
    assert res.calmar == pytest.approx(float(qs.stats.calmar(returns)), rel=1e-9)
    assert res.year_convention == "252 observations per year (observations, not calendar days)"


def test_summary_of_returns_equals_summary_of_prices(prices: pd.Series, returns: pd.Series) -> None:
    a = summarize(prices, kind="prices")
    b = summarize(returns, kind="returns")
    for field in ("cagr", "volatility", "sharpe", "max_drawdown", "longest_drawdown"):
        assert getattr(a, field) == getattr(b, field)
    assert a.rolling == b.rolling


def test_longest_drawdown_dates_match_quantstats_details(
    returns: pd.Series, ticker: str, quantstats_drawdowns: Callable[[str], Any]
) -> None:
    res = summarize(returns, kind="returns")
    _, details, lengths = quantstats_drawdowns(ticker)
    row = details.iloc[int(np.argmax(lengths))]
    assert str(res.longest_drawdown_start) == row["start"]
    assert str(res.longest_drawdown_end) == row["end"]


def test_summary_parts_are_the_library_functions(
    all_prices: dict[str, pd.Series], all_returns: dict[str, pd.Series]
) -> None:
    res = summarize(all_prices["TSLA"], all_prices["SPY"], kind="prices", desmooth="geltner")
    r = all_returns["TSLA"]
    assert isinstance(res, StatsResult) and res.name == "TSLA"
    assert res.rolling == rolling.rolling_distribution(r)
    assert res.staleness == stale.staleness(r)
    assert res.desmoothed == stale.desmoothed_stats(r.to_numpy(), "geltner")
    pa, pb = bm.align(all_prices["TSLA"], all_prices["SPY"])
    expected = bm.compare(
        pa.pct_change(fill_method=None).iloc[1:], pb.pct_change(fill_method=None).iloc[1:],
        name="TSLA",
    )  # fmt: skip
    assert res.benchmark == expected


def test_to_dict_is_plain_data_with_the_convention(all_prices: dict[str, pd.Series]) -> None:
    d = summarize(all_prices["SPY"], kind="prices").to_dict()
    assert d["year_convention"].startswith("252 observations per year")
    assert isinstance(d["rolling"][0], dict) and d["benchmark"] is None


def test_summary_frame_equals_the_plain_metrics(panel: pd.DataFrame) -> None:
    frame = summary_frame(panel, kind="returns")
    assert list(frame.index) == list(panel.columns)
    for name in ("cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar",
                 "longest_drawdown", "current_drawdown", "time_under_water"):  # fmt: skip
        np.testing.assert_allclose(
            frame[name].to_numpy(), getattr(stats, name)(panel).to_numpy(), rtol=1e-12
        )
    assert frame.attrs["year_convention"].startswith("252")


def test_no_guessing_of_prices_or_returns(prices: pd.Series) -> None:
    with pytest.raises(ValueError, match="kind"):
        summarize(prices, kind="guess")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="summary_frame"):
        summarize(pd.DataFrame({"a": prices}), kind="prices")


def test_benchmark_without_common_dates_is_an_error(all_prices: dict[str, pd.Series]) -> None:
    early = all_prices["GSPC"].loc[:"1950-01-01"]
    with pytest.raises(DataError, match="no common dates"):
        summarize(all_prices["SPY"], early, kind="prices")
