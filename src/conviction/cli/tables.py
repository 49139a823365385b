"""Tables that stay readable in a narrow terminal (80 columns and less).

Rich fits a table to the terminal by cutting cells to "…", ids and dates included. The
commands lay their tables out through :func:`fit` instead: every column is kept whole
(ids, dates and numbers are never cut) except the columns named to wrap (free text, which
wraps between words); when the table is still wider than the terminal, the columns named
as low-value are left out, in order, and the caption says which (``--json`` has them all).
If even that is too wide, the lines run past the terminal's edge rather than lose a
character.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["fit", "natural_width", "width_of"]


def _console(console: Console | None) -> Console:
    if console is not None:
        return console
    from conviction.cli.app import out

    return out


def width_of(console: Console | None = None) -> int:
    """The terminal width tables are laid out for (``$COLUMNS`` when it is set)."""
    return _console(console).width


def _measure(console: Console, table: Table) -> tuple[int, int]:
    from rich.measure import Measurement

    options = console.options.update_width(100_000)
    m = Measurement.get(console, options, table)
    return m.minimum, m.maximum


def natural_width(table: Table, console: Console | None = None) -> int:
    """The width ``table`` takes with every cell on one line."""
    return _measure(_console(console), table)[1]


def fit(
    table: Table,
    *,
    wrap: Collection[str] = (),
    drop: Sequence[str] = (),
    console: Console | None = None,
    hint: str = "see --json",
) -> Table:
    """Lay ``table`` out for the terminal, in place, and return it.

    Columns whose header is in ``wrap`` wrap between words (never inside one); every other
    column keeps its widest cell whole. While the table, so wrapped, is still wider than
    the terminal, the columns named in ``drop`` are removed, in that order, and the
    caption says ``left out at N columns: a, b (hint)``.
    """
    from rich.cells import cell_len
    from rich.text import Text

    console = _console(console)
    width = console.width

    def plain(cell: object) -> str:
        return cell.plain if isinstance(cell, Text) else str(cell)

    for column in table.columns:
        cells = [plain(column.header), *(plain(c) for c in column._cells)]
        wraps = str(column.header) in wrap
        # a wrapping column is at least its longest word wide, any other its widest line
        pieces = (p for c in cells for p in (c.split() if wraps else c.split("\n")))
        widest = max((cell_len(p) for p in pieces), default=1)
        column.no_wrap = not wraps
        column.overflow = "fold"
        column.min_width = max(column.min_width or 0, widest)
    dropped: list[str] = []
    for name in drop:
        if _measure(console, table)[0] <= width:
            break
        for i, column in enumerate(table.columns):
            if str(column.header) == name:
                del table.columns[i]
                for j, kept in enumerate(table.columns):
                    kept._index = j
                dropped.append(name)
                break
    minimum = _measure(console, table)[0]
    if minimum > width:  # lay it out at its narrowest rather than cut cells
        table.width = minimum
    if dropped:
        note = f"left out at {width} columns: {', '.join(dropped)} ({hint})"
        table.caption = f"{table.caption}; {note}" if table.caption else note
        table.caption_justify = "left"
    return table
