"""The policies package: its exported names, and that its core stays pure."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import conviction.policies as policies

PACKAGE = Path(policies.__file__).parent
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
ALLOWED_ROOTS = {"__future__", "collections", "dataclasses", "datetime", "math", "typing"}
ALLOWED_ROOTS |= {"numpy", "pandas", "conviction"}
ALLOWED_ROOTS |= {"numba"}  # the path kernel compiles the rules; numba does no I/O of ours
#: Policies sit above the ledger and book; they never reach I/O, storage or the CLI.
# `_lazy` only defers imports (a module __getattr__): no I/O, no state
# `projection` is pure core as well: policies run on the paths its engine makes, block by block
ALLOWED_PARTS = {"policies", "ledger", "book", "errors", "_typing", "_lazy", "projection"}


def test_every_exported_name_exists() -> None:
    for name in policies.__all__:
        assert hasattr(policies, name), name
    assert len(set(policies.__all__)) == len(policies.__all__)


@pytest.mark.parametrize("module", MODULES)
def test_each_module_exports_what_it_defines(module: str) -> None:
    mod = importlib.import_module(f"conviction.policies.{module}")
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_pure_core(path: Path) -> None:
    """No I/O, printing, database, CLI, projection or plotting inside policies."""
    text = path.read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            roots = {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots = {node.module.split(".")[0]}
            if node.module.startswith("conviction."):
                assert node.module.split(".")[1] in ALLOWED_PARTS, node.module
        else:
            continue
        assert roots <= ALLOWED_ROOTS, (path.name, roots)
    assert "print(" not in text and "open(" not in text
