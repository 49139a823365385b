"""Editing the book through the web app: edit and delete transactions and marks by id,
FX rates added, edited and deleted, CSV uploads previewed and applied, the pages.

Every refused request is checked to leave the database exactly as it was (a full SQL
dump before and after); every accepted one shows in ``/api/v1/status`` and is recorded
with its time in ``/api/v1/changes``.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conviction.cli import app as cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
BUY = {
    "date": "2025-11-14",
    "account": "ron",
    "company": "tesla",
    "action": "buy",
    "quantity": 1000,
    "price": 404.35,
}
XAI = {"date": "2025-11-10", "company": "xai", "price": 55.0, "kind": "round", "source": "test"}

Dump = Callable[[], list[str]]


def _status(client: TestClient) -> dict[str, Any]:
    r = client.get("/api/v1/status", headers={"Cache-Control": "no-cache"})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _tesla(client: TestClient) -> float:
    lines = _status(client)["by_company"]
    return float(next(x for x in lines if x["company"] == "tesla")["quantity"])


def _mark_of(client: TestClient, company: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/companies/{company}", headers={"Cache-Control": "no-cache"})
    return r.json()  # type: ignore[no-any-return]


def _add(client: TestClient, auth: dict[str, str], kind: str, rows: list[Any]) -> Any:
    key = {"transactions": "transactions", "marks": "marks", "fx": "rates"}[kind]
    r = client.post(f"/api/v1/{kind}", json={key: rows}, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


def _api_rows(client: TestClient, kind: str, **query: Any) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/book/{kind}", params={"limit": 1000, **query})
    assert r.status_code == 200, r.text
    return [x for x in r.json()["rows"] if x["origin"] == "api"]


def _only_api_row(client: TestClient, kind: str) -> dict[str, Any]:
    rows = _api_rows(client, kind)
    assert len(rows) == 1, rows
    return rows[0]


# --- the stored rows -------------------------------------------------------------------------


def test_rows_are_listed_paged_and_filtered_with_their_origin(client: TestClient) -> None:
    r = client.get("/api/v1/book/transactions", params={"limit": 5})
    body = r.json()
    assert r.status_code == 200
    # the example's file: 116 rows (counted independently from the CSV)
    lines = (EXAMPLE / "transactions.csv").read_text().strip().splitlines()
    assert body["total"] == len(lines) - 1
    assert len(body["rows"]) == 5
    first = body["rows"][0]
    assert first["origin"] == "transactions.csv" and first["editable"] is False
    dates = [x["values"]["date"] for x in body["rows"]]
    assert dates == sorted(dates, reverse=True)
    ron = client.get("/api/v1/book/transactions", params={"account": "ron", "limit": 1000})
    csv_ron = [x for x in lines[1:] if x.split(",")[1] == "ron"]
    assert ron.json()["total"] == len(csv_ron)
    xai = client.get("/api/v1/book/marks", params={"company": "xai", "limit": 1000}).json()
    csv_xai = [x for x in (EXAMPLE / "marks.csv").read_text().splitlines() if ",xai," in x]
    assert xai["total"] == len(csv_xai)
    assert {x["values"]["company"] for x in xai["rows"]} == {"xai"}


# --- transactions ----------------------------------------------------------------------------


def test_a_transaction_is_edited_and_deleted_by_id(
    client: TestClient, auth: dict[str, str]
) -> None:
    before = _tesla(client)
    _add(client, auth, "transactions", [BUY])
    row = _only_api_row(client, "transactions")
    assert row["editable"] and row["values"]["quantity"] == 1000
    assert _tesla(client) == pytest.approx(before + 1000)

    r = client.put(f"/api/v1/transactions/{row['id']}", json={**BUY, "quantity": 250}, headers=auth)
    assert r.status_code == 200, r.text
    edit = r.json()
    assert edit["op"] == "edit" and edit["replaced"] == row["id"] and edit["id"] > row["id"]
    assert _tesla(client) == pytest.approx(before + 250)
    assert _only_api_row(client, "transactions")["id"] == edit["id"]

    r = client.delete(f"/api/v1/transactions/{edit['id']}", headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["op"] == "delete" and r.json()["id"] is None
    assert _tesla(client) == pytest.approx(before)
    assert _api_rows(client, "transactions") == []
    # the old id is gone for good
    again = client.delete(f"/api/v1/transactions/{row['id']}", headers=auth)
    assert again.status_code == 404
    assert f"id {row['id']}" in again.json()["detail"]["message"]


def test_rows_from_the_books_files_are_corrected_in_the_files(
    client: TestClient, auth: dict[str, str], snapshot: Dump
) -> None:
    row = client.get("/api/v1/book/transactions", params={"limit": 1}).json()["rows"][0]
    mark = client.get("/api/v1/book/marks", params={"limit": 1}).json()["rows"][0]
    before = snapshot()
    for url, body in (
        (f"/api/v1/transactions/{row['id']}", {**BUY}),
        (f"/api/v1/marks/{mark['id']}", {**XAI}),
    ):
        for r in (client.put(url, json=body, headers=auth), client.delete(url, headers=auth)):
            assert r.status_code == 409, r.text
            message = r.json()["detail"]["message"]
            assert ".csv line" in message and "conviction load" in message
    assert snapshot() == before


def test_refused_edits_change_nothing(
    client: TestClient, auth: dict[str, str], snapshot: Dump
) -> None:
    big = {**BUY, "quantity": 1e8}  # more than ron holds: the sale needs this buy
    _add(client, auth, "transactions", [big, {**big, "action": "sell", "date": "2025-11-15"}])
    buy, sell = sorted(_api_rows(client, "transactions"), key=lambda x: x["values"]["action"])
    before = snapshot()
    cases = [
        # a sale beyond the position: load's message, the field named
        (
            "put",
            f"/api/v1/transactions/{sell['id']}",
            {**BUY, "action": "sell", "date": "2025-11-15", "quantity": 1e12},
            422,
            "transaction.quantity",
        ),
        # deleting the buy leaves the sale of what it bought: impossible
        ("delete", f"/api/v1/transactions/{buy['id']}", None, 422, "quantity"),
        ("put", f"/api/v1/transactions/{buy['id']}", {**BUY, "account": "nobody"}, 422, "account"),
        ("put", f"/api/v1/transactions/{buy['id']}", {**BUY, "quantity": -5}, 422, "quantity"),
        ("put", f"/api/v1/transactions/{buy['id']}", {**BUY, "quantity": "5"}, 422, "quantity"),
        ("put", "/api/v1/transactions/999999", BUY, 404, None),
        ("delete", "/api/v1/marks/999999", None, 404, None),
        ("put", "/api/v1/transactions/0", BUY, 422, None),
    ]
    for method, url, body, code, field in cases:
        r = client.request(method.upper(), url, json=body, headers=auth)
        assert r.status_code == code, (url, body, r.text)
        if field:
            assert field in r.text, r.text
    no_token = client.delete(f"/api/v1/transactions/{buy['id']}")
    assert no_token.status_code == 401
    assert snapshot() == before


def test_a_sale_beyond_the_position_names_the_same_words_as_load(
    client: TestClient, auth: dict[str, str], tmp_path: Path
) -> None:
    """The whole-book check is load's own: the same message for the same row."""
    _add(client, auth, "transactions", [BUY])
    row = _only_api_row(client, "transactions")
    big = {**BUY, "date": "2026-10-01", "action": "sell", "quantity": 1e12}  # the last day
    r = client.put(f"/api/v1/transactions/{row['id']}", json=big, headers=auth)
    book = tmp_path / "baron"
    shutil.copytree(EXAMPLE, book)
    with (book / "transactions.csv").open("a") as f:
        f.write("2026-10-01,ron,tesla,sell,1000000000000.0,404.35,0.0\n")
    db = tmp_path / "other.db"
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "load", str(book)])
    assert result.exit_code != 0
    detail = r.json()["detail"]
    assert r.status_code == 422 and detail["field"] == "transaction.quantity"
    said = result.output + str(result.exception)
    assert detail["message"] in said and "line" not in detail["message"]


# --- marks -----------------------------------------------------------------------------------


def test_a_mark_is_edited_and_deleted_and_moves_the_value(
    client: TestClient, auth: dict[str, str], snapshot: Dump
) -> None:
    def xai_value() -> float:
        lines = _status(client)["by_company"]
        return float(next(x for x in lines if x["company"] == "xai")["value"])

    before = xai_value()
    _add(client, auth, "marks", [{**XAI}])
    mark = _only_api_row(client, "marks")
    first = xai_value()
    r = client.put(
        f"/api/v1/marks/{mark['id']}",
        json={**XAI, "price": 110.0},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    assert xai_value() == pytest.approx(first * 2)  # the value of xai doubles with its mark
    # a second mark of the same date, company and kind is refused: nothing changes
    _add(client, auth, "marks", [{**XAI, "date": "2020-01-02"}])
    other = next(x for x in _api_rows(client, "marks") if x["values"]["date"] == "2020-01-02")
    dump = snapshot()
    clash = client.put(
        f"/api/v1/marks/{other['id']}",
        json={**XAI},
        headers=auth,
    )
    assert clash.status_code == 422 and "already stored" in clash.text
    assert "mark.date" in clash.text
    assert snapshot() == dump
    assert client.delete(f"/api/v1/marks/{r.json()['id']}", headers=auth).status_code == 200
    assert xai_value() == pytest.approx(before)


# --- FX rates --------------------------------------------------------------------------------


def test_fx_rates_are_added_edited_and_deleted_as_fx_csv_is_checked(
    client: TestClient, auth: dict[str, str], snapshot: Dump
) -> None:
    added = _add(client, auth, "fx", [{"date": "2025-01-02", "pair": "usd/jpy", "rate": 157.2}])
    assert added["added"] == 1 and added["database"]["fx"] == 1
    rate = _only_api_row(client, "fx")
    assert rate["values"]["pair"] == "USDJPY"
    dump = snapshot()
    refused = [
        ({"rates": [{"date": "2025-01-03", "pair": "JPYUSD", "rate": 0.0064}]}, "inverse"),
        ({"rates": [{"date": "2025-01-02", "pair": "USDJPY", "rate": 150.0}]}, "duplicate"),
        ({"rates": [{"date": "2025-01-02", "pair": "USDXXY", "rate": 1.0}]}, "ISO 4217"),
        ({"rates": [{"date": "2025-01-05", "pair": "EURUSD", "rate": 0}]}, "rate"),
        ({"rates": [{"date": "2025-01-05", "pair": "EURUSD"}]}, "rate"),
    ]
    for body, word in refused:
        r = client.post("/api/v1/fx", json=body, headers=auth)
        assert r.status_code == 422, r.text
        assert word in r.text, r.text
    assert snapshot() == dump
    # a deposit in yen needs the rate: deleting it is refused, editing it is not
    yen = {"date": "2025-02-03", "account": "ron", "action": "deposit", "quantity": 1e6}
    _add(client, auth, "transactions", [{**yen, "currency": "JPY"}])
    cash = _status(client)["cash"]
    dump = snapshot()
    r = client.delete(f"/api/v1/fx/{rate['id']}", headers=auth)
    assert r.status_code == 422 and "JPY" in r.text, r.text
    assert snapshot() == dump
    r = client.put(
        f"/api/v1/fx/{rate['id']}",
        json={"date": "2025-01-02", "pair": "USDJPY", "rate": 157.2 * 2},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    assert _status(client)["cash"] == pytest.approx(cash - 1e6 / 157.2 / 2)


# --- the record of changes -------------------------------------------------------------------


def test_every_write_is_recorded_with_its_time_and_the_past_is_rebuilt(
    client: TestClient, auth: dict[str, str]
) -> None:
    _add(client, auth, "transactions", [BUY])
    row = _only_api_row(client, "transactions")
    changes = client.get("/api/v1/changes").json()
    assert changes[0]["op"] == "add" and changes[0]["row_id"] == row["id"]
    at = changes[0]["recorded"]
    edited = client.put(
        f"/api/v1/transactions/{row['id']}", json={**BUY, "quantity": 7}, headers=auth
    ).json()
    client.delete(f"/api/v1/transactions/{edited['id']}", headers=auth)
    log = client.get("/api/v1/changes").json()
    assert [c["op"] for c in log[:3]] == ["delete", "edit", "add"]
    assert log[1]["old"]["quantity"] == 1000 and log[0]["old"]["quantity"] == 7
    assert [c["recorded"] for c in log[:3]] == sorted(c["recorded"] for c in log[:3])[::-1]
    assert edited["recorded"] == log[1]["recorded"]
    # the rows as stored right after the add: the first version of the row, then the second
    then = _api_rows(client, "transactions", recorded_at=at)
    assert [(x["id"], x["values"]["quantity"]) for x in then] == [(row["id"], 1000)]
    mid = _api_rows(client, "transactions", recorded_at=log[1]["recorded"])
    assert [(x["id"], x["values"]["quantity"]) for x in mid] == [(edited["id"], 7)]
    assert _api_rows(client, "transactions", recorded_at=log[0]["recorded"]) == []
    total_then = client.get("/api/v1/book/transactions", params={"recorded_at": at}).json()
    total_now = client.get("/api/v1/book/transactions").json()
    assert total_then["total"] == total_now["total"] + 1


def test_a_load_keeps_the_rows_entered_in_the_browser_and_their_ids(
    client: TestClient, auth: dict[str, str], db_url: str
) -> None:
    _add(client, auth, "marks", [XAI])
    mark = _only_api_row(client, "marks")
    result = CliRunner().invoke(cli, ["--db", db_url, "load", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert _only_api_row(client, "marks")["id"] == mark["id"]
    r = client.put(f"/api/v1/marks/{mark['id']}", json={**XAI, "price": 60.0}, headers=auth)
    assert r.status_code == 200, r.text


def test_ids_are_not_reused_after_the_last_row_is_deleted(
    client: TestClient, auth: dict[str, str], db_path: Path
) -> None:
    _add(client, auth, "marks", [XAI])
    mark = _only_api_row(client, "marks")
    client.delete(f"/api/v1/marks/{mark['id']}", headers=auth)
    _add(client, auth, "marks", [XAI])
    again = _only_api_row(client, "marks")
    assert again["id"] > mark["id"]
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("SELECT count(*) FROM book_change").fetchone()[0] == 3
    finally:
        conn.close()


# --- the pages' forms: load's reader, load's messages ---------------------------------------


def _load_error(tmp_path: Path, file: str, row: str) -> str:
    """What ``conviction load`` says of the example with ``row`` added to ``file``."""
    book = tmp_path / "book"
    shutil.rmtree(book, ignore_errors=True)
    shutil.copytree(EXAMPLE, book)
    with (book / file).open("a") as f:
        f.write(row + "\n")
    db = tmp_path / "load.db"
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "load", str(book)])
    assert result.exit_code != 0
    return result.output + str(result.exception)


@pytest.mark.parametrize(
    ("values", "field", "csv_row"),
    [
        ({"price": "0"}, "price", "2026-10-01,xai,0,round,s,"),
        ({"price": "abc"}, "price", "2026-10-01,xai,abc,round,s,"),
        ({"price": ""}, "price", "2026-10-01,xai,,round,s,"),
        ({"date": "2025-13-01"}, "date", "2025-13-01,xai,55,round,s,"),
        ({"company": "nobody"}, "company", "2026-10-01,nobody,55,round,s,"),
        ({"kind": "guess"}, "kind", "2026-10-01,xai,55,guess,s,"),
        ({"grade": "Z"}, "grade", "2026-10-01,xai,55,round,s,Z"),
    ],
)
def test_a_mark_form_is_refused_with_loads_message_at_its_field(
    client: TestClient,
    auth: dict[str, str],
    snapshot: Dump,
    tmp_path: Path,
    values: dict[str, str],
    field: str,
    csv_row: str,
) -> None:
    form = {"date": "2026-10-01", "company": "xai", "price": "55", "kind": "round", "source": "s"}
    before = snapshot()
    r = client.post("/api/v1/forms/marks", json={"values": {**form, **values}}, headers=auth)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail["field"] == field and detail["file"] is None and detail["line"] is None
    said = _load_error(tmp_path, "marks.csv", csv_row)
    assert f"field '{field}': {detail['message']}" in said, (detail, said)
    assert snapshot() == before


def test_forms_add_and_edit_rows_of_every_kind(
    client: TestClient, auth: dict[str, str], snapshot: Dump
) -> None:
    mark = {"date": "2025-11-10", "company": "xai", "price": "55", "kind": "round", "grade": ""}
    r = client.post("/api/v1/forms/marks", json={"values": mark}, headers=auth)
    assert r.status_code == 201, r.text
    stored = _only_api_row(client, "marks")
    assert stored["values"]["price"] == 55.0 and stored["values"]["grade"] == "A"
    r = client.put(
        f"/api/v1/forms/marks/{stored['id']}",
        json={"values": {**mark, "price": "60", "grade": "B"}},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    assert _only_api_row(client, "marks")["values"] == {
        **stored["values"],
        "price": 60.0,
        "grade": "B",
    }
    tx = {"date": "2025-11-14", "account": "ron", "company": "tesla", "action": "buy"}
    tx |= {"quantity": "10", "price": "404.35", "fees": "", "currency": "", "lot": ""}
    r = client.post("/api/v1/forms/transactions", json={"values": tx}, headers=auth)
    assert r.status_code == 201, r.text
    assert _only_api_row(client, "transactions")["values"]["fees"] == 0.0
    fx = {"date": "2025-01-02", "pair": "usd/jpy", "rate": "157.2", "source": ""}
    assert client.post("/api/v1/forms/fx", json={"values": fx}, headers=auth).status_code == 201
    assert _only_api_row(client, "fx")["values"]["pair"] == "USDJPY"
    dump = snapshot()
    refused = [
        ("transactions", {**tx, "quantity": ""}, "quantity", "a number is required here"),
        ("transactions", {**tx, "action": "sell", "quantity": "1e12"}, "quantity", "larger"),
        ("transactions", {**tx, "account": "nobody"}, "account", "unknown account 'nobody'"),
        ("fx", {**fx, "pair": "USDXXY"}, "pair", "is not two ISO 4217 codes"),
        ("fx", {**fx, "rate": "-1"}, "rate", "rate must be positive, got -1"),
        ("marks", {**mark, "nonsense": "1"}, "nonsense", "unknown field"),
        ("transactions", {**tx, "action": "rename"}, "action", "corporate actions"),
    ]
    for kind, values, field, words in refused:
        r = client.post(f"/api/v1/forms/{kind}", json={"values": values}, headers=auth)
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert detail["field"].endswith(field) and words in detail["message"], detail
    assert client.post("/api/v1/forms/marks", json={"values": mark}).status_code == 401
    assert snapshot() == dump


# --- uploads ---------------------------------------------------------------------------------

MARKS_CSV = (
    "date,company,price,kind,source,grade\n"
    "2025-11-10,xai,55.0,round,Series E (upload),\n"
    "2025-11-11,spacex,400.0,tender,tender (upload),B\n"
)


def _upload(
    client: TestClient, auth: dict[str, str], kind: str, data: bytes, *, apply: bool = False
) -> Any:
    url = f"/api/v1/uploads/{kind}" + ("" if apply else "/preview")
    headers = {**auth, "Content-Type": "text/csv"}
    return client.post(url, params={"name": f"my-{kind}.csv"}, content=data, headers=headers)


def test_an_upload_of_marks_is_previewed_then_applied_whole(
    client: TestClient, auth: dict[str, str], snapshot: Dump
) -> None:
    before = snapshot()
    r = _upload(client, auth, "marks", MARKS_CSV.encode())
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["applied"] is False and preview["rows"] == 2
    assert [x["line"] for x in preview["add"]] == [2, 3]
    assert preview["add"][1]["values"] == {
        "date": "2025-11-11",
        "company": "spacex",
        "price": 400.0,
        "kind": "tender",
        "source": "tender (upload)",
        "grade": "B",
    }
    assert snapshot() == before  # a preview writes nothing
    r = _upload(client, auth, "marks", MARKS_CSV.encode(), apply=True)
    assert r.status_code == 201, r.text
    assert r.json()["applied"] and r.json()["database"]["marks"] == preview_marks(before) + 2
    # the same file again: nothing to add; a changed price replaces the web app's mark
    again = _upload(client, auth, "marks", MARKS_CSV.encode()).json()
    assert again["add"] == [] and again["unchanged"] == [2, 3]
    changed = MARKS_CSV.replace("55.0", "60.0")
    r = _upload(client, auth, "marks", changed.encode(), apply=True)
    assert r.status_code == 201, r.text
    out = r.json()
    assert [x["line"] for x in out["change"]] == [2]
    assert out["change"][0]["replaces"]["values"]["price"] == 55.0
    prices = {x["values"]["price"] for x in _api_rows(client, "marks", company="xai")}
    assert prices == {60.0}
    log = client.get("/api/v1/changes").json()
    assert log[0]["origin"] == "upload my-marks.csv" and log[0]["op"] == "edit"


def preview_marks(dump: list[str]) -> int:
    return sum(1 for line in dump if line.startswith('INSERT INTO "mark"'))


def test_an_upload_of_transactions_is_checked_as_load_checks_the_file(
    client: TestClient, auth: dict[str, str], snapshot: Dump
) -> None:
    header = "date,account,company,action,quantity,price,fees\n"
    good = header + "2025-11-14,ron,tesla,buy,1000,404.35,0\n2025-11-14,ron,,deposit,5,,0\n"
    before_q = _tesla(client)
    r = _upload(client, auth, "transactions", good.encode(), apply=True)
    assert r.status_code == 201, r.text
    assert _tesla(client) == pytest.approx(before_q + 1000)
    again = _upload(client, auth, "transactions", good.encode()).json()
    assert again["add"] == [] and again["unchanged"] == [2, 3]
    dump = snapshot()
    # the whole file refused at its first bad row, line and field named as load names them
    bad = header + "2025-11-15,ron,tesla,buy,10,404.35,0\n\n2025-11-16,ron,tesla,sell,1e12,1,0\n"
    r = _upload(client, auth, "transactions", bad.encode(), apply=True)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail["file"] == "my-transactions.csv" and detail["line"] == 4
    assert detail["field"] == "quantity" and "larger than the position" in detail["message"]
    renamed = (
        "date,account,company,action,quantity,price,fees,into\n"
        "2025-11-15,ron,tesla,buy,1,404.35,0,\n"
        "2025-11-16,,tesla,rename,1,,0,spacex\n"
    )
    r = _upload(client, auth, "transactions", renamed.encode())
    assert r.status_code == 422, r.text
    assert (r.json()["detail"]["line"], r.json()["detail"]["field"]) == (3, "action")
    assert "corporate actions" in r.json()["detail"]["message"]
    unknown = header + "2025-11-15,nobody,tesla,buy,10,404.35,0\n"
    r = _upload(client, auth, "transactions", unknown.encode())
    assert r.status_code == 422
    assert (r.json()["detail"]["line"], r.json()["detail"]["field"]) == (2, "account")
    assert snapshot() == dump


@pytest.mark.parametrize(
    ("kind", "data", "words"),
    [
        ("transactions", MARKS_CSV.encode(), "this is a file of marks"),
        ("marks", b"date,account,company,action,quantity\n", "this is a file of transactions"),
        ("marks", b"date,pair,rate\n2025-01-02,USDJPY,150\n", "FX rates"),
        ("marks", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "not a text file"),
        ("marks", "date,company\n".encode("utf-16"), "not a text file"),
        ("transactions", b"\xff\xfe\xfa garbage", "not a UTF-8 text file"),
        ("marks", b"", "empty file"),
        ("marks", b"date,company,price,kind\n2025-13-01,xai,5,round\n", "date"),
        ("marks", b"date,company,price,kind\n2025-01-01,nobody,5,round\n", "unknown company"),
    ],
)
def test_wrong_uploads_are_refused_clearly_and_change_nothing(
    client: TestClient, auth: dict[str, str], snapshot: Dump, kind: str, data: bytes, words: str
) -> None:
    before = snapshot()
    for apply in (False, True):
        r = _upload(client, auth, kind, data, apply=apply)
        assert r.status_code == 422, r.text
        assert words in r.json()["detail"]["message"], r.text
        assert r.json()["detail"]["file"] == f"my-{kind}.csv"
    assert snapshot() == before


def test_an_upload_over_the_limit_is_refused_before_it_is_read(
    client: TestClient, auth: dict[str, str], snapshot: Dump
) -> None:
    before = snapshot()
    big = MARKS_CSV.encode() + b"2025-11-12,xai,1.0,model,x,\n" * 2_000_000  # about 56 MB
    r = _upload(client, auth, "marks", big, apply=True)
    assert r.status_code == 413
    assert "larger than 2000000 bytes" in r.json()["detail"]["message"]
    assert snapshot() == before
    r = _upload(client, auth, "marks", big)
    assert r.status_code == 413
    no_token = client.post("/api/v1/uploads/marks", content=MARKS_CSV.encode())
    assert no_token.status_code == 401
    assert snapshot() == before


def test_a_file_row_clashing_with_an_upload_names_the_file(
    client: TestClient, auth: dict[str, str], snapshot: Dump
) -> None:
    stored = (EXAMPLE / "marks.csv").read_text().splitlines()
    line = next(i for i, x in enumerate(stored, start=1) if ",xai," in x)
    date, company, _, kind = stored[line - 1].split(",")[:4]
    before = snapshot()
    data = f"date,company,price,kind\n{date},{company},1.0,{kind}\n".encode()
    r = _upload(client, auth, "marks", data, apply=True)
    assert r.status_code == 422
    message = r.json()["detail"]["message"]
    assert f"marks.csv line {line}" in message and "conviction load" in message
    assert snapshot() == before


# --- pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["transactions", "marks", "fx"])
def test_the_pages_list_rows_with_their_forms(
    client: TestClient, auth: dict[str, str], kind: str
) -> None:
    r = client.get(f"/book/{kind}")
    assert r.status_code == 200, r.text
    page = r.text
    assert 'id="row-form"' in page and "/static/edit.js" in page
    assert ('id="upload-form"' in page) == (kind != "fx")
    assert 'href="/book/marks"' in page


def test_the_marks_page_is_filtered_and_prefilled_for_a_company(client: TestClient) -> None:
    page = client.get("/book/marks", params={"company": "xai"}).text
    form = page.split('id="row-form"')[1].split("</form>")[0]
    assert "<option selected>xai</option>" in form  # the company chosen
    assert "<option selected>round</option>" in form  # a private company: a round
    assert "tesla" not in page.split("<tbody>")[1].split("</tbody>")[0]
    assert client.get("/book/marks", params={"company": "nobody"}).status_code == 404


def test_the_dashboard_links_a_stale_mark_to_the_mark_form(client: TestClient) -> None:
    reviews = client.get("/api/v1/reviews").json()
    stale = [r["subject"] for r in reviews if r["trigger"] == "stale_private_mark"]
    assert stale, reviews  # the example's xai mark is months old
    page = client.get("/").text
    for company in stale:
        assert f'href="/book/marks?company={company}#row-form"' in page
