"""The Typer application and what every command shares: the database URL, JSON output.

Commands are thin: parse, call the library, print. Errors are mapped to exit codes in
``conviction.cli.main``; the library below never prints.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

import typer
from rich.console import Console

from conviction.errors import FormatError

app = typer.Typer(
    name="conviction",
    help="Long-horizon, concentrated investing: book, analytics, policies, projections, theses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Where tables and messages go. Progress and warnings go to stderr so --json stays clean.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DEFAULT_DB = "sqlite:///conviction.db"


@dataclass
class Settings:
    db_url: str = DEFAULT_DB


settings = Settings()


@app.callback()
def _root(
    db: str = typer.Option(
        None,
        "--db",
        help="Database URL (default: $CONVICTION_DB or sqlite:///conviction.db).",
        show_default=False,
    ),
) -> None:
    settings.db_url = db or os.environ.get("CONVICTION_DB") or DEFAULT_DB


#: The ``--json`` flag every command takes.
JSON = typer.Option(False, "--json", help="Print JSON for programs instead of tables.")


def parse_date(value: str | None, option: str) -> dt.date | None:
    """A command-line date, or an error naming the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FormatError(f"expected a date YYYY-MM-DD, got {value!r}", field=option) from None


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
