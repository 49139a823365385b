"""Broker statements into the book's own transactions file (docs/imports.md).

Readers: :func:`read_ibkr` (IBKR Flex XML, ``ibflex``), :func:`read_ofx` (OFX/QFX,
``ofxtools``), :func:`read_csv_export` (a broker CSV through a :class:`CsvMapping`). Then
:func:`plan_import` checks and builds the rows (writes nothing) and :func:`write_import`
writes them, reads the book back and loads it, undoing every file on failure.
"""

from __future__ import annotations

from pathlib import Path

from conviction.imports.apply import (
    ImportMap,
    ImportPlan,
    load_import_map,
    plan_import,
    write_import,
)
from conviction.imports.csv_mapping import (
    CsvMapping,
    load_mapping,
    read_csv_export,
    shipped_mappings,
)
from conviction.imports.ibkr import read_ibkr
from conviction.imports.ofx import read_ofx
from conviction.imports.records import BrokerRow, Security, Statement

__all__ = [
    "KINDS",
    "BrokerRow",
    "CsvMapping",
    "ImportMap",
    "ImportPlan",
    "Security",
    "Statement",
    "load_import_map",
    "load_mapping",
    "plan_import",
    "read_csv_export",
    "read_ibkr",
    "read_ofx",
    "read_statements",
    "shipped_mappings",
    "write_import",
]

KINDS = ("ibkr", "ofx", "csv")


def read_statements(
    kind: str, files: list[Path], mapping: CsvMapping | None = None
) -> list[Statement]:
    """Read broker files of one ``kind`` (``ibkr``, ``ofx``, ``csv`` with a mapping)."""
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r} (expected one of {', '.join(KINDS)})")
    out: list[Statement] = []
    for path in files:
        if kind == "ibkr":
            out.extend(read_ibkr(path))
        elif kind == "ofx":
            out.extend(read_ofx(path))
        else:
            if mapping is None:
                raise ValueError("a csv import needs a mapping")
            out.append(read_csv_export(path, mapping))
    return out
