"""The report and web packages: their exported names, and imports that stay light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import conviction.report
import conviction.web


@pytest.mark.parametrize("module", [conviction.report, conviction.web])
def test_exported_names_exist(module: object) -> None:
    names = module.__all__  # type: ignore[attr-defined]
    assert names == sorted(names)
    for name in names:
        assert hasattr(module, name), name


def test_the_report_core_imports_no_storage_web_or_cli() -> None:
    """Data, figures and rendering are pure: no database, web framework or CLI behind them."""
    code = (
        "import sys\n"
        "import conviction.report.data, conviction.report.figures, conviction.report.render\n"
        "bad = [m for m in ('sqlalchemy', 'fastapi', 'starlette', 'typer', 'rich', 'uvicorn')\n"
        "       if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == ""


def test_importing_the_web_package_starts_nothing() -> None:
    code = (
        "import gc, sys\n"
        "import conviction.web\n"
        "from sqlalchemy.engine import Engine\n"
        "from fastapi import FastAPI\n"
        "made = [o for o in gc.get_objects() if isinstance(o, (Engine, FastAPI))]\n"
        "print(len(made))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "0"
