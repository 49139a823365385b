"""One "5x" per book: project, compare's hold and the answers count the whole book.

The whole book's multiple on a path is (H0·m + U + C·(1 + r)^T) / (H0 + U + C) with m the
projected holdings' multiple, U the held companies the file does not model (kept), C the
cash earning r a year. Expected values here come from that formula applied to numbers the
test computes itself (closed forms of a zero-volatility GBM, the paths of
``simulate_paths``), or from the policy engine's own hold on the same paths.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conviction.app.answers import to_json
from conviction.app.policy_answers import comparison_report
from conviction.app.projection_answers import projection_report
from conviction.app.runs import compare_policies, project_book
from conviction.errors import FormatError, SpecError
from conviction.io.book_reader import read_book
from conviction.io.projection_toml import Overrides, read_projection
from conviction.policies import Hold, Policy
from conviction.projection import Projection
from conviction.projection.engine import simulate_paths
from conviction.projection.spec import AssetSpec, ProjectionSpec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
CONFIG = EXAMPLE / "projection.toml"
PATHS = 3000


@pytest.fixture(scope="module")
def book():  # type: ignore[no-untyped-def]
    return read_book(EXAMPLE)


@pytest.fixture(scope="module")
def projected(book):  # type: ignore[no-untyped-def]
    return project_book(book, CONFIG, overrides=Overrides(paths=PATHS), workers=1)


def test_project_p5x_is_compares_hold_on_the_same_seed(book, projected) -> None:  # type: ignore[no-untyped-def]
    compared = compare_policies(
        book, CONFIG, [Policy("hold", (Hold(),))], overrides=Overrides(paths=PATHS), workers=1
    )
    r = projected.result
    hold = compared.summaries[0].book
    assert hold.paths == r.paths == PATHS
    assert r.prob_target == hold.prob_target[5.0]  # the same count of the same paths
    # the headline is the whole book, cash included: the holdings alone differ
    assert r.cash > 0 and r.cash == pytest.approx(compared.cash, rel=1e-12)
    assert r.holdings_prob_target is not None and r.holdings_prob_target > r.prob_target
    med = r.terminal_multiple[list(r.percentiles).index(50.0)]
    assert med == pytest.approx(hold.median, rel=1e-6)  # paths: float32 in compare
    assert r.mean_log_multiple == pytest.approx(hold.mean_log, rel=1e-6)
    doc = to_json(comparison_report(compared))
    assert "earning 0% a year" in doc["conventions"]["cash"]


def test_whole_book_from_the_paths_themselves(book, projected) -> None:  # type: ignore[no-untyped-def]
    """P(whole >= 5x) and P(holdings >= 5x) counted on simulate_paths' multiples."""
    r = projected.result
    spec = read_projection(CONFIG, book=book, overrides=Overrides(paths=PATHS))
    h0 = r.start_values
    m = np.concatenate(
        [
            simulate_paths(spec, b, dtype=np.float64).multiples[:, -1, :]
            for b in range(spec.n_blocks)
        ]
    )
    held = m @ h0 / h0.sum()
    whole = (m @ h0 + r.unprojected + r.cash) / (h0.sum() + r.unprojected + r.cash)
    assert r.prob_target == pytest.approx(float((whole >= 5.0).mean()), abs=0.5 / PATHS)
    assert r.holdings_prob_target == pytest.approx(float((held >= 5.0).mean()), abs=0.5 / PATHS)
    q = np.percentile(whole, r.percentiles)
    np.testing.assert_allclose(r.terminal_multiple, q, rtol=1e-9)
    assert r.holdings_multiple is not None
    np.testing.assert_allclose(r.holdings_multiple, np.percentile(held, r.percentiles), rtol=1e-9)


def _flat(cash: float, rate: float, unprojected: float = 0.0, **kw: float) -> ProjectionSpec:
    """One company, no volatility: its multiple is exp(0.1 · years) on every path."""
    asset = AssetSpec("a", expected_return=0.1, volatility=0.0, start_value=100.0)
    return ProjectionSpec(
        assets=(asset,),
        years=10,
        paths=64,
        seed=1,
        cash=cash,
        cash_rate=rate,
        unprojected=unprojected,
        block_paths=32,
        **kw,  # type: ignore[arg-type]
    )


def test_closed_form_whole_book_with_cash_earning_a_rate() -> None:
    spec = _flat(cash=50.0, rate=0.03, unprojected=25.0)
    r = Projection(spec).run()
    whole = [(100.0 * math.exp(0.1 * y) + 25.0 + 50.0 * 1.03**y) / 175.0 for y in range(11)]
    np.testing.assert_allclose(r.fan[:, 2], whole, rtol=1e-7)  # year ends kept as float32
    np.testing.assert_allclose(r.terminal_multiple, whole[-1], rtol=1e-12)
    assert r.holdings_multiple is not None
    np.testing.assert_allclose(r.holdings_multiple, math.exp(1.0), rtol=1e-12)
    assert r.start_value == 175.0 and r.holdings_value == 100.0
    assert r.cash_at_horizon == pytest.approx(50.0 * 1.03**10, rel=1e-15)
    assert r.mean_multiple == pytest.approx(whole[-1], rel=1e-12)
    # the target between the two multiples: the holdings reach it, the whole book does not
    k = (whole[-1] + math.exp(1.0)) / 2
    between = Projection(replace(spec, target_multiple=k)).run()
    assert (between.prob_target, between.holdings_prob_target) == (0.0, 1.0)
    d = r.to_dict()
    assert d["cash"] == {"value": 50.0, "rate": 0.03, "at_horizon": r.cash_at_horizon}
    assert d["holdings"]["start_value"] == 100.0 and d["start_value"] == 175.0


def test_no_cash_is_the_holdings_bit_for_bit() -> None:
    spec = replace(
        _flat(0.0, 0.0), paths=500, assets=(replace(_flat(0, 0).assets[0], volatility=0.4),)
    )
    r = Projection(spec).run()
    assert r.holdings_multiple is not None
    assert np.array_equal(r.terminal_multiple, r.holdings_multiple)
    assert r.prob_target == r.holdings_prob_target


def test_cash_rate_in_the_file(book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = CONFIG.read_text()
    good = tmp_path / "projection.toml"
    good.write_text(text.replace("[projection]\n", "[projection]\ncash_rate = 0.04\n", 1))
    spec = read_projection(good, book=book, cash=10.0)
    assert (spec.cash, spec.cash_rate) == (10.0, 0.04)
    assert read_projection(good, book=book, overrides=Overrides(cash_rate=0.0)).cash_rate == 0.0
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("[projection]\n", "[projection]\ncash_rate = 4\n", 1))
    with pytest.raises(FormatError, match=r"cash_rate is an annual rate in \(-1, 1\]") as info:
        read_projection(bad, book=book)
    line = text.splitlines().index("[projection]") + 2
    assert (info.value.file, info.value.line, info.value.field) == (
        str(bad),
        line,
        "projection.cash_rate",
    )
    with pytest.raises(FormatError, match="expected float"):
        bad.write_text(text.replace("[projection]\n", '[projection]\ncash_rate = "4%"\n', 1))
        read_projection(bad, book=book)
    with pytest.raises(FormatError) as over:
        read_projection(CONFIG, book=book, overrides=Overrides(cash_rate=-1.0))
    assert over.value.field == "--cash-rate"
    with pytest.raises(SpecError, match="cash_rate"):
        _flat(1.0, 1.5)
    # compare takes the file's rate (see the test below): no error
    compared = compare_policies(
        book, good, [Policy("hold", (Hold(),))], overrides=Overrides(paths=64), workers=1
    )
    assert compared.cash_rate == 0.04


def test_project_p5x_is_compares_hold_with_cash_earning_a_rate(book, projected) -> None:  # type: ignore[no-untyped-def]
    """Cash at 6% a year: compare's policies grow it step by step, (1.06)^(1/12) a month,
    so that at the horizon it is project's C·1.06^10 and the whole book is the same."""
    rate = Overrides(paths=PATHS, cash_rate=0.06)
    r = project_book(book, CONFIG, overrides=rate, workers=1).result
    compared = compare_policies(
        book, CONFIG, [Policy("hold", (Hold(),))], overrides=rate, workers=1
    )
    hold = compared.summaries[0].book
    assert (r.cash_rate, compared.cash_rate) == (0.06, 0.06)
    assert r.prob_target == hold.prob_target[5.0]  # the same count of the same paths
    assert r.prob_target > projected.result.prob_target  # the cash's interest counts
    med = r.terminal_multiple[list(r.percentiles).index(50.0)]
    assert med == pytest.approx(hold.median, rel=1e-6)  # paths: float32 in compare
    assert r.mean_log_multiple == pytest.approx(hold.mean_log, rel=1e-6)
    # the interest alone moves every path's whole-book multiple by C·(1.06^10 - 1) / V
    at_zero = projected.result
    shift = at_zero.cash * (1.06**10 - 1.0) / at_zero.start_value
    assert med == pytest.approx(at_zero.terminal_multiple[2] + shift, rel=1e-9)
    doc = to_json(comparison_report(compared))
    assert "earning 6% a year" in doc["conventions"]["cash"]


def test_the_answer_states_the_cash_and_the_holdings(projected) -> None:  # type: ignore[no-untyped-def]
    doc = to_json(projection_report(projected))
    r = projected.result
    assert doc["cash"]["value"] == r.cash and doc["cash"]["rate"] == 0.0
    assert doc["holdings"]["prob_target"]["estimate"] == r.holdings_prob_target
    assert doc["start_value"] == pytest.approx(doc["holdings"]["start_value"] + r.cash)
    assert doc["prob_target"]["estimate"] == r.prob_target


def test_sensitivity_and_solve_count_the_whole_book() -> None:
    """The terminals sensitivity and solve work on, and solve's answer, are the whole
    book's: a zero-volatility company's required multiple is the closed form."""
    from conviction.projection.sensitivity import simulate_terminals
    from conviction.projection.solve import solve

    spec = _flat(cash=50.0, rate=0.03, unprojected=25.0, target_multiple=2.5)
    gbm = replace(spec, assets=(replace(spec.assets[0], volatility=0.5),), paths=2000)
    r = Projection(gbm).run()
    t = simulate_terminals(gbm)
    assert float((t.book >= 2.5).mean()) == r.prob_target
    assert float(np.median(t.book)) == pytest.approx(r.terminal_multiple[2], rel=1e-12)
    answer = solve(spec)
    assert answer.base_p == 0.0  # the whole book reaches 2.08x, not 2.5x
    (company,) = [q for q in answer.requirements if q.input == "company.a"]
    need = (2.5 * 175.0 - 25.0 - 50.0 * 1.03**10) / 100.0  # the company's multiple
    assert company.for_median == pytest.approx(need, rel=1e-6)


def test_histogram_summaries_map_the_same_way() -> None:
    spec = _flat(cash=50.0, rate=0.03, unprojected=25.0)
    exact = Projection(spec, summary="exact").run()
    binned = Projection(spec, summary="histogram").run()
    assert binned.prob_target == exact.prob_target  # counted path by path in both
    np.testing.assert_allclose(binned.terminal_multiple, exact.terminal_multiple, rtol=2e-3)
    np.testing.assert_allclose(binned.fan, exact.fan, rtol=2e-3)
