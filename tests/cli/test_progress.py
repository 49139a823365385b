"""The progress bar of project, compare, scenarios, track and sensitivity, drawn as on a terminal.

The commands' tests run without a terminal (no bar); this draws the bar itself. Before it
was one helper, every such command died with a TypeError on a real terminal: the bar's
text formatted a total that is not known until the first block ends.
"""

from __future__ import annotations

import io

from rich.console import Console

from conviction.cli.app import paths_progress


def test_the_bar_draws_before_and_after_the_total_is_known() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80)
    with paths_progress("projecting", shown=True, console=console) as progress:
        assert progress is not None
        progress(25_000, 100_000)
        assert "25,000/100,000 paths" in screen.getvalue()
        progress(100_000, 100_000)
    assert "100,000/100,000 paths" in screen.getvalue()
    assert "projecting" in screen.getvalue()


def test_no_bar_when_not_shown() -> None:
    with paths_progress("projecting", shown=False) as progress:
        assert progress is None


def test_a_sensitivity_counts_its_runs() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80)
    with paths_progress("sensitivity", shown=True, console=console, unit="runs") as progress:
        assert progress is not None
        progress(3, 43)
    assert "3/43 runs" in screen.getvalue()
