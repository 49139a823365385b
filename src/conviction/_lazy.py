"""Lazy exports for a package's ``__init__``: each name is imported from its module on first
use, so importing a package (or one light module of it) does not import all of it.

    if TYPE_CHECKING:                      # for type checkers and readers
        from conviction.report.render import render_report
    __getattr__ = lazy_exports(__name__, {"conviction.report.render": ("render_report",)})

A name that is also a submodule's name (a function ``pkg.thing`` beside ``pkg/thing.py``) is
refused: once the submodule is imported, Python sets the package attribute to the module and
``__getattr__`` is no longer asked. (The ledger's modules are named so that none clashes.)
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, where: Mapping[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports each name from its module
    (``{module: (name, ...)}``) when it is first asked for, and keeps it."""
    module_of = {name: module for module, names in where.items() for name in names}
    clashes = sorted(n for n in module_of if f"{package}.{n}" in module_of.values())
    if clashes:  # see the module docstring
        raise ValueError(f"{package}: lazy names that are also submodules: {clashes}")

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
