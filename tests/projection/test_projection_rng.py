"""The numba kernel's inline draws are NumPy's own, and the block seeds are spawned ones."""

from __future__ import annotations

import numpy as np
import pytest

from conviction.projection import _rng
from conviction.projection.engine import block_seed, normalise_seed

numba = pytest.importorskip("numba")


@numba.njit
def _draw(state: np.ndarray, n: int, k: int, df: float) -> tuple[np.ndarray, ...]:
    z = np.empty((n, k))
    for i in range(n):
        for j in range(k):
            z[i, j] = _rng.std_normal(state)
    w = np.empty(n)
    for i in range(n):
        w[i] = _rng.chisquare(state, df)
    u = np.empty(n)
    for i in range(n):
        u[i] = _rng.next_double(state)
    return z, w, u


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**40 + 7])
@pytest.mark.parametrize("df", [2.5, 4.0, 30.0])
def test_inline_draws_equal_numpy_generator(seed: int, df: float) -> None:
    gen = np.random.Generator(np.random.SFC64(np.random.SeedSequence(seed)))
    state = _rng.sfc64_state(gen)
    z, w, u = _draw(state, 50_000, 3, df)
    assert np.array_equal(z, gen.standard_normal((50_000, 3)))
    assert np.array_equal(w, gen.chisquare(df, 50_000))
    assert np.array_equal(u, gen.random(50_000))
    # the state advanced exactly as NumPy's did
    assert np.array_equal(state, gen.bit_generator.state["state"]["state"])


def test_inline_normals_reach_the_ziggurat_tail() -> None:
    # 2e6 draws hit the rare tail branch (|x| > 3.65) a few hundred times
    gen = np.random.Generator(np.random.SFC64(3))
    state = _rng.sfc64_state(gen)
    z, _, _ = _draw(state, 2_000_000, 1, 4.0)
    ref = gen.standard_normal((2_000_000, 1))
    assert np.count_nonzero(np.abs(ref) > 3.654152885361009) > 100
    assert np.array_equal(z, ref)


def test_sfc64_state_rejects_other_bit_generators() -> None:
    with pytest.raises(ValueError, match="SFC64"):
        _rng.sfc64_state(np.random.default_rng(0))


def test_block_seed_is_the_spawned_child() -> None:
    root = np.random.SeedSequence(7)
    children = np.random.SeedSequence(7).spawn(5)
    for b, child in enumerate(children):
        mine = block_seed(root, b)
        assert np.array_equal(mine.generate_state(4), child.generate_state(4))


def test_normalise_seed_forms() -> None:
    assert normalise_seed(5).entropy == 5
    seq = np.random.SeedSequence(9)
    assert normalise_seed(seq) is seq
    a = normalise_seed(np.random.default_rng(1)).entropy
    b = normalise_seed(np.random.default_rng(1)).entropy
    assert a == b
    assert normalise_seed(None).entropy is not None
