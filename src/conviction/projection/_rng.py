"""NumPy's SFC64 bit generator and its normal/gamma draws, written out for numba to inline.

numba can call a ``numpy.random.Generator`` from compiled code, but each draw then goes
through a function pointer into NumPy's C code. These functions are the same algorithms
(``numpy/random/src/sfc64/sfc64.h`` and ``distributions.c``: the 256-step ziggurat and
Marsaglia–Tsang gamma) on a state array of four uint64, so the compiler inlines them and a
draw costs a couple of nanoseconds. They produce exactly the numbers
``Generator(SFC64(seed_seq))`` produces from the same state; ``tests`` check it.

The state is ``Generator.bit_generator.state["state"]["state"]`` (a, b, c, counter).
Plain Python imports this module without numba: the functions are then ordinary (slow)
Python, used only by tests of the algorithm itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

from conviction.projection._ziggurat import FI_DOUBLE, KI_DOUBLE, NOR_INV_R, NOR_R, WI_DOUBLE

__all__ = [
    "HAVE_NUMBA",
    "chisquare",
    "gamma_mt",
    "next_double",
    "next_uint64",
    "sfc64_state",
    "std_normal",
]

F = TypeVar("F", bound=Callable[..., Any])

try:
    import numba

    HAVE_NUMBA = True

    def _jit(fn: F) -> F:
        return cast(F, numba.njit(inline="always", cache=True)(fn))

except ImportError:  # pragma: no cover - exercised only without numba
    HAVE_NUMBA = False

    def _jit(fn: F) -> F:
        return fn


_U64 = np.uint64
_M11 = np.uint64(11)
_M3 = np.uint64(3)
_R24 = np.uint64(24)
_L40 = np.uint64(40)
_ONE = np.uint64(1)
_MASK52 = np.uint64(0x000FFFFFFFFFFFFF)
_B8 = np.uint64(8)
_FF = np.uint64(0xFF)
_TO_DOUBLE = 1.0 / 9007199254740992.0


def sfc64_state(rng: np.random.Generator) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """A copy of an SFC64 Generator's state as the (4,) uint64 array these functions use."""
    state = rng.bit_generator.state
    if state["bit_generator"] != "SFC64":
        raise ValueError(f"the kernel needs an SFC64 generator, got {state['bit_generator']}")
    return np.array(state["state"]["state"], dtype=np.uint64)


@_jit
def next_uint64(s: Any) -> Any:
    tmp = s[0] + s[1] + s[3]
    s[3] += _ONE
    s[0] = s[1] ^ (s[1] >> _M11)
    s[1] = s[2] + (s[2] << _M3)
    s[2] = ((s[2] << _R24) | (s[2] >> _L40)) + tmp
    return tmp


@_jit
def next_double(s: Any) -> float:
    return float(next_uint64(s) >> _M11) * _TO_DOUBLE


@_jit
def std_normal(s: Any) -> float:
    while True:
        r = next_uint64(s)
        idx = int(r & _FF)
        r >>= _B8
        sign = r & _ONE
        rabs = (r >> _ONE) & _MASK52
        x = float(float(rabs) * WI_DOUBLE[idx])
        if sign:
            x = -x
        if rabs < KI_DOUBLE[idx]:
            return x  # 99.3% of draws end here
        if idx == 0:
            while True:
                xx = -NOR_INV_R * math.log1p(-next_double(s))
                yy = -math.log1p(-next_double(s))
                if yy + yy > xx * xx:
                    return -(NOR_R + xx) if (rabs >> _B8) & _ONE else NOR_R + xx
        elif (FI_DOUBLE[idx - 1] - FI_DOUBLE[idx]) * next_double(s) + FI_DOUBLE[idx] < math.exp(
            -0.5 * x * x
        ):
            return x


@_jit
def chisquare(s: Any, df: float) -> float:
    """2 · standard_gamma(df / 2), as NumPy draws it for df > 2 (shape > 1)."""
    b = 0.5 * df - 1.0 / 3.0
    return gamma_mt(s, b, 1.0 / math.sqrt(9.0 * b))


@_jit
def gamma_mt(s: Any, b: float, c: float) -> float:
    """2 · Marsaglia–Tsang gamma draw with b = shape − 1/3 and c = 1/sqrt(9b) precomputed
    (hot loops hoist them; NumPy computes the same two numbers on every call)."""
    while True:
        x = std_normal(s)
        v = 1.0 + c * x
        while v <= 0.0:
            x = std_normal(s)
            v = 1.0 + c * x
        v = v * v * v
        u = next_double(s)
        if u < 1.0 - 0.0331 * (x * x) * (x * x):
            return 2.0 * (b * v)
        if math.log(u) < 0.5 * x * x + b * (1.0 - v + math.log(v)):
            return 2.0 * (b * v)
