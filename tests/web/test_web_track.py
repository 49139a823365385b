"""The track on the web: a background job with `conviction track --json`'s answer, its
page (chart and table), and the link from the theses page."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from test_browser import browser, server  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
SPEC = "examples/baron/projection.toml"
THESES = "examples/baron/theses-what-if.toml"


def _wait(client: TestClient, job: str, timeout: float = 180.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"/api/v1/tracks/{job}").json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"job {job} did not finish in {timeout} s")


def test_a_track_job_gives_the_cli_answer_and_its_page_draws_it(
    client: TestClient, auth: dict[str, str], cli_json: Callable[..., Any]
) -> None:
    body = {"spec": SPEC, "theses": THESES, "paths": 256, "seed": 5}
    assert client.post("/api/v1/tracks", json=body).status_code == 401  # needs the token
    first = client.post("/api/v1/tracks", json=body, headers=auth)
    assert first.status_code == 202, first.text
    done = _wait(client, first.json()["id"])
    assert done["status"] == "done", done
    assert done["total"] == 256 * 5
    cli = cli_json(
        "track", "--config", str(ROOT / SPEC), "--theses", str(ROOT / THESES),
        "--paths", "256", "--seed", "5",
    )  # fmt: skip
    result = done["result"]
    assert result["rows"] == cli["rows"]
    assert result["runs"] == cli["runs"] == 5
    again = client.post("/api/v1/tracks", json=body, headers=auth)
    assert again.status_code == 200 and again.json()["id"] == done["id"]
    page = client.get(f"/theses/track?job={done['id']}")
    assert page.status_code == 200
    assert 'id="fig-track"' in page.text and "xai/grok-5 hit" in page.text
    assert client.get("/theses/track").status_code == 200
    assert 'href="/theses/track"' in client.get("/theses").text
    # a track job is not a projection job, and the other way round
    assert client.get(f"/api/v1/projections/{done['id']}").status_code == 404
    assert client.get(f"/projection?job={done['id']}").status_code == 404
    assert done["id"] not in [j["id"] for j in client.get("/api/v1/projections").json()]
    assert client.get("/api/v1/tracks/nope").status_code == 404
    assert client.get("/theses/track?job=nope").status_code == 404


def test_a_bad_theses_file_fails_the_job_naming_file_line_field(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = {"spec": SPEC, "theses": "examples/baron/book.toml", "paths": 64}
    done = _wait(client, client.post("/api/v1/tracks", json=body, headers=auth).json()["id"])
    assert done["status"] == "failed"
    assert done["error"]["file"] == "examples/baron/book.toml"
    outside = client.post("/api/v1/tracks", json={**body, "theses": "../x.toml"}, headers=auth)
    assert outside.status_code in (400, 404, 422)


def test_without_a_theses_file_the_stored_theses_are_tracked(
    client: TestClient, auth: dict[str, str]
) -> None:
    update = {"status": "hit", "date": "2026-07-15", "evidence": "HYPOTHETICAL: released"}
    url = "/api/v1/theses/xai/milestones/grok-5"
    assert client.post(url, json=update, headers=auth).status_code in (200, 201)
    first = client.post("/api/v1/tracks", json={"spec": SPEC, "paths": 128}, headers=auth)
    assert first.status_code == 202, first.text
    done = _wait(client, first.json()["id"])
    assert done["status"] == "done", done
    rows = done["result"]["rows"]
    assert [r["date"] for r in rows] == ["2025-11-14", "2026-07-15"]
    assert rows[1]["driver_factors"] == {"grok_frontier_value": 1.3}
    assert done["result"]["theses"] == "the stored theses"


def test_the_track_page_fits_a_phone(server: str, browser: Any, token: str) -> None:  # noqa: F811
    import json
    import urllib.request

    body = json.dumps({"spec": SPEC, "theses": THESES, "paths": 256}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    req = urllib.request.Request(server + "/api/v1/tracks", body, headers, method="POST")
    with urllib.request.urlopen(req) as r:
        job = json.load(r)["id"]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{server}/api/v1/tracks/{job}") as r:
            if json.load(r)["status"] in ("done", "failed"):
                break
        time.sleep(0.1)
    problems: list[str] = []
    for width in (390, 1440):
        page = browser.new_page(viewport={"width": width, "height": 860})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        for path in ("/theses", "/theses/track", f"/theses/track?job={job}"):
            page.goto(server + path, wait_until="load")
            wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert wide[0] <= wide[1], (path, width, wide)
        assert page.locator("#fig-track .trace").count() == 2
    assert problems == []
