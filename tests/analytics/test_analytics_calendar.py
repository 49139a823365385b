"""Monthly and yearly returns and drawdown periods against quantstats 0.0.86, on every
real price series in ../shared/data/prices (the tear sheet's tables)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import quantstats as qs

from conviction.analytics.calendar import drawdown_periods, monthly_returns, yearly_returns

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def test_monthly_returns_match_quantstats(returns: pd.Series) -> None:
    ours = monthly_returns(returns)
    theirs = qs.stats.monthly_returns(returns, eoy=True, compounded=True)
    assert [str(y) for y in ours.index] == list(theirs.index)
    for m, name in enumerate(MONTHS, start=1):
        expected = theirs[name].to_numpy(dtype=float)
        got = ours[m].to_numpy()
        # quantstats writes 0 for a month without data; we write NaN
        np.testing.assert_allclose(np.nan_to_num(got), expected, rtol=1e-10, atol=1e-13)
    assert np.isfinite(ours.to_numpy()).sum() > 12 * (len(ours) - 2)
    np.testing.assert_allclose(
        yearly_returns(returns).to_numpy(), theirs["EOY"].to_numpy(dtype=float), rtol=1e-10
    )


def test_a_month_without_observations_is_nan_not_zero() -> None:
    days = pd.to_datetime(["2020-01-15", "2020-01-31", "2020-03-02"])
    table = monthly_returns(pd.Series([0.1, 0.1, -0.5], index=days))
    assert table.loc[2020, 1] == pytest.approx(0.21)
    assert np.isnan(table.loc[2020, 2])
    assert table.loc[2020, 3] == pytest.approx(-0.5)
    assert yearly_returns(pd.Series([0.1, 0.1, -0.5], index=days)).loc[2020] == pytest.approx(
        1.21 * 0.5 - 1
    )


def test_drawdown_periods_match_quantstats_drawdown_details(
    returns: pd.Series, ticker: str, quantstats_drawdowns: Callable[[str], Any]
) -> None:
    ours = drawdown_periods(returns)
    details = quantstats_drawdowns(ticker).details
    assert len(ours) == len(details)
    worst = details.sort_values(by="max drawdown", ascending=True, kind="stable")
    for p, (_, row) in zip(ours[:10], worst.head(10).iterrows(), strict=True):
        assert p.start.isoformat() == row["start"]
        assert p.trough.isoformat() == row["valley"]
        assert p.end.isoformat() == row["end"]
        assert p.days == row["days"]
        assert p.depth == pytest.approx(row["max drawdown"] / 100, rel=1e-10)
    # the recovery is the first observation after the last one under water
    days = returns.index.date
    where = {d: i for i, d in enumerate(days)}
    for p in ours:
        after = where[p.end] + 1
        assert p.recovery == (days[after] if after < len(days) else None)
    assert drawdown_periods(returns, top=5) == ours[:5]


def test_a_period_still_under_water_is_not_recovered() -> None:
    days = pd.bdate_range("2021-01-04", periods=6)
    r = pd.Series([-0.1, 0.05, 0.1, -0.2, 0.05, 0.01], index=days)
    first, second = sorted(drawdown_periods(r), key=lambda p: p.start)
    assert (first.start, first.trough, first.end) == (
        days[0].date(),
        days[0].date(),
        days[1].date(),
    )
    assert first.recovery == days[2].date() and first.recovered
    assert first.depth == pytest.approx(-0.1)
    assert second.start == days[3].date() and second.recovery is None and not second.recovered
    assert second.depth == pytest.approx(-0.2)
