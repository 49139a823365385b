"""Policy commands: backtest a policy on the book's history; compare policies on projections."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer

from conviction.cli.app import (
    JSON,
    SCHEDULER,
    app,
    err,
    out,
    parse_date,
    paths_progress,
    print_json,
    settings,
)
from conviction.errors import FormatError

#: conviction.policies.history.DEFAULT_MAX_GAP_DAYS, written out so that the module (and
#: `conviction backtest --help`) need not import pandas; tests/cli/test_startup.py checks it.
DEFAULT_MAX_GAP_DAYS = 7

__all__ = ["backtest_command", "compare_command"]


@app.command("backtest")
def backtest_command(
    policy_file: Path = typer.Option(..., "--policy", help="Policy TOML file."),
    start: str | None = typer.Option(
        None, "--start", help="First date (default: the policy's, else the first trade)."
    ),
    end: str | None = typer.Option(
        None, "--end", help="Last date (default: the policy's, else the book's as_of)."
    ),
    max_gap: int = typer.Option(
        DEFAULT_MAX_GAP_DAYS,
        "--max-gap",
        help="Days a public price may be forward-filled beyond its cadence (the median "
        "spacing of its marks; 1 for daily marks).",
    ),
    no_flows: bool = typer.Option(
        False,
        "--no-flows",
        help="Replay none of the book's deposits, withdrawals and dividends: the policy "
        "and hold start from the positions on --start, and the book as traded is not shown.",
    ),
    as_json: bool = JSON,
) -> None:
    """Replay the book's flows under a policy, beside holding and the book as traded."""
    from conviction.app.book import open_book
    from conviction.app.policy_answers import run_backtest
    from conviction.io.policy_toml import read_policy

    policy = read_policy(policy_file)
    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    if first is not None and last is not None and first > last:  # before reading the book
        raise FormatError(f"--start {first} is after --end {last}", field="--start")
    if max_gap < 0:
        raise FormatError(f"--max-gap must be >= 0, got {max_gap}", field="--max-gap")
    book = open_book(settings.db_url).book  # the read status makes (no table module)
    result = run_backtest(
        book,
        policy,
        start=first,
        end=last,
        max_gap_days=max_gap,
        flows=not no_flows,
        fields=("--start", "--end", "--max-gap"),
    )
    from conviction.app.answers import to_json
    from conviction.app.policy_answers import backtest_report

    payload = to_json(backtest_report(result))
    if as_json:
        print_json(payload)
    else:
        _print_backtest(payload)


def _money(x: float, sign: bool = False) -> str:
    """Compact amounts so the tables fit 80 columns: 283.2M, 2.58B."""
    size = abs(x)
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if size >= scale:
            text = f"{size / scale:.3g}{unit}"
            break
    else:
        text = f"{size:.0f}"
    return ("-" if x < 0 else "+" if sign and x > 0 else "") + text


def _pct(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:.1%}"


def _print_backtest(payload: dict[str, Any]) -> None:
    daily = payload["daily"]
    title = (
        f"backtest of {payload['policy']}: {payload['start']} to {payload['end']}, "
        f"{payload['steps']} steps ({', '.join(payload['companies'])})"
    )
    if payload.get("flows"):
        _print_three_lines(payload, title)
    else:
        _print_from_positions(payload, title, daily)
    _print_trades(payload["trades"])


def _year_note(payload: dict[str, Any]) -> str:
    """Which days are valued, and which year each annualised figure counts (as in
    conviction history)."""
    return (
        f"valued on {payload['sessions']:,} {payload['calendar']} sessions, as conviction "
        f"history values the book\nCAGR: the TWR a year; ¹ {payload['sessions_per_year']} "
        f"sessions a year ({payload['calendar']}), ² calendar time, 365.25 days"
    )


def _print_three_lines(payload: dict[str, Any], title: str) -> None:
    """The policy, hold and the book as traded, the same flows in each."""
    from rich import box
    from rich.table import Table

    from conviction.cli.tables import fit

    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    columns = ["account", "start", "flows", "policy", "hold", "as traded", "vs hold"]
    columns += ["vs traded", "CAGR¹", "CAGR²", "traded¹", "max DD", "trades", "costs"]
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in payload["accounts"]:
        table.add_row(
            row["account"],
            _money(row["start_value"]),
            _money(row["net_flows"], sign=True),
            _money(row["end_value"]),
            _money(row["end_value_if_held"]),
            _money(row["end_value_as_traded"]),
            _money(row["vs_hold"], sign=True),
            _money(row["vs_as_traded"], sign=True),
            _pct(row["cagr_sessions"]),
            _pct(row["cagr_calendar"]),
            _pct(row["cagr_sessions_as_traded"]),
            _pct(row["max_drawdown"]),
            str(row["trades"]),
            _money(row["costs"]),
        )
    drop = ("costs", "trades", "traded¹", "CAGR²", "max DD", "vs traded", "flows")
    out.print(fit(table, drop=drop))
    out.print("policy, hold, as traded: end values, with the book's deposits, withdrawals")
    out.print("and dividends replayed in each; hold keeps every deposit in cash; as traded")
    out.print("is conviction history's value (traded¹: the book's, per account).")
    out.print(_year_note(payload), highlight=False)


def _print_from_positions(payload: dict[str, Any], title: str, daily: bool) -> None:
    from rich import box
    from rich.table import Table

    from conviction.cli.tables import fit

    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    columns = ["account", "start", "end", "if held", "vs hold", "CAGR¹", "CAGR²"]
    columns += ["Sharpe¹"] if daily else []
    columns += ["max DD", "trades", "costs"]
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 else "right")
    for row in payload["accounts"]:
        cells = [
            row["account"],
            _money(row["start_value"]),
            _money(row["end_value"]),
            _money(row["end_value_if_held"]),
            _money(row["vs_hold"], sign=True),
            _pct(row["cagr_sessions"]),
            _pct(row["cagr_calendar"]),
        ]
        if daily:
            sharpe = row["sharpe_sessions"]
            cells += ["n/a" if sharpe is None else f"{sharpe:.2f}"]
        cells += [_pct(row["max_drawdown"]), str(row["trades"]), _money(row["costs"])]
        table.add_row(*cells)
    out.print(fit(table, drop=("costs", "trades", "Sharpe¹", "CAGR²")))
    note = _year_note(payload)
    if daily:
        note += "; Sharpe¹ of the daily returns, rf = 0 (quantstats)"
    out.print(note, highlight=False)


def _print_trades(trades: list[dict[str, Any]]) -> None:
    from rich import box
    from rich.table import Table

    from conviction.cli.tables import fit

    if not trades:
        out.print("no trades")
        return
    log = Table(
        title=f"trades ({len(trades)}; the last 15)" if len(trades) > 15 else "trades",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for i, name in enumerate(("date", "account", "company", "quantity", "price", "value", "rule")):
        log.add_column(name, justify="left" if i < 3 or i == 6 else "right")
    for t in trades[-15:]:
        log.add_row(
            str(t["date"]),
            t["account"],
            t["company"],
            _money(t["quantity"]),
            f"{t['price']:,.2f}",
            _money(t["value"]),
            t["rule"],
        )
    log = fit(log, drop=("value",))  # value = quantity x price
    out.print(log)


@app.command("compare")
def compare_command(
    policy_files: list[Path] = typer.Option(..., "--policy", help="Policy TOML file (repeat)."),
    config: Path | None = typer.Option(
        None, "--config", "--projection", help="Projection TOML file (default: ./projection.toml)."
    ),
    paths: int | None = typer.Option(None, "--paths", help="Number of paths (overrides)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (overrides)."),
    target_multiple: float | None = typer.Option(
        None, "--target-multiple", help="Target multiple of today's value (overrides)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Start from the book on YYYY-MM-DD (default: the book's as_of)."
    ),
    cash_rate: float | None = typer.Option(
        None, "--cash-rate", help="Annual rate of the cash (overrides the file's cash_rate)."
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="Processes (default: all CPUs for large runs; 1 = in process)."
    ),
    scheduler: str | None = SCHEDULER,
    as_json: bool = JSON,
) -> None:
    """Run several policies on the same projected paths of the book, side by side (the
    whole book, cash at the file's cash_rate: hold's P(target) is project's)."""
    from conviction.app.runs import compare_policies, projection_file
    from conviction.io.policy_toml import read_policy
    from conviction.io.projection_toml import Overrides
    from conviction.store import connect, read_book

    policies = [read_policy(p) for p in policy_files]
    path = projection_file(config)
    day = parse_date(as_of, "--as-of")
    book = read_book(connect(settings.db_url))
    overrides = Overrides(
        paths=paths, seed=seed, target_multiple=target_multiple, cash_rate=cash_rate
    )
    with paths_progress("comparing", shown=err.is_terminal and not as_json) as progress:
        compared = compare_policies(
            book,
            path,
            policies,
            as_of=day,
            overrides=overrides,
            scheduler=scheduler,
            workers=workers,
            progress=progress,
        )
    from conviction.app.answers import to_json
    from conviction.app.policy_answers import comparison_report

    payload = to_json(comparison_report(compared))
    if as_json:
        print_json(payload)
    else:
        _print_compare(payload)


def _print_compare(payload: dict[str, Any]) -> None:
    from rich import box
    from rich.table import Table

    from conviction.cli.tables import fit

    k = f"{payload['target_multiple']:g}"
    table = Table(
        title=(
            f"policies on {payload['paths']:,} projected paths, {payload['years']:g} years "
            f"from {payload['as_of']} (whole book)"
        ),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for i, name in enumerate(
        ("policy", "median", f"P(≥{k}x)", "P(loss)", "worst 10%", "CAGR¹", "max DD¹", "trades")
    ):
        table.add_column(name, justify="left" if i == 0 else "right")
    for p in payload["policies"]:
        b = p["book"]
        table.add_row(
            p["policy"],
            f"{b['median_multiple']:.2f}x",
            _pct(b["prob_target"][k]),
            _pct(b["prob_loss"]),
            f"{b['worst_decile']:.2f}x",
            _pct(b["median_cagr"]),
            _pct(-b["median_max_drawdown"]),
            f"{p['median_trades']:.0f}",
        )
    out.print(fit(table, drop=("trades",)))
    out.print("¹ medians over paths; worst 10% = 10th percentile of the multiple")
    rows = Table(title=f"P(≥{k}x) by account", box=box.SIMPLE_HEAD, pad_edge=False)
    rows.add_column("policy")
    names = [a["name"] for a in payload["policies"][0]["accounts"]]
    for name in names:
        rows.add_column(name, justify="right")
    for p in payload["policies"]:
        rows.add_row(p["policy"], *(_pct(a["prob_target"][k]) for a in p["accounts"]))
    out.print(fit(rows, drop=names[:0:-1]))
    if payload["not_projected"]:
        out.print(f"not projected, kept at today's mark: {', '.join(payload['not_projected'])}")
    if "cash" in payload["conventions"]:
        out.print(f"cash: {payload['conventions']['cash']}")
