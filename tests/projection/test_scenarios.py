"""Scenarios: the same random numbers as the base, changes checked against closed forms, and
bad [[scenario]] tables named by file, line and field."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from conviction.book.model import Book, BookMeta, Company, Person
from conviction.errors import FormatError, InputError, SpecError, UnknownIdError
from conviction.io.projection_toml import read_projection
from conviction.io.scenario_toml import read_scenarios, select_scenarios
from conviction.projection import AssetSpec, JumpSpec, ProjectionResult, ProjectionSpec
from conviction.projection.drivers import DriverModel, DriverSpec
from conviction.projection.scenarios import (
    AssetChange,
    DriverPin,
    KeyPersonShock,
    Markdown,
    Scenario,
    apply_scenario,
    run_scenarios,
)

MU, SIGMA, T, K = 0.12, 0.35, 10, 3.0


def _gbm(paths: int = 20_000, steps_per_year: int = 1, **kw: object) -> ProjectionSpec:
    co = AssetSpec("co", "gbm", expected_return=MU, volatility=SIGMA, people=("boss",))
    return ProjectionSpec(
        assets=(co,),
        years=T,
        steps_per_year=steps_per_year,
        paths=paths,
        target_multiple=K,
        seed=11,
        **kw,  # type: ignore[arg-type]
    )


def _p(mu: float, loss: float = 0.0) -> float:
    """P(S_T / S_0 >= K) of a GBM cut once by ``loss``."""
    d = (mu - SIGMA**2 / 2) * T + math.log1p(-loss) - math.log(K)
    return float(stats.norm.cdf(d / (SIGMA * math.sqrt(T))))


def _equal(a: ProjectionResult, b: ProjectionResult) -> None:
    for f in dataclasses.fields(ProjectionResult):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_a_scenario_that_changes_nothing_is_the_base_bit_for_bit(backend: str) -> None:
    jump = JumpSpec("kp", 0.05, 0.3, people=("boss",))
    spec = _gbm(4_000, steps_per_year=12, jumps=(jump,))
    same = Scenario(
        "same",
        shocks=(KeyPersonShock("boss", 3, loss=0.0),),
        assets=(AssetChange("co", expected_return=MU, volatility=SIGMA),),
        markdowns=(Markdown("co", 0.0),),
    )
    base, empty, unchanged = run_scenarios(spec, [Scenario("empty"), same], backend=backend)
    assert [r.name for r in (base, empty, unchanged)] == ["base", "empty", "same"]
    _equal(base.result, empty.result)
    _equal(base.result, unchanged.result)


@pytest.mark.parametrize("fraction", [0.25, 0.5, 0.9])
def test_a_markdown_scales_a_single_company_book_by_one_minus_the_fraction(
    fraction: float,
) -> None:
    spec = _gbm(5_000, steps_per_year=12)
    base, down = run_scenarios(spec, [Scenario("down", markdowns=(Markdown("co", fraction),))])
    b, d = base.result, down.result
    keep = 1.0 - fraction
    np.testing.assert_allclose(d.terminal_multiple, keep * b.terminal_multiple, rtol=1e-12)
    np.testing.assert_allclose(d.terminal_value, keep * b.terminal_value, rtol=1e-12)
    assert d.mean_multiple == pytest.approx(keep * (b.mean_multiple or 0.0), rel=1e-12)
    assert d.mean_log_multiple == pytest.approx(b.mean_log_multiple + math.log(keep), rel=1e-12)
    # per company and the yearly fan are kept as float32 samples
    np.testing.assert_allclose(d.company_multiple, keep * b.company_multiple, rtol=1e-6)
    np.testing.assert_allclose(d.fan, keep * b.fan, rtol=1e-6)
    assert d.start_value == b.start_value  # multiples of the value before the markdown
    assert d.max_drawdown[0] >= fraction - 1e-6  # a fall from today (float32 samples)


def test_a_markdown_of_a_private_driver_company_shows_today_and_at_the_horizon() -> None:
    drivers = DriverModel((DriverSpec("v", "lognormal", low=1.0, high=30.0),))
    spec = ProjectionSpec(
        assets=(
            AssetSpec(
                "priv", "driver", driver="v", volatility=0.3, mark_every_years=1.0, start_value=2.0
            ),
            AssetSpec("pub", "gbm", expected_return=0.05, volatility=0.2, start_value=2.0),
        ),
        drivers=drivers,
        years=5,
        paths=3_000,
        seed=5,
    )
    base, down = run_scenarios(spec, [Scenario("half", markdowns=(Markdown("priv", 0.5),))])
    assert down.result.fan[0] == pytest.approx(np.full(5, 0.75))  # (2 * 0.5 + 2) / 4
    np.testing.assert_allclose(
        down.result.company_multiple[0], 0.5 * base.result.company_multiple[0], rtol=1e-6
    )
    np.testing.assert_array_equal(down.result.company_multiple[1], base.result.company_multiple[1])


def test_the_key_person_shock_matches_the_closed_form_and_falls_in_its_year() -> None:
    loss = 0.4
    spec = _gbm(40_000, steps_per_year=1)
    base, gone = run_scenarios(spec, [Scenario("gone", shocks=(KeyPersonShock("boss", 3, loss),))])
    p, n = gone.result.prob_target, gone.result.paths
    se = math.sqrt(_p(MU, loss) * (1 - _p(MU, loss)) / n)
    assert abs(p - _p(MU, loss)) < 4 * se
    assert abs(base.result.prob_target - _p(MU)) < 4 * se
    np.testing.assert_array_equal(gone.result.fan[:3], base.result.fan[:3])  # years 0..2
    np.testing.assert_allclose(gone.result.fan[3:], (1 - loss) * base.result.fan[3:], rtol=1e-6)


def test_the_shock_loss_defaults_to_the_jump_that_names_the_person() -> None:
    spec = _gbm(jumps=(JumpSpec("kp", 0.02, 0.35, people=("boss",)),))
    out = apply_scenario(spec, Scenario("s", shocks=(KeyPersonShock("boss", 3),)))
    assert [(s.year, s.loss, s.people) for s in out.shocks] == [(3, 0.35, ("boss",))]


def test_a_replaced_expected_return_matches_the_closed_form() -> None:
    spec = _gbm(40_000)
    _, up = run_scenarios(spec, [Scenario("up", assets=(AssetChange("co", 0.2),))])
    se = math.sqrt(_p(0.2) * (1 - _p(0.2)) / spec.paths)
    assert abs(up.result.prob_target - _p(0.2)) < 4 * se


def _two_drivers(paths: int = 2_000) -> ProjectionSpec:
    drivers = DriverModel(
        (
            DriverSpec("a", "lognormal", low=1.0, high=4.0),
            DriverSpec("b", "pert", low=1.0, mode=2.0, high=5.0),
        )
    )
    return ProjectionSpec(
        assets=(
            AssetSpec("ca", "driver", driver="a", volatility=0.0),
            AssetSpec("cb", "driver", driver="b", volatility=0.0),
        ),
        drivers=drivers,
        years=4,
        steps_per_year=1,
        paths=paths,
        seed=2,
        target_multiple=2.5,
    )


def test_a_pinned_driver_is_its_value_and_the_other_drivers_draw_what_they_drew() -> None:
    spec = _two_drivers()
    base, pinned = run_scenarios(spec, [Scenario("pin", pins=(DriverPin("a", 3.0),))])
    np.testing.assert_allclose(pinned.result.company_multiple[0], 3.0, rtol=1e-6)
    np.testing.assert_array_equal(
        pinned.result.company_multiple[1], base.result.company_multiple[1]
    )


def test_a_new_interval_keeps_each_path_at_its_quantile() -> None:
    spec = _two_drivers()
    # lognormal [1, 4] -> [2, 8]: every path's value doubles; pert [1, 5] -> [2, 10]: the
    # mode moves with the interval, so the whole distribution doubles too
    sc = Scenario(
        "x2", pins=(DriverPin("a", low=2.0, high=8.0), DriverPin("b", low=2.0, high=10.0))
    )
    base, twice = run_scenarios(spec, [sc])
    np.testing.assert_allclose(
        twice.result.company_multiple, 2 * base.result.company_multiple, rtol=1e-5
    )
    assert apply_scenario(spec, sc).drivers.get("b").mode == pytest.approx(4.0)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("scenario", "error", "field"),
    [
        (Scenario("s", markdowns=(Markdown("nope", 0.5, "m"),)), UnknownIdError, "m.company"),
        (Scenario("s", markdowns=(Markdown("co", 1.0, "m"),)), SpecError, "m.fraction"),
        (Scenario("s", markdowns=(Markdown("co", -0.1, "m"),)), SpecError, "m.fraction"),
        (
            Scenario("s", shocks=(KeyPersonShock("nobody", 3, 0.3, "k"),)),
            UnknownIdError,
            "k.person",
        ),
        (Scenario("s", shocks=(KeyPersonShock("boss", 11, 0.3, "k"),)), SpecError, "k.year"),
        (Scenario("s", shocks=(KeyPersonShock("boss", 3, None, "k"),)), FormatError, "k.loss"),
        (Scenario("s", pins=(DriverPin("v", 1.0, field="p"),)), UnknownIdError, "p.driver"),
        (Scenario("s", assets=(AssetChange("nope", 0.1, field="a"),)), UnknownIdError, "a.company"),
        (Scenario("s", assets=(AssetChange("co", None, -1.0, "a"),)), SpecError, "a.volatility"),
    ],
)
def test_bad_changes_name_their_field(
    scenario: Scenario, error: type[InputError], field: str
) -> None:
    with pytest.raises(error) as info:
        apply_scenario(_gbm(100), scenario)
    assert info.value.field == field


def test_bad_pins_name_their_field() -> None:
    spec = dataclasses.replace(
        _two_drivers(),
        drivers=DriverModel(
            (*_two_drivers().drivers.drivers, DriverSpec("c", "formula", formula="a * 2"))  # type: ignore[union-attr]
        ),
    )
    for pin, error, field in [
        (DriverPin("zz", 1.0, field="p"), UnknownIdError, "p.driver"),
        (DriverPin("a", 1.0, low=1.0, field="p"), FormatError, "p.value"),
        (DriverPin("a", low=1.0, field="p"), FormatError, "p.high"),
        (DriverPin("a", low=3.0, high=2.0, field="p"), SpecError, "p.low"),
        (DriverPin("a", low=-1.0, high=2.0, field="p"), SpecError, "p.low"),  # lognormal
        (DriverPin("c", low=1.0, high=2.0, field="p"), SpecError, "p.low"),  # a formula
        (DriverPin("b", low=1.0, high=2.0, mode=3.0, field="p"), SpecError, "p.mode"),
    ]:
        with pytest.raises(error) as info:
            apply_scenario(spec, Scenario("s", pins=(pin,)))
        assert info.value.field == field, pin


# ---------------------------------------------------------------------------- the file

BOOK = Book(
    meta=BookMeta(name="test"),
    persons={"musk": Person("musk", "Elon Musk"), "cook": Person("cook", "Tim Cook")},
    companies={
        "tesla": Company("tesla", "Tesla", ticker="TSLA", key_people=("musk",)),
        "spacex": Company("spacex", "SpaceX", public=False, key_people=("musk",)),
        "apple": Company("apple", "Apple", ticker="AAPL", key_people=("cook",)),
    },
)

FILE = """\
[projection]
years = 10
paths = 500
seed = 7

[[projection.asset]]
company = "TSLA"
expected_return = 0.1
volatility = 0.5

[[projection.asset]]
company = "spacex"
expected_return = 0.12
volatility = 0.3

[[projection.jump]]
name = "key-person"
people = ["musk"]
annual_probability = 0.02
loss = 0.35

[[driver]]
name = "units"
distribution = "lognormal"
low = 1.0
high = 10.0

[[scenario]]
name = "gone"
note = "the key person leaves"
[[scenario.shock]]
person = "musk"
year = 3

[[scenario]]
name = "mixed"
[[scenario.markdown]]
company = "TSLA"
fraction = 0.5
[[scenario.asset]]
company = "spacex"
volatility = 0.4
[[scenario.pin]]
driver = "units"
value = 3.0
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "projection.toml"
    path.write_text(text)
    return path


def test_the_file_reads_every_kind_of_change(tmp_path: Path) -> None:
    path = _write(tmp_path, FILE)
    spec = read_projection(path, book=BOOK)
    gone, mixed = read_scenarios(path, spec, book=BOOK)
    assert (gone.name, gone.note, gone.shocks[0].person, gone.shocks[0].year) == (
        "gone",
        "the key person leaves",
        "musk",
        3.0,
    )
    assert mixed.markdowns[0].company == "tesla"  # the ticker resolved
    assert mixed.changes() == (
        "driver units = 3",
        "spacex: volatility 0.4",
        "tesla marked down 50% today",
    )
    assert select_scenarios((gone, mixed), ["mixed", "gone", "mixed"], path) == (mixed, gone)


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), start=1) if line.startswith(needle))


@pytest.mark.parametrize(
    ("old", "new", "error", "field"),
    [
        ("fraction = 0.5", "fraction = 1.5", SpecError, "scenario[2].markdown[1].fraction"),
        (
            'company = "TSLA"\nfraction',
            'company = "NOPE"\nfraction',
            UnknownIdError,
            "scenario[2].markdown[1].company",
        ),
        (
            'company = "TSLA"\nfraction',
            'company = "apple"\nfraction',
            UnknownIdError,
            "scenario[2].markdown[1].company",
        ),
        ('person = "musk"', 'person = "jobs"', UnknownIdError, "scenario[1].shock[1].person"),
        ('person = "musk"', 'person = "cook"', UnknownIdError, "scenario[1].shock[1].person"),
        ("year = 3", "year = 12", SpecError, "scenario[1].shock[1].year"),
        ('driver = "units"', 'driver = "robots"', UnknownIdError, "scenario[2].pin[1].driver"),
        ("volatility = 0.4", "volatility = -0.4", SpecError, "scenario[2].asset[1].volatility"),
        ("volatility = 0.4", "volatile = 0.4", FormatError, "scenario[2].asset[1].volatile"),
        ('name = "mixed"', 'name = "gone"', FormatError, "scenario[2].name"),
        ('name = "mixed"', 'name = "base"', FormatError, "scenario[2].name"),
        ("fraction = 0.5", 'fraction = "half"', FormatError, "scenario[2].markdown[1].fraction"),
    ],
)
def test_bad_scenarios_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, error: type[InputError], field: str
) -> None:
    assert FILE.count(old) == 1
    text = FILE.replace(old, new)
    path = _write(tmp_path, text)
    spec = read_projection(path, book=BOOK)
    with pytest.raises(error) as info:
        read_scenarios(path, spec, book=BOOK)
    err = info.value
    assert (err.file, err.field) == (str(path), field), str(err)
    key = field.rsplit(".", 1)[-1]
    start = FILE.index(old)  # where the change was made
    expected = text[:start].count("\n") + 1 + new[: new.index(key)].count("\n")
    assert err.line == expected, str(err)


def test_an_unknown_scenario_name_names_the_file_and_option(tmp_path: Path) -> None:
    path = _write(tmp_path, FILE)
    scenarios = read_scenarios(path, read_projection(path, book=BOOK), book=BOOK)
    with pytest.raises(UnknownIdError) as info:
        select_scenarios(scenarios, ["gone", "typo"], path)
    assert (info.value.file, info.value.field) == (str(path), "--scenario")
    assert "typo" in info.value.message and "gone, mixed" in info.value.message


def test_an_unknown_key_of_a_scenario_lists_every_known_one(tmp_path: Path) -> None:
    path = _write(tmp_path, FILE.replace('note = "the key person leaves"', 'nte = "x"'))
    with pytest.raises(FormatError) as info:
        read_scenarios(path, read_projection(path, book=BOOK), book=BOOK)
    assert info.value.field == "scenario[1].nte"
    assert "known: asset, markdown, name, note, pin, shock" in info.value.message
