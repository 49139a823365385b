"""Rows from the book's files edited and deleted through the web app: the change is
written into the file (that line only, every other byte kept), then the book loaded as
``conviction load`` loads it, so that the database equals a fresh load of the edited
folder. A refused edit leaves the file's bytes and the whole database (an SQL dump) as
they were; a file changed on disk since the load is never written over."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_browser import browser  # noqa: F401  (fixture)

from conviction.errors import FormatError
from conviction.io.book_reader import find_book_toml, read_book
from conviction.io.file_edits import record_span, removed, replaced
from conviction.store import connect_for_writing
from conviction.store.loading import load_book
from conviction.web import create_app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HOSTS = ("testserver", "127.0.0.1")
FX = "date,pair,rate,source\r\n2025-01-02,USDJPY,157.2,test\r\n2025-01-03,USDJPY,157.9,test\r\n"
#: The example's tables the tests compare (every column but the id).
_TABLES = {
    "transaction": "date, account_id, company_id, action, quantity, price, fees, currency, "
    "fx_rate, lot, into_id, source, line",
    "mark": "date, company_id, price, kind, source, grade, origin, line",
    "fx": "date, pair, rate, source, origin, line",
}


@dataclass
class Served:
    client: TestClient
    folder: Path
    db: Path
    template: Path
    app: Any

    def dump(self) -> list[str]:
        conn = sqlite3.connect(self.db)
        try:
            return list(conn.iterdump())
        finally:
            conn.close()

    def file(self, name: str = "transactions.csv") -> bytes:
        return (self.folder / name).read_bytes()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, baron_template: Path) -> tuple[Path, Path]:
    """The example copied into one folder and loaded once (the rows' origins name this
    folder: each test puts the example's files back in it and copies the database)."""
    base = tmp_path_factory.mktemp("file-rows")
    folder = base / "baron"
    shutil.copytree(EXAMPLE, folder)
    # and an fx.csv written as Windows' Notepad writes it: a BOM, CRLF line endings
    (folder / "fx.csv").write_bytes(FX.encode("utf-8-sig"))
    toml = (folder / "book.toml").read_text()
    (folder / "book.toml").write_text(
        toml.replace('marks = "marks.csv"\n', 'marks = "marks.csv"\nfx = "fx.csv"\n', 1)
    )
    shutil.copytree(folder, base / "pristine")
    # the web tests' database (the example loaded from the repository, migrated once a
    # session), then this folder loaded into it: its rows replace the example's
    shutil.copy(baron_template, base / "template.db")
    _load_here(folder, base / "template.db")
    return folder, base / "template.db"


@pytest.fixture
def served(loaded: tuple[Path, Path], tmp_path: Path) -> Iterator[Served]:
    folder, template = loaded
    os.chmod(folder, 0o755)
    for name in ("transactions.csv", "marks.csv", "fx.csv", "book.toml"):
        os.chmod(folder / name, 0o644)
        shutil.copyfile(folder.parent / "pristine" / name, folder / name)
    db = tmp_path / "baron.db"
    shutil.copy(template, db)
    engine = connect_for_writing(f"sqlite:///{db}")
    app = create_app(engine, TOKEN, folder.parent, allowed_hosts=HOSTS, edit_files=True)
    with TestClient(app) as client:
        yield Served(client, folder, db, template, app)
    engine.dispose()
    os.chmod(folder, 0o755)


def _rows(db: Path, what: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        table = {"transaction": "transactions", "mark": "mark", "fx": "fx_rate"}[what]
        return sorted(conn.execute(f"SELECT {_TABLES[what]} FROM {table}").fetchall(), key=repr)
    finally:
        conn.close()


def _load_here(folder: Path, db: Path) -> None:
    """``conviction load``'s own code, in this process (a new database would cost its
    migrations: the tests load into copies of one)."""
    engine = connect_for_writing(f"sqlite:///{db}")
    try:
        load_book(engine, find_book_toml(folder), read_book(folder))
    finally:
        engine.dispose()
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _as_a_fresh_load(s: Served, tmp_path: Path, template: Path) -> None:
    """The database holds what a load of the edited folder holds, into the database as
    it was before the edit."""
    fresh = tmp_path / "fresh.db"
    shutil.copy(template, fresh)
    _load_here(s.folder, fresh)
    for what in _TABLES:
        assert _rows(s.db, what) == _rows(fresh, what), what


def _file_rows(s: Served, kind: str, **query: Any) -> list[dict[str, Any]]:
    r = s.client.get(f"/api/v1/book/{kind}", params={"limit": 1000, **query})
    assert r.status_code == 200, r.text
    return [x for x in r.json()["rows"] if x["origin"] != "api"]


def _row_at(s: Served, kind: str, line: int) -> dict[str, Any]:
    return next(x for x in _file_rows(s, kind) if x["line"] == line)


def _tesla(s: Served, account: str) -> float:
    r = s.client.get(
        "/api/v1/status", params={"account": account}, headers={"Cache-Control": "no-cache"}
    )
    assert r.status_code == 200, r.text
    return float(next(x for x in r.json()["by_company"] if x["company"] == "tesla")["quantity"])


def _body(row: dict[str, Any], **change: Any) -> dict[str, Any]:
    values = {k: v for k, v in row["values"].items() if k not in ("into", "ref")}
    return {k: v for k, v in {**values, **change}.items() if v not in (None, "")}


def _text(row: dict[str, Any]) -> dict[str, str]:
    """A row's values as a page's form sends them: text."""
    keep = {k: v for k, v in row["values"].items() if k not in ("into", "ref")}
    return {k: ("" if v is None else str(v)) for k, v in keep.items()}


# --- the text, every other byte kept -------------------------------------------------------------


def test_one_row_is_replaced_or_removed_and_nothing_else() -> None:
    text = (
        '\ufeffdate,a,b\r\n2020-01-01,"x, y", 3\r\n\r\n2020-01-02,"two\nlines",4\r\n2020-01-03,z,5'
    )
    assert replaced(text, 2, {"b": "7"}) == text.replace(" 3\r\n", "7\r\n")
    assert replaced(text.replace(" 3", "3.0"), 2, {"b": "7"}) == text.replace(" 3", "7.0")
    assert replaced(text, 4, {"a": "q"}) == text.replace('"two\nlines"', "q")
    # a field that needs quotes gets them; the last line keeps having no newline
    assert replaced(text, 6, {"a": 'say "hi", ok'}).endswith('2020-01-03,"say ""hi"", ok",5')
    assert removed(text, 4) == text.replace('2020-01-02,"two\nlines",4\r\n', "")
    assert removed(text, 6) == text.removesuffix("2020-01-03,z,5")
    with pytest.raises(LookupError):
        record_span(text, 3)  # the blank line: no row starts there
    with pytest.raises(FormatError) as info:
        replaced(text, 2, {"lot": "L1"})
    assert info.value.field == "lot" and "no column 'lot'" in info.value.message


# --- accepted -----------------------------------------------------------------------------------


def test_a_transaction_is_corrected_in_its_file(served: Served, tmp_path: Path) -> None:
    s = served
    before_file = s.file()
    lines = before_file.decode().splitlines(keepends=True)
    # line 5 of the example: 2014-06-10,ron,tesla,buy,14400.0,202.3005,0.0,
    assert lines[4] == "2014-06-10,ron,tesla,buy,14400.0,202.3005,0.0,\n"
    row = _row_at(s, "transactions", 5)
    assert row["editable"] is True
    ron = _tesla(s, "ron")
    ids = {x["line"]: x["id"] for x in _file_rows(s, "transactions")}
    marks = {x["id"] for x in _file_rows(s, "marks")}
    then = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat()

    r = s.client.put(
        f"/api/v1/transactions/{row['id']}", json=_body(row, quantity=14500), headers=AUTH
    )
    assert r.status_code == 200, r.text
    edit = r.json()
    assert edit["op"] == "edit" and edit["replaced"] == row["id"] and edit["id"] != row["id"]
    after = s.file().decode().splitlines(keepends=True)
    assert after[4] == "2014-06-10,ron,tesla,buy,14500.0,202.3005,0.0,\n"  # the file's style
    assert after[:4] + after[5:] == lines[:4] + lines[5:]  # every other line as it was
    assert _tesla(s, "ron") == pytest.approx(ron + 100 * 5 * 3)  # Tesla split 5, then 3
    # the other rows keep their ids (the load gave them back): only the edited one is new
    now_ids = {x["line"]: x["id"] for x in _file_rows(s, "transactions")}
    assert {k: v for k, v in now_ids.items() if k != 5} == {k: v for k, v in ids.items() if k != 5}
    assert now_ids[5] == edit["id"] > max(ids.values())
    assert {x["id"] for x in _file_rows(s, "marks")} == marks
    _as_a_fresh_load(s, tmp_path, s.template)
    # recorded as the web app's writes are; the past shows the row as it was
    change = s.client.get("/api/v1/changes").json()[0]
    assert change["op"] == "edit" and change["old_id"] == row["id"]
    assert change["row_id"] == edit["id"] and change["origin"] == "file transactions.csv"
    past = _file_rows(s, "transactions", recorded_at=then)
    assert [x["values"]["quantity"] for x in past if x["line"] == 5] == [14400.0]
    assert len(past) == len(lines) - 1
    now = [x["values"]["quantity"] for x in _file_rows(s, "transactions") if x["line"] == 5]
    assert now == [14500.0]


def test_a_mark_is_deleted_from_its_file(served: Served, tmp_path: Path) -> None:
    s = served
    before = s.file("marks.csv")
    lines = before.decode().splitlines(keepends=True)
    row = _row_at(s, "marks", 3)
    ids = {x["id"]: x["line"] for x in _file_rows(s, "marks")}
    assert lines[2].startswith(f"{row['values']['date']},{row['values']['company']},")
    r = s.client.delete(f"/api/v1/marks/{row['id']}", headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json()["op"] == "delete" and r.json()["id"] is None
    assert s.file("marks.csv") == "".join(lines[:2] + lines[3:]).encode()
    assert s.file() == (EXAMPLE / "transactions.csv").read_bytes()
    # the other marks keep their ids; those below the deleted line moved up one
    after = {x["id"]: x["line"] for x in _file_rows(s, "marks")}
    assert after == {i: n - (n > 3) for i, n in ids.items() if i != row["id"]}
    _as_a_fresh_load(s, tmp_path, s.template)
    assert s.client.delete(f"/api/v1/marks/{row['id']}", headers=AUTH).status_code == 404


def test_an_fx_rate_is_corrected_in_a_file_with_a_bom_and_crlf(
    served: Served, tmp_path: Path
) -> None:
    s = served
    row = _row_at(s, "fx", 3)
    body = {"date": "2025-01-03", "pair": "USDJPY", "rate": 158.1, "source": "test"}
    r = s.client.put(f"/api/v1/fx/{row['id']}", json=body, headers=AUTH)
    assert r.status_code == 200, r.text
    assert s.file("fx.csv") == FX.replace("157.9", "158.1").encode("utf-8-sig")
    _as_a_fresh_load(s, tmp_path, s.template)


def test_two_edits_of_one_file_at_once_both_land(served: Served, tmp_path: Path) -> None:
    """The web app's write lock serialises them: the second reads the file the first
    wrote, so neither overwrites the other."""
    from concurrent.futures import ThreadPoolExecutor

    s = served
    a, b = _row_at(s, "transactions", 5), _row_at(s, "transactions", 3)

    def put(row: dict[str, Any], fees: float) -> int:
        url = f"/api/v1/transactions/{row['id']}"
        return s.client.put(url, json=_body(row, fees=fees), headers=AUTH).status_code

    with ThreadPoolExecutor(2) as pool:
        codes = list(pool.map(put, (a, b), (1.5, 2.5)))
    assert codes == [200, 200]
    lines = s.file().decode().splitlines()
    assert lines[4] == "2014-06-10,ron,tesla,buy,14400.0,202.3005,1.5,"
    assert lines[2] == "2014-06-10,partners,tesla,buy,48242.0,202.3005,2.5,"
    _as_a_fresh_load(s, tmp_path, s.template)


# --- refused, nothing changed ---------------------------------------------------------------


def test_a_refused_edit_changes_neither_file_nor_database(served: Served) -> None:
    s = served
    buy = _row_at(s, "transactions", 5)
    xai = _row_at(s, "transactions", 113)
    assert (xai["values"]["company"], xai["values"]["action"]) == ("xai", "buy")
    before, dump = s.file(), s.dump()
    cases = [
        # a sale larger than the position: load's words, the field named
        (
            "PUT",
            f"/api/v1/transactions/{buy['id']}",
            {"json": _body(buy, action="sell", quantity=1e9)},
            "transaction.quantity",
            "is larger than the position",
        ),
        # the form's bad date: the reader's words, the field named
        (
            "PUT",
            f"/api/v1/forms/transactions/{buy['id']}",
            {"json": {"values": {**_text(buy), "date": "2014-13-01"}}},
            "date",
            "expected a date YYYY-MM-DD",
        ),
        # a date past the next rows': the file keeps its order
        (
            "PUT",
            f"/api/v1/transactions/{buy['id']}",
            {"json": _body(buy, date="2020-01-02")},
            "transaction.date",
            "sort by date",
        ),
        # deleting the xAI buy that line 118's exchange of xAI needs: that row named
        ("DELETE", f"/api/v1/transactions/{xai['id']}", {}, "company", "nothing to exchange"),
    ]
    for method, url, kw, field, words in cases:
        r = s.client.request(method, url, headers=AUTH, **kw)
        assert r.status_code == 422, (url, r.text)
        detail = r.json()["detail"]
        assert isinstance(detail, dict), detail
        assert field in str(detail.get("field")) and words in detail["message"], detail
        assert s.file() == before and s.dump() == dump
    assert (detail["file"], detail["line"]) == ("baron/transactions.csv", 118)  # as the file has it
    assert "this change would make it impossible" in detail["message"]
    pristine = s.folder.parent / "pristine"
    assert sorted(p.name for p in s.folder.iterdir()) == sorted(p.name for p in pristine.iterdir())


def test_a_file_changed_since_the_load_is_not_written_over(served: Served) -> None:
    s = served
    row = _row_at(s, "transactions", 5)
    mark = _row_at(s, "marks", 2)
    text = s.file().decode()
    theirs = text.replace("2014-06-10,ron,tesla,buy,14400.0", "2014-06-10,ron,tesla,buy,14401")
    (s.folder / "transactions.csv").write_text(theirs)
    dump = s.dump()
    for method, url, kw in (
        ("PUT", f"/api/v1/transactions/{row['id']}", {"json": _body(row, fees=1)}),
        ("DELETE", f"/api/v1/transactions/{row['id']}", {}),
        # another of the book's files changed: loading now would take it in unseen
        ("DELETE", f"/api/v1/marks/{mark['id']}", {}),
    ):
        r = s.client.request(method, url, headers=AUTH, **kw)
        assert r.status_code == 409, r.text
        message = r.json()["detail"]["message"]
        assert "transactions.csv changed since the last load" in message
        assert "run `conviction load`" in message
    assert s.file().decode() == theirs and s.dump() == dump
    assert s.file("marks.csv") == (EXAMPLE / "marks.csv").read_bytes()


def test_read_only_files_are_refused_clearly(served: Served) -> None:
    s = served
    row = _row_at(s, "transactions", 5)
    before, dump = s.file(), s.dump()
    os.chmod(s.folder / "transactions.csv", 0o444)
    r = s.client.delete(f"/api/v1/transactions/{row['id']}", headers=AUTH)
    assert r.status_code == 409 and "read-only" in r.json()["detail"]["message"], r.text
    os.chmod(s.folder / "transactions.csv", 0o644)
    os.chmod(s.folder, 0o555)
    r = s.client.delete(f"/api/v1/transactions/{row['id']}", headers=AUTH)
    assert r.status_code == 409 and "read-only" in r.json()["detail"]["message"], r.text
    os.chmod(s.folder, 0o755)
    assert s.file() == before and s.dump() == dump


# --- the page, in a real browser -----------------------------------------------------------------


def test_a_file_row_is_corrected_from_the_page(served: Served, browser: Any) -> None:  # noqa: F811
    """The marks page's form edits a row of marks.csv: the page says where it is written."""
    import threading
    import time

    import uvicorn
    from playwright.sync_api import expect
    from test_browser import _free_port

    s = served
    config = uvicorn.Config(
        s.app, host="127.0.0.1", port=_free_port(), log_level="warning", lifespan="off"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{config.port}"
    try:
        row = next(x for x in _file_rows(s, "marks", company="xai"))
        where = f"marks.csv line {row['line']}"
        page = browser.new_page(viewport={"width": 390, "height": 860})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(base + "/book/marks?company=xai", wait_until="load")
        wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert wide[0] <= wide[1], wide  # the file rows' actions fit a phone too
        page.set_viewport_size({"width": 1280, "height": 900})
        page.locator("#token").fill(TOKEN)
        tr = page.locator(f'#rows-table tr[data-id="{row["id"]}"]')
        expect(tr).to_contain_text(f"written into {where}")
        tr.locator("button.row-edit").click()
        expect(page.locator("#form-title")).to_contain_text(f"written into {where}")
        form = page.locator("#row-form")
        form.locator('input[name="source"]').fill("checked, in the browser")
        form.locator("#row-submit").click()
        expect(form.locator(".result")).to_contain_text(f"written into {where}; saved as row")
        lines = s.file("marks.csv").decode().splitlines(keepends=True)
        old = (EXAMPLE / "marks.csv").read_text().splitlines(keepends=True)
        n = row["line"] - 1
        assert old[n].startswith("2026-02-02,xai,75.46,round,merged into SpaceX")
        assert lines[n] == '2026-02-02,xai,75.46,round,"checked, in the browser",\n'
        assert lines[:n] + lines[n + 1 :] == old[:n] + old[n + 1 :]
        stored = _row_at(s, "marks", row["line"])
        assert stored["values"]["source"] == "checked, in the browser"
        assert problems == []
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def test_a_file_written_by_an_uncommitted_edit_is_put_back(tmp_path: Path) -> None:
    """Should the write's transaction fail to commit after the file was replaced, the old
    bytes go back (with the file's mode), unless someone changed the file again since."""
    from conviction.web.file_rows import FileWrite

    path = tmp_path / "marks.csv"
    path.write_bytes(b"new")
    os.chmod(path, 0o640)
    FileWrite(path, b"old", b"new").undo()
    assert path.read_bytes() == b"old" and os.stat(path).st_mode & 0o777 == 0o640
    path.write_bytes(b"theirs")
    FileWrite(path, b"old", b"new").undo()
    assert path.read_bytes() == b"theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["marks.csv"]  # no temporary left
