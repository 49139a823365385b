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


def test_the_projection_form_takes_horizon_target_paths_seed_and_scenarios(
    client: TestClient, auth: dict[str, str], cli_json: Callable[..., Any]
) -> None:
    body = {"spec": SPEC, "years": 5, "target_multiple": 2.5, "paths": 3000, "seed": 4}
    first = client.post("/api/v1/projections", json=body, headers=auth)
    assert first.status_code == 202, first.text
    done = _wait(client, first.json()["links"]["self"])
    assert done["status"] == "done", done
    cli = cli_json(
        "project", "--config", str(ROOT / SPEC), "--years", "5", "--target-multiple", "2.5",
        "--paths", "3000", "--seed", "4",
    )  # fmt: skip
    result = done["result"]
    assert result["years"] == cli["years"] == 5 and result["target_multiple"] == 2.5
    assert result["prob_target"] == cli["prob_target"]
    assert result["terminal"] == cli["terminal"]
    # with scenarios: the base and each side by side, the scenario job's links
    with_scenarios = client.post(
        "/api/v1/projections", json={**body, "scenarios": [NAMES[1]]}, headers=auth
    )
    assert with_scenarios.status_code == 202, with_scenarios.text
    links = with_scenarios.json()["links"]
    assert links["self"].startswith("/api/v1/scenarios/")
    both = _wait(client, links["self"])
    assert both["status"] == "done", both
    cli_both = cli_json(
        "project", "--config", str(ROOT / SPEC), "--years", "5", "--target-multiple", "2.5",
        "--paths", "3000", "--seed", "4", "--scenario", NAMES[1],
    )  # fmt: skip
    assert _without_config(both["result"]) == _without_config(cli_both)
    page = client.get("/projection").text
    for field in ('name="years"', 'name="target_multiple"', 'name="paths"', 'name="seed"'):
        assert field in page
    assert f'value="{NAMES[0]}"' in page  # the spec's scenarios to tick


def test_bad_projection_inputs_are_a_422_naming_the_field_and_queue_nothing(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], list[str]]
) -> None:
    before = snapshot()
    jobs = client.get("/api/v1/projections").json()
    for bad, field in (
        ({"spec": SPEC, "years": 0}, "years"),
        ({"spec": SPEC, "years": 2.5}, "years"),
        ({"spec": SPEC, "target_multiple": 0}, "target_multiple"),
        ({"spec": SPEC, "target_multiple": "5"}, "target_multiple"),
        ({"spec": SPEC, "paths": 0}, "paths"),
        ({"spec": SPEC, "scenarios": "key-person-gone-year-3"}, "scenarios"),
    ):
        r = client.post("/api/v1/projections", json=bad, headers=auth)
        assert r.status_code == 422, (bad, r.text)
        assert any(field in e["loc"] for e in r.json()["detail"]), r.text
    unknown = client.post(
        "/api/v1/projections", json={"spec": SPEC, "scenarios": ["gone"]}, headers=auth
    )
    assert unknown.status_code == 422 and unknown.json()["detail"]["field"] == "scenarios"
    assert client.get("/api/v1/projections").json() == jobs
    assert snapshot() == before


POLICIES = ["examples/baron/policies/hold.toml", "examples/baron/policies/trim_episode.toml"]


def test_a_compare_job_gives_the_cli_answer_and_the_policies_page_offers_it(
    client: TestClient, auth: dict[str, str], cli_json: Callable[..., Any]
) -> None:
    body = {"spec": SPEC, "policies": POLICIES, "paths": 1000, "seed": 3}
    first = client.post("/api/v1/comparisons", json=body, headers=auth)
    assert first.status_code == 202, first.text
    done = _wait(client, first.json()["links"]["self"])
    assert done["status"] == "done", done
    cli = cli_json(
        "compare", "--config", str(ROOT / SPEC), "--policy", str(ROOT / POLICIES[0]),
        "--policy", str(ROOT / POLICIES[1]), "--paths", "1000", "--seed", "3",
    )  # fmt: skip
    assert _without_config(done["result"]) == _without_config(cli)
    assert [p["policy"] for p in done["result"]["policies"]] == [
        p["policy"] for p in cli["policies"]
    ]
    again = client.post("/api/v1/comparisons", json=body, headers=auth)
    assert again.status_code == 200 and again.json()["id"] == done["id"]
    page = client.get(done["links"]["page"])
    assert page.status_code == 200 and 'id="fig-compare"' in page.text
    policies = client.get("/policies").text
    assert 'id="compare-form"' in policies and f'value="{POLICIES[0]}"' in policies
    # bad input: nothing queued
    jobs = len(client.get("/api/v1/projections").json())
    outside = client.post(
        "/api/v1/comparisons", json={**body, "policies": ["../p.toml"]}, headers=auth
    )
    assert outside.status_code == 400
    not_policy = client.post("/api/v1/comparisons", json={**body, "policies": [SPEC]}, headers=auth)
    assert not_policy.status_code == 422, not_policy.text
    assert not_policy.json()["detail"]["file"] == SPEC
    none = client.post("/api/v1/comparisons", json={**body, "policies": []}, headers=auth)
    assert none.status_code == 422
    assert client.get(f"/api/v1/comparisons/{done['id']}x").status_code == 404
    assert len(client.get("/api/v1/projections").json()) == jobs


def test_a_bad_sensitivity_range_is_a_422_with_file_line_and_field(
    db_url: str, tmp_path: Path, auth: dict[str, str]
) -> None:
    import shutil

    from conftest import TEST_HOSTS, TOKEN
    from conviction.store import connect_for_writing
    from conviction.web import create_app

    shutil.copytree(ROOT / "examples" / "baron", tmp_path / "baron")
    spec = tmp_path / "baron" / "projection.toml"
    text = spec.read_text("utf-8")
    lines = text.count("\n") + 1
    spec.write_text(
        text + '\n[[sensitivity]]\ninput = "driver.no_such_driver"\nlow = 1.0\nhigh = 2.0\n',
        "utf-8",
    )
    engine = connect_for_writing(db_url)
    try:
        with TestClient(create_app(engine, TOKEN, tmp_path, allowed_hosts=TEST_HOSTS)) as c:
            r = c.post(
                "/api/v1/sensitivities", json={"spec": "baron/projection.toml"}, headers=auth
            )
            assert r.status_code == 422, r.text
            detail = r.json()["detail"]
            assert detail["file"] == "baron/projection.toml"
            assert "no_such_driver" in detail["message"] and "sensitivity" in detail["field"]
            assert detail["line"] is not None and detail["line"] >= lines
            assert c.get("/api/v1/projections").json() == []  # nothing queued
    finally:
        engine.dispose()
