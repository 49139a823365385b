"""Properties that hold for any returns (hypothesis)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conviction.analytics import benchmark as bm
from conviction.analytics import rolling, stats
from conviction.analytics.returns import simple_returns, wealth_index
from conviction.analytics.summary import summary_frame

# Daily returns between -95% and +200% (no tiny values whose squares underflow), some missing.
ret = st.one_of(st.just(0.0), st.floats(1e-8, 2.0), st.floats(-0.95, -1e-8))
returns_1d = hnp.arrays(np.float64, st.integers(1, 300), elements=ret)
returns_2d = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 120), st.integers(1, 6)),
    elements=st.one_of(ret, st.just(np.nan)),
)
SETTINGS = settings(max_examples=60, deadline=None)


@SETTINGS
@given(returns_1d)
def test_max_drawdown_lies_in_minus_one_to_zero(r: np.ndarray) -> None:
    mdd = stats.max_drawdown(r)
    assert -1.0 <= mdd <= 0.0
    dd = stats.drawdown_series(r)
    assert np.all(dd <= 0) and dd.min() == mdd


@SETTINGS
@given(st.floats(0.2, 5.0), st.integers(1, 3000))
def test_cagr_of_constant_growth_is_the_growth_rate(growth: float, n: int) -> None:
    """Growing by ``growth`` a year, every day the same: CAGR is ``growth - 1``."""
    r = np.full(n, growth ** (1 / 252) - 1)
    assert stats.cagr(r) == pytest.approx(growth - 1, rel=1e-9, abs=1e-12)


@SETTINGS
@given(returns_1d)
def test_drawdown_durations_are_consistent(r: np.ndarray) -> None:
    longest, current = stats.longest_drawdown(r), stats.current_drawdown(r)
    share = stats.time_under_water(r)
    assert 0 <= current <= longest <= len(r)
    assert 0.0 <= share <= 1.0
    assert longest <= share * len(r) + 1e-9  # a run is part of the time under water
    assert (longest == 0) == (stats.max_drawdown(r) == 0)


@SETTINGS
@given(returns_1d, st.floats(0.1, 10.0))
def test_sharpe_ignores_scale_and_volatility_ignores_shift(r: np.ndarray, k: float) -> None:
    s = stats.sharpe(r)
    if np.isfinite(s):
        assert stats.sharpe(k * r) == pytest.approx(s, rel=1e-9, abs=1e-9)
    v = stats.volatility(r)
    if np.isfinite(v) and v > 1e-6:
        assert stats.volatility(r + 0.001) == pytest.approx(v, rel=1e-6)


@SETTINGS
@given(returns_1d)
def test_prices_and_returns_round_trip(r: np.ndarray) -> None:
    p = wealth_index(r, start=100.0)
    assume(p.min() > 1e-200)  # a price that underflowed to 0 has no return
    back = simple_returns(np.r_[100.0, p])
    np.testing.assert_allclose(back, r, rtol=1e-9, atol=1e-12)
    assert stats.total_return(r) == pytest.approx(p[-1] / 100 - 1, rel=1e-9, abs=1e-12)


@SETTINGS
@given(returns_2d)
def test_two_dimensional_input_equals_column_by_column(x: np.ndarray) -> None:
    frame = summary_frame(x, kind="returns")
    # A column constant up to rounding has a volatility that is rounding noise (1e-18 for
    # returns of 1%), so a ratio to it (sharpe, sortino: -6e16 against -1.4e17) depends on
    # the summation order and means nothing: those ratios are compared on the other columns.
    with warnings.catch_warnings():  # an all-NaN column has no mean: it stays compared
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.abs(np.nanmean(x, axis=0))
        real = ~(np.nanstd(x, axis=0) <= 1e-9 * mean)
    for name in ("cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar"):
        f = getattr(stats, name)
        by_2d = np.asarray(f(x), dtype=float)
        by_col = np.array([f(x[:, j]) for j in range(x.shape[1])], dtype=float)
        from_frame = frame[name].to_numpy(dtype=float)
        if name in ("sharpe", "sortino"):
            by_2d, by_col, from_frame = by_2d[real], by_col[real], from_frame[real]
        # Equal up to summation order (numpy sums a column and a 1-D array differently): a
        # value that is zero up to rounding (a CAGR of 2e-15 against 7e-16) has no relative
        # precision, hence the absolute 1e-12.
        np.testing.assert_allclose(by_2d, by_col, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(from_frame, by_col, rtol=1e-12, atol=1e-12)
    for name in ("longest_drawdown", "current_drawdown", "time_under_water"):
        by_col = np.array([getattr(stats, name)(x[:, j]) for j in range(x.shape[1])])
        np.testing.assert_array_equal(frame[name].to_numpy(), by_col)


@SETTINGS
@given(returns_2d, st.integers(1, 40))
def test_fast_rolling_cagr_equals_rolled_cagr(x: np.ndarray, window: int) -> None:
    """Equal to 1e-9; on paths that lose many orders of magnitude the running sums of
    log(1 + r) are large and a near-zero window rate can be off by ~1e-12 absolute."""
    fast = rolling.rolling_cagr(x, window, min_count=1)
    plain = rolling.roll(stats.cagr, x, window, min_count=1)
    np.testing.assert_allclose(fast, plain, rtol=1e-9, atol=1e-9)


@SETTINGS
@given(hnp.arrays(np.float64, st.integers(3, 200), elements=st.floats(-0.1, 0.1)),
       st.floats(-3, 3), st.floats(-0.01, 0.01))  # fmt: skip
def test_beta_of_a_levered_benchmark_is_its_leverage(b: np.ndarray, k: float, a: float) -> None:
    if np.std(b) < 1e-6:
        return
    r = a + k * b
    assert bm.beta(r, b) == pytest.approx(k, rel=1e-7, abs=1e-7)
    assert bm.alpha(r, b) == pytest.approx(a * 252, rel=1e-6, abs=1e-6)
