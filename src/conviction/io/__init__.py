"""Readers at the edge: book TOML and CSV files into book objects; price sources."""

from conviction.io.book_reader import find_book_toml, read_book
from conviction.io.prices import read_price_csv

__all__ = ["find_book_toml", "read_book", "read_price_csv"]
