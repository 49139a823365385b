"""Policies on simulated paths: chunking changes nothing, and holding a GBM has a closed form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from conviction.io import read_book
from conviction.policies import Hold, LastSeller, Policy, TrimToCap
from conviction.policies.simulate import compare_on_paths, simulation_inputs, step_dates
from conviction.projection import AssetSpec, ProjectionSpec, iter_paths

MARKS = "date,company,price,kind,source\n2024-06-30,b,10,round,t\n2024-12-31,a,50,close,t\n"
TRANSACTIONS = """date,account,company,action,quantity,price,fees
2024-06-30,c1,,deposit,10000,,0
2024-06-30,c1,b,buy,100,10,0
2024-12-31,c1,a,buy,100,50,0
2024-12-31,me,,deposit,5000,,0
2024-12-31,me,a,buy,100,50,0
"""
AS_OF = dt.date(2024, 12, 31)


@pytest.fixture
def inputs_for(write_book: Callable[..., Path]) -> Callable[..., object]:
    book = read_book(write_book(TRANSACTIONS, MARKS).parent)

    def make(spec: ProjectionSpec, mark_every: dict[str, int] | None = None) -> object:
        return simulation_inputs(
            book,
            spec.companies,
            as_of=AS_OF,
            steps=spec.n_steps,
            steps_per_year=spec.steps_per_year,
            mark_every=mark_every,
        )

    return make


def spec(paths: int, mu: float = 0.08, sigma: float = 0.4) -> ProjectionSpec:
    return ProjectionSpec(
        assets=(
            AssetSpec("a", "gbm", expected_return=mu, volatility=sigma),
            AssetSpec("b", "gbm", expected_return=0.05, volatility=0.3, mark_every_years=1.0),
        ),
        years=10,
        steps_per_year=12,
        paths=paths,
        seed=3,
        block_paths=1000,
    )


def test_inputs_from_the_book(inputs_for: Callable[..., object]) -> None:
    inputs = inputs_for(spec(10), {"b": 12})
    np.testing.assert_allclose(inputs.start_prices, [50.0, 10.0])  # type: ignore[attr-defined]
    np.testing.assert_allclose(inputs.holdings, [[100, 100], [100, 0]])  # type: ignore[attr-defined]
    np.testing.assert_allclose(inputs.cash, [4000.0, 0.0])  # type: ignore[attr-defined]
    events = np.flatnonzero(inputs.liquidity[:, 1])  # type: ignore[attr-defined]
    np.testing.assert_array_equal(events, np.arange(12, 121, 12))
    assert not inputs.liquidity[:, 0].any()  # type: ignore[attr-defined]
    dates = step_dates(AS_OF, 120, 12)
    assert str(dates[1]) == "2025-01-31" and str(dates[12]) == "2025-12-31"


def test_holding_a_gbm_matches_its_lognormal_law(inputs_for: Callable[..., object]) -> None:
    mu, sigma, years, n = 0.08, 0.4, 10, 20_000
    s = spec(n, mu, sigma)
    inputs = inputs_for(s)
    (hold,) = compare_on_paths(
        [Policy("hold", (Hold(),))],
        (block.multiples for block in iter_paths(s)),
        inputs,  # type: ignore[arg-type]
        targets=(2.0, 5.0),
    )
    me = hold.accounts[1]  # 100 shares of a only: its multiple is a's
    law = stats.lognorm(s=sigma * np.sqrt(years), scale=np.exp((mu - sigma**2 / 2) * years))
    for k in (2.0, 5.0):
        p = law.sf(k)
        assert me.prob_target[k] == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / n))
    assert me.prob_loss == pytest.approx(law.cdf(1.0), abs=0.015)
    assert me.median == pytest.approx(law.median(), rel=0.03)
    assert me.worst_decile == pytest.approx(law.ppf(0.1), rel=0.03)
    assert hold.paths == n


def test_chunks_do_not_change_the_answer(inputs_for: Callable[..., object]) -> None:
    s = spec(3000)
    inputs = inputs_for(s, {"b": 12})
    policies = [
        Policy(
            "trim",
            (LastSeller(), TrimToCap(cap=0.4, every="quarter", kinds=("client", "personal"))),
        ),
        Policy("hold", (Hold(),)),
    ]
    blocks = [b.multiples for b in iter_paths(s)]
    whole = compare_on_paths(policies, [np.concatenate(blocks)], inputs)  # type: ignore[arg-type]
    seen: list[tuple[int, int]] = []
    parts = compare_on_paths(
        policies,
        blocks,
        inputs,
        progress=lambda i, n: seen.append((i, n)),  # type: ignore[arg-type]
    )
    assert seen == [(1, 1000), (2, 2000), (3, 3000)]
    for a, b in zip(whole, parts, strict=True):
        assert a.book == b.book
        assert a.accounts == b.accounts
    assert whole[0].median_trades > 0 and whole[1].median_trades == 0
