"""Sensitivity and solve runs on a book: the spec of a projection file started from the
book's values on a date (as ``project`` does), then the pure computations. Nothing prints."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from conviction.book.model import Book

if TYPE_CHECKING:
    from conviction.io.projection_toml import Overrides
    from conviction.projection.sensitivity import RunProgress, SensitivityResult
    from conviction.projection.solve import SolveResult
    from conviction.projection.spec import ProjectionSpec

__all__ = ["BookSpec", "book_spec", "sensitivity_book", "solve_book"]


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
    spec = read_projection(path, book=book, start_values=start_values, overrides=overrides)
    return BookSpec(spec, st.as_of, st.currency, str(path))


def sensitivity_book(
    book: Book,
    path: Path,
    *,
    as_of: dt.date | None = None,
    overrides: Overrides | None = None,
    progress: RunProgress | None = None,
) -> tuple[BookSpec, SensitivityResult]:
    from conviction.io.sensitivity_toml import read_sensitivity
    from conviction.projection.sensitivity import sensitivity

    bs = book_spec(book, path, as_of=as_of, overrides=overrides)
    ranges, _ = read_sensitivity(path, bs.spec)
    return bs, sensitivity(bs.spec, ranges, progress=progress)


def solve_book(
    book: Book,
    path: Path,
    *,
    probability: float = 0.5,
    as_of: dt.date | None = None,
    overrides: Overrides | None = None,
) -> tuple[BookSpec, SolveResult]:
    from conviction.projection.solve import solve

    bs = book_spec(book, path, as_of=as_of, overrides=overrides)
    return bs, solve(bs.spec, probability=probability)
