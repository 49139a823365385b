"""The ``conviction`` command line. Each command group lives in its own module.

The command modules are imported when their command runs, not here: ``app`` lists them
from ``conviction.cli.app.COMMANDS`` (see ``LazyGroup`` there).
"""

from __future__ import annotations

import sys
from typing import Any

from conviction.cli.app import app
from conviction.errors import ConvictionError, InputError

__all__ = ["app", "main"]


class _Stderr:
    """``err`` of ``conviction.cli.app`` (a rich Console), made only when a message is
    printed: importing rich costs a ``--help`` more than the rest of it."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        from conviction.cli.app import err as console

        console.print(*objects, **kwargs)


err = _Stderr()

#: Exit codes: 0 ok, 1 a failed check, 2 bad input (file, line, field said), 3 data missing,
#: 4 database trouble.
EXIT_INPUT = 2
EXIT_DATA = 3
EXIT_STORE = 4


def _fail(prefix: str, exc: ConvictionError, code: int) -> None:
    """Print ``prefix: message`` (the message literally: user text is not rich markup)."""
    from conviction.cli.app import styled

    err.print(styled((prefix, "red"), " ", str(exc)), highlight=False)
    sys.exit(code)


def main() -> None:
    from conviction.cli.app import pause_gc, resume_gc
    from conviction.errors import DataError, StoreError

    pause_gc()  # until the command is known: see conviction.cli.app.WITHOUT_GC
    try:
        app()  # usage errors exit 2 from inside; our own errors come out here
    except InputError as exc:
        _fail("error:", exc, EXIT_INPUT)
    except DataError as exc:
        _fail("error:", exc, EXIT_DATA)
    except StoreError as exc:
        _fail("database error:", exc, EXIT_STORE)
    except ConvictionError as exc:
        _fail("error:", exc, 1)
    finally:
        resume_gc()  # (main called in a longer process: leave it as it was)
