"""Real price series from ../shared/data/prices, loaded once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest
import quantstats as qs

from conviction.io.prices import read_price_csv

PRICES_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "prices"
TICKERS = ("TSLA", "SPY", "GSPC", "AAPL", "MSFT", "AMZN", "QQQ")


def _require_data() -> None:
    # fail, never skip: a CI run without the real series must not pass silently
    if not PRICES_DIR.is_dir():
        pytest.fail(f"the real price series are missing: {PRICES_DIR} is not beside the project")


@pytest.fixture(scope="session")
def all_prices() -> dict[str, pd.Series]:
    _require_data()
    return {t: read_price_csv(PRICES_DIR / f"{t}.csv") for t in TICKERS}


@pytest.fixture(scope="session")
def all_returns(all_prices: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """Returns by pandas' own pct_change: independent of our simple_returns."""
    return {t: p.pct_change(fill_method=None).iloc[1:] for t, p in all_prices.items()}


@pytest.fixture(params=TICKERS)
def ticker(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def prices(all_prices: dict[str, pd.Series], ticker: str) -> pd.Series:
    return all_prices[ticker]


@pytest.fixture
def returns(all_returns: dict[str, pd.Series], ticker: str) -> pd.Series:
    return all_returns[ticker]


@pytest.fixture(scope="session")
def panel(all_returns: dict[str, pd.Series]) -> pd.DataFrame:
    """Every series side by side on the union of dates (NaN where a series has none)."""
    return pd.DataFrame(all_returns)


@pytest.fixture(scope="session")
def prices_dir() -> Path:
    _require_data()
    return PRICES_DIR


class QuantstatsDrawdowns(NamedTuple):
    """quantstats' drawdown series of one ticker, its ``drawdown_details`` and each
    period's length in observations (``len(dd[start:end])``, both ends included)."""

    series: pd.Series
    details: pd.DataFrame
    lengths: list[int]


@pytest.fixture(scope="session")
def quantstats_drawdowns(
    all_returns: dict[str, pd.Series],
) -> Callable[[str], QuantstatsDrawdowns]:
    """quantstats' drawdown periods per ticker, computed once a session: its
    ``drawdown_details`` slices the series by date once per period, about a minute on
    GSPC's 24,000 days, and three test files compare with it."""
    cache: dict[str, QuantstatsDrawdowns] = {}

    def of(ticker: str) -> QuantstatsDrawdowns:
        if ticker not in cache:
            dd = qs.stats.to_drawdown_series(all_returns[ticker])
            details = qs.stats.drawdown_details(dd)
            days = dd.index
            first = days.searchsorted(pd.to_datetime(details["start"]), side="left")
            last = days.searchsorted(pd.to_datetime(details["end"]), side="right")
            cache[ticker] = QuantstatsDrawdowns(dd, details, [int(n) for n in last - first])
        return cache[ticker]

    return of
