"""Driver distributions against SciPy's, the Gaussian copula, formulas in order, cycles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from conviction.errors import FormatError, SpecError, UnknownIdError
from conviction.projection import DriverCorrelation, DriverModel, DriverSpec

N = 200_000


def _sample(*drivers: DriverSpec, corr: tuple[DriverCorrelation, ...] = ()) -> dict:
    return DriverModel(drivers, corr).sample(np.random.default_rng(1), N)


def _ks(x: np.ndarray, cdf) -> None:  # type: ignore[no-untyped-def]
    assert stats.kstest(x, cdf).pvalue > 1e-4


def test_lognormal_from_a_90_percent_interval() -> None:
    x = _sample(DriverSpec("u", "lognormal", low=100.0, high=10_000.0))["u"]
    s = math.log(10_000 / 100) / (2 * 1.6448536269514722)
    _ks(x, stats.lognorm(s=s, scale=1000.0).cdf)
    assert np.percentile(x, [5, 95]) == pytest.approx([100.0, 10_000.0], rel=0.02)


def test_normal_by_sd_and_by_interval() -> None:
    d = _sample(
        DriverSpec("a", "normal", mean=3.0, sd=2.0),
        DriverSpec("b", "normal", low=-1.0, high=7.0),
    )
    _ks(d["a"], stats.norm(3.0, 2.0).cdf)
    _ks(d["b"], stats.norm(3.0, 4.0 / 1.6448536269514722).cdf)


def test_uniform_triangular_pert() -> None:
    d = _sample(
        DriverSpec("u", "uniform", low=2.0, high=5.0),
        DriverSpec("t", "triangular", low=1.0, mode=2.0, high=6.0),
        DriverSpec("p", "pert", low=10.0, mode=12.0, high=30.0),
    )
    _ks(d["u"], stats.uniform(2.0, 3.0).cdf)
    _ks(d["t"], stats.triang(c=0.2, loc=1.0, scale=5.0).cdf)
    a = 1 + 4 * (12 - 10) / 20
    b = 1 + 4 * (30 - 12) / 20
    _ks(d["p"], stats.beta(a, b, loc=10.0, scale=20.0).cdf)
    assert d["p"].mean() == pytest.approx((10 + 4 * 12 + 30) / 6, rel=0.01)


def test_mean_values_are_exact() -> None:
    for spec, dist in [
        (DriverSpec("x", "lognormal", low=1.0, high=9.0), None),
        (DriverSpec("x", "triangular", low=0.0, mode=1.0, high=5.0), None),
        (DriverSpec("x", "pert", low=0.0, mode=1.0, high=5.0), None),
        (DriverSpec("x", "uniform", low=0.0, high=5.0), None),
    ]:
        assert dist is None
        x = _sample(spec)["x"]
        assert x.mean() == pytest.approx(spec.mean_value(), rel=0.01)


def test_copula_keeps_marginals_and_sets_rank_correlation() -> None:
    rho = 0.7
    d = _sample(
        DriverSpec("g", "lognormal", low=5.0, high=100.0),
        DriverSpec("r", "triangular", low=1.0, mode=2.0, high=9.0),
        corr=(DriverCorrelation("g", "r", rho),),
    )
    _ks(d["r"], stats.triang(c=1 / 8, loc=1.0, scale=8.0).cdf)
    spearman = stats.spearmanr(d["g"], d["r"]).statistic
    assert spearman == pytest.approx(6 / math.pi * math.asin(rho / 2), abs=0.01)


def test_formulas_run_in_dependency_order() -> None:
    model = DriverModel(
        (
            DriverSpec("value", "formula", formula="revenue * multiple"),
            DriverSpec("revenue", "formula", formula="units * price"),
            DriverSpec("units", "uniform", low=1.0, high=2.0),
            DriverSpec("price", "fixed", value=10.0),
            DriverSpec("multiple", "fixed", value=3.0),
        )
    )
    assert model.order.index("revenue") < model.order.index("value")
    d = model.sample(np.random.default_rng(0), 100)
    np.testing.assert_allclose(d["value"], d["units"] * 30.0)


def test_cycles_are_named() -> None:
    with pytest.raises(
        SpecError, match=r"cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)"
    ):
        DriverModel(
            (
                DriverSpec("a", "formula", formula="b + 1"),
                DriverSpec("b", "formula", formula="c * 2"),
                DriverSpec("c", "formula", formula="a"),
            )
        )
    with pytest.raises(SpecError, match="a -> a"):
        DriverModel((DriverSpec("a", "formula", formula="a + 1"),))


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"distribution": "lognormal", "low": 5.0, "high": 5.0}, SpecError, "driver[x].low"),
        ({"distribution": "lognormal", "low": -1.0, "high": 5.0}, SpecError, "driver[x].low"),
        ({"distribution": "uniform", "low": 9.0, "high": 1.0}, SpecError, "driver[x].low"),
        (
            {"distribution": "pert", "low": 0.0, "mode": 7.0, "high": 5.0},
            SpecError,
            "driver[x].mode",
        ),
        ({"distribution": "triangular", "low": 0.0, "high": 5.0}, FormatError, "driver[x].mode"),
        ({"distribution": "normal", "mean": 1.0}, FormatError, "driver[x].sd"),
        ({"distribution": "normal", "mean": 1.0, "sd": -1.0}, SpecError, "driver[x].sd"),
        ({"distribution": "fixed"}, FormatError, "driver[x].value"),
        ({"distribution": "gamma"}, FormatError, "driver[x].distribution"),
        ({"distribution": "formula", "formula": "1 +"}, SpecError, "driver[x].formula"),
    ],
)
def test_bad_drivers(kwargs: dict, error: type, field: str) -> None:
    with pytest.raises(error) as info:
        DriverSpec("x", **kwargs)
    assert info.value.field == field


def test_bad_models() -> None:
    x = DriverSpec("x", "uniform", low=0.0, high=1.0)
    f = DriverSpec("f", "formula", formula="x * y")
    with pytest.raises(SpecError, match="unknown name 'y' at column 5"):
        DriverModel((x, f))
    with pytest.raises(SpecError, match="defined twice"):
        DriverModel((x, x))
    fixed = DriverSpec("k", "fixed", value=1.0)
    with pytest.raises(SpecError, match="not random"):
        DriverModel((x, fixed), (DriverCorrelation("x", "k", 0.5),))
    with pytest.raises(UnknownIdError, match="unknown driver 'z'"):
        DriverModel((x,), (DriverCorrelation("x", "z", 0.5),))
    y = DriverSpec("y", "uniform", low=0.0, high=1.0)
    z = DriverSpec("z", "uniform", low=0.0, high=1.0)
    with pytest.raises(SpecError, match="not positive semi-definite"):
        DriverModel(
            (x, y, z),
            (
                DriverCorrelation("x", "y", 0.9),
                DriverCorrelation("y", "z", 0.9),
                DriverCorrelation("x", "z", -0.9),
            ),
        )
