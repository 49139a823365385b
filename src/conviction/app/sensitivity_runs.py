"""Sensitivity and solve runs on a book: the spec of a projection file started from the
book's values on a date (as ``project`` does), then the pure computations. Nothing prints."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from conviction.book.model import Book
from conviction.projection.sensitivity import SensitivityResult, SobolIndex, TornadoBar

if TYPE_CHECKING:
    from conviction.io.projection_toml import Overrides
    from conviction.projection.sensitivity import RunProgress
    from conviction.projection.solve import SolveResult
    from conviction.projection.spec import ProjectionSpec

__all__ = [
    "BookSpec",
    "SensitivityAnswer",
    "SensitivityBase",
    "SobolBlock",
    "book_spec",
    "sensitivity_answer",
    "sensitivity_book",
    "solve_book",
]


@dataclass(frozen=True)
class BookSpec:
    spec: ProjectionSpec
    as_of: dt.date
    currency: str
    config: str


def book_spec(
    book: Book, path: Path, *, as_of: dt.date | None = None, overrides: Overrides | None = None
) -> BookSpec:
    """The projection in ``path`` weighted by the book's holdings on ``as_of``."""
    from conviction.app.reads import book_status
    from conviction.io.projection_toml import read_projection

    st = book_status(book, as_of)
    start_values = {line.company: line.value for line in st.by_company}
    spec = read_projection(
        path, book=book, start_values=start_values, overrides=overrides, cash=st.cash
    )
    return BookSpec(spec, st.as_of, st.currency, str(path))


def sensitivity_book(
    book: Book,
    path: Path,
    *,
    as_of: dt.date | None = None,
    overrides: Overrides | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: RunProgress | None = None,
) -> tuple[BookSpec, SensitivityResult]:
    """The tornado and Sobol indices of the projection in ``path`` on the book, its runs'
    blocks on the runner :func:`conviction.app.compute.open_runner` picks."""
    from conviction.app.compute import open_runner
    from conviction.io.sensitivity_toml import read_sensitivity
    from conviction.projection.sensitivity import sensitivity, sensitivity_inputs

    bs = book_spec(book, path, as_of=as_of, overrides=overrides)
    ranges, _ = read_sensitivity(path, bs.spec)
    work = bs.spec.paths * (1 + 2 * len(sensitivity_inputs(bs.spec, ranges)))
    with open_runner(scheduler=scheduler, workers=workers, paths=work) as runner:
        return bs, sensitivity(bs.spec, ranges, progress=progress, runner=runner)


def solve_book(
    book: Book,
    path: Path,
    *,
    probability: float = 0.5,
    as_of: dt.date | None = None,
    overrides: Overrides | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
) -> tuple[BookSpec, SolveResult]:
    """What must be true for the target, on the book; the run's blocks on the runner
    :func:`conviction.app.compute.open_runner` picks."""
    from conviction.app.compute import open_runner
    from conviction.projection.solve import solve

    bs = book_spec(book, path, as_of=as_of, overrides=overrides)
    with open_runner(scheduler=scheduler, workers=workers, paths=bs.spec.paths) as runner:
        return bs, solve(bs.spec, probability=probability, runner=runner)


# --- the answer of `conviction sensitivity --json` (CLI, web jobs, report) -----------------------


@dataclass(frozen=True, slots=True)
class SensitivityBase:
    """The base run: every input as specified."""

    prob_target: float
    prob_target_se: float
    median_multiple: float


@dataclass(frozen=True, slots=True)
class SobolBlock:
    """Variance-based indices of the log multiple, with their confidence intervals."""

    n: int
    confidence_level: float
    of: str
    indices: tuple[SobolIndex, ...]


@dataclass(frozen=True, slots=True)
class SensitivityAnswer:
    """The answer of ``conviction sensitivity``: the base run, the tornado (bars sorted by
    swing, each with the standard error of its paired difference), the Sobol indices."""

    paths: int
    years: int
    seed: int | None
    target_multiple: float
    base: SensitivityBase
    tornado: tuple[TornadoBar, ...]
    sobol: SobolBlock
    notes: tuple[str, ...]
    as_of: dt.date
    config: str


def sensitivity_answer(bs: BookSpec, res: SensitivityResult) -> SensitivityAnswer:
    """The labelled answer of a sensitivity run on a book."""
    return SensitivityAnswer(
        paths=res.paths,
        years=res.years,
        seed=res.seed,
        target_multiple=res.target_multiple,
        base=SensitivityBase(res.base_p, res.base_p_se, res.base_median),
        tornado=res.bars,
        sobol=SobolBlock(
            n=res.sobol_n,
            confidence_level=res.confidence_level,
            of="log multiple of the book at the horizon",
            indices=res.sobol,
        ),
        notes=res.notes,
        as_of=bs.as_of,
        config=bs.config,
    )
