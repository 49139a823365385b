"""Theses benchmark: the review triggers on a large synthetic book, and the drawdown
trigger side by side with a plain per-company loop.

Sizes (full): 2,000 theses x 5 milestones (3 dated entries each), 500 people x 4 pillars x
5 scores, prices 4,000 days x 500 companies. ``--quick``: a tenth of each.

    python benchmarks/bench_theses.py            # the full size
    python benchmarks/bench_theses.py --quick
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from conviction.theses import (
    PILLARS,
    Milestone,
    MilestoneEntry,
    PillarScore,
    Scorecard,
    Thesis,
    drawdowns,
    overdue_milestones,
    review,
    score_drops,
    slipped_milestones,
)

START = dt.date(2015, 1, 1)


def make_theses(n: int, per: int, rng: np.random.Generator) -> list[Thesis]:
    theses = []
    for i in range(n):
        ms = []
        for j in range(per):
            due = START + dt.timedelta(days=int(rng.integers(200, 3000)))
            slip = due + dt.timedelta(days=int(rng.integers(30, 400)))
            hist = (
                MilestoneEntry(START, "pending", due, "set"),
                MilestoneEntry(due - dt.timedelta(days=10), "slipped", slip, "late"),
                MilestoneEntry(slip, "hit" if rng.random() < 0.5 else "slipped", slip, "x"),
            )
            ms.append(Milestone(f"m{j}", f"milestone {j}", hist))
        theses.append(
            Thesis(f"t{i}", "company", f"c{i % 500}", "s", START, START.replace(year=2035),
                   milestones=tuple(ms))
        )  # fmt: skip
    return theses


def make_cards(n: int, per: int, rng: np.random.Generator) -> list[Scorecard]:
    cards = []
    for p in range(n):
        entries = [
            PillarScore(f"p{p}", pillar, float(rng.integers(0, 6)),
                        START + dt.timedelta(days=int(d)))
            for pillar in PILLARS
            for d in np.sort(rng.integers(0, 3650, per))
        ]  # fmt: skip
        cards.append(Scorecard(f"p{p}", tuple(entries)))
    return cards


def make_prices(days: int, companies: int, rng: np.random.Generator) -> pd.DataFrame:
    index = pd.bdate_range(START, periods=days)
    steps = rng.normal(0.0003, 0.02, size=(days, companies))
    frame = pd.DataFrame(100 * np.exp(np.cumsum(steps, axis=0)), index=index)
    frame.columns = [f"c{j}" for j in range(companies)]
    # Private-like columns: first mark late, marked rarely (NaN before the first mark).
    frame.iloc[: days // 3, ::10] = np.nan
    return frame


def loop_drawdowns(prices: pd.DataFrame, on: dt.date, bound: float) -> dict[str, float]:
    """The reference: one company at a time, plain NumPy."""
    window = prices.loc[: pd.Timestamp(on)]
    found = {}
    for company in window.columns:
        values = window[company].to_numpy()
        values = values[~np.isnan(values)]
        if values.size == 0:
            continue
        dd = 1.0 - values[-1] / values.max()
        if dd > bound:
            found[company] = dd
    return found


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    rng = np.random.default_rng(7)
    theses = make_theses(2000 // scale, 5, rng)
    cards = make_cards(500 // scale, 5, rng)
    prices = make_prices(4000 // scale, 500 // scale, rng)
    on = prices.index[-1].date()
    results: dict[str, Any] = {
        "sizes": {
            "theses": len(theses),
            "milestones": 5 * len(theses),
            "people": len(cards),
            "price_days": prices.shape[0],
            "companies": prices.shape[1],
        }
    }
    t, over = best_of(lambda: overdue_milestones(theses, on), args.repeat)
    results["overdue_milestones_s"] = t
    t, slip = best_of(lambda: slipped_milestones(theses, on, 1), args.repeat)
    results["slipped_milestones_s"] = t
    t, drops = best_of(lambda: score_drops(cards, on, 2, 365), args.repeat)
    results["score_drops_s"] = t
    t_vec, dd = best_of(lambda: drawdowns(prices, on, 0.4), args.repeat)
    t_loop, ref = best_of(lambda: loop_drawdowns(prices, on, 0.4), args.repeat)
    got = {r.subject: r.figures["drawdown"] for r in dd}
    assert got.keys() == ref.keys() and all(abs(got[k] - ref[k]) < 1e-12 for k in ref)
    results["drawdowns_s"] = t_vec
    results["drawdowns_loop_s"] = t_loop
    results["drawdowns_loop_over_vectorised"] = t_loop / t_vec
    t, everything = best_of(
        lambda: review(on, theses=theses, scorecards=cards, prices=prices), args.repeat
    )
    results["review_all_s"] = t
    results["found"] = {
        "overdue": len(over),
        "slipped": len(slip),
        "score_drops": len(drops),
        "drawdowns": len(dd),
        "all": len(everything),
    }
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
