"""Exchange rates: inverse and cross rates derived, last rate carried forward as stale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conviction.errors import DataError
from conviction.ledger import FxRates


def _frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": np.array([r[0] for r in rows], dtype="datetime64[D]"),
            "pair": [r[1] for r in rows],
            "rate": [r[2] for r in rows],
        }
    )


def test_inverse_cross_and_stale() -> None:
    fx = FxRates(
        _frame(
            [
                ("2024-01-02", "USDJPY", 150.0),
                ("2024-01-02", "EURUSD", 1.1),
                ("2024-01-04", "USDJPY", 140.0),
            ]
        )
    )
    days = np.array(["2024-01-02", "2024-01-03", "2024-01-04"], "datetime64[D]")
    usdjpy = fx.rate("USD", "JPY", days)
    assert usdjpy.rates == pytest.approx([150, 150, 140])
    assert list(usdjpy.stale) == [False, True, False]
    assert fx.rate("JPY", "USD", days).rates == pytest.approx([1 / 150, 1 / 150, 1 / 140])
    eurjpy = fx.rate("EUR", "JPY", days).rates
    assert eurjpy == pytest.approx([1.1 * 150, 1.1 * 150, 1.1 * 140])
    round_trip = fx.rate("EUR", "JPY", days).rates * fx.rate("JPY", "EUR", days).rates
    assert round_trip == pytest.approx(np.ones(3))


def test_missing_rates_are_errors() -> None:
    fx = FxRates(_frame([("2024-01-02", "USDJPY", 150.0)]))
    with pytest.raises(DataError, match="cannot be derived"):
        fx.rate("GBP", "JPY", np.array(["2024-01-02"], "datetime64[D]"))
    with pytest.raises(DataError, match="on or before 2024-01-01"):
        fx.rate("USD", "JPY", np.array(["2024-01-01"], "datetime64[D]"))


def test_real_usdjpy_reference_values(shared_data: Path) -> None:
    raw = pd.read_csv(shared_data / "fx" / "USDJPY.csv")
    frame = _frame([(d, "USDJPY", r) for d, r in zip(raw["date"], raw["rate"], strict=True)])
    fx = FxRates(frame)
    days = np.array(["2024-07-10", "2025-11-14", "2025-11-15"], "datetime64[D]")
    series = fx.rate("USD", "JPY", days)
    assert series.rates == pytest.approx([161.73, 154.64, 154.64])
    assert list(series.stale) == [False, False, True]  # a Saturday
