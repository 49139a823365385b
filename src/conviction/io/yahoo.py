"""Daily closes from Yahoo Finance through the optional ``yfinance`` package.

Network I/O sits behind the small ``PriceSource`` protocol so the rest of conviction (and
the tests, which replay recorded responses) never needs the network.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import pandas as pd

from conviction.errors import DataError

__all__ = ["PriceSource", "YahooSource", "closes_from_frame"]


class PriceSource(Protocol):
    def history(self, ticker: str, start: dt.date) -> pd.Series:
        """Daily closes (split-adjusted, as Yahoo gives them), indexed by date."""
        ...


class YahooSource:
    """Yahoo Finance via yfinance (``pip install 'conviction[yahoo]'``)."""

    def history(self, ticker: str, start: dt.date) -> pd.Series:
        try:
            import yfinance
        except ImportError:
            raise DataError(
                "fetching prices needs the yfinance extra: pip install 'conviction[yahoo]'"
            ) from None
        frame = yfinance.Ticker(ticker).history(start=start.isoformat(), auto_adjust=False)
        return closes_from_frame(frame, ticker)


def closes_from_frame(frame: pd.DataFrame, ticker: str) -> pd.Series:
    """The ``Close`` column of a yfinance history frame as a date-indexed series."""
    if frame is None or frame.empty or "Close" not in frame.columns:
        raise DataError(f"Yahoo Finance returned no prices for {ticker!r} (unknown ticker?)")
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    closes = pd.Series(frame["Close"].to_numpy(dtype=float), index=index.normalize(), name=ticker)
    closes = closes[~closes.index.duplicated(keep="last")].dropna()
    return closes[closes > 0].sort_index()
