"""``conviction stats PRICES.csv``: return statistics of any price file (no book needed)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from conviction.cli.app import app, err, out, print_json, styled
from conviction.errors import InputError

if TYPE_CHECKING:
    from conviction.analytics import StatsResult
    from conviction.analytics.stale import DesmoothMethod


@app.command("stats")
def stats_command(
    prices: Path = typer.Argument(..., help="Price CSV: date,close or date,...,adj_close,..."),
    benchmark: Path | None = typer.Option(
        None, "--benchmark", help="Benchmark price CSV, compared over the common dates."
    ),
    desmooth: str | None = typer.Option(
        None, "--desmooth", help="Also desmooth stale marks: geltner or gml."
    ),
    lags: int = typer.Option(2, "--lags", help="Lags of the gml (Getmansky-Lo-Makarov) model."),
    periods: float = typer.Option(252.0, "--periods", help="Observations per year (daily)."),
    freq: str = typer.Option(
        "auto", "--freq", help="auto (the marks'), daily, weekly, monthly, quarterly, yearly."
    ),
    rf: float = typer.Option(0.0, "--rf", help="Annual risk-free rate for Sharpe and Sortino."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for programs."),
) -> None:
    """Return statistics of a price file: CAGR, volatility, Sharpe, drawdowns, rolling
    windows, stale marks, and a benchmark comparison, at the frequency of the marks.

    A file marked monthly gets monthly statistics (12 a year) against the benchmark on the
    same dates (--freq auto); daily years are --periods (252) observations."""
    from conviction.analytics import summarize
    from conviction.analytics.stale import DESMOOTH_METHODS
    from conviction.io.prices import read_price_csv

    if desmooth is not None and desmooth not in DESMOOTH_METHODS:
        raise InputError(
            f"expected one of {', '.join(DESMOOTH_METHODS)}, got {desmooth!r}", field="--desmooth"
        )
    if lags < 1:
        raise InputError(f"must be at least 1, got {lags}", field="--lags")
    if not periods > 0:
        raise InputError(f"must be positive, got {periods}", field="--periods")
    from conviction.app.stats import stats_frequency

    asked = stats_frequency(freq, field="--freq")
    method: DesmoothMethod | None = desmooth  # checked against DESMOOTH_METHODS above
    series = read_price_csv(prices)
    bench = read_price_csv(benchmark) if benchmark is not None else None
    if series.name is None:
        series = series.rename(prices.stem)
    result = summarize(
        series,
        bench,
        kind="prices",
        periods=periods,
        rf=rf,
        desmooth=method,
        lags=lags,
        frequency=asked,
    )
    if as_json:
        from conviction.app.answers import to_json

        print_json(to_json(result))
        return
    _print_tables(result)


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.2%}"


def _num(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.3f}"


def _print_tables(res: StatsResult) -> None:
    from rich.table import Table

    from conviction.analytics.stale import GAP_DAYS_LIMIT, ZERO_SHARE_LIMIT
    from conviction.cli.tables import fit

    out.print(
        styled(
            (str(res.name), "bold"),
            f"  {res.start} to {res.end}: {res.observations:,} returns, {res.years:.2f} years",
        )
    )
    out.print(f"Year convention: {res.year_convention}.")
    if res.marks is not None:
        out.print(f"Frequency: {res.frequency} returns; the marks are {res.marks.describe()}.")
    main = Table("metric", "value", title="Returns and risk")
    main.add_row("total return", _pct(res.total_return))
    main.add_row("CAGR", _pct(res.cagr))
    main.add_row("volatility (annualised)", _pct(res.volatility))
    main.add_row(f"Sharpe (rf {res.rf:.2%})", _num(res.sharpe))
    main.add_row(f"Sortino (rf {res.rf:.2%})", _num(res.sortino))
    main.add_row("max drawdown", _pct(res.max_drawdown))
    main.add_row("Calmar", _num(res.calmar))
    span = (
        f" ({res.longest_drawdown_start} to {res.longest_drawdown_end})"
        if res.longest_drawdown_start
        else ""
    )
    main.add_row("longest drawdown", f"{res.longest_drawdown:,} observations{span}")
    main.add_row("current drawdown", f"{res.current_drawdown:,} observations")
    main.add_row("time under water", _pct(res.time_under_water))
    out.print(fit(main, wrap=("value",)))

    roll = Table(
        "years", "windows", "min", "p5", "median", "p95", "max", "< 0",
        title=f"Rolling annualised returns: every window of years x {res.periods:g} observations",
    )  # fmt: skip
    for r in res.rolling:
        cells = (r.min, r.p5, r.median, r.p95, r.max, r.share_negative)
        roll.add_row(f"{r.years:g}", f"{r.count:,}", *map(_pct, cells))
    out.print(fit(roll, drop=("p5", "p95")))

    if res.benchmark is not None:
        b = res.benchmark
        bt = Table(
            "metric", "value", title=f"Against the benchmark ({b.observations:,} common returns)"
        )
        bt.add_row("CAGR / benchmark CAGR", f"{_pct(b.cagr)} / {_pct(b.benchmark_cagr)}")
        bt.add_row("excess CAGR", _pct(b.excess_cagr))
        bt.add_row("beta", _num(b.beta))
        bt.add_row("alpha (annualised, arithmetic)", _pct(b.alpha))
        bt.add_row("correlation", _num(b.correlation))
        bt.add_row("tracking error", _pct(b.tracking_error))
        bt.add_row("information ratio (annualised)", _num(b.information_ratio))
        bt.add_row("up capture", _num(b.up_capture))
        bt.add_row("down capture", _num(b.down_capture))
        out.print(fit(bt, wrap=("value",)))

    st = res.staleness
    stale = Table("stale marks", "value")
    stale.add_row("zero-return share", _pct(st.zero_share))
    stale.add_row("median / max gap between marks", f"{st.median_gap:g} / {st.max_gap:g} obs")
    if st.median_gap_days is not None and st.max_gap_days is not None:
        stale.add_row(
            "median / max gap (calendar days)", f"{st.median_gap_days:g} / {st.max_gap_days:g}"
        )
    stale.add_row("flagged", "yes: " + "; ".join(st.reasons) if st.flagged else "no")
    out.print(fit(stale, wrap=("value",)))

    d = res.desmoothed
    if d is not None:
        params = ", ".join(f"{p:.4f}" for p in d.params)
        dt = Table("", "raw", "desmoothed", title=f"Desmoothed ({d.method}: {params})")
        dt.add_row("volatility", _pct(d.raw_volatility), _pct(d.volatility))
        dt.add_row("Sharpe", _num(d.raw_sharpe), _num(d.sharpe))
        out.print(fit(dt))
        if d.warning:
            _warn(d.warning)
    for warning in res.warnings:
        _warn(warning)
    if res.frequency != "daily" or res.warnings:
        return  # at the marks' frequency already, or warned of it
    if st.zero_share > ZERO_SHARE_LIMIT:
        _warn(
            "most returns are zero (marks carried forward): drawdowns, beta and correlation "
            "are understated. --desmooth geltner|gml corrects appraisal-smoothed "
            "(autocorrelated) returns; marks that stay flat and then jump need a file at "
            "the marking frequency (with --periods)."
        )
    elif st.median_gap_days is not None and st.median_gap_days > GAP_DAYS_LIMIT:
        _warn(
            f"observations are a median {st.median_gap_days:g} days apart, but a year counts "
            f"as {res.periods:g} observations: pass --periods (12 monthly, 4 quarterly)."
        )


def _warn(message: str) -> None:
    err.print(styled(("warning:", "yellow"), " ", message), highlight=False)
