"""Writes through the API: token, validation like ``conviction load``, atomicity.

Every refused request is checked to leave the database exactly as it was (a full SQL
dump before and after), and rows the CSV readers refuse are refused here with the same
field named.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conviction.cli import app as cli
from conviction.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
BUY = {
    "date": "2025-11-14",
    "account": "ron",
    "company": "tesla",
    "action": "buy",
    "quantity": 1000,
    "price": 404.35,
}
MARK = {
    "date": "2025-11-13",
    "company": "tesla",
    "price": 401.99,
    "kind": "close",
    "source": "test",
}
UPDATE = {
    "status": "slipped",
    "evidence": "AI5 samples late",
    "date": "2026-01-15",
    "due": "2028-06-30",
}


def _tesla_quantity(client: TestClient) -> float:
    lines = client.get("/api/v1/status").json()["by_company"]
    return float(next(x for x in lines if x["company"] == "tesla")["quantity"])


# --- the token ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/transactions", {"transactions": [BUY]}),
        ("/api/v1/marks", {"marks": [MARK]}),
        ("/api/v1/theses/tesla/milestones/ai5-chip", UPDATE),
        ("/api/v1/projections", {"spec": "examples/baron/projection.toml", "paths": 100}),
    ],
)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
    ],
)
def test_writes_without_the_token_are_401_and_change_nothing(
    client: TestClient,
    snapshot: Callable[[], list[str]],
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
) -> None:
    before = snapshot()
    r = client.post(url, json=body, headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert snapshot() == before
    assert client.get("/api/v1/projections").json() == []  # no job started either


def test_401_comes_before_the_body_is_read(client: TestClient) -> None:
    # A malformed body without a token is refused for the token, not parsed.
    r = client.post(
        "/api/v1/transactions", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 401


# --- transactions -------------------------------------------------------------------------------


def test_a_buy_is_stored_and_changes_the_position(
    client: TestClient, auth: dict[str, str], db_url: str
) -> None:
    before = _tesla_quantity(client)
    r = client.post("/api/v1/transactions", json={"transactions": [BUY]}, headers=auth)
    assert r.status_code == 201, r.text
    assert r.json()["added"] == 1
    assert _tesla_quantity(client) == pytest.approx(before + 1000)
    # The CLI on the same database sees it too, and the row says where it came from.
    out = CliRunner().invoke(cli, ["--db", db_url, "status", "--json"])
    status = json.loads(out.stdout)
    assert next(x for x in status["by_company"] if x["company"] == "tesla")["quantity"] == (
        pytest.approx(before + 1000)
    )
    ron = client.get("/api/v1/accounts/ron").json()
    assert ron["transactions"][-1]["file"] == "api"


def test_a_sale_larger_than_the_position_is_refused_whole(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], list[str]]
) -> None:
    held = _tesla_quantity(client)
    before = snapshot()
    rows = [
        BUY,  # fine on its own: refused with the batch
        {**BUY, "action": "sell", "account": "partners", "quantity": held * 10},
    ]
    r = client.post("/api/v1/transactions", json={"transactions": rows}, headers=auth)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail["field"] == "transactions[1].quantity"
    assert "larger than the position" in detail["message"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ({**BUY, "quantity": "5"}, "quantity"),  # text, not a number
        ({**BUY, "quantity": True}, "quantity"),
        ({**BUY, "quantity": -5}, "quantity"),
        ({**BUY, "quantity": 0}, "quantity"),
        ({**BUY, "price": None}, "price"),
        ({**BUY, "price": -1}, "price"),
        ({**BUY, "fees": -1}, "fees"),
        ({**BUY, "date": 20251114}, "date"),
        ({**BUY, "date": "2025-02-30"}, "date"),
        ({**BUY, "date": "14/11/2025"}, "date"),
        ({**BUY, "action": "steal"}, "action"),
        ({**BUY, "currency": "XXY"}, "currency"),
        ({**BUY, "fx_rate": 0}, "fx_rate"),
        ({**BUY, "colour": "red"}, "colour"),
        ({k: v for k, v in BUY.items() if k != "date"}, "date"),
        (
            {
                "date": "2025-11-14",
                "account": "ron",
                "action": "deposit",
                "quantity": 5,
                "company": "tesla",
            },
            "company",
        ),
        (
            {
                "date": "2025-11-14",
                "action": "buy",
                "company": "tesla",
                "quantity": 5,
                "price": 1.0,
            },
            "account",
        ),
    ],
)
def test_malformed_rows_are_422_naming_the_field(
    client: TestClient,
    auth: dict[str, str],
    snapshot: Callable[[], list[str]],
    row: dict[str, Any],
    where: str,
) -> None:
    before = snapshot()
    r = client.post("/api/v1/transactions", json={"transactions": [row]}, headers=auth)
    assert r.status_code == 422, r.text
    assert where in json.dumps(r.json()["detail"])
    assert snapshot() == before


@pytest.mark.parametrize(("field", "value"), [("account", "nobody"), ("company", "acme")])
def test_unknown_ids_in_rows_are_422(
    client: TestClient,
    auth: dict[str, str],
    snapshot: Callable[[], list[str]],
    field: str,
    value: str,
) -> None:
    before = snapshot()
    r = client.post(
        "/api/v1/transactions", json={"transactions": [{**BUY, field: value}]}, headers=auth
    )
    assert r.status_code == 422
    assert r.json()["detail"]["field"] == f"transactions[0].{field}"
    assert f"unknown {field} {value!r}" in r.json()["detail"]["message"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"transactions": []},
        {"transactions": "buy"},
        {"rows": [BUY]},
        [BUY],
        {"transactions": [BUY, BUY]},  # the same row twice (as a CSV file may not hold it)
    ],
)
def test_bad_bodies_are_4xx(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], list[str]], body: Any
) -> None:
    before = snapshot()
    r = client.post("/api/v1/transactions", json=body, headers=auth)
    assert r.status_code == 422
    assert snapshot() == before


def test_malformed_json_is_400(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], list[str]]
) -> None:
    before = snapshot()
    for raw in (b"{", b'{"transactions": [}', b"\xff\xfe", b""):
        r = client.post(
            "/api/v1/transactions",
            content=raw,
            headers={**auth, "Content-Type": "application/json"},
        )
        assert r.status_code in (400, 422), raw
        assert r.status_code == 400 or raw == b""
    assert snapshot() == before


@pytest.mark.parametrize(
    ("csv_row", "api_row", "field"),
    [
        ("2026-09-30,ron,tesla,buy,-5,400,0", {**BUY, "quantity": -5}, "quantity"),
        ("2026-09-30,ron,tesla,buy,5,,0", {**BUY, "price": None}, "price"),
        ("2026-09-30,ron,acme,buy,5,400,0", {**BUY, "company": "acme"}, "company"),
        ("2026-09-30,nobody,tesla,buy,5,400,0", {**BUY, "account": "nobody"}, "account"),
        (
            "2026-09-30,ron,tesla,sell,1e12,400,0",
            {**BUY, "action": "sell", "quantity": 1e12},
            "quantity",
        ),
    ],
)
def test_the_api_refuses_what_a_load_refuses(
    client: TestClient,
    auth: dict[str, str],
    db_url: str,
    tmp_path: Path,
    csv_row: str,
    api_row: dict[str, Any],
    field: str,
) -> None:
    """The same row in a file given to ``conviction load`` fails on the same field."""
    import shutil

    book = tmp_path / "book"
    shutil.copytree(ROOT / "examples" / "baron", book)
    with (book / "transactions.csv").open("a", encoding="utf-8") as f:
        f.write(csv_row + ",\n")  # after the example's last row; 'into' empty
    loaded = CliRunner().invoke(cli, ["--db", db_url, "load", str(book)])
    assert isinstance(loaded.exception, InputError)  # `conviction load` exits 2 on it
    assert loaded.exception.field == field
    r = client.post("/api/v1/transactions", json={"transactions": [api_row]}, headers=auth)
    assert r.status_code == 422
    assert field in json.dumps(r.json()["detail"])


# --- marks --------------------------------------------------------------------------------------


def test_marks_are_added_once(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], list[str]]
) -> None:
    r = client.post("/api/v1/marks", json={"marks": [MARK]}, headers=auth)
    assert r.status_code == 201, r.text
    marks = client.get("/api/v1/companies/tesla").json()["marks"]
    added = [m for m in marks if m["date"] == "2025-11-13"]
    assert added == [
        {"date": "2025-11-13", "price": 401.99, "kind": "close", "grade": "A", "source": "test"}
    ]
    before = snapshot()
    again = client.post("/api/v1/marks", json={"marks": [MARK]}, headers=auth)
    assert again.status_code == 422
    assert "already stored" in again.json()["detail"]["message"]
    twice = client.post(
        "/api/v1/marks", json={"marks": [{**MARK, "date": "2025-11-12"}] * 2}, headers=auth
    )
    assert twice.status_code == 422 and twice.json()["detail"]["field"] == "marks[1].date"
    bad = client.post("/api/v1/marks", json={"marks": [{**MARK, "kind": "rumour"}]}, headers=auth)
    assert bad.status_code == 422
    unknown = client.post(
        "/api/v1/marks", json={"marks": [{**MARK, "company": "acme"}]}, headers=auth
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"]["field"] == "marks[0].company"
    assert snapshot() == before


def test_a_new_mark_moves_the_value(client: TestClient, auth: dict[str, str]) -> None:
    before = client.get("/api/v1/status", params={"as_of": "2025-11-17"}).json()
    mark = {"date": "2025-11-17", "company": "tesla", "price": 808.70, "kind": "close"}
    assert client.post("/api/v1/marks", json={"marks": [mark]}, headers=auth).status_code == 201
    after = client.get("/api/v1/status", params={"as_of": "2025-11-17"}).json()
    tesla = next(x for x in after["by_company"] if x["company"] == "tesla")
    assert tesla["price"] == pytest.approx(808.70)
    old = next(x for x in before["by_company"] if x["company"] == "tesla")
    assert tesla["value"] == pytest.approx(old["quantity"] * 808.70)


# --- milestones ---------------------------------------------------------------------------------


def test_a_milestone_update_adds_history(
    client: TestClient, auth: dict[str, str], cli_json: Callable[..., Any]
) -> None:
    url = "/api/v1/theses/tesla/milestones/ai5-chip"
    r = client.post(url, json=UPDATE, headers=auth)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "slipped" and r.json()["due"] == "2028-06-30"
    shown = cli_json("thesis", "show", "tesla", "--as-of", "2026-02-01")
    chip = next(m for m in shown["milestones"] if m["id"] == "ai5-chip")
    assert chip["status"] == "slipped" and chip["due"] == "2028-06-30"
    assert [e["origin"] for e in chip["history"]][-1] == "update"
    assert len(chip["history"]) == 2  # the file's entry is kept


def test_the_dashboard_shows_a_missed_milestone_at_once(
    client: TestClient, auth: dict[str, str]
) -> None:
    assert "milestone_overdue" not in client.get("/").text  # and the page is now cached
    missed = {"status": "missed", "evidence": "Grok 5 cancelled", "date": "2025-11-14"}
    r = client.post("/api/v1/theses/xai/milestones/grok-5", json=missed, headers=auth)
    assert r.status_code == 201
    reviews = client.get("/api/v1/reviews").json()
    assert {"trigger": "milestone_overdue", "subject": "xai/grok-5"} in [
        {k: x[k] for k in ("trigger", "subject")} for x in reviews
    ]
    assert "milestone_overdue" in client.get("/").text


@pytest.mark.parametrize(
    ("url", "body", "code", "field"),
    [
        ("/api/v1/theses/nope/milestones/ai5-chip", UPDATE, 404, None),
        ("/api/v1/theses/tesla/milestones/nope", UPDATE, 404, None),
        ("/api/v1/theses/tesla/milestones/ai5-chip", {**UPDATE, "status": "done"}, 422, None),
        ("/api/v1/theses/tesla/milestones/ai5-chip", {**UPDATE, "evidence": ""}, 422, None),
        (
            "/api/v1/theses/tesla/milestones/ai5-chip",
            {**UPDATE, "evidence": "   "},
            422,
            "evidence",
        ),
        ("/api/v1/theses/tesla/milestones/ai5-chip", {**UPDATE, "date": "2020-01-01"}, 422, "date"),
        ("/api/v1/theses/tesla/milestones/ai5-chip", {**UPDATE, "due": "2020-01-01"}, 422, "due"),
        ("/api/v1/theses/tesla/milestones/ai5-chip", {**UPDATE, "value": "high"}, 422, None),
    ],
)
def test_bad_milestone_updates_change_nothing(
    client: TestClient,
    auth: dict[str, str],
    snapshot: Callable[[], list[str]],
    url: str,
    body: dict[str, Any],
    code: int,
    field: str | None,
) -> None:
    before = snapshot()
    r = client.post(url, json=body, headers=auth)
    assert r.status_code == code, r.text
    if field is not None:
        assert r.json()["detail"]["field"] == field
    assert snapshot() == before


# --- body size ----------------------------------------------------------------------------------


def test_oversize_bodies_are_413(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], list[str]]
) -> None:
    from conviction.web import DEFAULT_MAX_BODY

    before = snapshot()
    big = {"transactions": [BUY], "pad": "x" * (DEFAULT_MAX_BODY + 1)}
    r = client.post("/api/v1/transactions", json=big, headers=auth)
    assert r.status_code == 413

    def stream() -> Any:  # no Content-Length: counted as it arrives
        yield b'{"transactions": ['
        for _ in range(DEFAULT_MAX_BODY // 50):
            yield json.dumps(BUY).encode() + b","
        yield b"]}"

    r = client.post(
        "/api/v1/transactions",
        content=stream(),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert snapshot() == before


def test_too_many_rows_are_refused(client: TestClient, auth: dict[str, str]) -> None:
    from conviction.web.schemas import MAX_ROWS

    rows = [{**BUY, "quantity": i + 1} for i in range(MAX_ROWS + 1)]
    r = client.post("/api/v1/transactions", json={"transactions": rows}, headers=auth)
    assert r.status_code in (413, 422)


def test_the_book_kept_after_a_write_is_the_one_stored(
    client: TestClient, auth: dict[str, str], db_url: str
) -> None:
    """A write hands the app the book as stored after it (no re-read): it must be exactly
    what reading the database gives, rows, order, files and lines included."""
    import pandas as pd

    from conviction.store import connect, read_book

    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    client.get("/api/v1/status")  # the book is cached
    deposit = {"date": "2025-11-14", "account": "ron", "action": "deposit", "quantity": 10.0}
    buy = {"date": "2021-06-01", "account": "ron", "company": "tesla", "action": "buy",
           "quantity": 1.0, "price": 600.0}  # fmt: skip
    r = client.post("/api/v1/transactions", json={"transactions": [deposit, buy]}, headers=auth)
    assert r.status_code == 201, r.text
    mark = {"date": "2025-11-13", "company": "xai", "price": 100.0, "kind": "round"}
    r = client.post("/api/v1/marks", json={"marks": [mark]}, headers=auth)
    assert r.status_code == 201, r.text
    kept = ctx.book()
    stored = read_book(connect(db_url))
    for name in ("transactions", "marks", "fx"):
        pd.testing.assert_frame_equal(
            getattr(kept, name).astype(object),
            getattr(stored, name).astype(object),
            check_dtype=False,
        )
    api = stored.transactions[stored.transactions["file"] == "api"]
    assert api["line"].tolist() == [2, 1]  # sorted by date: the buy (line 2) first


def test_cash_rows_joined_when_read_are_the_rows_stored(
    client: TestClient, auth: dict[str, str], db_url: str
) -> None:
    """Deposits and withdrawals are joined to the book's frame when it is next read, all
    the writes since at once (``web.writes.Appended``): the book joined must be exactly
    what reading the database gives, whatever came between (a buy, which is checked
    against the whole book, joins what was waiting first)."""
    import pandas as pd

    from conviction.store import connect, read_book
    from conviction.web.writes import Appended

    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    before = client.get("/api/v1/status").json()["cash"]

    def cash(day: str, action: str, quantity: float) -> dict[str, Any]:
        return {"date": day, "account": "ron", "action": action, "quantity": quantity}

    buy = {"date": "2024-03-01", "account": "ron", "company": "tesla", "action": "buy",
           "quantity": 2.0, "price": 190.0}  # fmt: skip
    requests = [
        [cash("2025-11-14", "deposit", 10.0), cash("2025-11-14", "withdraw", 3.0)],
        [cash("2019-01-02", "deposit", 7.5)],  # before most rows: joined in date order
        [buy],
        [cash("2026-01-05", "deposit", 1.25)],
        [cash("2025-11-14", "deposit", 2.0), cash("2020-02-03", "deposit", 4.0)],
    ]
    for rows in requests:
        r = client.post("/api/v1/transactions", json={"transactions": rows}, headers=auth)
        assert r.status_code == 201, r.text
    waiting = ctx._cache[("book", ctx.fingerprint(theses=False))]
    assert isinstance(waiting, Appended) and len(waiting.requests) == 2  # since the buy
    checks = ctx.book_for_checks()
    assert checks is waiting.book  # ids and settings, without joining
    kept = ctx.book()
    stored = read_book(connect(db_url))
    pd.testing.assert_frame_equal(
        kept.transactions.astype(object), stored.transactions.astype(object), check_dtype=False
    )
    api = stored.transactions[stored.transactions["file"] == "api"]
    assert sorted(api["line"].tolist()) == [1, 1, 1, 1, 1, 2, 2]
    # on the book's date (2025-11-14): every row but the deposit of 2026, the buy's 380 out
    after = client.get("/api/v1/status").json()["cash"]
    assert after == pytest.approx(before + 10 - 3 + 7.5 + 2 + 4 - 380, abs=1e-6)


def test_writes_nobody_reads_are_joined_now_and_then(
    client: TestClient, auth: dict[str, str], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``MAX_WAITING`` requests the waiting rows are joined at a write, so a stream of
    writes that nobody reads keeps no ever longer list; the book stays the one stored."""
    import pandas as pd

    from conviction.store import connect, read_book
    from conviction.web import writes

    monkeypatch.setattr(writes, "MAX_WAITING", 2)
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    client.get("/api/v1/status")
    for i in range(5):
        row = {"date": "2025-11-14", "account": "ron", "action": "deposit", "quantity": 1.0 + i}
        r = client.post("/api/v1/transactions", json={"transactions": [row]}, headers=auth)
        assert r.status_code == 201, r.text
        waiting = ctx._cache[("book", ctx.fingerprint(theses=False))]
        assert isinstance(waiting, writes.Appended) and len(waiting.requests) <= 2
    assert len(waiting.requests) == 1  # waiting 1, 2, joined at the 3rd: 1, 2, joined: 1
    stored = read_book(connect(db_url))
    pd.testing.assert_frame_equal(
        ctx.book().transactions.astype(object),
        stored.transactions.astype(object),
        check_dtype=False,
    )


def test_a_fee_not_given_is_stored_empty_and_exported_empty(
    client: TestClient, auth: dict[str, str], db_url: str, tmp_path: Path
) -> None:
    """As a load stores an empty cell: a row posted without a fee is stored with none
    (NULL), counts as no fee, and an export writes the cell empty; a fee given is kept."""
    import csv
    import sqlite3

    deposit = {"date": "2025-11-14", "account": "ron", "action": "deposit", "quantity": 12.5}
    buy = {**BUY, "quantity": 3, "fees": 1.5}
    r = client.post("/api/v1/transactions", json={"transactions": [deposit, buy]}, headers=auth)
    assert r.status_code == 201, r.text
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        fees = conn.execute(
            "SELECT action, fees FROM transactions WHERE source = 'api' ORDER BY id"
        ).fetchall()
    assert fees == [("deposit", None), ("buy", "1.5")]
    out = tmp_path / "export"
    result = CliRunner().invoke(
        cli, ["--db", db_url, "export", "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with (out / "transactions.csv").open(encoding="utf-8") as f:
        rows = [
            row
            for row in csv.DictReader(f)
            if (row["date"], row["account"], row["quantity"])
            in (("2025-11-14", "ron", "12.5"), ("2025-11-14", "ron", "3"))
        ]
    assert [(row["action"], row["fees"]) for row in rows] == [("deposit", ""), ("buy", "1.5")]


def test_a_milestone_update_leaves_the_book_answers_cached(
    client: TestClient, auth: dict[str, str]
) -> None:
    """Writes invalidate only what they change: a milestone's new state changes the theses,
    not the book, so the status and history answers stay as computed."""
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    first = client.get("/api/v1/status").content
    client.get("/api/v1/history")
    book_state = ctx.fingerprint(theses=False)
    kept = {k for k in ctx._cache if k[0].startswith("json:")}
    assert len(kept) == 2
    update = {"status": "slipped", "evidence": "delayed", "date": "2025-11-14", "due": "2028-06-30"}
    r = client.post("/api/v1/theses/tesla/milestones/ai5-chip", json=update, headers=auth)
    assert r.status_code == 201, r.text
    assert ctx.fingerprint(theses=False) == book_state
    assert kept <= set(ctx._cache)  # the same cached answers, not recomputed
    assert client.get("/api/v1/status").content == first


def test_a_deposit_or_withdrawal_skips_only_checks_it_cannot_fail(
    client: TestClient, auth: dict[str, str], snapshot: Callable[[], list[str]]
) -> None:
    """Cash in the book's currency takes the short path (no whole-book check); cash in
    another currency still needs a rate on its date and is refused without one."""
    cash = client.get("/api/v1/status").json()["cash"]
    rows = [
        {"date": "2025-11-14", "account": "ron", "action": "deposit", "quantity": 250.0},
        {"date": "2025-11-14", "account": "ron", "action": "withdraw", "quantity": 50.0},
    ]
    r = client.post("/api/v1/transactions", json={"transactions": rows}, headers=auth)
    assert r.status_code == 201, r.text
    assert client.get("/api/v1/status").json()["cash"] == pytest.approx(cash + 200.0, abs=1e-6)
    before = snapshot()
    yen = {"date": "2025-11-14", "account": "ron", "action": "deposit", "quantity": 1e6,
           "currency": "JPY"}  # fmt: skip
    r = client.post("/api/v1/transactions", json={"transactions": [yen]}, headers=auth)
    assert r.status_code == 422, r.text
    assert "JPY" in json.dumps(r.json()["detail"])
    assert snapshot() == before


def test_answers_and_writes_name_the_state_they_are_of(
    client: TestClient, auth: dict[str, str]
) -> None:
    first = client.get("/api/v1/status")
    again = client.get("/api/v1/history")
    assert first.headers["x-book-state"] == again.headers["x-book-state"]
    deposit = {"date": "2025-11-14", "account": "ron", "action": "deposit", "quantity": 1.0}
    r = client.post("/api/v1/transactions", json={"transactions": [deposit]}, headers=auth)
    assert r.status_code == 201, r.text
    tag = r.json()["book_state"]
    assert tag != first.headers["x-book-state"]
    after = client.get("/api/v1/status")  # nobody else computing: the current state
    assert after.headers["x-book-state"] == tag
    assert after.json()["cash"] == pytest.approx(first.json()["cash"] + 1.0, abs=1e-6)


def test_a_read_does_not_wait_for_another_requests_recomputation(
    client: TestClient, auth: dict[str, str]
) -> None:
    """While one request recomputes an answer for a new state, another gets the answer of
    the state before at once, tagged with that state; with ``Cache-Control: no-cache`` it
    waits for the current one."""
    import threading

    import conviction.web.api as api

    old = client.get("/api/v1/status")
    deposit = {"date": "2025-11-14", "account": "ron", "action": "deposit", "quantity": 7.0}
    r = client.post("/api/v1/transactions", json={"transactions": [deposit]}, headers=auth)
    assert r.status_code == 201, r.text
    entered, release = threading.Event(), threading.Event()
    real = api.book_status

    def slow(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(30)
        return real(*args, **kwargs)

    api.book_status = slow  # type: ignore[assignment]  # a recomputation held open
    try:
        got: list[Any] = []
        computing = threading.Thread(target=lambda: got.append(client.get("/api/v1/status")))
        computing.start()
        assert entered.wait(30)
        meanwhile = client.get("/api/v1/status")
        assert meanwhile.status_code == 200
        assert meanwhile.headers["x-book-state"] == old.headers["x-book-state"]
        assert meanwhile.json()["cash"] == old.json()["cash"]
        current: list[Any] = []
        waiting = threading.Thread(
            target=lambda: current.append(
                client.get("/api/v1/status", headers={"Cache-Control": "no-cache"})
            )
        )
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # it waits for the recomputation
        release.set()
        computing.join(30)
        waiting.join(30)
    finally:
        release.set()
        api.book_status = real  # type: ignore[assignment]
    for answer in (got[0], current[0]):
        assert answer.headers["x-book-state"] == r.json()["book_state"]
        assert answer.json()["cash"] == pytest.approx(old.json()["cash"] + 7.0, abs=1e-6)


def test_writes_at_once_are_stored_together_and_a_refused_one_alone_goes(
    client: TestClient, auth: dict[str, str], db_path: Path
) -> None:
    """Writes that arrive together are committed together (one transaction, a savepoint
    each): the refused one takes only its own rows back."""
    import sqlite3
    from concurrent.futures import ThreadPoolExecutor

    def post(i: int) -> Any:
        if i == 5:  # a sale far beyond the position: refused
            row = {**BUY, "action": "sell", "quantity": 1e12}
        else:
            row = {"date": "2025-11-14", "account": "ron", "action": "deposit",
                   "quantity": 100.0 + i}  # fmt: skip
        return client.post("/api/v1/transactions", json={"transactions": [row]}, headers=auth)

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(post, range(10)))
    assert [a.status_code for a in answers] == [201] * 5 + [422] + [201] * 4
    assert "larger than the position" in answers[5].text
    with sqlite3.connect(db_path) as conn:
        stored = sorted(float(q) for (q,) in conn.execute(  # exact decimals: text
            "SELECT quantity FROM transactions WHERE source = 'api'"))  # fmt: skip
    assert stored == [100.0 + i for i in range(10) if i != 5]
    last = client.get("/api/v1/status", headers={"Cache-Control": "no-cache"})
    assert last.headers["x-book-state"] in {a.json()["book_state"] for a in answers if a.is_success}
