"""Milestone effects: a hit, a miss and a slip change a driver as docs/theses.md says.

Expected values are written by hand from the documented semantics (the worked example of
docs/theses.md), not computed by the code under test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from conviction.errors import FormatError, UnknownIdError
from conviction.io.theses_toml import read_theses_file
from conviction.projection import Projection
from conviction.projection.drivers import DriverModel, DriverSpec
from conviction.projection.spec import AssetSpec, ProjectionSpec
from conviction.theses import Thesis, apply_outcomes, outcomes_on

D = dt.date

HEAD = """\
[[thesis]]
id = "tesla"
company = "tesla"
statement = "The machine that builds the machine."
opened = 2025-11-14
horizon = 2035-11-14

[[thesis.milestone]]
id = "optimus"
title = "Optimus V3 under $20,000"
due = 2027-12-31

[[thesis.milestone.effect]]
driver = "optimus_units"
hit = 1.5
missed = 0.5
slipped_years = 1
growth = 0.25

[[thesis.milestone.effect]]
driver = "optimus_unit_cost"
hit = 0.9
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "theses.toml"
    path.write_text(text, encoding="utf-8")
    return path


def read(path: Path) -> tuple[Thesis, ...]:
    return read_theses_file(path, ["tesla", "spacex", "xai"], ["musk"]).theses


def update(on: str, status: str) -> str:
    return f"""
[[thesis.milestone.update]]
date = {on}
status = "{status}"
evidence = "recorded {status} on {on}"
"""


def spec() -> ProjectionSpec:
    drivers = DriverModel(
        (
            DriverSpec("optimus_units", "lognormal", low=2.0e5, high=1.0e7),
            DriverSpec("optimus_unit_cost", "pert", low=15000.0, mode=20000.0, high=40000.0),
            DriverSpec("pe_multiple", "fixed", value=20.0),
            DriverSpec(
                "tesla_value",
                "formula",
                formula="optimus_units * optimus_unit_cost * pe_multiple",
            ),
        )
    )
    asset = AssetSpec("tesla", model="driver", driver="tesla_value", driver_scale=6.0e10)
    return ProjectionSpec((asset,), years=2, steps_per_year=1, paths=512, seed=3, drivers=drivers)


def interval(s: ProjectionSpec, name: str) -> tuple[float | None, float | None, float | None]:
    assert s.drivers is not None
    d = s.drivers.get(name)
    return d.low, d.mode, d.high


def test_the_file_reads_effects_with_their_place(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD)
    (m,) = read(path)[0].milestones
    units, cost = m.effects
    assert (units.driver, units.hit, units.missed, units.slipped_years, units.growth) == (
        "optimus_units",
        1.5,
        0.5,
        1.0,
        0.25,
    )
    assert (cost.driver, cost.hit, cost.missed, cost.slipped_years) == (
        "optimus_unit_cost",
        0.9,
        None,
        None,
    )
    assert (units.file, units.line, units.field) == (
        str(path),
        14,
        "thesis[0].milestone[0].effect[0].driver",
    )
    assert cost.line == 21


def test_pending_leaves_the_spec_as_given(tmp_path: Path) -> None:
    theses = read(write(tmp_path, HEAD))
    base = spec()
    assert apply_outcomes(base, theses, D(2030, 1, 1)) is base
    assert outcomes_on(theses, D(2030, 1, 1)) == ()


def test_a_hit_moves_the_interval_up_by_its_factor(tmp_path: Path) -> None:
    theses = read(write(tmp_path, HEAD + update("2027-10-01", "hit")))
    before = apply_outcomes(spec(), theses, D(2027, 9, 30))
    after = apply_outcomes(spec(), theses, D(2027, 10, 1))
    assert interval(before, "optimus_units") == (2.0e5, None, 1.0e7)
    assert interval(after, "optimus_units") == pytest.approx((3.0e5, None, 1.5e7))
    assert interval(after, "optimus_unit_cost") == pytest.approx((13500.0, 18000.0, 36000.0))
    d = after.drivers.get("optimus_units")  # type: ignore[union-attr]
    assert float(d.quantile(np.zeros(1))[0]) == pytest.approx(2_121_320.3436, rel=1e-9)
    cost = after.drivers.get("optimus_unit_cost")  # type: ignore[union-attr]
    assert cost.mean_value() == pytest.approx(20250.0)
    # The formula that reads them is untouched.
    assert after.drivers.get("tesla_value").formula == spec().drivers.get("tesla_value").formula  # type: ignore[union-attr]


def test_a_miss_moves_it_down(tmp_path: Path) -> None:
    theses = read(write(tmp_path, HEAD + update("2028-01-02", "missed")))
    after = apply_outcomes(spec(), theses, D(2028, 1, 2))
    assert interval(after, "optimus_units") == pytest.approx((1.0e5, None, 5.0e6))
    d = after.drivers.get("optimus_units")  # type: ignore[union-attr]
    assert float(d.quantile(np.zeros(1))[0]) == pytest.approx(707_106.7812, rel=1e-9)
    # The cost effect names no miss: the cost stays as given.
    assert interval(after, "optimus_unit_cost") == (15000.0, 20000.0, 40000.0)


def test_each_slip_moves_the_horizon_a_year_later(tmp_path: Path) -> None:
    text = HEAD + update("2027-12-01", "slipped") + update("2028-12-01", "slipped")
    theses = read(write(tmp_path, text))
    once = apply_outcomes(spec(), theses, D(2028, 6, 1))
    twice = apply_outcomes(spec(), theses, D(2029, 1, 1))
    assert interval(once, "optimus_units") == pytest.approx((1.6e5, None, 8.0e6))
    assert interval(twice, "optimus_units") == pytest.approx((1.28e5, None, 6.4e6))
    assert interval(twice, "optimus_unit_cost") == (15000.0, 20000.0, 40000.0)
    (effect,) = outcomes_on(theses, D(2029, 1, 1))
    assert (effect.status, effect.slips, effect.since) == ("slipped", 2, D(2028, 12, 1))
    assert effect.factor == pytest.approx(0.64)


def test_a_hit_after_a_slip_carries_the_hit_only(tmp_path: Path) -> None:
    text = HEAD + update("2027-12-01", "slipped") + update("2028-06-01", "hit")
    after = apply_outcomes(spec(), read(write(tmp_path, text)), D(2028, 6, 1))
    assert interval(after, "optimus_units") == pytest.approx((3.0e5, None, 1.5e7))


def test_the_driver_moves_path_by_path_on_the_same_numbers(tmp_path: Path) -> None:
    theses = read(write(tmp_path, HEAD + update("2027-10-01", "hit")))
    base, hit = spec(), apply_outcomes(spec(), theses, D(2027, 10, 1))
    assert base.drivers is not None and hit.drivers is not None
    a = base.drivers.sample(np.random.default_rng(5), 1000)
    b = hit.drivers.sample(np.random.default_rng(5), 1000)
    np.testing.assert_allclose(b["optimus_units"], 1.5 * a["optimus_units"], rtol=1e-12)
    np.testing.assert_allclose(b["optimus_unit_cost"], 0.9 * a["optimus_unit_cost"], rtol=1e-12)
    np.testing.assert_allclose(b["tesla_value"], 1.35 * a["tesla_value"], rtol=1e-12)
    # A one-company book valued by the driver: every terminal multiple x 1.35.
    r0, r1 = Projection(base).run(), Projection(hit).run()
    np.testing.assert_allclose(r1.terminal_multiple, 1.35 * r0.terminal_multiple, rtol=1e-9)


def test_an_effect_on_a_formula_driver_scales_the_formula(tmp_path: Path) -> None:
    text = HEAD.replace('driver = "optimus_unit_cost"', 'driver = "tesla_value"')
    theses = read(write(tmp_path, text + update("2027-10-01", "hit")))
    after = apply_outcomes(spec(), theses, D(2027, 10, 1))
    assert after.drivers is not None
    a = spec().drivers.sample(np.random.default_rng(1), 100)  # type: ignore[union-attr]
    b = after.drivers.sample(np.random.default_rng(1), 100)
    np.testing.assert_allclose(b["tesla_value"], 1.5 * 0.9 * a["tesla_value"], rtol=1e-12)


def test_an_effect_on_an_unknown_driver_names_file_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD.replace('"optimus_unit_cost"', '"optimus_unitz"'))
    theses = read(path)  # the theses file alone cannot know the projection's drivers
    with pytest.raises(UnknownIdError) as info:
        apply_outcomes(spec(), theses, D(2026, 1, 1))
    err = info.value
    assert (err.file, err.line, err.field) == (
        str(path),
        21,
        "thesis[0].milestone[0].effect[1].driver",
    )
    assert "optimus_unitz" in err.message and "optimus_units" in err.message


@pytest.mark.parametrize(
    ("change", "line", "field", "words"),
    [
        ("hit = 1.5", 15, "effect[0].hit", "greater than 0"),
        ("growth = 0.25", 17, "effect[0].slipped_years", "'slipped_years' needs 'growth'"),
        ("slipped_years = 1", 18, "effect[0].growth", "'growth' needs 'slipped_years'"),
        ("missed = 0.5", 16, "effect[0].mised", "unknown key"),
    ],
)
def test_bad_effects_name_file_line_and_field(
    tmp_path: Path, change: str, line: int, field: str, words: str
) -> None:
    replacement = {
        "hit = 1.5": "hit = 0",
        "growth = 0.25": "",
        "slipped_years = 1": "",
        "missed = 0.5": "mised = 0.5",
    }[change]
    path = write(tmp_path, HEAD.replace(change, replacement, 1))
    with pytest.raises(FormatError) as info:
        read(path)
    err = info.value
    assert (err.file, err.field) == (str(path), f"thesis[0].milestone[0].{field}")
    assert err.line == line
    assert words in err.message


def test_an_effect_needs_an_outcome_and_one_per_driver(tmp_path: Path) -> None:
    bare = HEAD.replace("hit = 0.9\n", "")
    with pytest.raises(FormatError, match="at least one of 'hit', 'missed'"):
        read(write(tmp_path, bare))
    twice = HEAD.replace('"optimus_unit_cost"', '"optimus_units"')
    with pytest.raises(FormatError, match="two effects") as info:
        read(write(tmp_path, twice))
    assert info.value.line == 21
