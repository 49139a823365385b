"""The published OpenAPI schema is the API: every GET answer validates against it.

Two ways: each read endpoint on the Baron example (known ids, with and without the
optional filters) checked with jsonschema against ``app.openapi()``; and schemathesis
generating inputs for every GET endpoint, which must answer within the schema and never
with a server error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from jsonschema_rs import Draft202012Validator

from conviction.store import connect
from conviction.web import create_app

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789abcdef"

#: Known ids of the example, for the path parameters.
IDS = {
    "company_id": "tesla",
    "person_id": "musk",
    "account_id": "ron",
    "thesis_id": "tesla",
    "kind": "marks",  # /book/{kind}: the stored rows
}

#: Optional filters worth a second call (the first call takes every default).
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "/api/v1/status": [
        {"as_of": "2021-06-30", "account": "ron"},
        {"currency": "usd"},
        {"as_of": "2009-01-02"},  # before the first trade: an empty book
    ],
    "/api/v1/history": [
        {"freq": "D", "start": "2025-10-01"},
        {"account": ["ron", "partners"], "currency": "USD", "end": "2020-12-31"},
    ],
    "/api/v1/reviews": [{"as_of": "2020-12-31", "account": "partners"}],
    "/api/v1/theses": [{"as_of": "2020-01-01"}],
    "/api/v1/stats": [{"account": "ron"}],
    "/api/v1/book/{kind}": [{"company": "xai", "limit": 3, "recorded_at": "2025-01-01T00:00"}],
}


@pytest.fixture(scope="module")
def app(baron_template: Path) -> Iterator[FastAPI]:
    """One app over the example for the whole module: these tests only read."""
    engine = connect(f"sqlite:///{baron_template}")
    yield create_app(engine, TOKEN, ROOT, allowed_hosts=["testserver"])
    engine.dispose()


def _validator(spec: dict[str, Any], path: str, code: int) -> Draft202012Validator:
    get = spec["paths"][path]["get"]
    schema = get["responses"][str(code)]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": spec["components"]})


def test_every_get_answer_validates_against_the_published_schema(app: FastAPI) -> None:
    spec = app.openapi()
    gets = [p for p, ops in spec["paths"].items() if "get" in ops and p.startswith("/api/")]
    assert {"/api/v1/status", "/api/v1/history", "/api/v1/reviews"} <= set(gets)
    checked = 0
    with TestClient(app) as client:
        for path in gets:
            if "{job_id}" in path:  # no job runs here: tests/web/test_web_jobs.py
                continue
            url = re.sub(r"\{(\w+)\}", lambda m: IDS[m.group(1)], path)
            for params in [{}, *VARIANTS.get(path, [])]:
                r = client.get(url, params=params)
                assert r.status_code == 200, (url, params, r.text)
                errors = list(_validator(spec, path, 200).iter_errors(r.json()))
                assert not errors, (url, params, [e.message for e in errors[:3]])
                checked += 1
    assert checked >= len([p for p in gets if "{job_id}" not in p]) + 5  # jobs: skipped


def test_the_status_schema_is_the_whole_answer(app: FastAPI) -> None:
    """Generated from the result classes: nothing undocumented passes, nothing is missing."""
    spec = app.openapi()
    status = spec["components"]["schemas"]["BookStatus"]
    line = spec["components"]["schemas"]["CompanyLine"]
    assert status["additionalProperties"] is False and line["additionalProperties"] is False
    for key in ("price_effect", "currency_effect", "stale_rates", "total_gain"):
        assert key in status["required"]
    for key in ("local_currency", "local_gain", "gain", "mark_grade"):
        assert key in line["required"]
    with TestClient(app) as client:
        doc = client.get("/api/v1/status").json()
    extra = {**doc, "unexpected": 1}
    assert list(_validator(spec, "/api/v1/status", 200).iter_errors(extra))


def test_generated_inputs_get_answers_within_the_schema(app: FastAPI) -> None:
    """schemathesis over every GET endpoint of the API: answers within the schema (codes,
    content types, bodies), never a server error. (Its pytest plugin is not used: it does
    not run under this pytest; the same checks run through ``as_strategy``.)"""
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    api = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    found: list[Any] = list(api.include(method="GET", path_regex="^/api/").get_all_operations())
    operations = [op.ok() for op in found]
    assert len(operations) >= 10

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            case.call_and_validate(checks=checks)

        call()
