"""Histogram percentiles against numpy.percentile; the exact/histogram switch."""

from __future__ import annotations

import numpy as np
import pytest

from conviction.projection.summaries import (
    LOG_BIN,
    LOG_MAX,
    choose_mode,
    histogram_percentiles,
    log_histogram,
)


def test_histogram_percentiles_are_within_a_bin_on_dense_data() -> None:
    x = np.random.default_rng(0).normal(0.5, 1.2, 1_000_000)
    counts = log_histogram(x)[0]
    q = np.array([0.5, 5.0, 25.0, 50.0, 75.0, 95.0, 99.5])
    got = histogram_percentiles(counts, q, low=-LOG_MAX - LOG_BIN, width=LOG_BIN)
    np.testing.assert_allclose(got, np.percentile(x, q), atol=LOG_BIN)


def test_log_histogram_counts_every_value_once() -> None:
    x = np.array([[-40.0, 0.0], [0.0005, 1.0], [45.0, -29.9995]])
    h = log_histogram(x)
    assert h.shape[0] == 2
    assert h.sum() == 6
    assert h[0, 0] == 1  # underflow
    assert h[0, -1] == 1  # overflow
    assert h[1, 1] == 1  # first real bin [-30, -29.999)


def test_exact_mode_while_it_fits() -> None:
    assert choose_mode(1_000_000, 10, 10) == "exact"  # about 100 MB
    assert choose_mode(10_000_000, 10, 10) == "histogram"
    assert choose_mode(1000, 10, 10, limit=1000) == "histogram"


@pytest.mark.parametrize("q", [0.0, 100.0])
def test_extreme_percentiles_stay_in_range(q: float) -> None:
    x = np.linspace(-1.0, 1.0, 1001)
    counts = log_histogram(x)[0]
    got = histogram_percentiles(counts, np.array([q]), low=-LOG_MAX - LOG_BIN, width=LOG_BIN)
    assert abs(got[0] - x[0 if q == 0 else -1]) <= LOG_BIN
