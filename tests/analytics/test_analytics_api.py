"""The public API of conviction.analytics, and the purity of the package."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import conviction.analytics as analytics

PACKAGE = Path(analytics.__file__).parent
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_"))
ALLOWED_ROOTS = {"numpy", "pandas", "scipy", "conviction", "__future__"} | {
    "collections", "dataclasses", "datetime", "functools", "types", "typing",
}  # fmt: skip


def test_every_exported_name_exists() -> None:
    for name in analytics.__all__:
        assert hasattr(analytics, name), name
    assert len(set(analytics.__all__)) == len(analytics.__all__)


@pytest.mark.parametrize("module", MODULES)
def test_each_module_exports_what_it_defines(module: str) -> None:
    mod = importlib.import_module(f"conviction.analytics.{module}")
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_pure_core_imports_only_numpy_pandas_scipy(path: Path) -> None:
    """No I/O, printing, database, CLI or reference libraries inside analytics."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots = {node.module.split(".")[0]}
            if node.module.startswith("conviction."):
                part = node.module.split(".")[1]
                assert part in {"analytics", "errors", "_typing"}, node.module
        else:
            continue
        assert roots <= ALLOWED_ROOTS, (path.name, roots)
    assert "print(" not in path.read_text(encoding="utf-8")
