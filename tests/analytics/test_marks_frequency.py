"""Statistics at the frequency of the marks: a series marked monthly gets monthly
statistics, beta and correlation on the same dates as the benchmark; expected values by
pandas and numpy by hand on the real series in ../shared/data/prices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from conviction.analytics import summarize
from conviction.analytics.frequency import at_frequency, frequency_gaps, marks_frequency
from conviction.errors import DataError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"


def _month_ends(prices: pd.Series) -> pd.Series:
    """The last observation of each month (pandas by hand)."""
    return prices.groupby(prices.index.to_period("M")).tail(1)


def _beta_corr(r: pd.Series, b: pd.Series) -> tuple[float, float]:
    both = pd.concat([r, b], axis=1).dropna()
    x, y = both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy()
    cov = np.cov(x, y, ddof=1)
    return float(cov[0, 1] / cov[1, 1]), float(np.corrcoef(x, y)[0, 1])


@pytest.fixture(scope="module")
def report(all_prices: dict[str, pd.Series]) -> object:
    from conviction.io import read_book
    from conviction.report.data import report_data

    book = read_book(EXAMPLE)
    return report_data(book, benchmark=all_prices["GSPC"].rename("S&P 500"))


def test_the_frequency_of_the_marks(all_prices: dict[str, pd.Series]) -> None:
    tsla = all_prices["TSLA"]
    assert marks_frequency(tsla).frequency == "daily"
    assert marks_frequency(_month_ends(tsla)).frequency == "monthly"
    quarterly = tsla.groupby(tsla.index.to_period("Q")).tail(1)
    assert marks_frequency(quarterly).frequency == "quarterly"
    # forward-filled onto every weekday, the marks are still monthly
    filled = _month_ends(tsla).reindex(pd.bdate_range(tsla.index[0], tsla.index[-1])).ffill()
    found = marks_frequency(filled.dropna())
    assert found.frequency == "monthly" and 28 <= found.median_gap_days <= 31


def test_monthly_statistics_equal_pandas_by_hand(all_prices: dict[str, pd.Series]) -> None:
    tsla, gspc = all_prices["TSLA"], all_prices["GSPC"]
    monthly = _month_ends(tsla)
    res = summarize(monthly, gspc, kind="prices", frequency="auto", name="TSLA")
    assert res.frequency == "monthly" and res.periods == 12
    assert "12 observations per year (monthly returns" in res.year_convention
    # by hand: the S&P 500's last close on or before each of Tesla's dates
    bench = gspc.reindex(gspc.index.union(monthly.index)).ffill().reindex(monthly.index)
    r, b = monthly.pct_change().iloc[1:], bench.pct_change().iloc[1:]
    beta, corr = _beta_corr(r, b)
    assert res.benchmark is not None
    assert res.benchmark.beta == pytest.approx(beta, rel=1e-9)
    assert res.benchmark.correlation == pytest.approx(corr, rel=1e-9)
    assert res.observations == r.size
    assert res.cagr == pytest.approx(
        (monthly.iloc[-1] / monthly.iloc[0]) ** (12 / r.size) - 1, rel=1e-9
    )
    assert res.volatility == pytest.approx(r.std(ddof=1) * np.sqrt(12), rel=1e-9)


def test_daily_statistics_of_sparse_marks_warn_and_name_the_frequency(
    all_prices: dict[str, pd.Series],
) -> None:
    tsla = all_prices["TSLA"]
    filled = _month_ends(tsla).reindex(pd.bdate_range(tsla.index[0], tsla.index[-1])).ffill()
    res = summarize(filled.dropna(), kind="prices", name="tesla")  # daily, as asked
    assert res.frequency == "daily" and res.periods == 252
    (warning,) = res.warnings
    assert warning.startswith("tesla: its marks are monthly (a median")
    assert summarize(tsla, kind="prices").warnings == ()  # daily marks: no warning


def test_a_series_too_sparse_for_the_frequency_asked_is_an_error(
    all_prices: dict[str, pd.Series],
) -> None:
    tsla = all_prices["TSLA"]
    quarterly = tsla.groupby(tsla.index.to_period("Q")).tail(1)
    with pytest.raises(DataError) as caught:
        summarize(quarterly, kind="prices", frequency="monthly", name="tesla")
    message = str(caught.value)
    assert message.startswith("tesla: monthly statistics need a mark every month")
    assert "quarterly (a median" in message
    first = frequency_gaps(quarterly, "monthly")[0]
    assert f"no mark between {first[0]} and {first[1]}" in message
    assert frequency_gaps(_month_ends(tsla), "monthly") == ()


def test_the_books_beta_is_monthly_and_near_teslas_own_on_the_same_dates(
    report: object, all_prices: dict[str, pd.Series]
) -> None:
    from conviction.report.data import ReportData

    assert isinstance(report, ReportData)
    st, h = report.stats, report.history
    assert st.frequency == "monthly" and st.periods == 12
    assert st.marks is not None and st.marks.frequency == "monthly"
    book = pd.Series(h.index, index=pd.DatetimeIndex(h.days))
    gspc, tsla = all_prices["GSPC"], all_prices["TSLA"]
    # by hand: the book at its first day and each month's last session; both benchmarks
    # at their last close on or before the same dates
    dates = _month_ends(book.iloc[1:]).index.insert(0, book.index[0])
    sampled = book.loc[dates]

    def on(prices: pd.Series) -> pd.Series:
        return prices.reindex(prices.index.union(dates)).ffill().reindex(dates)

    r = sampled.pct_change().iloc[1:]
    beta, corr = _beta_corr(r, on(gspc).pct_change().iloc[1:])
    assert st.benchmark is not None
    assert st.benchmark.beta == pytest.approx(beta, rel=1e-9)
    assert st.benchmark.correlation == pytest.approx(corr, rel=1e-9)
    tesla_beta, _ = _beta_corr(on(tsla).pct_change().iloc[1:], on(gspc).pct_change().iloc[1:])
    # Tesla is most of the book's risk (SpaceX's and xAI's rare marks and the cash carry
    # little): the book's beta is Tesla's own scaled by its weight (1.44 vs 1.89)
    assert 0.6 * tesla_beta < st.benchmark.beta < tesla_beta
    assert st.benchmark.beta > 1.0 and st.benchmark.correlation > 0.3
    # the daily figure on the same forward-filled grid: what the report used to show
    daily = summarize(book, gspc, kind="prices", name="book")
    assert daily.benchmark is not None and daily.benchmark.beta < 0.2
    assert daily.warnings and "monthly" in daily.warnings[0]
    np.testing.assert_array_equal(at_frequency(book, "monthly")[0].index, dates)


def test_the_report_states_each_figures_convention(report: object) -> None:
    from conviction.report.data import ReportData
    from conviction.report.render import render_report

    assert isinstance(report, ReportData)
    assert report.calendar == "XNYS" and report.sessions_per_year == 252
    h = report.history
    growth, n = float(h.index[-1]), h.days.size - 1
    span = int((h.days[-1] - h.days[0]).astype(np.int64))
    assert report.cagr_sessions == pytest.approx(growth ** (252 / n) - 1, rel=1e-12)
    assert report.cagr_calendar == pytest.approx(growth ** (365.25 / span) - 1, rel=1e-12)
    html = render_report(report)
    assert "CAGR (time-weighted, 252 sessions a year)" in html
    assert "CAGR (calendar time, 365.25 days)" in html
    assert "Statistics below are of monthly returns, the benchmark's on the same dates" in html
    assert "12 observations per year (monthly returns" in html


def test_conviction_stats_says_the_frequency_and_refuses_a_sparse_one(
    all_prices: dict[str, pd.Series], tmp_path: Path, conviction_main: Any
) -> None:
    tsla = all_prices["TSLA"]
    quarterly = tsla.groupby(tsla.index.to_period("Q")).tail(1)
    path = tmp_path / "tesla.csv"
    quarterly.rename("close").rename_axis("date").to_csv(path)
    code, out, _ = conviction_main(["stats", str(path)])
    assert code == 0
    assert "Year convention: 4 observations per year (quarterly returns" in out
    assert "Frequency: quarterly returns; the marks are quarterly (a median" in out
    code, _, err = conviction_main(["stats", str(path), "--freq", "monthly"])
    assert code == 3 and "tesla: monthly statistics need a mark every month" in err
    code, _, err = conviction_main(["stats", str(path), "--freq", "hourly"])
    assert code == 2 and "--freq" in err
