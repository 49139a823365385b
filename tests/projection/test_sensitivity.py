"""Tornado, Sobol indices and solve against closed forms (few paths, one step a year)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from conviction.errors import SpecError, UnknownIdError
from conviction.projection import AssetSpec, ProjectionSpec
from conviction.projection.drivers import DriverModel, DriverSpec
from conviction.projection.sensitivity import (
    SensitivityRange,
    sensitivity,
    sensitivity_inputs,
    simulate_terminals,
    sobol_drivers,
)
from conviction.projection.solve import solve

MU, SIGMA, T, K = 0.12, 0.35, 10, 3.0


def _gbm(paths: int = 20_000, **extra: AssetSpec) -> ProjectionSpec:
    assets = (
        AssetSpec("co", "gbm", expected_return=MU, volatility=SIGMA, start_value=1.0),
        *extra.values(),
    )
    return ProjectionSpec(
        assets=assets, years=T, steps_per_year=1, paths=paths, target_multiple=K, seed=11
    )


def _p(mu: float) -> float:
    return float(stats.norm.cdf(((mu - SIGMA**2 / 2) * T - math.log(K)) / (SIGMA * math.sqrt(T))))


def test_gbm_swing_matches_closed_form_and_paired_se_is_smaller() -> None:
    rng = [SensitivityRange("asset.co.expected_return", 0.08, 0.16)]
    res = sensitivity(_gbm(), rng, backend="numpy")
    bar = next(b for b in res.bars if b.input == "asset.co.expected_return")
    exact = _p(0.16) - _p(0.08)
    assert abs(bar.p_swing - exact) < 4 * bar.p_swing_se
    assert bar.p_swing_se < bar.p_swing_se_independent
    assert abs(bar.p_low - _p(0.08)) < 4 * math.sqrt(_p(0.08) * (1 - _p(0.08)) / res.paths)


def test_an_input_the_book_does_not_depend_on_swings_zero_exactly() -> None:
    idle = AssetSpec("idle", "gbm", expected_return=0.1, volatility=0.3, start_value=0.0)
    res = sensitivity(_gbm(5_000, idle=idle), backend="numpy")
    for name in ("asset.idle.expected_return", "asset.idle.volatility"):
        bar = next(b for b in res.bars if b.input == name)
        assert bar.p_swing == 0.0 and bar.median_swing == 0.0 and bar.p_swing_se == 0.0
    assert res.bars[0].input.startswith("asset.co")  # sorted by swing


def test_sobol_of_a_product_of_lognormals_are_the_log_variance_shares() -> None:
    highs = {"a": 4.0, "b": 2.0, "c": 9.0}  # 90% intervals [1, high]: log sd ∝ log(high)
    drivers = DriverModel(
        (
            *(DriverSpec(n, "lognormal", low=1.0, high=h) for n, h in highs.items()),
            DriverSpec("v", "formula", formula="a * b * c"),
        )
    )
    spec = ProjectionSpec(
        assets=(AssetSpec("co", "driver", driver="v", driver_scale=1.0, volatility=0.2),),
        drivers=drivers,
        years=T,
        steps_per_year=1,
        paths=2_048,
        seed=3,
    )
    res = sobol_drivers(spec, simulate_terminals(spec, backend="numpy"), n=2**13, seed=5)
    var = {n: math.log(h) ** 2 for n, h in highs.items()}
    for s in res:
        share = var[s.driver] / sum(var.values())
        assert s.first_order_low <= share <= s.first_order_high, s
        assert s.total_low <= share <= s.total_high, s


def test_solved_return_for_the_median_is_the_closed_form() -> None:
    spec = _gbm(20_001)
    res = solve(spec, backend="numpy")
    req = next(r for r in res.requirements if r.input == "asset.co.expected_return")
    # on these very paths the median moves by exactly (mu - MU)·T in log
    exact_here = MU + (math.log(K) - math.log(res.base_median)) / T
    assert req.for_median == pytest.approx(exact_here, abs=1e-6)
    closed = math.log(K) / T + SIGMA**2 / 2
    se = 1.2533 * SIGMA / math.sqrt(T * res.paths)
    assert abs(req.for_median - closed) < 4 * se
    comp = next(r for r in res.requirements if r.input == "company.co")
    assert comp.for_median == pytest.approx(K, rel=1e-9)
    assert comp.cagr_median == pytest.approx(K ** (1 / T) - 1, rel=1e-8)


def test_solve_says_when_an_input_cannot_reach_the_target() -> None:
    idle = AssetSpec("idle", "gbm", expected_return=0.1, volatility=0.3, start_value=0.0)
    res = solve(_gbm(2_000, idle=idle), backend="numpy")
    req = next(r for r in res.requirements if r.input == "company.idle")
    assert not req.reachable_median and req.for_median is None


def test_solve_a_driver() -> None:
    drivers = DriverModel(
        (
            DriverSpec("units", "lognormal", low=1.0, high=4.0),
            DriverSpec("v", "formula", formula="units * 2"),
        )
    )
    spec = ProjectionSpec(
        assets=(AssetSpec("co", "driver", driver="v", driver_scale=1.0, volatility=0.2),),
        drivers=drivers,
        years=T,
        steps_per_year=1,
        paths=2_048,
        seed=3,
        target_multiple=K,
    )
    req = next(r for r in solve(spec, backend="numpy").requirements if r.input == "driver.units")
    assert req.for_median == pytest.approx(K / 2, rel=1e-6)


def test_bad_ranges() -> None:
    with pytest.raises(UnknownIdError, match=r"unknown input 'asset\.nope\.volatility'"):
        sensitivity_inputs(_gbm(10), [SensitivityRange("asset.nope.volatility", 0.1, 0.2)])
    with pytest.raises(SpecError, match="must not lie above") as exc:
        sensitivity_inputs(
            _gbm(10), [SensitivityRange("asset.co.volatility", 0.5, 0.2, field="sensitivity[1]")]
        )
    assert exc.value.field == "sensitivity[1].low"
    assert np.isfinite(sensitivity_inputs(_gbm(10))[0].low)
