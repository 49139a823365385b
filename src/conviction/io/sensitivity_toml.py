"""Read the ``[[sensitivity]]`` tables of a projection file (docs/projection.md)::

    [[sensitivity]]
    input = "asset.tesla.expected_return"   # see conviction.projection.sensitivity
    low = 0.05
    high = 0.25

Each row is checked against the spec read from the same file: an input the spec does not
have, or a low above its high, is an error naming the file, the line and the field.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from conviction.errors import FormatError, InputError
from conviction.io.projection_toml import _Reader
from conviction.io.text_files import read_text_file
from conviction.projection.sensitivity import (
    SensitivityInput,
    SensitivityRange,
    sensitivity_inputs,
)
from conviction.projection.spec import ProjectionSpec

__all__ = ["read_sensitivity"]


def read_sensitivity(
    path: str | Path, spec: ProjectionSpec
) -> tuple[tuple[SensitivityRange, ...], tuple[SensitivityInput, ...]]:
    """The file's ranges and every input of ``spec`` with its ends (ranges applied)."""
    path = Path(path)
    text = read_text_file(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # read_projection has reported it already
        raise FormatError(f"not valid TOML ({exc})", file=path) from None
    r = _Reader(path, text)
    ranges: list[SensitivityRange] = []
    for i, row in enumerate(r.tables(doc, "sensitivity")):
        ranges.append(
            SensitivityRange(
                input=r.get(row, "sensitivity", i, "input", str, required=True),
                low=r.get(row, "sensitivity", i, "low", float, required=True),
                high=r.get(row, "sensitivity", i, "high", float, required=True),
                field=f"sensitivity[{i + 1}]",
            )
        )
    try:
        inputs = sensitivity_inputs(spec, ranges)
    except InputError as exc:
        m = re.match(r"sensitivity\[(\d+)\]\.(\w+)", exc.field or "")
        if m is None:
            raise
        field = m.group(2)
        raise r.error(type(exc), exc.message, "sensitivity", int(m.group(1)) - 1, field) from None
    return tuple(ranges), inputs
