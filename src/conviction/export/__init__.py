"""The book out of conviction: its own CSV layout, or a Beancount ledger (docs/imports.md).

:func:`export_files` gives the texts of an export by file name; writing them is the
caller's (``conviction export`` refuses to overwrite a file).
"""

from __future__ import annotations

from collections.abc import Mapping

from conviction.book.model import Book
from conviction.export.beancount import beancount_text, commodity_names
from conviction.export.book_csv import book_csv_files, number_text, raw_refs

__all__ = [
    "FORMATS",
    "beancount_text",
    "book_csv_files",
    "commodity_names",
    "export_files",
    "number_text",
    "raw_refs",
]

#: The formats ``conviction export --format`` writes.
FORMATS = ("csv", "beancount")


def export_files(
    book: Book, format: str, *, refs: Mapping[tuple[str, int], str] | None = None
) -> dict[str, str]:
    """The files of an export of ``book`` in ``format`` (``csv`` or ``beancount``)."""
    if format == "csv":
        return book_csv_files(book, refs)
    if format == "beancount":
        return {"book.beancount": beancount_text(book)}
    raise ValueError(f"unknown export format {format!r} (expected {', '.join(FORMATS)})")
