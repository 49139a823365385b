"""project, compare, sensitivity and solve on a real Dask cluster (a LocalCluster of two
worker processes, started here): the same answers, bit for bit, as in this process; and a
scheduler address that does not answer is a clear error within seconds, not a hang."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conviction.app.compute import SCHEDULER_ENV, open_runner
from conviction.app.runs import compare_policies, project_book
from conviction.app.sensitivity_runs import book_spec, solve_book
from conviction.book.model import Book
from conviction.errors import FormatError, InputError
from conviction.io.policy_toml import read_policy
from conviction.io.projection_toml import Overrides
from conviction.projection.sensitivity import sensitivity
from conviction.runners import DaskRunner, InProcessRunner
from conviction.store import connect, read_book

distributed = pytest.importorskip("dask.distributed")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
CONFIG = EXAMPLE / "projection.toml"
NOBODY = "tcp://127.0.0.1:9"  # the discard port: nothing listens there


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    ) as c:
        yield str(c.scheduler_address)


@pytest.fixture(scope="module")
def baron(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Book]:
    from typer.testing import CliRunner

    from conviction.cli import app

    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'baron.db'}"
    result = CliRunner().invoke(app, ["--db", url, "load", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    return url, read_book(connect(url))


def _same(a: Any, b: Any) -> None:
    """Equal bit for bit: every field of two results (arrays included)."""
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), f.name
        else:
            assert repr(x) == repr(y), f.name


def test_project_on_the_cluster_is_the_local_run_bit_for_bit(
    cluster: str, baron: tuple[str, Book]
) -> None:
    _, book = baron
    ov = Overrides(paths=34_000)  # 17 blocks: two tasks (16 blocks and 1)
    here = project_book(book, CONFIG, overrides=ov, workers=1)
    there = project_book(book, CONFIG, overrides=ov, scheduler=cluster)
    assert there.result.paths == 34_000
    _same(here.result, there.result)


def test_compare_on_the_cluster_is_the_local_run_bit_for_bit(
    cluster: str, baron: tuple[str, Book]
) -> None:
    _, book = baron
    policies = [read_policy(EXAMPLE / "policies" / f"{n}.toml") for n in ("baron", "hold")]
    ov = Overrides(paths=8_500)  # 5 blocks: two tasks (4 blocks and 1)
    here = compare_policies(book, CONFIG, policies, overrides=ov, workers=1)
    there = compare_policies(book, CONFIG, policies, overrides=ov, scheduler=cluster)
    assert [s.paths for s in there.summaries] == [8_500, 8_500]
    assert repr(here) == repr(there)


def test_sensitivity_and_solve_on_the_cluster_are_the_local_runs(
    cluster: str, baron: tuple[str, Book]
) -> None:
    _, book = baron
    ov = Overrides(paths=1_200)
    # sensitivity_book's runs, with a smaller Sobol sample (computed here whatever the runner)
    spec = book_spec(book, CONFIG, overrides=ov).spec
    here = sensitivity(spec, sobol_n=256, runner=InProcessRunner())
    with open_runner(scheduler=cluster) as runner:
        there = sensitivity(spec, sobol_n=256, runner=runner)
    assert len(there.bars) >= 10 and there.sobol
    assert json.dumps(here.to_dict()) == json.dumps(there.to_dict())
    _, s_here = solve_book(book, CONFIG, overrides=ov, workers=1)
    _, s_there = solve_book(book, CONFIG, overrides=ov, scheduler=cluster)
    assert json.dumps(s_here.to_dict()) == json.dumps(s_there.to_dict())


def test_the_environment_names_the_cluster_and_workers_overrule_it(
    cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SCHEDULER_ENV, cluster)
    with open_runner() as runner:
        assert isinstance(runner, DaskRunner)
        assert runner.address == cluster
        assert list(runner.map(math.sqrt, [4.0, 9.0])) == [2.0, 3.0]
    with open_runner(workers=1) as local:
        assert isinstance(local, InProcessRunner)
    with pytest.raises(FormatError, match="not both"), open_runner(scheduler=cluster, workers=2):
        pass


def test_cli_project_runs_on_the_scheduler_the_environment_names(
    cluster: str,
    baron: tuple[str, Book],
    monkeypatch: pytest.MonkeyPatch,
    conviction_main: Any,
) -> None:
    url, _ = baron
    args = ["--db", url, "project", "--config", str(CONFIG), "--paths", "3000", "--json"]
    code, local, _ = conviction_main([*args, "--workers", "1"])
    assert code == 0
    monkeypatch.setenv(SCHEDULER_ENV, cluster)
    code, remote, _ = conviction_main(args)
    assert code == 0
    assert json.loads(remote) == json.loads(local)


def test_a_scheduler_that_does_not_answer_is_a_clear_error_within_seconds(
    baron: tuple[str, Book], conviction_main: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, book = baron
    started = time.perf_counter()
    with pytest.raises(InputError, match=f"no Dask scheduler answers at {NOBODY}") as exc:
        project_book(book, CONFIG, overrides=Overrides(paths=1000), scheduler=NOBODY)
    assert exc.value.field == "--scheduler"
    assert time.perf_counter() - started < 5.0
    started = time.perf_counter()
    code, out, err = conviction_main(
        ["--db", url, "sensitivity", "--config", str(CONFIG), "--scheduler", NOBODY]
    )
    assert time.perf_counter() - started < 5.0
    assert code == 2 and out == ""
    assert f"no Dask scheduler answers at {NOBODY}" in err and "--scheduler" in err
    assert "Traceback" not in err
    monkeypatch.setenv(SCHEDULER_ENV, NOBODY)
    code, _, err = conviction_main(["--db", url, "solve", "--config", str(CONFIG)])
    assert code == 2 and SCHEDULER_ENV in err and "Traceback" not in err


def test_a_scheduler_without_workers_is_an_error_not_a_hang() -> None:
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as c:
        address = str(c.scheduler_address)
        started = time.perf_counter()
        runner = DaskRunner(address=address, worker_wait=1.0, field="--scheduler")
        with pytest.raises(InputError, match="has no workers: start one with 'dask worker"):
            list(runner.map(math.sqrt, [4.0]))
        assert time.perf_counter() - started < 5.0
