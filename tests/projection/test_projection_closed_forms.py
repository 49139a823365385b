"""One GBM asset against its closed forms, within 4 Monte Carlo standard errors.

P(S_T/S_0 >= k) = Φ(((mu − sigma²/2)·T − ln k) / (sigma·√T)) and E[S_T/S_0] = exp(mu·T).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from conviction.projection import AssetSpec, Projection, ProjectionSpec

CASES = [
    # mu, sigma, k, years, steps_per_year, paths
    (0.10, 0.30, 2.0, 10, 12, 40_000),
    (0.15, 0.55, 5.0, 10, 12, 40_000),
    (0.05, 0.20, 1.0, 5, 252, 12_000),
    (0.20, 0.40, 3.0, 3, 252, 12_000),
    (-0.05, 0.25, 0.5, 10, 1, 40_000),
    (0.1746, 0.35, 5.0, 10, 4, 40_000),
]


def _gbm(mu: float, sigma: float, k: float, years: int, spy: int, paths: int) -> ProjectionSpec:
    return ProjectionSpec(
        assets=(AssetSpec("a", expected_return=mu, volatility=sigma),),
        years=years,
        steps_per_year=spy,
        paths=paths,
        target_multiple=k,
    )


@pytest.mark.parametrize(("mu", "sigma", "k", "years", "spy", "paths"), CASES)
def test_probability_of_target(
    mu: float, sigma: float, k: float, years: int, spy: int, paths: int
) -> None:
    r = Projection(_gbm(mu, sigma, k, years, spy, paths)).run(seed=11)
    exact = stats.norm.cdf(((mu - sigma**2 / 2) * years - math.log(k)) / (sigma * math.sqrt(years)))
    se = math.sqrt(exact * (1 - exact) / paths)
    assert abs(r.prob_target - exact) < 4 * se
    assert r.prob_target_se == pytest.approx(se, rel=0.05)


@pytest.mark.parametrize(("mu", "sigma", "k", "years", "spy", "paths"), CASES)
def test_mean_multiple(mu: float, sigma: float, k: float, years: int, spy: int, paths: int) -> None:
    r = Projection(_gbm(mu, sigma, k, years, spy, paths)).run(seed=12)
    exact = math.exp(mu * years)
    sd = exact * math.sqrt(math.exp(sigma**2 * years) - 1)  # lognormal standard deviation
    assert r.mean_multiple is not None
    assert abs(r.mean_multiple - exact) < 4 * sd / math.sqrt(paths)
    # the mean of log value: (mu − sigma²/2)·T, standard error sigma·√T/√n
    m = (mu - sigma**2 / 2) * years
    assert abs(r.mean_log_multiple - m) < 4 * sigma * math.sqrt(years / paths)


def test_percentiles_match_the_lognormal() -> None:
    mu, sigma, years, n = 0.12, 0.4, 10, 40_000
    r = Projection(_gbm(mu, sigma, 2.0, years, 12, n)).run(seed=13)
    # the fraction of paths under the exact p-th percentile is p within binomial error
    for q, value in zip(r.percentiles, r.terminal_multiple, strict=True):
        p = q / 100
        exact = math.exp((mu - sigma**2 / 2) * years + sigma * math.sqrt(years) * stats.norm.ppf(p))
        density = stats.lognorm.pdf(
            exact, s=sigma * math.sqrt(years), scale=math.exp((mu - sigma**2 / 2) * years)
        )
        se = math.sqrt(p * (1 - p) / n) / density  # standard error of a sample quantile
        assert abs(value - exact) < 4 * se
    assert r.cagr == pytest.approx(np.power(r.terminal_multiple, 1 / years) - 1)
    assert r.required_cagr == pytest.approx(2.0 ** (1 / 10) - 1)


def test_numpy_backend_meets_the_same_closed_form() -> None:
    mu, sigma, k, years, n = 0.1, 0.3, 2.0, 10, 8_192
    r = Projection(_gbm(mu, sigma, k, years, 12, n), backend="numpy").run(seed=3)
    exact = stats.norm.cdf(((mu - sigma**2 / 2) * years - math.log(k)) / (sigma * math.sqrt(years)))
    assert abs(r.prob_target - exact) < 4 * math.sqrt(exact * (1 - exact) / n)
    assert r.backend == "numpy"
