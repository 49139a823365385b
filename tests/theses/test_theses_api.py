"""The public API of conviction.theses: every name in __all__ exists; nothing else leaks."""

from __future__ import annotations

import conviction.theses as theses


def test_all_names_exist_and_are_sorted() -> None:
    assert theses.__all__ == sorted(theses.__all__, key=lambda n: (not n.isupper(), n))
    for name in theses.__all__:
        assert hasattr(theses, name), name


def test_the_pure_core_does_not_import_io_or_storage() -> None:
    import subprocess
    import sys

    code = (
        "import sys, conviction.theses; "
        "bad = [m for m in ('sqlalchemy', 'typer', 'rich', 'conviction.store', 'conviction.io')"
        " if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
