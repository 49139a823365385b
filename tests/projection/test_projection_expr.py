"""The formula language: Python's own arithmetic is the reference (in tests only)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conviction.errors import SpecError
from conviction.projection.expr import parse

VALUES = {"a": 2.0, "b": -3.5, "units_2030": 1e6, "price": 20_000.0}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("2 ^ 3 ^ 2", 2.0**9),
        ("2 ** 3", 8.0),
        ("-2 ^ 2", -4.0),
        ("-a * b", 7.0),
        ("10 / 4 - 1", 1.5),
        ("units_2030 * price", 2e10),
        ("1_000_000 * 1e-3", 1000.0),
        (".5 + 1.", 1.5),
        ("min(a, b, 0)", -3.5),
        ("max(a, b)", 2.0),
        ("exp(log(price))", 20_000.0),
        ("sqrt(abs(b) * 4)", math.sqrt(14.0)),
        ("pow(a, 10)", 1024.0),
        ("clip(price, 0, 100)", 100.0),
        ("where(a > b, 1, 2)", 1.0),
        ("where(a <= b, 1, 2)", 2.0),
        ("a == 2", 1.0),
        ("a != 2", 0.0),
        ("(a >= 2) + (b < 0)", 2.0),
    ],
)
def test_values(text: str, expected: float) -> None:
    out = parse(text).evaluate(VALUES, 3)
    assert out.shape == (3,)
    assert out == pytest.approx(expected)


def test_arrays_evaluate_elementwise() -> None:
    x = np.array([1.0, 2.0, 3.0])
    out = parse("x * x + where(x > 1.5, 10, 0)").evaluate({"x": x}, 3)
    assert out.tolist() == [1.0, 14.0, 19.0]


def test_names_and_their_columns() -> None:
    e = parse("units * price - units")
    assert e.names() == {"units": 1, "price": 9}


@pytest.mark.parametrize(
    ("text", "message", "col"),
    [
        ("1 +", "expected a number, a name or '('", 4),
        ("(a + b", "expected ')'", 7),
        ("a + * b", "expected a number", 5),
        ("a $ b", "unexpected character '$'", 3),
        ("a b", "unexpected 'b'", 3),
        ("foo(1)", "unknown function 'foo'", 1),
        ("min()", "min() takes at least 1 arguments, got 0", 1),
        ("pow(1)", "pow() takes 2 arguments, got 1", 1),
        ("2 * exp", "'exp' is a function", 5),
        ("", "empty formula", 1),
        ("a < b < c", "unexpected '<'", 7),
    ],
)
def test_syntax_errors_point_at_the_column(text: str, message: str, col: int) -> None:
    with pytest.raises(SpecError) as info:
        parse(text, field="driver[x].formula")
    err = info.value
    assert message in err.message
    assert f"at column {col}" in err.message
    assert err.field == "driver[x].formula"
    lines = err.message.splitlines()
    assert lines[-1].index("^") - 4 == col - 1  # the caret sits under the column


def test_unknown_name_points_at_it() -> None:
    e = parse("units * prcie", field="f")
    with pytest.raises(SpecError, match="unknown name 'prcie' at column 9"):
        e.check_names({"units", "price"}, field="f")


def test_never_evaluates_python() -> None:
    with pytest.raises(SpecError):
        parse("__import__('os')")
    with pytest.raises(SpecError):
        parse("a.b")


_leaf = st.one_of(
    st.sampled_from(["a", "b", "2", "0.5", "3"]),
    st.floats(0.1, 9.0, allow_nan=False).map(lambda v: f"{v:.3f}"),
)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    )
    unary = children.map(lambda c: f"-{c}")
    call = st.tuples(st.sampled_from(["min", "max"]), children, children).map(
        lambda t: f"{t[0]}({t[1]}, {t[2]})"
    )
    return st.one_of(binary, unary, call)


@settings(max_examples=200, deadline=None)
@given(st.recursive(_leaf, _combine, max_leaves=12))
def test_random_formulas_match_python(text: str) -> None:
    env = {"a": 2.0, "b": -3.5, "min": min, "max": max}
    try:
        expected = eval(text, {"__builtins__": {}}, env)  # the reference, on generated text
    except ZeroDivisionError:
        return
    got = parse(text).evaluate({"a": 2.0, "b": -3.5}, 1)[0]
    if math.isfinite(expected):
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)
