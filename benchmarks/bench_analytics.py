"""Time conviction's return statistics against quantstats 0.0.86 (and empyrical).

Two cases, side by side in one run, with the results checked equal before timing:

1. each real series in ../shared/data/prices: the six core metrics (CAGR, volatility,
   Sharpe, Sortino, max drawdown, Calmar) by ``conviction.analytics.stats`` and by
   ``quantstats.stats``; also our full ``summarize`` (which adds rolling 1/3/5/10-year
   distributions, drawdown durations and stale-mark checks that quantstats lacks);
2. a panel of COLUMNS x DAYS returns (resampled with a seed from the real series): our
   ``summary_frame`` (vectorised over columns) against quantstats' DataFrame calls and
   empyrical's.

    python benchmarks/bench_analytics.py            # full: 1,000 x 4,000 panel, 7 repeats
    python benchmarks/bench_analytics.py --quick    # 200 x 4,000 panel, 3 repeats
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import empyrical as ep
import numpy as np
import pandas as pd
import quantstats as qs

from conviction.analytics import stats, summarize, summary_frame
from conviction.io.prices import read_price_csv

PRICES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "prices"
TICKERS = ("TSLA", "SPY", "GSPC", "AAPL", "MSFT", "AMZN", "QQQ")
METRICS = ("cagr", "volatility", "sharpe", "sortino", "max_drawdown", "calmar")


def best_of(f: Callable[[], Any], repeats: int) -> float:
    """Best wall time of ``repeats`` calls, in seconds (after one warm-up call)."""
    f()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def ours_core(r: Any) -> list[Any]:
    return [getattr(stats, m)(r) for m in METRICS]


def qs_core(r: Any) -> list[Any]:
    return [getattr(qs.stats, m)(r) for m in METRICS]


def ep_core(r: Any) -> list[Any]:
    return [
        ep.cagr(r),
        ep.annual_volatility(r),
        ep.sharpe_ratio(r),
        ep.sortino_ratio(r),
        ep.max_drawdown(r),
        # empyrical's calmar takes one series only: not vectorised
        None,
    ]


def max_rel_diff(a: list[Any], b: list[Any]) -> float:
    worst = 0.0
    for x, y in zip(a, b, strict=True):
        if x is None or y is None:
            continue
        xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        worst = max(worst, float(np.nanmax(np.abs(xa / ya - 1))))
    return worst


def series_case(repeats: int) -> None:
    print(f"## Real series: six core metrics (best of {repeats})\n")
    print("| series | returns | conviction | quantstats | ratio | summarize (all) | max rel diff |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for t in TICKERS:
        p = read_price_csv(PRICES / f"{t}.csv")
        r = p.pct_change(fill_method=None).iloc[1:]
        diff = max_rel_diff(ours_core(r), qs_core(r))
        ours = best_of(lambda r=r: ours_core(r), repeats)
        theirs = best_of(lambda r=r: qs_core(r), repeats)
        full = best_of(lambda p=p: summarize(p, kind="prices"), repeats)
        print(
            f"| {t} | {len(r):,} | {ours * 1e3:.2f} ms | {theirs * 1e3:.2f} ms | "
            f"{theirs / ours:.1f}x | {full * 1e3:.2f} ms | {diff:.1e} |"
        )
    print()


def panel_case(columns: int, days: int, repeats: int) -> None:
    pool = np.concatenate(
        [read_price_csv(PRICES / f"{t}.csv").pct_change().to_numpy()[1:] for t in TICKERS]
    )
    rng = np.random.default_rng(20251114)
    values = rng.choice(pool, size=(days, columns))
    index = pd.bdate_range("2010-01-04", periods=days)
    frame = pd.DataFrame(values, index=index, columns=[f"acct{i}" for i in range(columns)])
    ours_frame = summary_frame(frame, kind="returns")
    diff_qs = max_rel_diff([ours_frame[m] for m in METRICS], qs_core(frame))
    diff_ep = max_rel_diff([ours_frame[m] for m in METRICS[:5]], ep_core(frame)[:5])
    t_ours = best_of(lambda: summary_frame(frame, kind="returns"), repeats)
    t_core = best_of(lambda: ours_core(frame), repeats)
    t_qs = best_of(lambda: qs_core(frame), repeats)
    t_ep = best_of(lambda: ep_core(frame)[:5], repeats)
    print(f"## Panel: {columns:,} columns x {days:,} days (best of {repeats})\n")
    print("| what | time | ratio to conviction summary_frame |")
    print("|---|---:|---:|")
    print(
        f"| conviction summary_frame (6 metrics + 3 drawdown durations) | {t_ours:.3f} s | 1.0x |"
    )
    print(f"| conviction six metrics, one call each | {t_core:.3f} s | {t_core / t_ours:.1f}x |")
    print(f"| quantstats six metrics on the DataFrame | {t_qs:.3f} s | {t_qs / t_ours:.1f}x |")
    print(f"| empyrical five metrics (no 2-D calmar) | {t_ep:.3f} s | {t_ep / t_ours:.1f}x |")
    print(f"\nmax relative difference: quantstats {diff_qs:.1e}, empyrical {diff_ep:.1e}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller panel, fewer repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    columns = 200 if args.quick else 1000
    print(f"# bench_analytics {'--quick ' if args.quick else ''}({dt.date.today()})\n")
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"quantstats {qs.__version__}, {platform.machine()}\n"
    )
    series_case(repeats)
    panel_case(columns, 4000, repeats)


if __name__ == "__main__":
    main()
