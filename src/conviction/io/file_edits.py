"""One row of a book's CSV file replaced or removed, as text: every other byte kept.

The web app corrects a row that came from one of the book's files in that file
(``conviction.web.file_rows``). This module is the pure part: given the file's text, the
physical line where the row starts (the ``line`` a load stored, counted as in an editor,
the header being line 1) and the fields that change, it gives the new text. Nothing else
changes: the header and its column order, the other rows, blank lines, the line endings
(``\\n``, ``\\r\\n`` or a mix), a byte order mark, a missing newline at the end, and within
the row, every field that does not change (its quoting and spaces included). A changed
field is written plainly, in double quotes only where the CSV needs them (a whole number
as the old field wrote one: ``14500.0`` where it said ``14400.0``).

No I/O here: the caller reads the bytes, decodes them as UTF-8 *keeping* a BOM
(``bytes.decode("utf-8")``) and writes the result back encoded the same way.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping

from conviction.errors import FormatError

__all__ = ["field_text", "header", "number_text", "record_span", "removed", "replaced"]


def _lines(text: str) -> list[str]:
    """The physical lines of ``text`` with their endings, as the CSV reader counts them."""
    return list(io.StringIO(text, newline=""))


def header(text: str) -> list[str]:
    """The file's column names in their order, as the readers name them (trimmed, lower
    case, without a BOM)."""
    first = next(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")), [])
    return [c.strip().lower() for c in first]


def record_span(text: str, line: int) -> tuple[int, int]:
    """The character offsets ``[start, end)`` of the record that starts on physical line
    ``line`` (its line ending included; a quoted field may span lines). Raises
    ``LookupError`` when no data row starts there."""
    if line < 2:
        raise LookupError(f"line {line} is not a data row")
    lines = _lines(text)
    reader = csv.reader(iter(lines))
    before = 0
    first = True
    try:
        for row in reader:
            start, end = before + 1, reader.line_num
            before = end
            is_record = len(row) > 1 or bool(row and row[0].strip())
            if first:
                first = False
                continue
            if start == line and is_record:
                offset = sum(len(x) for x in lines[: start - 1])
                size = sum(len(x) for x in lines[start - 1 : end])
                return offset, offset + size
            if start > line:
                break
    except csv.Error:
        pass
    raise LookupError(f"no row starts on line {line}")


def _ending(record: str) -> tuple[str, str]:
    """A record's text and its line ending ("" for a last line without one)."""
    for end in ("\r\n", "\n", "\r"):
        if record.endswith(end):
            return record[: -len(end)], end
    return record, ""


def _raw_fields(record: str) -> list[str]:
    """A record's fields as written (quotes and spaces kept), split on the commas that
    are outside double quotes."""
    fields: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in record:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
    fields.append("".join(current))
    return fields


def number_text(value: float) -> str:
    """A number as a CSV field: whole numbers without ``.0``, others as Python writes
    them (the shortest text that reads back as the same float)."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def field_text(value: str) -> str:
    """``value`` as a CSV field: in double quotes (doubled inside) only where a comma, a
    quote, a line break or spaces at either end need them."""
    if any(c in value for c in ',"\r\n') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


_WHOLE = re.compile(r"-?\d+")
_WHOLE_POINT = re.compile(r"-?\d+\.0+")


def _styled(new: str, old: str) -> str:
    """A whole number written as the field it replaces wrote one (``14500.0`` where the
    row said ``14400.0``): the file keeps its style."""
    if _WHOLE.fullmatch(new) and _WHOLE_POINT.fullmatch(old.strip()):
        return new + old.strip()[old.strip().index(".") :]
    return new


def replaced(text: str, line: int, changes: Mapping[str, str], *, file: str = "") -> str:
    """``text`` with the record on ``line`` changed: each column named in ``changes`` gets
    that value (plain text, quoted here as needed); the row's other fields are kept as
    written. A column the file has no header for is refused (``FormatError`` naming it):
    adding a column would change every line."""
    columns = header(text)
    start, end = record_span(text, line)
    body, ending = _ending(text[start:end])
    fields = _raw_fields(body)
    for name, value in changes.items():
        if name not in columns:
            raise FormatError(
                f"{file or 'the file'} has no column '{name}': add the column to the file to "
                f"set it (got {value!r})",
                field=name,
            )
        i = columns.index(name)
        while len(fields) <= i:  # a short row: the missing fields were empty
            fields.append("")
        fields[i] = _styled(field_text(value), fields[i])
    return text[:start] + ",".join(fields) + ending + text[end:]


def removed(text: str, line: int) -> str:
    """``text`` without the record on ``line`` (its line ending goes with it)."""
    start, end = record_span(text, line)
    return text[:start] + text[end:]
