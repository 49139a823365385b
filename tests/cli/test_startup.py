"""Start-up: `conviction --help` and `conviction CMD --help` import no heavy library, the
table of lazily imported commands agrees with what the modules register, --version.

Timings are in benchmarks/bench_startup.py, not here.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import types
from importlib.metadata import version
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from conviction.cli import app
from conviction.cli.app import COMMANDS, help_line

HEAVY = ("pandas", "scipy", "numba", "plotly", "jinja2", "sqlalchemy", "numpy")


def _heavy_loaded(code: str) -> list[str]:
    """The heavy libraries loaded after running ``code`` in a fresh interpreter."""
    probe = (
        f"{code}\nimport sys, json\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r})))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_version_prints_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"conviction {version('conviction')}"


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _heavy_loaded("import conviction.cli") == []


def test_help_of_every_command_loads_no_heavy_library() -> None:
    code = (
        "from typer.testing import CliRunner\n"
        "from conviction.cli import app\n"
        "from conviction.cli.app import COMMANDS\n"
        "for args in [['--help'], ['--version'], *([n, '--help'] for n in COMMANDS)]:\n"
        "    r = CliRunner().invoke(app, args)\n"
        "    assert r.exit_code == 0, (args, r.output)\n"
    )
    assert _heavy_loaded(code) == []


def test_root_help_lists_every_command_with_its_help() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    squeezed = "".join(result.output.split())  # the lines are wrapped, at hyphens too
    for name, (_, line) in COMMANDS.items():
        assert f"  {name}  " in result.output
        assert "".join(line.split()) in squeezed, name


def _registered() -> dict[str, tuple[str, str]]:
    """name -> (module, help line) of what the command modules register on ``app``."""
    for module in sorted({m for m, _ in COMMANDS.values()}):
        importlib.import_module(module)
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    modules: dict[str, str] = {}
    for info in app.registered_commands:
        assert info.callback is not None
        name = info.name or typer.main.get_command_name(info.callback.__name__)
        modules[name] = info.callback.__module__
    for group_info in app.registered_groups:
        sub = group_info.typer_instance
        assert sub is not None and isinstance(group_info.name, str)
        callback = sub.registered_commands[0].callback
        assert callback is not None
        modules[group_info.name] = callback.__module__
    assert set(modules) == set(group.commands)
    return {name: (modules[name], help_line(cmd)) for name, cmd in group.commands.items()}


def test_the_command_table_agrees_with_the_modules() -> None:
    assert _registered() == COMMANDS


def test_unknown_commands_are_suggested_from_the_whole_table() -> None:
    result = CliRunner().invoke(app, ["statu"])
    assert result.exit_code == 2
    assert "'status'" in result.output and "'stats'" in result.output


def test_sub_groups_run_from_the_lazy_table() -> None:
    result = CliRunner().invoke(app, ["thesis", "--help"])
    assert result.exit_code == 0
    for sub in ("list", "show", "update"):
        assert f"  {sub}  " in result.output


def test_written_out_defaults_agree_with_the_library() -> None:
    from conviction.cli import policy_commands
    from conviction.policies import history

    assert policy_commands.DEFAULT_MAX_GAP_DAYS == history.DEFAULT_MAX_GAP_DAYS


LAZY_PACKAGES = [
    "conviction",
    "conviction.io",
    "conviction.ledger",
    "conviction.policies",
    "conviction.projection",
    "conviction.report",
    "conviction.theses",
    "conviction.web",
]


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_lazy_package_exports_resolve(name: str) -> None:
    package = importlib.import_module(name)
    submodules = {m.name for m in pkgutil.iter_modules(package.__path__)}
    for export in package.__all__:
        value = getattr(package, export)
        # a lazy name that is also a submodule would turn into the module once it is imported
        assert export not in submodules or not isinstance(value, types.ModuleType), export


def test_warm_up_calls_each_kernel_module(monkeypatch: pytest.MonkeyPatch) -> None:
    from conviction import warmup

    for name in warmup.KERNEL_MODULES:
        assert callable(importlib.import_module(name).warm), name
    calls: list[str] = []
    fake = types.ModuleType("conviction_fake_kernels")
    fake.warm = lambda: calls.append("warm")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, fake.__name__, fake)
    assert list(warmup.warm([fake.__name__])) == [fake.__name__]
    assert calls == ["warm"]


def test_the_warm_up_command_shares_the_modules_out_over_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each module's warm() runs in a spawned process of its own (they write their own
    cache files): both ran, each in another process than this one."""
    import os

    from conviction.warmup import warm_in_processes

    for name in ("fake_kernels_a", "fake_kernels_b"):
        (tmp_path / f"{name}.py").write_text(
            "import os, pathlib\n"
            "def warm():\n"
            f"    pathlib.Path({str(tmp_path)!r}, {name!r}).write_text(str(os.getpid()))\n"
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    took = warm_in_processes(["fake_kernels_a", "fake_kernels_b"], workers=2)
    assert sorted(took) == ["fake_kernels_a", "fake_kernels_b"]
    pids = {(tmp_path / n).read_text() for n in took}
    assert str(os.getpid()) not in pids and len(pids) >= 1


def test_kernels_load_on_a_background_thread() -> None:
    """What open_book does for a large book: the kernels load beside the read, once."""
    from conviction.ledger import holdings
    from conviction.warmup import warm_in_background

    thread = warm_in_background(["conviction.ledger.holdings"])
    assert thread.daemon and thread.name == "conviction-warm-up"
    thread.join(timeout=300)
    assert not thread.is_alive()
    if holdings.HAVE_NUMBA:
        assert holdings._kernel() is holdings._kernel()  # one dispatcher, made once


def test_short_reads_run_without_the_cyclic_collector(db_url: str) -> None:
    """``main`` pauses the collector; a short read keeps it paused while it runs, any
    other command resumes it as it is looked up, and ``main`` leaves it as it found it."""
    example = Path(__file__).resolve().parents[2] / "examples" / "baron"
    assert CliRunner().invoke(app, ["--db", db_url, "load", str(example)]).exit_code == 0
    probe = (
        "import gc, json, sys\n"
        "import conviction.app.reads, conviction.store.engine\n"
        "from conviction.cli import main\n"
        "seen = []\n"
        "def spy(*args, **kwargs):\n"
        "    seen.append(gc.isenabled())\n"
        "    raise SystemExit(0)\n"
        "conviction.app.reads.book_status = spy  # what status computes with\n"
        "conviction.store.engine.writing = spy  # what init opens\n"
        "for argv in (['status'], ['init']):\n"
        f"    sys.argv = ['conviction', '--db', {db_url!r}, *argv]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "    seen.append(gc.isenabled())\n"
        "print(json.dumps(seen))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # status: paused while it ran, on again after; init: on while it ran, and after
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [False, True, True, True]
