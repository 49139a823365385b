"""The ``conviction`` command line. Each command group lives in its own module."""

from __future__ import annotations

import sys

from conviction.cli.app import app, err
from conviction.errors import ConvictionError, InputError

# Importing the command modules registers their commands on ``app``.
from conviction.cli import book_commands  # noqa: F401  isort: skip
from conviction.cli import gains_commands  # noqa: F401  isort: skip
from conviction.cli import theses_commands  # noqa: F401  isort: skip
from conviction.cli import stats_commands  # noqa: F401  isort: skip
from conviction.cli import policy_commands  # noqa: F401  isort: skip
from conviction.cli import projection_commands  # noqa: F401  isort: skip
from conviction.cli import report_commands  # noqa: F401  isort: skip
from conviction.cli import web_commands  # noqa: F401  isort: skip

__all__ = ["app", "main"]

#: Exit codes: 0 ok, 1 a failed check, 2 bad input (file, line, field said), 3 data missing,
#: 4 database trouble.
EXIT_INPUT = 2
EXIT_DATA = 3
EXIT_STORE = 4


def main() -> None:
    from conviction.errors import DataError, StoreError

    try:
        app()  # usage errors exit 2 from inside; our own errors come out here
    except InputError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(EXIT_INPUT)
    except DataError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(EXIT_DATA)
    except StoreError as exc:
        err.print(f"[red]database error:[/red] {exc}", highlight=False)
        sys.exit(EXIT_STORE)
    except ConvictionError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(1)
