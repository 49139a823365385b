"""Find the line of a key in a TOML document, so errors can point at it.

tomllib returns plain dicts without positions; this scanner is enough for the flat
tables and arrays of tables conviction's files use (``[book]``, ``[[company]]`` ...).
"""

from __future__ import annotations

import re

__all__ = ["locate"]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")


def locate(text: str, table: str, index: int | None = None, key: str | None = None) -> int | None:
    """The 1-based line of ``key`` in the ``index``-th ``[[table]]`` (or in ``[table]``).

    Falls back to the table's header line when the key is absent (a missing key), and to
    None when the table itself is not found.
    """
    lines = text.split("\n")  # physical lines: splitlines() also splits at \f, \u2028...
    seen = -1
    start: int | None = None
    for number, line in enumerate(lines, start=1):
        match = _HEADER.match(line)
        if match and match.group(2) == table:
            seen += 1
            if index is None or seen == index:
                start = number
                break
    if start is None:
        return None
    if key is None:
        return start
    for number in range(start + 1, len(lines) + 1):
        line = lines[number - 1]
        if _HEADER.match(line):
            break
        match = _KEY.match(line)
        if match and match.group(1) == key:
            return number
    return start
