"""Benchmark comparison against quantstats' greeks/information ratio and empyrical."""

from __future__ import annotations

import empyrical as ep
import numpy as np
import pandas as pd
import pytest
import quantstats as qs

from conviction.analytics import benchmark as bm
from conviction.analytics import stats

RTOL = 1e-9
PAIRS = [("TSLA", "SPY"), ("TSLA", "GSPC"), ("AAPL", "GSPC"), ("AMZN", "QQQ"), ("MSFT", "SPY")]


@pytest.fixture(params=PAIRS, ids=["/".join(p) for p in PAIRS])
def paired(
    request: pytest.FixtureRequest, all_prices: dict[str, pd.Series]
) -> tuple[pd.Series, pd.Series]:
    """Returns of a stock and its benchmark, prices aligned on common dates first."""
    a, b = request.param
    pa, pb = bm.align(all_prices[a], all_prices[b])
    return pa.pct_change(fill_method=None).iloc[1:], pb.pct_change(fill_method=None).iloc[1:]


def test_align_keeps_only_common_dates(all_prices: dict[str, pd.Series]) -> None:
    a, b = bm.align(all_prices["AAPL"], all_prices["GSPC"])
    assert a.index.equals(b.index)
    assert a.index.equals(all_prices["AAPL"].index.intersection(all_prices["GSPC"].index))


def test_beta_and_alpha_match_quantstats_greeks(paired: tuple[pd.Series, pd.Series]) -> None:
    r, b = paired
    greeks = qs.stats.greeks(r, b)
    assert bm.beta(r, b) == pytest.approx(float(greeks["beta"]), rel=RTOL)
    assert bm.alpha(r, b) == pytest.approx(float(greeks["alpha"]), rel=RTOL)


def test_beta_matches_empyrical_and_alpha_is_its_arithmetic_form(
    paired: tuple[pd.Series, pd.Series],
) -> None:
    r, b = paired
    assert bm.beta(r, b) == pytest.approx(float(ep.beta(r, b)), rel=RTOL)
    # empyrical compounds the per-period alpha; ours annualises it arithmetically.
    compounded = (1 + bm.alpha(r, b) / 252) ** 252 - 1
    assert compounded == pytest.approx(float(ep.alpha(r, b)), rel=RTOL)


def test_information_ratio_is_the_annualised_quantstats_ratio(
    paired: tuple[pd.Series, pd.Series],
) -> None:
    r, b = paired
    ours = bm.information_ratio(r, b)
    assert ours == pytest.approx(float(qs.stats.information_ratio(r, b)) * np.sqrt(252), rel=RTOL)
    assert ours == pytest.approx(float(ep.excess_sharpe(r, b)) * np.sqrt(252), rel=RTOL)


def test_tracking_error_correlation_and_excess_cagr(paired: tuple[pd.Series, pd.Series]) -> None:
    r, b = paired
    assert bm.tracking_error(r, b) == pytest.approx((r - b).std() * np.sqrt(252), rel=RTOL)
    assert bm.correlation(r, b) == pytest.approx(r.corr(b), rel=RTOL)
    assert bm.excess_cagr(r, b) == pytest.approx(
        float(qs.stats.cagr(r)) - float(qs.stats.cagr(b)), rel=RTOL
    )


def test_capture_ratios_match_empyrical(paired: tuple[pd.Series, pd.Series]) -> None:
    r, b = paired
    assert bm.up_capture(r, b) == pytest.approx(float(ep.up_capture(r, b)), rel=RTOL)
    assert bm.down_capture(r, b) == pytest.approx(float(ep.down_capture(r, b)), rel=RTOL)


def test_compare_collects_the_same_numbers(paired: tuple[pd.Series, pd.Series]) -> None:
    r, b = paired
    c = bm.compare(r, b, name="x")
    assert c.observations == len(r)
    assert c.beta == bm.beta(r, b) and c.alpha == bm.alpha(r, b)
    assert c.cagr == stats.cagr(r) and c.benchmark_cagr == stats.cagr(b)
    assert c.up_capture == bm.up_capture(r, b)
    assert "252 observations per year" in c.year_convention


def test_unaligned_series_are_joined_on_dates(all_returns: dict[str, pd.Series]) -> None:
    r, b = all_returns["TSLA"], all_returns["SPY"]
    common = r.index.intersection(b.index)
    assert bm.beta(r, b) == pytest.approx(bm.beta(r.loc[common], b.loc[common]), rel=1e-14)


def test_pairwise_gaps_like_quantstats(paired: tuple[pd.Series, pd.Series]) -> None:
    r, b = paired
    r = r.copy()
    r.iloc[::17] = np.nan
    greeks = qs.stats.greeks(r, b)
    assert bm.beta(r, b) == pytest.approx(float(greeks["beta"]), rel=RTOL)
    assert bm.alpha(r, b) == pytest.approx(float(greeks["alpha"]), rel=RTOL)


def test_many_accounts_against_one_benchmark(paired: tuple[pd.Series, pd.Series]) -> None:
    r, b = paired
    accounts = pd.DataFrame({"a": r, "b": 0.5 * r + 0.5 * b, "c": b})
    betas = bm.beta(accounts, b)
    assert isinstance(betas, pd.Series)
    for col in accounts:
        assert betas[col] == pytest.approx(bm.beta(accounts[col], b), rel=1e-12)
    assert betas["c"] == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(
        bm.information_ratio(accounts.to_numpy(), b.to_numpy())[:2],
        [bm.information_ratio(accounts[c], b) for c in ("a", "b")],
        rtol=1e-12,
    )


def test_arrays_of_different_length_are_refused() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        bm.beta(np.zeros(5), np.zeros(4))
