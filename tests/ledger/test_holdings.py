"""The holdings loop (numba) against its NumPy twin (the days × accounts × companies cube)
and against a value computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from conviction.ledger.holdings import HAVE_NUMBA, holdings_value


def test_a_hand_computed_book() -> None:
    # account 0 buys 10 of company 0 on day 0 and sells 4 on day 2; account 1 buys 5 of
    # company 1 on day 1. Prices: company 0 is 1, 2, 3; company 1 is 10 every day.
    day, account, company = np.array([0, 1, 2]), np.array([0, 1, 0]), np.array([0, 1, 0])
    shares = np.array([10.0, 5.0, -4.0])
    price = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 10.0]])
    expected = np.array([[10.0, 0.0], [20.0, 50.0], [18.0, 50.0]])
    for backend in ("numpy", "numba") if HAVE_NUMBA else ("numpy",):
        got = holdings_value(day, account, company, shares, price, 2, backend=backend)
        np.testing.assert_array_equal(got, expected)


@pytest.mark.skipif(not HAVE_NUMBA, reason="numba is a dependency; only a bare install lacks it")
def test_loop_equals_cube_on_a_random_book() -> None:
    rng = np.random.default_rng(7)
    n_days, n_accounts, n_companies, n_rows = 300, 70, 9, 5_000
    day = np.sort(rng.integers(0, n_days, n_rows))
    account = rng.integers(0, n_accounts, n_rows)
    company = rng.integers(0, n_companies, n_rows)
    shares = rng.normal(0, 50, n_rows)
    price = rng.uniform(1, 100, (n_days, n_companies))
    loop = holdings_value(day, account, company, shares, price, n_accounts, backend="numba")
    cube = holdings_value(day, account, company, shares, price, n_accounts, backend="numpy")
    np.testing.assert_allclose(loop, cube, rtol=1e-9, atol=1e-6)


def test_unknown_backend_is_refused() -> None:
    one = np.zeros(1, dtype=np.int64)
    with pytest.raises(ValueError, match="backend"):
        holdings_value(one, one, one, np.ones(1), np.ones((1, 1)), 1, backend="gpu")
