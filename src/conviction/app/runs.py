"""The long runs on a book: a projection, policies compared on its paths, backtests.

``conviction project``, ``compare``, ``backtest`` and ``report``, the web app's projection
jobs and its policies page call these. Long work reports through ``progress(done, total)``
callbacks; nothing here prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from conviction.book.model import Book
from conviction.errors import ConvictionError, FormatError

if TYPE_CHECKING:
    from conviction.io.projection_toml import Overrides
    from conviction.policies.history import Backtest
    from conviction.policies.spec import Policy
    from conviction.policies.summary import SimulationSummary
    from conviction.projection.engine import ChunkRunner
    from conviction.projection.result import ProjectionResult
    from conviction.report.data import PolicyLine
    from conviction.theses.effects import AppliedEffect
    from conviction.theses.model import Thesis

__all__ = [
    "Comparison",
    "ProjectedBook",
    "backtest_book",
    "backtest_lines",
    "compare_policies",
    "project_book",
    "projection_file",
    "unique_names",
]

#: progress(done, total): paths projected so far, or steps done.
Progress = Callable[[int, int], None]


def projection_file(path: Path | None, *, field: str = "--config") -> Path:
    """The projection TOML a command names (a folder means its ``projection.toml``;
    nothing means ``./projection.toml``)."""
    path = path or Path("projection.toml")
    if path.is_dir():
        path = path / "projection.toml"
    if not path.exists():
        raise FormatError(
            "no projection file: pass --config FILE (see docs/projection.md)",
            file=path,
            field=field,
        )
    return path


@dataclass(frozen=True)
class ProjectedBook:
    """A projection of the whole book on a date: the result counts the projected holdings,
    the held companies the spec does not model (kept at today's value) and the cash
    (earning the file's ``cash_rate``); the holdings alone beside (``result.holdings_*``)."""

    result: ProjectionResult
    as_of: dt.date
    currency: str
    config: str
    not_projected: tuple[str, ...]  # companies held on the date that the spec does not model
    milestone_effects: tuple[AppliedEffect, ...] = ()  # the theses' outcomes applied


def project_book(
    book: Book,
    path: Path,
    *,
    as_of: dt.date | None = None,
    overrides: Overrides | None = None,
    runner: ChunkRunner | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    theses: Sequence[Thesis] = (),
) -> ProjectedBook:
    """Run the projection in ``path`` from the book's values on ``as_of`` (default: the
    book's date, else today), on ``runner``, else on the one
    :func:`conviction.app.compute.open_runner` picks for ``scheduler`` and ``workers``.
    The milestone outcomes of ``theses`` recorded up to that date move its drivers
    (``conviction.theses.effects``)."""
    from conviction.app.compute import open_runner
    from conviction.app.reads import book_status
    from conviction.io.projection_toml import read_projection
    from conviction.projection import Projection

    st = book_status(book, as_of)
    start_values = {line.company: line.value for line in st.by_company}
    spec = read_projection(
        path, book=book, start_values=start_values, overrides=overrides, cash=st.cash
    )
    applied: tuple[AppliedEffect, ...] = ()
    if theses:
        from conviction.theses.effects import apply_effects, check_effects, outcomes_on

        check_effects(spec, theses)
        applied = outcomes_on(theses, st.as_of)
        spec = apply_effects(spec, applied)
    projection = Projection(spec)
    if runner is not None:
        result = projection.run(runner=runner, progress=progress)
    else:
        with open_runner(scheduler=scheduler, workers=workers, paths=spec.paths) as chosen:
            result = projection.run(runner=chosen, progress=progress)
    held = {c for c, v in start_values.items() if v > 0}
    return ProjectedBook(
        result=result,
        as_of=st.as_of,
        currency=st.currency,
        config=str(path),
        not_projected=tuple(sorted(held - set(spec.companies))),
        milestone_effects=applied,
    )


@dataclass(frozen=True)
class Comparison:
    """Several policies run on the same projected paths of the book."""

    as_of: dt.date
    config: str
    seed: int | None
    summaries: tuple[SimulationSummary, ...]
    not_projected: tuple[str, ...]  # held companies kept at today's mark
    cash: float = 0.0  # the book's cash on the date, in every policy's multiple
    cash_rate: float = 0.0  # what that cash earns a year (the file's, as project's)


def unique_names(policies: Sequence[Policy]) -> list[Policy]:
    """Policies are keyed by name in the answers: repeated names become a, a#2, a#3."""
    from dataclasses import replace

    seen: dict[str, int] = {}
    out: list[Policy] = []
    for p in policies:
        seen[p.name] = seen.get(p.name, 0) + 1
        out.append(p if seen[p.name] == 1 else replace(p, name=f"{p.name}#{seen[p.name]}"))
    return out


def compare_policies(
    book: Book,
    spec_path: Path,
    policies: Sequence[Policy],
    *,
    as_of: dt.date | None = None,
    overrides: Overrides | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Every policy on the same projected paths of the book (``conviction compare``), the
    blocks simulated and run through the policies on the runner
    :func:`conviction.app.compute.open_runner` picks."""
    from conviction.app.book import as_of_date
    from conviction.app.compute import open_runner
    from conviction.io.projection_toml import read_projection
    from conviction.policies.simulate import compare_blocks, simulation_inputs

    day = as_of_date(book, as_of)
    spec = read_projection(spec_path, book=book, overrides=overrides)
    inputs = simulation_inputs(
        book,
        spec.companies,
        as_of=day,
        steps=spec.n_steps,
        steps_per_year=spec.steps_per_year,
        mark_every=spec.mark_every_steps,
        cash_rate=spec.cash_rate,
    )
    with open_runner(scheduler=scheduler, workers=workers, paths=spec.paths) as runner:
        summaries = compare_blocks(
            unique_names(policies),
            spec,
            inputs,
            targets=(spec.target_multiple,),
            runner=runner,
            progress=None if progress is None else (lambda _, done: progress(done, spec.paths)),
        )
    return Comparison(
        as_of=day,
        config=str(spec_path),
        seed=spec.seed,
        summaries=tuple(summaries),
        not_projected=tuple(inputs.flat),
        cash=float(inputs.cash.sum()),
        cash_rate=spec.cash_rate,
    )


def backtest_book(
    book: Book,
    policy: Policy,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    max_gap_days: int | None = None,
    fields: tuple[str, str, str] = ("start", "end", "max_gap"),
) -> Backtest:
    """One policy replayed on the book's history, next to holding (``conviction backtest``)."""
    from conviction.policies.history import DEFAULT_MAX_GAP_DAYS, backtest

    if start is not None and end is not None and start > end:
        raise FormatError(f"{fields[0]} {start} is after {fields[1]} {end}", field=fields[0])
    gap = DEFAULT_MAX_GAP_DAYS if max_gap_days is None else max_gap_days
    if gap < 0:
        raise FormatError(f"{fields[2]} must be >= 0, got {gap}", field=fields[2])
    return backtest(book, policy, start=start, end=end, max_gap_days=gap)


def backtest_lines(
    book: Book,
    files: Sequence[Path | str],
    *,
    progress: Progress | None = None,
    resolve: Callable[[str], Path] | None = None,
) -> list[PolicyLine]:
    """Each policy file backtested on the whole history, for the side-by-side view.

    ``resolve`` (the web app's: files inside its workspace) turns a name into a path; with
    it, a file that cannot be read becomes a line that says why instead of an error. A
    policy the book cannot carry is always such a line."""
    from conviction.io.policy_toml import read_policy
    from conviction.policies.history import backtest
    from conviction.report.data import policy_line

    lines = []
    for i, file in enumerate(files):
        if resolve is None:
            policy = read_policy(Path(file))  # a bad file is the user's error: let it raise
        else:
            try:
                policy = read_policy(resolve(str(file)))
            except ConvictionError as exc:
                lines.append(policy_line(str(file), "", getattr(exc, "message", str(exc))))
                continue
        try:
            result: Backtest | str = backtest(book, policy)
        except ConvictionError as exc:  # the book cannot carry this policy: say so
            result = str(exc)
        lines.append(policy_line(policy.name, policy.description, result))
        if progress is not None:
            progress(i + 1, len(files))
    return lines
