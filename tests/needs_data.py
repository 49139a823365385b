"""The real data the cross-checks read (``../shared/data``, beside the project in CI and in
a fresh clone set up as the README says). Missing, those tests fail and say what is
missing: a check against a reference that is skipped would look like one that passed."""

from __future__ import annotations

from pathlib import Path

import pytest

__all__ = ["SHARED_DATA", "need"]

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def need(path: Path) -> Path:
    """``path`` (under ``../shared/data``), or this test fails saying it is missing."""
    if not path.exists():
        pytest.fail(
            f"{path} is missing: this test checks against real data from ../shared/data, "
            "which must be beside the project",
            pytrace=False,
        )
    return path
