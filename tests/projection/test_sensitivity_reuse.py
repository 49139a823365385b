"""The tornado reuses the base run: its ends equal runs simulated whole (same seed)."""

from __future__ import annotations

import numpy as np

from conviction.projection import AssetSpec, CorrelationSpec, JumpSpec, ProjectionSpec
from conviction.projection.drivers import DriverCorrelation, DriverModel, DriverSpec
from conviction.projection.sensitivity import (
    apply_input,
    sensitivity,
    sensitivity_inputs,
    simulate_terminals,
)


def _spec() -> ProjectionSpec:
    drivers = DriverModel(
        (
            DriverSpec("units", "lognormal", low=1.0, high=20.0),
            DriverSpec("price", "pert", low=0.5, mode=1.0, high=3.0),
            DriverSpec("idle", "uniform", low=0.0, high=1.0),
            DriverSpec("value", "formula", formula="units * price"),
        ),
        (DriverCorrelation("units", "price", 0.4),),
    )
    return ProjectionSpec(
        assets=(
            AssetSpec(
                "d",
                "driver",
                driver="value",
                driver_scale=2.0,
                volatility=0.3,
                people=("p",),
                mark_every_years=1.0,
                start_value=3.0,
            ),
            AssetSpec("g", "gbm", expected_return=0.08, volatility=0.25, people=("p",)),
        ),
        correlations=(CorrelationSpec("d", "g", 0.5),),
        jumps=(JumpSpec("kp", 0.05, 0.4, people=("p",)),),
        drivers=drivers,
        years=6,
        paths=5_000,
        block_paths=1024,
        seed=9,
        target_multiple=2.0,
    )


def test_every_end_is_the_whole_run_of_its_spec() -> None:
    spec = _spec()
    res = sensitivity(spec, sobol_n=2**6)
    bars = {b.input: b for b in res.bars}
    inputs = sensitivity_inputs(spec)
    assert {i.kind for i in inputs} >= {"driver", "volatility", "jump_loss", "correlation"}
    for inp in inputs:
        lo = simulate_terminals(apply_input(spec, inp, inp.low)).book
        hi = simulate_terminals(apply_input(spec, inp, inp.high)).book
        b = bars[inp.name]
        exact = inp.kind != "driver"  # a driver's end is re-evaluated, equal to rounding
        for got, want in ((b.median_low, np.median(lo)), (b.median_high, np.median(hi))):
            if exact:
                assert got == want, inp.name
            else:
                np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=inp.name)
        assert b.p_low == np.mean(lo >= 2.0) and b.p_high == np.mean(hi >= 2.0), inp.name
    assert bars["driver.idle"].p_swing == 0.0 and bars["driver.idle"].median_swing == 0.0
    # the idle driver's Sobol index is 0 on every resample: no interval (NaN), no warning
    idle = next(x for x in res.sobol if x.driver == "idle")
    assert abs(idle.first_order) < 1e-12 and abs(idle.total) < 1e-12
