"""The Typer application and what every command shares: the database URL, JSON output.

Commands are thin: parse, call the library, print. Errors are mapped to exit codes in
``conviction.cli.main``; the library below never prints.

Start-up is kept short: this module imports only Typer. The command modules (and through
them pandas, SciPy, numba, SQLAlchemy...) are imported only when their command runs; the
root ``--help`` lists the commands from :data:`COMMANDS`, which tests/cli/test_startup.py
checks against what each module registers. The rich consoles ``out`` and ``err`` are made
on first use.

User text (ids, names, sources, file paths, error messages) is printed as it is, never read
as rich markup: an id ``[/red]`` would crash a print and ``[book]`` would vanish from a
message. ``out`` reads no markup at all (table cells and titles included); ``err`` prints
user text only through :func:`styled` (plain strings literal, ``(text, style)`` pairs
styled).
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any

import typer
from typer._click.exceptions import UsageError
from typer.core import TyperCommand, TyperGroup

from conviction.errors import FormatError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text
    from typer import _click as click

    out: Console
    err: Console

#: Every command of ``conviction``: name -> (the module that registers it, its help line:
#: the first paragraph of its docstring). The root ``--help`` is printed from here, so it
#: imports no command module; a command's module is imported when the command is run.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": (
        "conviction.cli.book_commands",
        "Create the database (or bring its schema up to date).",
    ),
    "load": (
        "conviction.cli.book_commands",
        "Load a book into the database, in one transaction (all or nothing).",
    ),
    "status": (
        "conviction.cli.book_commands",
        "Value, gains, attribution and concentration on a date.",
    ),
    "history": (
        "conviction.cli.book_commands",
        "Daily value of each account with time- and money-weighted returns.",
    ),
    "gains": (
        "conviction.cli.gains_commands",
        "Realised gains per sale, with the lots consumed and short/long term, by tax year.",
    ),
    "private": (
        "conviction.cli.gains_commands",
        "Private holdings: paid-in, distributed, residual, TVPI, DPI, RVPI, IRR, and the mark.",
    ),
    "people": (
        "conviction.cli.theses_commands",
        "Key people: their companies, their weight in the book, their four-pillar scores.",
    ),
    "review": (
        "conviction.cli.theses_commands",
        "Which theses, positions and people need a look on the date, and why.",
    ),
    "stats": (
        "conviction.cli.stats_commands",
        "Return statistics of a price file: CAGR, volatility, Sharpe, drawdowns, rolling "
        "windows, stale marks, and a benchmark comparison, at the frequency of the marks.",
    ),
    "backtest": (
        "conviction.cli.policy_commands",
        "Replay the book's flows under a policy, beside holding and the book as traded.",
    ),
    "compare": (
        "conviction.cli.policy_commands",
        "Run several policies on the same projected paths of the book, side by side (the "
        "whole book, cash at the file's cash_rate: hold's P(target) is project's).",
    ),
    "project": (
        "conviction.cli.projection_commands",
        "Project the whole book N years ahead (holdings projected, cash at the file's "
        "cash_rate): value percentiles, P(target), drawdowns; the holdings alone beside.",
    ),
    "sensitivity": (
        "conviction.cli.sensitivity_commands",
        "Which input decides the target: a tornado on common random numbers, Sobol indices.",
    ),
    "solve": (
        "conviction.cli.sensitivity_commands",
        "What must be true: the value each company and driver must reach for the target.",
    ),
    "track": (
        "conviction.cli.track_commands",
        "How P(target) and the median moved as milestones were hit, missed or slipped.",
    ),
    "report": (
        "conviction.cli.report_commands",
        "Write the report: value, attribution, concentration, projection, policies, theses.",
    ),
    "serve": (
        "conviction.cli.web_commands",
        "Serve the dashboard and the REST API (/api/v1, OpenAPI at /api/v1/openapi.json).",
    ),
    "prices": (
        "conviction.cli.book_commands",
        "Price data: fetch from Yahoo Finance (yfinance extra).",
    ),
    "thesis": (
        "conviction.cli.theses_commands",
        "Theses: list, show, update milestones.",
    ),
    "import": (
        "conviction.cli.import_commands",
        "Import broker statements into the book's transactions file, then load the book.",
    ),
    "export": (
        "conviction.cli.export_commands",
        "Export the book (transactions, prices, FX) as CSV files conviction loads, or Beancount.",
    ),
}


#: Commands that read the book, answer and end: they run without Python's cyclic garbage
#: collector (``main`` pauses it; every other command resumes it as it is looked up). They
#: make no cycles worth collecting (peak memory the same with and without it on a 300,000-row
#: book), and the collector's passes over the objects of start-up (pandas' among them) cost
#: them 7-20%: 85 ms of `status` on the example, 1.0 s of `history`'s 5.1 s on that book.
WITHOUT_GC = frozenset({"status", "history", "gains", "private", "people", "review"})

_gc_paused = False


def pause_gc() -> None:
    """Pause the cyclic garbage collector for start-up (``conviction.cli.main``)."""
    global _gc_paused
    if gc.isenabled():
        gc.disable()
        _gc_paused = True


def resume_gc() -> None:
    """Resume the collector if ``pause_gc`` paused it."""
    global _gc_paused
    if _gc_paused:
        gc.enable()
        _gc_paused = False


def help_line(cmd: click.Command) -> str:
    """A command's line in a list of commands: the first paragraph of its help."""
    text = cmd.short_help or cmd.help or ""
    return " ".join(text.split("\n\n")[0].split())


class HelpGroup(TyperGroup):
    """A Typer group that lists each command with its whole help line, wrapped (click
    cuts it at the first sentence, or with "..." to fit one line). Pass it as ``cls=`` to
    ``typer.Typer`` for a sub-group."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, help_line(cmd)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class LazyGroup(HelpGroup):
    """The root group of :data:`app`: it lists every command of :data:`COMMANDS` and imports
    a command's module only when that command is looked up to run or to show its own help.

    Commands already registered on ``app`` (their module imported for any reason) are
    used as they are; a command missing from the table still works, listed after it.
    """

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in WITHOUT_GC:
            resume_gc()
        found = self.commands.get(cmd_name)
        if found is not None or cmd_name not in COMMANDS:
            return found
        module, summary = COMMANDS[cmd_name]
        if self._listing:  # a stand-in that only shows the help line; never run
            return TyperCommand(
                cmd_name, help=summary, short_help=summary, rich_markup_mode=app.rich_markup_mode
            )
        importlib.import_module(module)
        self.add_registered()
        return self.commands.get(cmd_name)

    def add_registered(self) -> None:
        """Make click commands of what ``app`` has registered since this group was made."""
        from typer.main import get_command_from_info, get_command_name, get_group_from_info

        for info in app.registered_commands:
            assert info.callback is not None
            name = info.name or get_command_name(info.callback.__name__)
            if name not in self.commands:
                self.commands[name] = get_command_from_info(
                    info,
                    pretty_exceptions_short=app.pretty_exceptions_short,
                    rich_markup_mode=app.rich_markup_mode,
                )
        for group_info in app.registered_groups:
            if isinstance(group_info.name, str) and group_info.name in self.commands:
                continue
            group = get_group_from_info(
                group_info,
                pretty_exceptions_short=app.pretty_exceptions_short,
                suggest_commands=app.suggest_commands,
                rich_markup_mode=app.rich_markup_mode,
            )
            if group.name and group.name not in self.commands:
                self.commands[group.name] = group

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # Typer suggests close names among the commands made so far; suggest among all.
        suggest, self.suggest_commands = self.suggest_commands, False
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if suggest and matches:
                names = ", ".join(repr(m) for m in matches)
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {names}?"
            raise
        finally:
            self.suggest_commands = suggest


app = typer.Typer(
    name="conviction",
    cls=LazyGroup,
    help="Long-horizon, concentrated investing: book, analytics, policies, projections, theses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help and usage errors: Typer's rich help imports rich, markdown-it and
    # friends (~0.1 s, half of a `conviction --help`).
    rich_markup_mode=None,
)


def __getattr__(name: str) -> Any:
    # out: where tables and messages go; err: progress and warnings, so --json stays clean.
    if name in ("out", "err"):
        from rich.console import Console

        # neither reads markup nor emoji codes: their lines are full of user text, shown as
        # written (an id ":rocket:" stays that; styled() for styles)
        console = Console(stderr=name == "err", soft_wrap=True, markup=False, emoji=False)
        globals()[name] = console
        return console
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def styled(*parts: str | tuple[str, str]) -> Text:
    """A line to print: plain strings exactly as they are (never rich markup), ``(text,
    style)`` pairs in that style, e.g. ``styled(("error:", "red"), " ", message)``."""
    from rich.text import Text

    return Text.assemble(*parts)


DEFAULT_DB = "sqlite:///conviction.db"


@dataclass
class Settings:
    db_url: str = DEFAULT_DB


settings = Settings()


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        sys.stdout.write(f"conviction {version('conviction')}\n")
        raise typer.Exit()


@app.callback()
def _root(
    db: str = typer.Option(
        None,
        "--db",
        help="Database URL (default: $CONVICTION_DB or sqlite:///conviction.db).",
        show_default=False,
    ),
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        is_eager=True,
        callback=_print_version,
    ),
) -> None:
    settings.db_url = db or os.environ.get("CONVICTION_DB") or DEFAULT_DB


#: The ``--json`` flag every command takes.
JSON = typer.Option(False, "--json", help="Print JSON for programs instead of tables.")
#: The ``--scheduler`` option of the commands that run projections.
SCHEDULER = typer.Option(
    None,
    "--scheduler",
    help="Run on this Dask cluster (tcp://host:8786; default: $CONVICTION_SCHEDULER, if set).",
)


def parse_date(value: str | None, option: str) -> dt.date | None:
    """A command-line date, or an error naming the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FormatError(f"expected a date YYYY-MM-DD, got {value!r}", field=option) from None


@contextmanager
def paths_progress(
    label: str, *, shown: bool, console: Console | None = None, unit: str = "paths"
) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar over simulated paths (or other ``unit``s: a sensitivity's runs) on
    ``console`` (stderr), as the callback
    ``progress(done, total)`` the application layer takes; ``None`` when not ``shown``
    (``--json``, or stderr is not a terminal). Redrawn by the callback only: no refresh
    thread, so a process pool started inside may fork."""
    if not shown:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.description}"),  # "12,000/100,000 paths" (no total at first)
        TimeElapsedColumn(),
        console=console or globals().get("err") or __getattr__("err"),  # made on first use
        auto_refresh=False,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"{done:,}/{total:,} {unit}")
            bar.refresh()

        yield progress


def print_json(payload: Any) -> None:
    """Print one JSON document on stdout (dates as ISO strings, NaN as null)."""
    text = json.dumps(_jsonable(payload), indent=2, allow_nan=False, default=str)
    sys.stdout.write(text + "\n")


def _jsonable(value: Any) -> Any:
    import math

    import numpy as np

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
