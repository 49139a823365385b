"""Projection jobs: background run, progress, the result of ``conviction project``,
identical requests reuse the job; file parameters stay inside the workspace."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conviction.errors import InputError
from conviction.io.projection_toml import read_projection
from conviction.store import connect_for_writing, read_book
from conviction.web import create_app
from conviction.web.jobs import JobRunner

ROOT = Path(__file__).resolve().parents[2]
SPEC = "examples/baron/projection.toml"


def _wait(client: TestClient, job: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/v1/projections/{job}").json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"job {job} did not finish in {timeout} s")


def test_a_job_gives_the_cli_projection_and_is_reused(
    client: TestClient, auth: dict[str, str], cli_json: Callable[..., Any]
) -> None:
    body = {"spec": SPEC, "paths": 4096, "seed": 11}
    first = client.post("/api/v1/projections", json=body, headers=auth)
    assert first.status_code == 202, first.text
    job = first.json()
    assert job["status"] in ("queued", "running", "done") and not job["cached"]
    done = _wait(client, job["id"])
    assert done["status"] == "done" and done["fraction"] == 1.0
    assert done["done"] == done["total"] == 4096
    # The same numbers as `conviction project` with the same overrides (same seed).
    cli = cli_json("project", "--config", str(ROOT / SPEC), "--paths", "4096", "--seed", "11")
    result = done["result"]
    assert result["prob_target"] == cli["prob_target"]
    assert result["terminal"] == cli["terminal"]
    assert result["fan"] == cli["fan"]
    # An identical request: the same job, answered at once, nothing run again.
    again = client.post("/api/v1/projections", json=body, headers=auth)
    assert again.status_code == 200 and again.json()["cached"]
    assert again.json()["id"] == job["id"]
    assert len(client.get("/api/v1/projections").json()) == 1
    # Another seed is another job; the page shows the fan of a finished one.
    other = client.post("/api/v1/projections", json={**body, "seed": 12}, headers=auth)
    assert other.status_code == 202 and other.json()["id"] != job["id"]
    page = client.get(f"/projection?job={job['id']}")
    assert page.status_code == 200 and 'id="fig-fan"' in page.text


def test_a_write_makes_a_new_job(client: TestClient, auth: dict[str, str]) -> None:
    body = {"spec": SPEC, "paths": 256, "seed": 1}
    first = client.post("/api/v1/projections", json=body, headers=auth).json()
    _wait(client, first["id"])
    mark = {"date": "2025-11-13", "company": "tesla", "price": 400.0, "kind": "close"}
    assert client.post("/api/v1/marks", json={"marks": [mark]}, headers=auth).status_code == 201
    second = client.post("/api/v1/projections", json=body, headers=auth)
    assert second.status_code == 202 and second.json()["id"] != first["id"]


@pytest.fixture
def workspace(tmp_path: Path, db_url: str) -> Iterator[tuple[TestClient, Path]]:
    """An app whose workspace is a small temporary folder (with a link pointing out)."""
    ws = tmp_path / "ws"
    (ws / "sub").mkdir(parents=True)
    bad = '[projection]\nyears = "ten"\n\n[[projection.asset]]\ncompany = "tesla"\n'
    (ws / "sub" / "bad.toml").write_text(bad, encoding="utf-8")
    (tmp_path / "outside.toml").write_text((ROOT / SPEC).read_text("utf-8"), encoding="utf-8")
    os.symlink(tmp_path / "outside.toml", ws / "link.toml")
    engine = connect_for_writing(db_url)
    with TestClient(
        create_app(engine, "test-token-0123456789abcdef", ws, allowed_hosts=["testserver"])
    ) as c:
        yield c, ws
    engine.dispose()


def test_a_bad_spec_fails_the_job_with_its_location(
    workspace: tuple[TestClient, Path], auth: dict[str, str]
) -> None:
    client, ws = workspace
    r = client.post("/api/v1/projections", json={"spec": "sub/bad.toml"}, headers=auth)
    assert r.status_code == 202
    done = _wait(client, r.json()["id"])
    assert done["status"] == "failed"
    with pytest.raises(InputError) as raised:  # what the reader says of the same file
        engine = client.app.state.ctx.engine  # type: ignore[attr-defined]
        read_projection(ws / "sub" / "bad.toml", book=read_book(engine))
    assert done["error"]["field"] == raised.value.field is not None
    assert done["error"]["line"] == raised.value.line is not None
    assert done["error"]["message"] == raised.value.message
    assert done["error"]["file"] == "sub/bad.toml"  # relative: no server path leaks


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ("../outside.toml", 400),
        ("sub/../../outside.toml", 400),
        ("/etc/passwd", 400),
        ("//etc/passwd", 400),
        ("link.toml", 400),  # inside by name, outside once the link is followed
        ("sub\\..\\..\\outside.toml", 400),
        ("sub/bad.toml\x00.txt", 400),
        ("missing.toml", 404),
        ("sub", 404),
    ],
)
def test_paths_outside_the_workspace_are_refused(
    workspace: tuple[TestClient, Path], auth: dict[str, str], spec: str, code: int
) -> None:
    client, _ = workspace
    r = client.post("/api/v1/projections", json={"spec": spec}, headers=auth)
    assert r.status_code == code, r.text
    assert client.get("/api/v1/projections").json() == []


@pytest.mark.parametrize(
    "query",
    [
        "benchmark=../outside.toml",
        "benchmark=%2e%2e%2foutside.csv",
        "benchmark=..%2F..%2F..%2Fetc%2Fpasswd",
        "benchmark=/etc/passwd",
        "benchmark=link.toml",
    ],
)
def test_query_paths_outside_the_workspace_are_refused(
    workspace: tuple[TestClient, Path], query: str
) -> None:
    client, _ = workspace
    assert client.get(f"/api/v1/stats?{query}").status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"spec": SPEC, "paths": 0},
        {"spec": SPEC, "paths": "many"},
        {"spec": SPEC, "paths": 10**9},
        {"spec": SPEC, "seed": -1},
        {"spec": SPEC, "seed": 1.5},
        {"spec": ""},
        {"spec": 7},
        {"spec": SPEC, "workers": 64},
    ],
)
def test_bad_projection_requests_are_422(
    client: TestClient, auth: dict[str, str], body: dict[str, Any]
) -> None:
    assert client.post("/api/v1/projections", json=body, headers=auth).status_code == 422
    assert client.get("/api/v1/projections").json() == []


def test_a_job_read_while_running_stays_as_it_was_read() -> None:
    """A page reads the job once and renders that state: a copy that a finishing job does
    not change under it (the page said "done" with no result drawn, and never reloaded)."""
    runner = JobRunner()
    release = threading.Event()

    def work(progress: Callable[[int, int], None]) -> str:
        progress(1, 2)
        release.wait(10)
        return "the result"

    runner.submit("k", {"kind": "test"}, work)
    deadline = time.monotonic() + 10
    while (seen := runner.get("k")) is not None and seen.status != "running":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert seen is not None
    release.set()
    while (now := runner.get("k")) is not None and now.status != "done":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert now is not None and now.result == "the result"
    assert (seen.status, seen.result) == ("running", None)  # as it was read
    assert [j.status for j in runner.jobs()] == ["done"]
    runner.shutdown()
