"""``conviction report``: the whole book in one self-contained HTML file."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import typer

from conviction.cli.app import JSON, app, err, out, parse_date, print_json, settings
from conviction.errors import FormatError

__all__ = ["report_command"]


def check_out(path: Path) -> Path:
    """The report's target: its folder must exist (we do not create folders silently) and
    it must not be a folder itself."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FormatError(
            f"folder {folder} does not exist (create it first)", file=path, field="--out"
        )
    if path.is_dir():
        raise FormatError(
            "is a folder; give a file name such as report.html", file=path, field="--out"
        )
    return path


@app.command("report")
def report_command(
    out_file: Path = typer.Option(..., "--out", help="Where to write the HTML file."),
    as_of: str | None = typer.Option(None, "--as-of", help="Date YYYY-MM-DD (default: book's)."),
    source: Path | None = typer.Option(
        None,
        "--from",
        help="A book folder: use the projection its TOML names and its policies/*.toml.",
    ),
    benchmark: Path | None = typer.Option(
        None, "--benchmark", help="Price CSV of a benchmark (date + close columns)."
    ),
    benchmark_name: str | None = typer.Option(
        None, "--benchmark-name", help="Its name in the report (default: the file's stem)."
    ),
    projection: Path | None = typer.Option(None, "--projection", help="Projection TOML."),
    paths: int | None = typer.Option(None, "--paths", help="Projection paths (default: file's)."),
    seed: int | None = typer.Option(None, "--seed", help="Projection seed (default: file's)."),
    policy: list[Path] | None = typer.Option(
        None, "--policy", help="Policy TOML to backtest (repeat for several)."
    ),
    theses: Path | None = typer.Option(
        None,
        "--theses",
        help="Theses TOML with milestone effects: chart the track (needs a projection).",
    ),
    sensitivity: bool = typer.Option(
        False,
        "--sensitivity",
        help="Add the tornado and Sobol indices of the projection (needs --projection).",
    ),
    scenario: list[str] | None = typer.Option(
        None,
        "--scenario",
        help="A [[scenario]] of the projection file beside the base (repeat for several).",
    ),
    as_json: bool = JSON,
) -> None:
    """Write the report: value, attribution, concentration, projection, policies, theses."""
    from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn

    from conviction.app.report import ReportRequest, folder_inputs, gather
    from conviction.report import render_report
    from conviction.store import connect

    target = check_out(out_file)
    when = parse_date(as_of, "--as-of")
    if paths is not None and paths < 1:
        raise FormatError(f"--paths must be at least 1, got {paths}", field="--paths")
    policies = list(policy or [])
    if source is not None:
        from_projection, from_policies = folder_inputs(source)
        projection = projection or from_projection
        policies = policies or list(from_policies)
    if theses is not None and projection is None:
        raise FormatError(
            "--theses draws the track of a projection: give --projection too", field="--theses"
        )
    for flag, asked in (("--sensitivity", sensitivity), ("--scenario", bool(scenario))):
        if asked and projection is None:
            raise FormatError(f"{flag} runs on a projection: give --projection too", field=flag)
    request = ReportRequest(
        as_of=when,
        benchmark=benchmark,
        benchmark_name=benchmark_name,
        projection=projection,
        paths=paths,
        seed=seed,
        policies=tuple(policies),
        theses=theses,
        sensitivity=sensitivity,
        scenarios=tuple(scenario or ()),
    )
    started = time.perf_counter()
    engine = connect(settings.db_url)
    with Progress(
        TextColumn("{task.description:<11}"),
        BarColumn(),
        TaskProgressColumn(),
        console=err,  # progress on stderr, and only on a terminal: stdout stays clean
        transient=True,
        disable=not err.is_terminal,
    ) as bars:
        tasks: dict[str, TaskID] = {}

        def step(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bars.add_task(name, total=total)
            bars.update(tasks[name], completed=done, total=total)

        generated = dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")
        data = gather(engine, request, step=step, generated=generated)
        step("render", 0, 1)
        html = render_report(data)
        step("render", 1, 1)
    target.write_text(html, encoding="utf-8")
    seconds = time.perf_counter() - started
    size = len(html.encode("utf-8"))
    summary = {
        "out": str(target.resolve()),
        "bytes": size,
        "as_of": data.as_of,
        "seconds": round(seconds, 2),
        "projection": request.projection is not None,
        "policies": [p.name for p in data.policies],
        "benchmark": data.history.benchmark_name,
        "reviews": len(data.reviews),
        "track": None if data.track is None else len(data.track.rows),
        "sensitivity": None if data.sensitivity is None else len(data.sensitivity.tornado),
        "scenarios": None if data.scenarios is None else [c.name for c in data.scenarios.cases],
    }
    if as_json:
        print_json(summary)
        return
    out.print(f"report written: {target.resolve()} ({size / 1e6:.1f} MB, {seconds:.1f} s)")
