"""Readers at the edge: book TOML and CSV files into book objects; price sources.

The names below are imported from their modules on first use (conviction._lazy).
"""

from typing import TYPE_CHECKING

from conviction._lazy import lazy_exports

if TYPE_CHECKING:
    from conviction.io.book_reader import find_book_toml, read_book
    from conviction.io.prices import read_price_csv

__getattr__ = lazy_exports(
    __name__,
    {
        "conviction.io.book_reader": (
            "find_book_toml",
            "read_book",
        ),
        "conviction.io.prices": ("read_price_csv",),
    },
)

__all__ = ["find_book_toml", "read_book", "read_price_csv"]
