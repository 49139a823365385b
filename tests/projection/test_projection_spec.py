"""Bad specifications fail at once, with the key that is wrong."""

from __future__ import annotations

import pytest

from conviction.errors import FormatError, InputError, SpecError, UnknownIdError
from conviction.projection import (
    AssetSpec,
    CorrelationSpec,
    DriverModel,
    DriverSpec,
    JumpSpec,
    Projection,
    ProjectionSpec,
)


def _a(cid: str = "a", **kw: object) -> AssetSpec:
    kw.setdefault("expected_return", 0.1)
    kw.setdefault("volatility", 0.3)
    return AssetSpec(cid, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "error", "field"),
    [
        (lambda: _a(volatility=-0.1), SpecError, "projection.asset[a].volatility"),
        (lambda: _a(model="levy"), FormatError, "projection.asset[a].model"),
        (
            lambda: AssetSpec("a", volatility=0.2),
            FormatError,
            "projection.asset[a].expected_return",
        ),
        (lambda: _a(model="student_t"), SpecError, "projection.asset[a].df"),
        (lambda: _a(model="student_t", df=2.0), SpecError, "projection.asset[a].df"),
        (lambda: _a(df=4.0), FormatError, "projection.asset[a].df"),
        (lambda: _a(model="bootstrap", history=(0.1,)), SpecError, "projection.asset[a]"),
        (lambda: _a(model="driver"), FormatError, "projection.asset[a].driver"),
        (lambda: _a(mark_every_years=0.0), SpecError, "projection.asset[a].mark_every_years"),
        (lambda: _a(start_value=-1.0), SpecError, "projection.asset[a].start_value"),
        (lambda: CorrelationSpec("a", "b", 1.5), SpecError, "projection.correlation[a,b].rho"),
        (lambda: CorrelationSpec("a", "a", 0.5), SpecError, "projection.correlation[a,a].rho"),
        (
            lambda: JumpSpec("j", 1.0, 0.5, companies=("a",)),
            SpecError,
            "projection.jump[j].annual_probability",
        ),
        (lambda: JumpSpec("j", 0.1, 1.0, companies=("a",)), SpecError, "projection.jump[j].loss"),
        (lambda: JumpSpec("j", 0.1, 0.5), FormatError, "projection.jump[j]"),
        (lambda: ProjectionSpec(assets=()), FormatError, "projection.asset"),
        (lambda: ProjectionSpec(assets=(_a(),), paths=0), FormatError, "projection.paths"),
        (lambda: ProjectionSpec(assets=(_a(),), years=2.5), FormatError, "projection.years"),  # type: ignore[arg-type]
        (
            lambda: ProjectionSpec(assets=(_a(),), target_multiple=0),
            SpecError,
            "projection.target_multiple",
        ),
        (lambda: ProjectionSpec(assets=(_a(), _a())), SpecError, "projection.asset[a]"),
        (
            lambda: ProjectionSpec(assets=(_a(),), correlations=(CorrelationSpec("a", "zz", 0.1),)),
            UnknownIdError,
            "projection.correlation[a,zz]",
        ),
        (
            lambda: ProjectionSpec(
                assets=(_a(),), jumps=(JumpSpec("j", 0.1, 0.5, people=("musk",)),)
            ),
            UnknownIdError,
            "projection.jump[j].people",
        ),
        (
            lambda: ProjectionSpec(assets=(_a(model="driver", driver="v"),)),
            UnknownIdError,
            "projection.asset[a].driver",
        ),
    ],
)
def test_bad_specs(build, error: type, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as info:
        build()
    assert isinstance(info.value, InputError)
    assert info.value.field == field


def test_correlations_must_be_positive_semi_definite() -> None:
    spec = ProjectionSpec(
        assets=(_a("a"), _a("b"), _a("c")),
        correlations=(
            CorrelationSpec("a", "b", 0.9),
            CorrelationSpec("b", "c", 0.9),
            CorrelationSpec("a", "c", -0.5),
        ),
    )
    with pytest.raises(SpecError, match="not positive semi-definite") as info:
        Projection(spec)
    assert info.value.field == "projection.correlation"


def test_perfect_correlation_is_allowed() -> None:
    spec = ProjectionSpec(
        assets=(_a("a"), _a("b")), correlations=(CorrelationSpec("a", "b", 1.0),), paths=500
    )
    r = Projection(spec).run(seed=1)
    assert r.company_multiple[0] == pytest.approx(r.company_multiple[1])


def test_bootstrap_assets_take_no_correlation() -> None:
    spec = ProjectionSpec(
        assets=(_a("a"), AssetSpec("h", model="bootstrap", history=(0.01, 0.02, -0.01))),
        correlations=(CorrelationSpec("a", "h", 0.5),),
    )
    with pytest.raises(SpecError, match="bootstrap"):
        Projection(spec)


def test_overrides_are_validated() -> None:
    spec = ProjectionSpec(assets=(_a(),))
    assert spec.with_overrides(paths=10, years=3, seed=1).n_steps == 36
    with pytest.raises(FormatError):
        spec.with_overrides(paths=-1)


def test_driver_values_that_are_not_numbers_fail_with_the_driver() -> None:
    spec = ProjectionSpec(
        assets=(AssetSpec("x", model="driver", driver="v"),),
        drivers=DriverModel(
            (
                DriverSpec("u", "normal", mean=0.0, sd=1.0),
                DriverSpec("v", "formula", formula="log(u)"),
            ),
        ),
        paths=100,
    )
    with pytest.raises(SpecError, match="driver 'v' is not a number") as info:
        Projection(spec).run(seed=1)
    assert info.value.field == "driver[v]"
