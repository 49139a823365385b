"""`conviction project`: the ten-year Monte Carlo of the book in the database."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from conviction.cli.app import (
    SCHEDULER,
    app,
    err,
    out,
    paths_progress,
    print_json,
    settings,
    styled,
)
from conviction.errors import FormatError

if TYPE_CHECKING:
    from conviction.book.model import Book
    from conviction.projection import ProjectionResult
    from conviction.theses.model import Thesis


@app.command("project")
def project_command(
    config: Path | None = typer.Option(
        None, "--config", help="Projection TOML file (default: ./projection.toml)."
    ),
    paths: int | None = typer.Option(None, "--paths", help="Number of paths (overrides)."),
    years: int | None = typer.Option(None, "--years", help="Horizon in years (overrides)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (overrides)."),
    target_multiple: float | None = typer.Option(
        None, "--target-multiple", help="Target multiple of today's value (overrides)."
    ),
    steps_per_year: int | None = typer.Option(
        None, "--steps-per-year", help="12 monthly, 252 daily (overrides)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Start from the book's values on YYYY-MM-DD (default: book's)."
    ),
    cash_rate: float | None = typer.Option(
        None, "--cash-rate", help="Annual rate the book's cash earns, 0.04 for 4% (overrides)."
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="Processes (default: all CPUs for large runs; 1 = in process)."
    ),
    scheduler: str | None = SCHEDULER,
    scenario: list[str] | None = typer.Option(
        None,
        "--scenario",
        help="Also run this [[scenario]] of the file, side by side on the same random "
        "numbers (repeat for several).",
    ),
    theses: Path | None = typer.Option(
        None,
        "--theses",
        help="Theses TOML whose milestone outcomes up to --as-of move the drivers.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON for programs."),
) -> None:
    """Project the whole book N years ahead (holdings projected, cash at the file's
    cash_rate): value percentiles, P(target), drawdowns; the holdings alone beside."""

    from conviction.app.runs import project_book, projection_file
    from conviction.io.projection_toml import Overrides
    from conviction.store import connect, read_book

    path = projection_file(config)
    day = _date(as_of)
    book = read_book(connect(settings.db_url))
    overrides = Overrides(paths, years, seed, target_multiple, steps_per_year, cash_rate)
    found_theses = _theses(theses, book, scenario)
    if scenario:
        from conviction.cli.scenario_commands import project_scenarios_command

        project_scenarios_command(
            book, path, scenario, day, overrides, scheduler, workers, as_json=as_json
        )
        return
    started = time.perf_counter()
    with paths_progress("projecting", shown=err.is_terminal and not as_json) as progress:
        run = project_book(
            book,
            path,
            as_of=day,
            overrides=overrides,
            scheduler=scheduler,
            workers=workers,
            progress=progress,
            theses=found_theses,
        )
    elapsed = time.perf_counter() - started
    if as_json:
        from conviction.app.answers import to_json
        from conviction.app.projection_answers import projection_report

        print_json(to_json(projection_report(run)))
        return
    _print(
        run.result,
        run.as_of,
        run.currency,
        path,
        list(run.not_projected),
        elapsed,
    )
    for a in run.milestone_effects:
        out.print(
            styled(
                (
                    f"note: {a.thesis}/{a.milestone} {a.status} on {a.since}: "
                    f"{a.driver} x{a.factor:.4g} ({theses})",
                    "dim",
                )
            )
        )


def _theses(path: Path | None, book: Book, scenario: list[str] | None) -> tuple[Thesis, ...]:
    """The theses of ``--theses`` (none without it), read against the book's ids, with the
    updates stored since by ``conviction thesis update``."""
    if path is None:
        return ()
    if scenario:
        raise FormatError("--theses does not combine with --scenario yet", field="--theses")
    from conviction.io.theses_toml import read_theses_file
    from conviction.store import connect
    from conviction.store.theses_tables import read_theses
    from conviction.theses.effects import with_updates

    found = read_theses_file(path, book.companies, book.persons).theses
    with connect(settings.db_url).connect() as conn:  # and `conviction thesis update`'s
        return with_updates(found, read_theses(conn).theses)


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FormatError(f"expected a date YYYY-MM-DD, got {value!r}", field="--as-of") from None


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


def _print(
    r: ProjectionResult,
    as_of: dt.date,
    ccy: str,
    path: Path,
    left_out: list[str],
    elapsed: float,
) -> None:
    from rich.table import Table

    from conviction.projection.result import NO_MEAN_NOTE

    labels = [f"p{q:g}" for q in r.percentiles]
    rest = f"cash {_money(r.cash)} at {100 * r.cash_rate:g}% a year"
    if r.unprojected:
        rest += f", {_money(r.unprojected)} held but not projected (kept)"
    out.print(
        styled(
            ("Projection", "bold"),
            f" {path}: the whole book, {_money(r.start_value)} {ccy} on {as_of} "
            f"({len(r.companies)} companies projected, {_money(r.holdings_value)}; {rest}), "
            f"{r.years} years, {r.paths:,} paths ({r.steps_per_year} steps a year), "
            f"seed {r.seed}",
        )
    )
    out.print(
        styled(
            f"P(whole book >= {r.target_multiple:g}x in {r.years} years) = ",
            (_pct(r.prob_target), "bold"),
            f" ± {_pct(r.prob_target_se)} (1 s.e.); "
            f"the target needs {_pct(r.required_cagr)} a year",
        )
    )
    hold_p = r.prob_target if r.holdings_prob_target is None else r.holdings_prob_target
    hold_se = r.prob_target_se if r.holdings_prob_target_se is None else r.holdings_prob_target_se
    out.print(
        f"P(projected holdings alone >= {r.target_multiple:g}x) = "
        f"{_pct(hold_p)} ± {_pct(hold_se)} (cash and unprojected holdings left out)"
    )
    t = Table(title=f"In {r.years} years ({ccy})", title_justify="left")
    t.add_column("")
    for label in [*labels, "mean"]:
        t.add_column(label, justify="right")
    mean_value = None if r.mean_multiple is None else r.mean_multiple * r.start_value
    t.add_row("value", *[_money(v) for v in r.terminal_value], _money(mean_value))
    t.add_row("multiple", *[_times(v) for v in r.terminal_multiple], _times(r.mean_multiple))
    t.add_row("CAGR", *[_pct(v) for v in r.cagr], "")
    held = r.terminal_multiple if r.holdings_multiple is None else r.holdings_multiple
    t.add_row("holdings ×", *[_times(v) for v in held], "")
    t.add_row("drawdown", *[_pct(v) for v in r.max_drawdown], "")
    out.print(t)
    fan = Table(title=f"Value by year ({ccy})", title_justify="left")
    fan.add_column("year", justify="right")
    for label in labels:
        fan.add_column(label, justify="right")
    for year, row in enumerate(r.fan):
        fan.add_row(str(year), *[_money(v * r.start_value) for v in row])
    out.print(fan)
    comp = Table(
        title=f"Companies: value today ({ccy}) and multiple in {r.years} years",
        title_justify="left",
    )
    comp.add_column("company")
    comp.add_column("today", justify="right")
    for label in labels:
        comp.add_column(label, justify="right")
    for i, cid in enumerate(r.companies):
        comp.add_row(
            cid,
            _money(float(r.start_values[i])),
            *[_times(v) for v in r.company_multiple[i]],
        )
    out.print(comp)
    notes: list[str] = [
        f"value, multiple, CAGR and the fan count the whole book; holdings ×: the projected "
        f"holdings alone; mean of log multiple {r.mean_log_multiple:.4f} ± "
        f"{r.mean_log_multiple_se:.4f}; drawdown: largest fall from a running peak of the "
        "projected holdings' value, per step",
        f"cash ({_money(r.cash)} {ccy}) earns {100 * r.cash_rate:g}% a year (cash_rate): "
        f"{_money(r.cash_at_horizon)} in {r.years} years",
    ]
    if r.mean_multiple is None:
        notes.append(NO_MEAN_NOTE)
    if left_out:
        notes.append("held but not in the projection file: " + ", ".join(left_out))
    notes.append(f"{r.backend} kernel, {r.summary} percentiles, {elapsed:.1f} s")
    for note in notes:
        out.print(styled((f"note: {note}", "dim")))
