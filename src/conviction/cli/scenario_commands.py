"""`conviction project --scenario NAME`: the base and the named scenarios side by side."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from conviction.cli.app import err, out, paths_progress, print_json, styled

if TYPE_CHECKING:
    from conviction.app.scenario_runs import ScenarioReport
    from conviction.book.model import Book
    from conviction.io.projection_toml import Overrides


def project_scenarios_command(
    book: Book,
    path: Path,
    names: Sequence[str],
    as_of: dt.date | None,
    overrides: Overrides,
    scheduler: str | None,
    workers: int | None,
    *,
    as_json: bool,
) -> None:
    """Run the base and each named scenario and print them (a table, or ``--json``)."""
    from conviction.app.scenario_runs import project_scenarios, scenario_report

    started = time.perf_counter()
    shown = err.is_terminal and not as_json
    with paths_progress("projecting the base and each scenario", shown=shown) as progress:
        runs = project_scenarios(
            book,
            path,
            names,
            as_of=as_of,
            overrides=overrides,
            scheduler=scheduler,
            workers=workers,
            progress=progress,
        )
    report = scenario_report(runs)
    if as_json:
        from conviction.app.answers import to_json

        print_json(to_json(report))
        return
    _print(report, time.perf_counter() - started)


def _money(x: float | None) -> str:
    if x is None:
        return "—"
    for size, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:,.2f}{unit}"
    return f"{x:,.2f}"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _times(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}x"


def _print(r: ScenarioReport, elapsed: float) -> None:
    from rich.table import Table

    ccy = r.currency
    out.print(
        styled(
            ("Scenarios", "bold"),
            f" {r.config}: {_money(r.start_value)} {ccy} on {r.as_of}, {r.years} years, "
            f"{r.paths:,} paths each on the same random numbers (seed {r.seed}); "
            f"multiples of the value today before any markdown",
        )
    )
    t = Table(title=f"In {r.years} years ({ccy})", title_justify="left")
    t.add_column("")
    for case in r.cases:
        t.add_column(case.name, justify="right")
    cases = r.cases

    def row(label: str, values: Sequence[str]) -> None:
        t.add_row(label, *values)

    row("value today", [_money(c.value_today) for c in cases])
    row(
        f"P(>= {r.target_multiple:g}x)",
        [f"{_pct(c.prob_target.estimate)} ± {_pct(c.prob_target.se)}" for c in cases],
    )
    row(
        "vs base",
        ["" if i == 0 else f"{100 * c.prob_target_change:+.1f} pp" for i, c in enumerate(cases)],
    )
    for label in [k for k in cases[0].terminal.multiple if k != "mean"]:
        row(f"multiple {label}", [_times(c.terminal.multiple[label]) for c in cases])
    row("multiple mean", [_times(c.terminal.multiple.get("mean")) for c in cases])
    row("value p50", [_money(c.terminal.value.get("p50")) for c in cases])
    row("CAGR p50", [_pct(c.cagr.get("p50")) for c in cases])
    row("drawdown p50", [_pct(c.max_drawdown.get("p50")) for c in cases])
    for i, comp in enumerate(cases[0].companies):
        row(
            f"{comp.company} p50",
            [_times(c.companies[i].terminal.multiple.get("p50")) for c in cases],
        )
    out.print(t)
    for c in cases[1:]:
        what = "; ".join(c.changes) or "no change"
        note = f" ({c.note})" if c.note else ""
        out.print(styled((c.name, "bold"), f"{note}: {what}"))
    notes = [
        f"the target needs {_pct(r.required_cagr)} a year; P and the multiples count the "
        f"whole book, cash ({_money(r.cash_not_projected)} {ccy}) included at the file's "
        "cash_rate",
    ]
    if r.not_projected:
        notes.append("held but not in the projection file: " + ", ".join(r.not_projected))
    notes.append(f"{r.backend} kernel, {r.summary} percentiles, {elapsed:.1f} s")
    for note in notes:
        out.print(styled((f"note: {note}", "dim")))
