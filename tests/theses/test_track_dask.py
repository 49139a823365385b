"""`conviction track` on a real Dask cluster (a LocalCluster of two worker processes,
started here): the same rows, bit for bit, as in this process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conviction.app.track_runs import track_book
from conviction.io.projection_toml import Overrides
from conviction.io.theses_toml import read_theses_file
from conviction.store import connect, read_book

distributed = pytest.importorskip("dask.distributed")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
    ) as c:
        yield str(c.scheduler_address)


def test_track_on_the_cluster_is_the_local_run_bit_for_bit(cluster: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from conviction.cli import app

    url = f"sqlite:///{tmp_path / 'baron.db'}"
    assert CliRunner().invoke(app, ["--db", url, "load", str(EXAMPLE)]).exit_code == 0
    book = read_book(connect(url))
    theses = read_theses_file(EXAMPLE / "theses-what-if.toml", book.companies, book.persons).theses
    config = EXAMPLE / "projection.toml"
    ov = Overrides(paths=6000)  # 3 blocks a run
    here = track_book(book, config, theses, overrides=ov, workers=1)
    there = track_book(book, config, theses, overrides=ov, scheduler=cluster)
    assert here.runs == there.runs == 5
    assert repr(here.rows) == repr(there.rows)
    assert len({r.prob_target for r in here.rows}) > 1  # the evidence moved it
