"""`conviction track`: the projection re-run at each milestone update, on the same seed."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from conviction.app.track_runs import TrackAnswer


def theses_file(path: Path) -> Path:
    """The theses file a command names (a folder means its ``theses.toml``)."""
    found = path
    if found.is_dir():
        found = found / "theses.toml"
    if not found.exists():
        raise FormatError(
            "no theses file: pass --theses FILE (see docs/theses.md)", file=found, field="--theses"
        )
    return found


@app.command("track")
def track_command(
    config: Path | None = typer.Option(
        None, "--config", help="Projection TOML file (default: ./projection.toml)."
    ),
    theses: Path | None = typer.Option(
        None,
        "--theses",
        help="Theses TOML with milestone effects (default: the theses stored by `load`).",
    ),
    paths: int | None = typer.Option(None, "--paths", help="Paths per run (overrides)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed of every run (overrides)."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Start from the book's values on YYYY-MM-DD (default: book's)."
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="Processes (default: all CPUs for large runs; 1 = in process)."
    ),
    scheduler: str | None = SCHEDULER,
    as_json: bool = JSON,
) -> None:
    """How P(target) and the median moved as milestones were hit, missed or slipped.

    The projection is re-run at each date a milestone's state was recorded, with the
    outcomes known by then applied to its drivers, on the same seed (docs/theses.md).
    """
    from conviction.app.runs import projection_file
    from conviction.app.track_runs import track_book
    from conviction.io.projection_toml import Overrides
    from conviction.io.theses_toml import read_theses_file
    from conviction.store import connect, read_book
    from conviction.store.theses_tables import read_theses
    from conviction.theses.effects import with_updates

    path = projection_file(config)
    day = parse_date(as_of, "--as-of")
    engine = connect(settings.db_url)
    book = read_book(engine)
    with engine.connect() as conn:  # loaded by `conviction load`, with the updates since
        stored = read_theses(conn).theses
    if theses is None:
        recorded, label = stored, "the stored theses"
    else:
        tpath = theses_file(theses)
        found = read_theses_file(tpath, book.companies, book.persons)
        recorded, label = with_updates(found.theses, stored), str(tpath)
    overrides = Overrides(paths, None, seed, None, None)
    kwargs = {"theses_file": label, "as_of": day, "overrides": overrides}
    with paths_progress("tracking", shown=err.is_terminal and not as_json) as progress:
        answer = track_book(
            book,
            path,
            recorded,
            scheduler=scheduler,
            workers=workers,
            progress=progress,
            **kwargs,  # type: ignore[arg-type]
        )
    if as_json:
        from conviction.app.answers import to_json

        print_json(to_json(answer))
        return
    _print(answer)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _signed_pct(x: float) -> str:
    return "·" if x == 0 else f"{100 * x:+.1f}"


def _signed_times(x: float) -> str:
    return "·" if x == 0 else f"{x:+.2f}"


def _print(a: TrackAnswer) -> None:
    from rich.table import Table
    from rich.text import Text

    from conviction.cli.app import styled
    from conviction.cli.tables import fit

    out.print(
        styled(
            ("Track", "bold"),
            f" {a.config} with {a.theses}: P(whole book >= {a.target_multiple:g}x in {a.years} "
            f"years) and the median multiple at each milestone update; {a.paths:,} paths a "
            f"run, seed {a.seed}, the book's values on {a.as_of}",
        )
    )
    t = Table(caption="Δ: change from the row above, in points of P and in x of the median")
    t.add_column("date")
    t.add_column("P(target)", justify="right")
    t.add_column("Δ", justify="right")
    t.add_column("median", justify="right")
    t.add_column("Δx", justify="right")
    t.add_column("evidence")
    for row in a.rows:
        lines = Text()
        # milestones set pending, moving nothing, in one line; outcomes with their evidence
        quiet = [e for e in row.evidence if e.status == "pending" and not e.effects]
        loud = [e for e in row.evidence if e not in quiet]
        if quiet:
            lines.append("pending: " + ", ".join(f"{e.thesis}/{e.milestone}" for e in quiet))
        for ev in loud:
            if lines:
                lines.append("\n")
            lines.append(f"{ev.thesis}/{ev.milestone} ", style="bold")
            lines.append(ev.status)
            for e in ev.effects:
                lines.append(f" {e.driver} ×{e.factor:.3g}", style="cyan")
            if ev.evidence:
                lines.append(f": {ev.evidence}", style="dim")
        t.add_row(
            str(row.date),
            f"{_pct(row.prob_target)} ±{_pct(row.prob_target_se)}",
            _signed_pct(row.prob_target_change),
            f"{row.median_multiple:.2f}x",
            _signed_times(row.median_multiple_change),
            lines,
        )
    out.print(fit(t, wrap=("evidence", "P(target)")))
    first, last = a.rows[0], a.rows[-1]
    out.print(
        styled(
            f"from {first.date} to {last.date}: P(target) {_pct(first.prob_target)} -> ",
            (_pct(last.prob_target), "bold"),
            f", median {first.median_multiple:.2f}x -> {last.median_multiple:.2f}x "
            f"({a.runs} run{'s' if a.runs != 1 else ''} for {len(a.rows)} "
            f"date{'s' if len(a.rows) != 1 else ''}: a date whose "
            "evidence moves no driver repeats the row above)",
        )
    )
    if a.not_projected:
        out.print(
            styled(
                ("note: held but not in the projection file: " + ", ".join(a.not_projected), "dim")
            )
        )
