"""The public API is what ``__all__`` says, and importing it has no side effects."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import conviction


def test_all_names_exist_and_are_sorted() -> None:
    for name in conviction.__all__:
        assert hasattr(conviction, name), name
    assert list(conviction.__all__) == sorted(conviction.__all__)


def test_dir_lists_the_public_api() -> None:
    assert dir(conviction) == sorted(conviction.__all__)


def test_import_is_light() -> None:
    code = (
        "import sys, conviction; "
        "print(','.join(m for m in ('sqlalchemy', 'pandas', 'typer') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_import_touches_nothing(tmp_path: Path) -> None:
    before = set(os.listdir(tmp_path))
    code = "import conviction, conviction.cli; print('ok')"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "ok" and out.stderr == ""
    assert set(os.listdir(tmp_path)) == before  # no database or cache file appeared
