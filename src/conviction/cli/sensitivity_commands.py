"""`conviction sensitivity` (a tornado and Sobol indices) and `conviction solve` (what must be
true for the target)."""

from __future__ import annotations

from pathlib import Path

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
from conviction.cli.tables import fit
from conviction.errors import FormatError

WORKERS = typer.Option(
    None, "--workers", help="Processes (default: all CPUs for large runs; 1 = in process)."
)


def _setup(
    config: Path | None, paths: int | None, seed: int | None, target: float | None
) -> tuple[object, Path, object]:
    from conviction.app.runs import projection_file
    from conviction.io.projection_toml import Overrides
    from conviction.store import connect, read_book

    path = projection_file(config)
    book = read_book(connect(settings.db_url))
    return book, path, Overrides(paths=paths, seed=seed, target_multiple=target)


def _fmt(x: float | None, pct: bool = False) -> str:
    if x is None:
        return "—"
    return f"{100 * x:.1f}%" if pct else f"{x:.4g}"


@app.command("sensitivity")
def sensitivity_command(
    config: Path | None = typer.Option(None, "--config", help="Projection TOML file."),
    target_multiple: float | None = typer.Option(None, "--target-multiple", help="Target."),
    paths: int | None = typer.Option(None, "--paths", help="Paths per run (overrides)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (overrides)."),
    workers: int | None = WORKERS,
    scheduler: str | None = SCHEDULER,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for programs."),
) -> None:
    """Which input decides the target: a tornado on common random numbers, Sobol indices."""
    from rich import box
    from rich.table import Table

    from conviction.app.sensitivity_runs import sensitivity_book

    book, path, ov = _setup(config, paths, seed, target_multiple)
    shown = err.is_terminal and not as_json
    with paths_progress("sensitivity", shown=shown, unit="runs") as progress:
        bs, res = sensitivity_book(
            book,  # type: ignore[arg-type]
            path,
            overrides=ov,  # type: ignore[arg-type]
            scheduler=scheduler,
            workers=workers,
            progress=progress,
        )
    if as_json:
        from conviction.app.answers import to_json
        from conviction.app.sensitivity_runs import sensitivity_answer

        print_json(to_json(sensitivity_answer(bs, res)))
        return
    out.print(
        styled(
            ("Sensitivity", "bold"),
            f" {bs.config}: P(whole book >= {res.target_multiple:g}x in {res.years} years) = "
            f"{_fmt(res.base_p, True)} ± {_fmt(res.base_p_se, True)}, median "
            f"{res.base_median:.2f}x; {res.paths:,} paths per run, seed {res.seed}, the book "
            f"on {bs.as_of}",
        )
    )
    t = Table(
        title="Tornado (same random numbers in every run)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for col, just in (
        ("input", "left"),
        ("low", "right"),
        ("high", "right"),
        ("P low", "right"),
        ("P high", "right"),
        ("swing ± s.e.", "right"),
        ("median low", "right"),
        ("median high", "right"),
    ):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for b in res.bars:
        t.add_row(
            b.input,
            _fmt(b.low),
            _fmt(b.high),
            _fmt(b.p_low, True),
            _fmt(b.p_high, True),
            f"{100 * b.p_swing:+.1f} ± {100 * b.p_swing_se:.1f} pp",
            f"{b.median_low:.2f}x",
            f"{b.median_high:.2f}x",
        )
    out.print(fit(t, drop=("median low", "median high", "low", "high")))
    if res.sobol:
        s = Table(
            title=f"Sobol indices of the log multiple ({100 * res.confidence_level:g}% intervals)",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        for col in ("driver", "first order", "its interval", "total", "interval"):
            s.add_column(col, justify="left" if col == "driver" else "right")
        for x in sorted(res.sobol, key=lambda x: -x.total):
            s.add_row(
                x.driver,
                f"{x.first_order:.3f}",
                f"[{x.first_order_low:.3f}, {x.first_order_high:.3f}]",
                f"{x.total:.3f}",
                f"[{x.total_low:.3f}, {x.total_high:.3f}]",
            )
        out.print(fit(s, drop=("its interval", "interval")))
    for note in res.notes:
        out.print(styled((f"note: {note}", "dim")))


@app.command("solve")
def solve_command(
    config: Path | None = typer.Option(None, "--config", help="Projection TOML file."),
    target_multiple: float | None = typer.Option(None, "--target-multiple", help="Target."),
    probability: float = typer.Option(0.5, "--probability", help="P(target) to reach."),
    paths: int | None = typer.Option(None, "--paths", help="Paths (overrides)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (overrides)."),
    workers: int | None = WORKERS,
    scheduler: str | None = SCHEDULER,
    as_json: bool = typer.Option(False, "--json", help="Print JSON for programs."),
) -> None:
    """What must be true: the value each company and driver must reach for the target."""
    from rich import box
    from rich.table import Table

    from conviction.app.sensitivity_runs import solve_book

    if not 0.0 < probability < 1.0:
        raise FormatError(
            f"expected a probability in (0, 1), got {probability}", field="--probability"
        )
    book, path, ov = _setup(config, paths, seed, target_multiple)
    bs, res = solve_book(
        book,  # type: ignore[arg-type]
        path,
        probability=probability,
        overrides=ov,  # type: ignore[arg-type]
        scheduler=scheduler,
        workers=workers,
    )
    if as_json:
        print_json({**res.to_dict(), "as_of": bs.as_of.isoformat(), "config": bs.config})
        return
    out.print(
        styled(
            ("What must be true", "bold"),
            f" {bs.config}: {res.target_multiple:g}x in {res.years} years "
            f"({_fmt(res.target_multiple ** (1 / res.years) - 1, True)} a year); today median "
            f"{res.base_median:.2f}x, P = {_fmt(res.base_p, True)}; {res.paths:,} paths, the "
            f"book on {bs.as_of}",
        )
    )
    t = Table(
        title="Each input alone, the others as specified",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for_p = f"for P {100 * probability:g}%"
    for col in ("input", "now", "for median", "its CAGR", for_p, "CAGR", "note"):
        t.add_column(col, justify="left" if col in ("input", "note") else "right")
    for r in res.requirements:
        t.add_row(
            r.input,
            _fmt(r.base),
            _fmt(r.for_median) if r.reachable_median else "out of reach",
            _fmt(r.cagr_median, True) if r.cagr_median is not None else "",
            _fmt(r.for_probability) if r.reachable_probability else "out of reach",
            _fmt(r.cagr_probability, True) if r.cagr_probability is not None else "",
            r.note,
        )
    out.print(fit(t, wrap=("note",), drop=("CAGR", "its CAGR", "note")))
    out.print(
        styled(
            (
                "note: company.<id> is its multiple at the horizon; asset.<id>."
                "expected_return the drift mu; driver.<name> its value at the horizon",
                "dim",
            )
        )
    )
