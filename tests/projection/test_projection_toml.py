"""The projection TOML reader: the example, bootstrap histories from real prices, and bad
input that names file, line and key."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conviction.book.model import Book, BookMeta, Company, Person
from conviction.errors import FormatError, InputError, SpecError, UnknownIdError
from conviction.io.projection_toml import Overrides, read_projection
from conviction.projection import Projection
from needs_data import need

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron" / "projection.toml"
PRICES = ROOT.parent / "shared" / "data" / "prices"

BOOK = Book(
    meta=BookMeta(name="test"),
    persons={"musk": Person("musk", "Elon Musk"), "cook": Person("cook", "Tim Cook")},
    companies={
        "tesla": Company("tesla", "Tesla", ticker="TSLA", key_people=("musk",)),
        "spacex": Company("spacex", "SpaceX", public=False, key_people=("musk",)),
        "apple": Company("apple", "Apple", ticker="AAPL", key_people=("cook",)),
    },
)

GOOD = """\
[projection]
years = 10
steps_per_year = 12
paths = 4000
seed = 7
target_multiple = 5.0

[[projection.asset]]
company = "TSLA"
model = "student_t"
expected_return = 0.15
volatility = 0.55
df = 4

[[projection.asset]]
company = "spacex"
model = "gbm"
expected_return = 0.2
volatility = 0.4

[[projection.correlation]]
a = "TSLA"
b = "spacex"
rho = 0.6

[[projection.jump]]
name = "key-person"
people = ["musk"]
annual_probability = 0.02
loss = 0.5
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "projection.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_issue_example_reads(tmp_path: Path) -> None:
    spec = read_projection(
        _write(tmp_path, GOOD), book=BOOK, start_values={"tesla": 60.0, "spacex": 40.0}
    )
    assert spec.companies == ("tesla", "spacex")  # the ticker resolved to the id
    tesla, spacex = spec.assets
    assert (tesla.model, tesla.df, tesla.people, tesla.mark_every_years) == (
        "student_t",
        4.0,
        ("musk",),
        None,
    )
    assert spacex.mark_every_years == 1.0  # private in the book: marked yearly by default
    assert spec.start_values == (60.0, 40.0)
    assert spec.correlations[0].rho == 0.6
    assert spec.jumps[0].people == ("musk",)
    assert (spec.paths, spec.seed, spec.target_multiple) == (4000, 7, 5.0)


def test_overrides_win(tmp_path: Path) -> None:
    ov = Overrides(paths=100, years=3, seed=1, target_multiple=2.0, steps_per_year=4)
    spec = read_projection(_write(tmp_path, GOOD), book=BOOK, overrides=ov)
    assert (spec.paths, spec.years, spec.seed, spec.target_multiple, spec.n_steps) == (
        100,
        3,
        1,
        2.0,
        12,
    )


def test_the_baron_example_runs() -> None:
    from conviction.io import read_book

    book = read_book(EXAMPLE.parent)
    spec = read_projection(EXAMPLE, book=book, overrides=Overrides(paths=5000))
    assert spec.companies == ("tesla", "spacex", "xai")
    assert spec.drivers is not None and "agi" in spec.drivers.names
    assert [a.mark_every_years for a in spec.assets] == [None, 1.0, 1.0]
    r = Projection(spec).run()
    assert r.seed == 7
    assert 0.0 < r.prob_target < 1.0
    # the Grok 5 "10% chance of AGI" driver is a 10% event
    agi = spec.drivers.sample(np.random.default_rng(0), 100_000)["agi"]
    assert agi.mean() == pytest.approx(0.10, abs=0.004)
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.count("ILLUSTRATIVE") >= 20


@pytest.mark.parametrize(("steps", "rule"), [(12, "ME"), (252, None), (4, "QE")])
def test_bootstrap_histories_from_real_prices(tmp_path: Path, steps: int, rule: str | None) -> None:
    need(PRICES)
    text = f"""
[projection]
steps_per_year = {steps}
paths = 500
[[projection.asset]]
company = "tesla"
model = "bootstrap"
prices = "{PRICES / "TSLA.csv"}"
[[projection.asset]]
company = "apple"
model = "bootstrap"
prices = "{PRICES / "AAPL.csv"}"
block_years = 1.0
"""
    spec = read_projection(_write(tmp_path, text), book=BOOK)
    # reference: pandas on the raw file, aligned on common period ends
    frames = []
    for name in ("TSLA", "AAPL"):
        raw = pd.read_csv(PRICES / f"{name}.csv", parse_dates=["date"], index_col="date")
        close = raw["adj_close"]
        if rule:
            close = close.resample(rule).last().dropna()
        frames.append(np.log(close).diff().dropna())
    joint = pd.concat(frames, axis=1, join="inner")
    tsla, aapl = spec.assets
    assert len(tsla.history) == len(aapl.history) == len(joint)
    np.testing.assert_allclose(tsla.history, joint.iloc[:, 0].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(aapl.history, joint.iloc[:, 1].to_numpy(), rtol=1e-12)
    r = Projection(spec).run(seed=1)
    assert math.isfinite(r.mean_log_multiple)


def _line(text: str, needle: str) -> int:
    """The 1-based line of the first line holding ``needle``."""
    return next(i for i, row in enumerate(text.splitlines(), 1) if needle in row)


def _bad(tmp_path: Path, text: str, error: type[InputError], line: str | int, field: str) -> str:
    """Read ``text``; expect ``error`` at ``line`` (or the line holding it) and key ``field``."""
    path = _write(tmp_path, text)
    with pytest.raises(error) as info:
        read_projection(path, book=BOOK)
    err = info.value
    assert err.file == str(path)
    assert err.line == (line if isinstance(line, int) else _line(text, line)), str(err)
    assert err.field == field, str(err)
    return err.message


def _replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


def test_unknown_company(tmp_path: Path) -> None:
    msg = _bad(
        tmp_path,
        _replace('company = "spacex"', 'company = "spacx"'),
        UnknownIdError,
        'company = "spacx"',
        "projection.asset[2].company",
    )
    assert "unknown company 'spacx'" in msg and "spacex" in msg


def test_unknown_person(tmp_path: Path) -> None:
    msg = _bad(
        tmp_path,
        _replace('people = ["musk"]', 'people = ["elon"]'),
        UnknownIdError,
        "people =",
        "projection.jump[1].people",
    )
    assert "unknown person 'elon'" in msg


def test_a_person_of_no_projected_company(tmp_path: Path) -> None:
    _bad(
        tmp_path,
        _replace('people = ["musk"]', 'people = ["cook"]'),
        UnknownIdError,
        "people =",
        "projection.jump[key-person].people",
    )


def test_correlation_outside_the_range(tmp_path: Path) -> None:
    text = _replace("rho = 0.6", "rho = 1.6")
    _bad(tmp_path, text, SpecError, "rho =", "projection.correlation[1].rho")


def test_correlation_to_a_company_not_projected(tmp_path: Path) -> None:
    _bad(
        tmp_path,
        _replace('b = "spacex"', 'b = "apple"'),
        UnknownIdError,
        'b = "apple"',
        "projection.correlation[1].b",
    )


def test_correlations_not_psd(tmp_path: Path) -> None:
    text = GOOD + (
        '\n[[projection.asset]]\ncompany = "apple"\nexpected_return = 0.1\nvolatility = 0.3\n'
        '\n[[projection.correlation]]\na = "apple"\nb = "spacex"\nrho = 0.9\n'
        '\n[[projection.correlation]]\na = "apple"\nb = "tesla"\nrho = -0.9\n'
    )
    path = _write(tmp_path, text)
    with pytest.raises(SpecError, match="not positive semi-definite") as info:
        Projection(read_projection(path, book=BOOK))
    assert info.value.field == "projection.correlation"


def test_negative_volatility(tmp_path: Path) -> None:
    _bad(
        tmp_path,
        _replace("volatility = 0.4", "volatility = -0.4"),
        SpecError,
        "volatility = -0.4",
        "projection.asset[2].volatility",
    )


def test_wrong_type_and_unknown_key(tmp_path: Path) -> None:
    msg = _bad(
        tmp_path,
        _replace("volatility = 0.55", 'volatility = "high"'),
        FormatError,
        "volatility =",
        "projection.asset[1].volatility",
    )
    assert "expected float" in msg
    msg = _bad(
        tmp_path,
        _replace("volatility = 0.55", "volatilty = 0.55"),
        FormatError,
        "volatilty",
        "projection.asset[1].volatilty",
    )
    assert "unknown key 'volatilty'" in msg


def test_missing_key(tmp_path: Path) -> None:
    _bad(
        tmp_path,
        _replace("annual_probability = 0.02\n", ""),
        FormatError,
        "[[projection.jump]]",
        "projection.jump[1].annual_probability",
    )


def test_not_toml(tmp_path: Path) -> None:
    path = _write(tmp_path, "[projection\nyears = 1\n")
    with pytest.raises(FormatError, match="not valid TOML") as info:
        read_projection(path)
    assert info.value.line == 1


DRIVERS = """
[[projection.asset]]
company = "apple"
model = "driver"
driver = "value"
value_today = 3.0e12

[[driver]]
name = "units"
distribution = "lognormal"
low = 1.0e6
high = 5.0e6

[[driver]]
name = "value"
distribution = "formula"
formula = "units * pricee"
"""


def test_driver_formula_with_an_unknown_name(tmp_path: Path) -> None:
    msg = _bad(tmp_path, GOOD + DRIVERS, SpecError, "formula =", "driver[2].formula")
    assert "unknown name 'pricee' at column 9" in msg
    assert msg.splitlines()[-1].strip() == "^"


def test_driver_formula_syntax_error(tmp_path: Path) -> None:
    text = (GOOD + DRIVERS).replace("units * pricee", "units * (2 +")
    msg = _bad(tmp_path, text, SpecError, "formula =", "driver[2].formula")
    assert "at column 13" in msg


def test_driver_interval_low_above_high(tmp_path: Path) -> None:
    text = (GOOD + DRIVERS).replace("low = 1.0e6", "low = 9.0e6")
    msg = _bad(tmp_path, text, SpecError, "low = 9.0e6", "driver[1].low")
    assert "must be below high" in msg


def test_driver_cycle(tmp_path: Path) -> None:
    text = (GOOD + DRIVERS).replace("units * pricee", "units * value")
    msg = _bad(tmp_path, text, SpecError, "formula =", "driver[2].formula")
    assert "cycle: value -> value" in msg


def test_driver_asset_needs_value_today(tmp_path: Path) -> None:
    text = (GOOD + DRIVERS).replace("value_today = 3.0e12\n", "").replace("pricee", "2")
    header = _line(text, 'company = "apple"') - 1  # a missing key: its table's header
    _bad(tmp_path, text, FormatError, header, "projection.asset[3].value_today")
