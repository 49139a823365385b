"""Writes through the API hold the ranges of ``conviction.io.limits``: a number out of
range, a date outside 1900..2199 or an id longer than its column is a 422 naming the field,
nothing is stored, and the reads that such a row used to break still answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conviction.io.limits import MAX_ID, MAX_LOT, MAX_MAGNITUDE

BUY = {
    "date": "2025-11-14",
    "account": "ron",
    "company": "tesla",
    "action": "buy",
    "quantity": 1000,
    "price": 404.35,
}
DEPOSIT = {"date": "2025-11-14", "account": "ron", "action": "deposit", "quantity": 1000}
MARK = {"date": "2025-11-13", "company": "tesla", "price": 401.99, "kind": "close"}
LONG_ID = "x" * 150


def _post(client: TestClient, url: str, body: dict[str, Any], auth: dict[str, str]) -> Any:
    # json.dumps writes inf and nan as Infinity and NaN, which a JSON parser may accept.
    content = json.dumps(body)
    return client.post(url, content=content, headers={**auth, "Content-Type": "application/json"})


def _refused(
    client: TestClient,
    auth: dict[str, str],
    snapshot: Callable[[], list[str]],
    url: str,
    body: dict[str, Any],
    loc: list[str | int],
    words: str,
) -> None:
    before = snapshot()
    r = _post(client, url, body, auth)
    assert r.status_code == 422, r.text
    issues = r.json()["detail"]
    assert isinstance(issues, list), issues
    mine = [i for i in issues if i["loc"][-len(loc) :] == loc]
    assert mine, issues
    assert words in mine[0]["msg"], mine
    assert snapshot() == before
    # the reads a stored row like this used to turn into 500s
    assert client.get("/api/v1/status").status_code == 200
    assert client.get("/api/v1/history").status_code == 200


TX_CASES = [
    # (the row, the field, words of the message)
    ({**BUY, "quantity": 1e308}, "quantity", "less than 1000000000000000"),
    ({**DEPOSIT, "quantity": 1e308}, "quantity", "less than 1000000000000000"),
    ({**BUY, "quantity": MAX_MAGNITUDE}, "quantity", "less than 1000000000000000"),
    ({**BUY, "quantity": float("inf")}, "quantity", "finite number"),
    ({**BUY, "quantity": float("nan")}, "quantity", "finite number"),
    ({**BUY, "price": 1e308}, "price", "less than 1000000000000000"),
    ({**BUY, "price": float("inf")}, "price", "finite number"),
    ({**BUY, "price": float("nan")}, "price", "finite number"),
    ({**BUY, "fees": 1e308}, "fees", "less than 1000000000000000"),
    ({**BUY, "fx_rate": 1e308}, "fx_rate", "less than 1000000000000000"),
    ({**BUY, "quantity": 0}, "quantity", "greater than 0"),
    ({**BUY, "fees": -1}, "fees", "greater than or equal to 0"),
    ({**DEPOSIT, "date": "0001-01-01"}, "date", "outside 1900-01-01..2199-12-31"),
    ({**DEPOSIT, "date": "1600-01-01"}, "date", "outside 1900-01-01..2199-12-31"),
    ({**DEPOSIT, "date": "2300-01-01"}, "date", "outside 1900-01-01..2199-12-31"),
    ({**DEPOSIT, "account": LONG_ID}, "account", f"at most {MAX_ID} characters"),
    ({**BUY, "company": LONG_ID}, "company", f"at most {MAX_ID} characters"),
    ({**BUY, "lot": "L" * 201}, "lot", f"at most {MAX_LOT} characters"),
    ({**BUY, "quantity": "5"}, "quantity", "valid number"),
    ({**BUY, "date": 20251114}, "date", "YYYY-MM-DD"),
]


@pytest.mark.parametrize(("row", "field", "words"), TX_CASES)
def test_transactions_out_of_range_are_422(
    client: TestClient,
    auth: dict[str, str],
    snapshot: Callable[[], list[str]],
    row: dict[str, Any],
    field: str,
    words: str,
) -> None:
    body = {"transactions": [row]}
    _refused(client, auth, snapshot, "/api/v1/transactions", body, [0, field], words)


MARK_CASES = [
    ({**MARK, "price": 1e308}, "price", "less than 1000000000000000"),
    ({**MARK, "price": float("inf")}, "price", "finite number"),
    ({**MARK, "price": float("nan")}, "price", "finite number"),
    ({**MARK, "date": "1600-01-01"}, "date", "outside 1900-01-01..2199-12-31"),
    ({**MARK, "date": "0001-01-01"}, "date", "outside 1900-01-01..2199-12-31"),
    ({**MARK, "date": "2300-01-01"}, "date", "outside 1900-01-01..2199-12-31"),
    ({**MARK, "company": LONG_ID}, "company", f"at most {MAX_ID} characters"),
]


@pytest.mark.parametrize(("row", "field", "words"), MARK_CASES)
def test_marks_out_of_range_are_422(
    client: TestClient,
    auth: dict[str, str],
    snapshot: Callable[[], list[str]],
    row: dict[str, Any],
    field: str,
    words: str,
) -> None:
    _refused(client, auth, snapshot, "/api/v1/marks", {"marks": [row]}, [0, field], words)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"value": 1e308}, "value", "less than 1000000000000000"),
        ({"date": "1600-01-01"}, "date", "outside 1900-01-01..2199-12-31"),
        ({"due": "2300-01-01"}, "due", "outside 1900-01-01..2199-12-31"),
    ],
)
def test_milestone_updates_out_of_range_are_422(
    client: TestClient,
    auth: dict[str, str],
    snapshot: Callable[[], list[str]],
    change: dict[str, Any],
    field: str,
    words: str,
) -> None:
    body = {"status": "slipped", "evidence": "late", "date": "2026-01-15", **change}
    url = "/api/v1/theses/tesla/milestones/ai5-chip"
    _refused(client, auth, snapshot, url, body, [field], words)


def test_rows_at_the_bounds_are_stored(client: TestClient, auth: dict[str, str]) -> None:
    rows = [
        {**DEPOSIT, "date": "2199-12-31", "quantity": 1e14},
        {**BUY, "date": "2199-12-31", "quantity": 1, "price": 1e14 - 1},
    ]
    r = _post(client, "/api/v1/transactions", {"transactions": rows}, auth)
    assert r.status_code == 201, r.text


def test_the_schema_shows_the_bounds(client: TestClient) -> None:
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    tx = schemas["TransactionIn"]["properties"]
    assert tx["quantity"]["exclusiveMaximum"] == MAX_MAGNITUDE
    assert tx["quantity"]["exclusiveMinimum"] == 0
    assert tx["account"]["maxLength"] == MAX_ID
    assert tx["date"]["x-minimum"] == "1900-01-01"
    assert tx["date"]["x-maximum"] == "2199-12-31"
    assert schemas["MarkIn"]["properties"]["price"]["exclusiveMaximum"] == MAX_MAGNITUDE
