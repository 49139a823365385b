"""Real price series from ../shared/data/prices, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conviction.io.prices import read_price_csv

PRICES_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "prices"
TICKERS = ("TSLA", "SPY", "GSPC", "AAPL", "MSFT", "AMZN", "QQQ")


def _require_data() -> None:
    if not PRICES_DIR.is_dir():
        pytest.skip("../shared/data/prices is not beside the project")


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
