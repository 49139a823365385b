"""Sensitivity and scenario runs on the web: background jobs with the CLI's --json answers
on the same seed, their page (tornado, Sobol, scenarios), the link from the projection
page, and bad input refused before anything is queued."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
SPEC = "examples/baron/projection.toml"
NAMES = ["key-person-gone-year-3", "xai-marked-down-50"]


def _wait(client: TestClient, url: str, timeout: float = 300.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(url).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"{url} did not finish in {timeout} s")


def _without_config(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "config"}


def test_a_sensitivity_job_gives_the_cli_answer_and_its_page_draws_the_tornado(
    client: TestClient, auth: dict[str, str], cli_json: Callable[..., Any]
) -> None:
    body = {"spec": SPEC, "paths": 1000, "seed": 5, "target_multiple": 4.0}
    assert client.post("/api/v1/sensitivities", json=body).status_code == 401
    first = client.post("/api/v1/sensitivities", json=body, headers=auth)
    assert first.status_code == 202, first.text
    job = first.json()
    assert job["links"]["self"] == f"/api/v1/sensitivities/{job['id']}"
    done = _wait(client, job["links"]["self"])
    assert done["status"] == "done", done
    cli = cli_json(
        "sensitivity", "--config", str(ROOT / SPEC), "--paths", "1000", "--seed", "5",
        "--target-multiple", "4",
    )  # fmt: skip
    result = done["result"]
    assert _without_config(result) == _without_config(cli)
    assert result["config"] == SPEC and result["target_multiple"] == 4.0
    assert done["total"] == done["done"] == 1 + 2 * len(cli["tornado"])
    again = client.post("/api/v1/sensitivities", json=body, headers=auth)
    assert again.status_code == 200 and again.json()["id"] == job["id"]
    page = client.get(job["links"]["page"])
    assert page.status_code == 200
    assert 'id="fig-tornado"' in page.text and 'id="fig-sobol"' in page.text
    assert f"<code>{cli['tornado'][0]['input']}</code>" in page.text
    assert 'href="/projection/sensitivity"' in client.get("/projection").text
    # a sensitivity job is neither a projection nor a scenario job
    assert client.get(f"/api/v1/projections/{job['id']}").status_code == 404
    assert client.get(f"/api/v1/scenarios/{job['id']}").status_code == 404
    assert client.get(f"/projection?job={job['id']}").status_code == 404
    assert job["id"] not in [j["id"] for j in client.get("/api/v1/projections").json()]
    assert client.get("/api/v1/sensitivities/nope").status_code == 404
    assert client.get("/projection/sensitivity?job=nope").status_code == 404


def test_a_scenario_job_gives_project_scenario_json_side_by_side(
    client: TestClient, auth: dict[str, str], cli_json: Callable[..., Any]
) -> None:
    body = {"spec": SPEC, "scenarios": NAMES, "paths": 2000, "seed": 9}
    first = client.post("/api/v1/scenarios", json=body, headers=auth)
    assert first.status_code == 202, first.text
    done = _wait(client, first.json()["links"]["self"])
    assert done["status"] == "done", done
    cli = cli_json(
        "project", "--config", str(ROOT / SPEC), "--paths", "2000", "--seed", "9",
        "--scenario", NAMES[0], "--scenario", NAMES[1],
    )  # fmt: skip
    assert _without_config(done["result"]) == _without_config(cli)
    assert [c["name"] for c in done["result"]["cases"]] == ["base", *NAMES]
    page = client.get(f"/projection/sensitivity?job={done['id']}")
    assert page.status_code == 200 and 'id="fig-scenarios"' in page.text
    for name in NAMES:
        assert f'<th class="n">{name}</th>' in page.text
    form = client.get("/projection/sensitivity").text  # the form offers the file's scenarios
    assert all(f'value="{n}"' in form for n in NAMES)


def test_bad_requests_are_refused_with_the_field_and_queue_nothing(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], list[str]]
) -> None:
    before = snapshot()
    jobs = client.get("/api/v1/projections").json()
    unknown = client.post(
        "/api/v1/scenarios", json={"spec": SPEC, "scenarios": ["nope"], "paths": 100}, headers=auth
    )
    assert unknown.status_code == 422, unknown.text
    detail = unknown.json()["detail"]
    assert detail["field"] == "scenarios" and "'nope'" in detail["message"]
    assert NAMES[0] in detail["message"] and detail["file"] == SPEC  # the known ones listed
    for bad, field in (
        ({"spec": SPEC, "paths": 0}, "paths"),
        ({"spec": SPEC, "paths": "100"}, "paths"),  # a number, not text
        ({"spec": SPEC, "target_multiple": -1.0}, "target_multiple"),
        ({"spec": SPEC, "seed": -3}, "seed"),
        ({"spec": SPEC, "pathz": 10}, "pathz"),
    ):
        r = client.post("/api/v1/sensitivities", json=bad, headers=auth)
        assert r.status_code == 422, (bad, r.text)
        assert any(field in e["loc"] for e in r.json()["detail"]), r.text
    empty = client.post("/api/v1/scenarios", json={"spec": SPEC, "scenarios": []}, headers=auth)
    assert empty.status_code == 422
    outside = client.post("/api/v1/sensitivities", json={"spec": "../x.toml"}, headers=auth)
    assert outside.status_code == 400 and "workspace" in outside.text
    not_toml = client.post("/api/v1/sensitivities", json={"spec": "README.md"}, headers=auth)
    assert not_toml.status_code == 422
    assert client.get("/api/v1/projections").json() == jobs
    assert snapshot() == before
