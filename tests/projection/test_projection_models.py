"""Each model's defining property, read off simulated paths."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from conviction.projection import (
    AssetSpec,
    CorrelationSpec,
    DriverModel,
    DriverSpec,
    JumpSpec,
    Projection,
    ProjectionSpec,
    iter_paths,
    simulate_paths,
)


def _log_returns(spec: ProjectionSpec, seed: int = 5) -> np.ndarray:
    """(paths·steps, A) one-step log returns from every block."""
    blocks = [
        np.diff(np.log(b.multiples.astype(np.float64)), axis=1) for b in iter_paths(spec, seed)
    ]
    return np.concatenate([b.reshape(-1, b.shape[2]) for b in blocks])


def test_correlation_is_recovered() -> None:
    rho = 0.6
    spec = ProjectionSpec(
        assets=(
            AssetSpec("a", expected_return=0.1, volatility=0.3),
            AssetSpec("b", expected_return=0.05, volatility=0.5),
            AssetSpec("c", expected_return=0.05, volatility=0.2),
        ),
        correlations=(CorrelationSpec("a", "b", rho), CorrelationSpec("b", "c", -0.3)),
        paths=4096,
        block_paths=4096,
    )
    r = _log_returns(spec)
    n = r.shape[0]
    c = np.corrcoef(r.T)
    assert abs(c[0, 1] - rho) < 4 * (1 - rho**2) / math.sqrt(n)
    assert abs(c[1, 2] + 0.3) < 4 * (1 - 0.09) / math.sqrt(n)
    assert abs(c[0, 2]) < 4 / math.sqrt(n) + 0.01  # implied by the two (0 within 0.01)


def test_student_t_has_the_given_volatility_and_fat_tails() -> None:
    sigma, df = 0.4, 6.0
    spec = ProjectionSpec(
        assets=(
            AssetSpec("t1", model="student_t", expected_return=0.1, volatility=sigma, df=df),
            AssetSpec("t2", model="student_t", expected_return=0.1, volatility=sigma, df=df),
        ),
        correlations=(CorrelationSpec("t1", "t2", 0.5),),
        paths=4096,
        block_paths=4096,
    )
    r = _log_returns(spec)
    var = np.var(r[:, 0], ddof=1)
    target = sigma**2 / 12
    # variance of a sample variance: var²·(kurtosis − 1)/n, kurtosis of t6 = 3 + 6/(df − 4)
    kurt = 3 + 6 / (df - 4)
    assert abs(var - target) < 4 * target * math.sqrt((kurt - 1) / r.shape[0])
    assert stats.kurtosis(r[:, 0]) > 1.5  # normal: 0
    # a multivariate t keeps rho as the correlation of returns
    assert abs(np.corrcoef(r.T)[0, 1] - 0.5) < 0.02
    # and its mean of value does not exist: reported as None, never a number
    res = Projection(spec).run(seed=1)
    assert res.mean_multiple is None
    assert res.to_dict()["terminal"]["value"]["mean"] is None
    assert "does not exist" in res.to_dict()["terminal"]["mean_note"]


def test_jump_hits_about_p_of_the_years() -> None:
    p, years, n = 0.1, 10, 8192
    spec = ProjectionSpec(
        assets=(AssetSpec("a", expected_return=0.0, volatility=0.0),),
        jumps=(JumpSpec("shock", annual_probability=p, loss=0.5, companies=("a",)),),
        years=years,
        paths=n,
    )
    yearly = np.concatenate([b.multiples[:, ::12, 0] for b in iter_paths(spec, 3)])
    hit_years = np.diff(np.log(yearly.astype(np.float64)), axis=1) < -0.1
    frac = hit_years.mean()
    assert abs(frac - p) < 4 * math.sqrt(p * (1 - p) / (n * years))
    # Poisson: jumps per path have mean −ln(1 − p)·T
    jumps = -np.log(yearly[:, -1].astype(np.float64)) / math.log(2)
    lam = -math.log1p(-p) * years
    assert abs(jumps.mean() - lam) < 4 * math.sqrt(lam / n)


def test_key_person_jump_hits_all_their_companies_on_one_step() -> None:
    spec = ProjectionSpec(
        assets=(
            AssetSpec("tesla", expected_return=0.0, volatility=0.0, people=("musk",)),
            AssetSpec("spacex", expected_return=0.0, volatility=0.0, people=("musk", "shotwell")),
            AssetSpec("other", expected_return=0.0, volatility=0.0, people=("cook",)),
        ),
        jumps=(JumpSpec("key-person", annual_probability=0.2, loss=0.5, people=("musk",)),),
        paths=2048,
    )
    m = simulate_paths(spec, 0, seed=4).multiples
    drops = np.diff(np.log(m.astype(np.float64)), axis=1) < -0.1
    assert drops[:, :, 0].any()
    assert np.array_equal(drops[:, :, 0], drops[:, :, 1])
    assert not drops[:, :, 2].any()


def test_private_company_moves_only_at_marks() -> None:
    spec = ProjectionSpec(
        assets=(
            AssetSpec("pub", expected_return=0.1, volatility=0.3),
            AssetSpec("priv", expected_return=0.1, volatility=0.3, mark_every_years=2.0),
        ),
        years=5,
        paths=512,
    )
    m = simulate_paths(spec, 0, seed=1, dtype=np.float64).multiples
    moved = np.any(np.diff(m[:, :, 1], axis=1) != 0, axis=0)
    steps = np.flatnonzero(moved) + 1
    assert list(steps) == [24, 48, 60]  # every two years, and at the horizon
    assert np.all(np.diff(m[:, :, 0], axis=1) != 0)
    # the mark catches up with the latent value: same law as a public asset at the horizon
    r = Projection(spec).run(seed=2)
    assert r.company_multiple[1, 2] == pytest.approx(math.exp(0.055 * 5), rel=0.1)


def test_bootstrap_follows_blocks_of_the_history() -> None:
    hist = tuple(float(i) * 1e-4 for i in range(1, 61))  # distinct returns reveal the index
    spec = ProjectionSpec(
        assets=(AssetSpec("h", model="bootstrap", history=hist, block_years=0.5),),
        paths=4096,
        block_paths=4096,
    )
    r = _log_returns(spec)[:, 0].reshape(4096, -1)
    idx = np.rint(r / 1e-4).astype(int) - 1
    assert set(np.unique(idx)) <= set(range(60))
    continues = idx[:, 1:] == (idx[:, :-1] + 1) % 60
    p_new = 1 / 6  # mean block of half a year of monthly steps
    # a fresh block lands on the next index by chance 1/60 of the time
    expected = 1 - p_new + p_new / 60
    assert abs(continues.mean() - expected) < 4 * math.sqrt(expected * (1 - expected) / idx.size)
    assert abs(r.mean() - np.mean(hist)) < 0.05 * np.mean(hist)


def test_bootstrap_shifted_to_an_expected_return() -> None:
    rng = np.random.default_rng(0)
    hist = tuple(rng.normal(0.02, 0.08, 240))
    mu = 0.08
    spec = ProjectionSpec(
        assets=(AssetSpec("h", model="bootstrap", history=hist, expected_return=mu),),
        paths=8192,
    )
    r = Projection(spec).run(seed=1)
    s2 = np.var(hist, ddof=1) * 12
    # the mean log multiple per year is mu − s²/2; standard error from the block structure
    assert r.mean_log_multiple / 10 == pytest.approx(mu - s2 / 2, abs=0.004)


def test_driver_asset_ends_at_the_driver_value() -> None:
    drivers = DriverModel(
        (
            DriverSpec("units", "lognormal", low=1e5, high=1e6),
            DriverSpec("price", "fixed", value=20_000.0),
            DriverSpec("revenue", "formula", formula="units * price"),
        )
    )
    today = 4e9
    spec = ProjectionSpec(
        assets=(
            AssetSpec(
                "robot", model="driver", driver="revenue", driver_scale=today, volatility=0.4
            ),
        ),
        drivers=drivers,
        paths=8192,
        percentiles=(5.0, 50.0, 95.0),
    )
    r = Projection(spec).run(seed=9)
    low, mid, high = np.log(r.company_multiple[0])
    s = math.log(10) / (2 * stats.norm.ppf(0.95))  # log-sd of the 90% interval
    # standard error of a sample quantile of log value: sqrt(p(1 − p)/n) / φ(z) · s
    se5 = math.sqrt(0.05 * 0.95 / 8192) / stats.norm.pdf(1.645) * s
    se50 = math.sqrt(0.25 / 8192) / stats.norm.pdf(0.0) * s
    assert abs(low - math.log(1e5 * 2e4 / today)) < 4 * se5
    assert abs(high - math.log(1e6 * 2e4 / today)) < 4 * se5
    assert abs(mid - math.log(math.sqrt(1e5 * 1e6) * 2e4 / today)) < 4 * se50
    # along the way: a Brownian bridge in log space, mean log at year 5 halfway there
    spec1 = ProjectionSpec(
        assets=(AssetSpec("x", model="driver", driver="v", driver_scale=1.0, volatility=0.4),),
        drivers=DriverModel((DriverSpec("v", "fixed", value=3.0),)),
        paths=4096,
        block_paths=4096,
    )
    m = simulate_paths(spec1, 0, seed=2, dtype=np.float64).multiples[:, :, 0]
    assert np.allclose(m[:, -1], 3.0, rtol=1e-12)
    half = np.log(m[:, 60])
    assert abs(half.mean() - math.log(3) / 2) < 4 * 0.4 * math.sqrt(5 * 5 / 10) / 64
    assert np.std(half) == pytest.approx(0.4 * math.sqrt(2.5), rel=0.05)


def test_a_worthless_driver_value_is_a_total_loss() -> None:
    spec = ProjectionSpec(
        assets=(AssetSpec("x", model="driver", driver="v", driver_scale=1.0),),
        drivers=DriverModel((DriverSpec("v", "normal", mean=0.0, sd=1.0),)),
        paths=2000,
        percentiles=(10.0, 90.0),
    )
    r = Projection(spec).run(seed=1)
    assert r.company_multiple[0, 0] == pytest.approx(1e-9)
    assert r.company_multiple[0, 1] == pytest.approx(stats.norm.ppf(0.9), rel=0.05)
