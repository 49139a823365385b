"""Issue 12, the server trusts no one: the Host allow-list (DNS rebinding), the token taken
exactly as given, a CSP without inline scripts, ids with any character, idempotent writes.
A real app over a real SQLite copy of the example, through TestClient; no mocks."""

from __future__ import annotations

import html
import os
import re
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conviction.cli import app as cli
from conviction.cli.web_commands import allowed_hosts
from conviction.errors import FormatError
from conviction.store import connect_for_writing
from conviction.web import create_app
from conviction.web.auth import Token, check_token, new_token

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789abcdef"


@pytest.fixture
def local(db_url: str) -> Iterator[TestClient]:
    """An app with the default allow-list, reached as http://127.0.0.1:8000."""
    engine = connect_for_writing(db_url)
    with TestClient(create_app(engine, TOKEN, ROOT), base_url="http://127.0.0.1:8000") as c:
        yield c
    engine.dispose()


# --- 1. Host allow-list ---------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "LOCALHOST:1", "[::1]:8000"])
def test_the_local_names_are_served(local: TestClient, host: str) -> None:
    r = local.get("/api/v1/book", headers={"Host": host})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "testserver", ""]
)
def test_another_host_is_refused_before_anything_runs(
    local: TestClient, host: str, auth: dict[str, str], snapshot: object
) -> None:
    before = snapshot()  # type: ignore[operator]
    for method, path in (("GET", "/"), ("GET", "/api/v1/status"), ("POST", "/api/v1/theses")):
        r = local.request(method, path, headers={"Host": host, **auth}, json={"theses": []})
        assert r.status_code == 400, (method, path, r.text)
        assert "--allow-host" in r.json()["detail"]["message"]
    assert snapshot() == before  # type: ignore[operator]


def test_allowed_hosts_are_the_ones_given(db_url: str) -> None:
    engine = connect_for_writing(db_url)
    app = create_app(engine, TOKEN, ROOT, allowed_hosts=["book.lan"])
    with TestClient(app, base_url="http://book.lan:8000") as c:
        assert c.get("/api/v1/book").status_code == 200
        assert c.get("/api/v1/book", headers={"Host": "localhost"}).status_code == 400
    engine.dispose()


def test_serve_allows_the_bound_address_and_each_allow_host() -> None:
    hosts = allowed_hosts("192.168.1.5", ["Book.LAN", "nas"])
    assert hosts == ("127.0.0.1", "localhost", "::1", "192.168.1.5", "book.lan", "nas")
    for bad in ("book.lan:8000", "http://book.lan", "a b", ""):
        with pytest.raises(FormatError) as raised:
            allowed_hosts("127.0.0.1", [bad])
        assert raised.value.field == "--allow-host"


def test_serve_refuses_a_bad_allow_host(db_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["--db", db_url, "serve", "--workspace", str(tmp_path), "--allow-host", "x:80"],
        env={"CONVICTION_TOKEN": TOKEN},
    )
    assert isinstance(result.exception, FormatError)  # main() answers it with exit 2
    assert result.exception.field == "--allow-host"


# --- 2. the token exactly as given ---------------------------------------------------------------

WEAK = [
    " " * 16,
    "a" * 16,
    "abababababababab",  # two distinct characters
    "abcdefg" * 3,  # seven distinct
    " test-token-0123456789abcdef",
    "test-token-0123456789abcdef\n",
    "test-token-0123456789abcdef ",
    "\ttest-token-0123456789abcdef",
    "test token 0123456789abcdef",  # a space inside
    "tést-token-0123456789abcdef",  # not ASCII: no header carries it as given
    "short-0123",
    "",
]


@pytest.mark.parametrize("weak", WEAK)
def test_a_weak_or_padded_token_is_refused(weak: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError) as raised:
        Token.of(weak)
    assert weak.strip() == "" or weak.strip() not in str(raised.value)  # never shown
    with pytest.raises(ValueError):
        create_app(connect_for_writing(f"sqlite:///{tmp_path / 'x.db'}"), weak, tmp_path)


def test_good_tokens_pass_the_rule() -> None:
    for good in (TOKEN, "from-the-environment-123", "0123456789abcdef", new_token()):
        check_token(good)
        assert Token.of(good).verify(good)
        assert not Token.of(good).verify(good + " ")


def _serve_with_token(db_url: str, workspace: Path, token: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONVICTION_TOKEN": token, "COLUMNS": "200"}
    cli_args = ["--db", db_url, "serve", "--port", "1", "--workspace", str(workspace)]
    return subprocess.run(
        [sys.executable, "-c", "from conviction.cli import main; main()", *cli_args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize("weak", [" test-token-0123456789abcdef", "a" * 16, ""])
def test_serve_refuses_a_weak_token_at_start_with_exit_2(
    db_url: str, tmp_path: Path, weak: str
) -> None:
    done = _serve_with_token(db_url, tmp_path, weak)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "CONVICTION_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr and "serving" not in done.stderr


# --- 3. CSP: inline scripts by nonce only ---------------------------------------------------------

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
SCRIPT_BODY = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.IGNORECASE | re.DOTALL)


def _csp_nonce(r: Any) -> str:
    csp = r.headers["content-security-policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    found = re.search(r"'nonce-([A-Za-z0-9_-]{20,})'", script_src)
    assert found, csp
    return found[1]


@pytest.mark.parametrize(
    "path",
    ["/", "/company/tesla", "/person/musk", "/account/ron", "/policies", "/theses", "/report"],
)
def test_every_script_of_a_page_carries_this_answers_nonce(client: TestClient, path: str) -> None:
    first, second = client.get(path), client.get(path)
    assert first.status_code == second.status_code == 200
    nonce = _csp_nonce(first)
    assert nonce != _csp_nonce(second)  # new for each answer, also for a cached figure
    tags = SCRIPT_TAG.findall(first.text)
    assert tags, path
    assert "&lt;script" not in first.text
    bodies = [body for attrs, body in SCRIPT_BODY.findall(first.text) if "src=" not in attrs]
    # every inline script draws a figure, or is one of ours (the report's lazy drawing and
    # tear-sheet scripts, inlined so the file works offline): plotly.js comes from one URL
    ours = [b for b in bodies if "Plotly.newPlot(" not in b]
    assert all(b.lstrip().startswith("// ") for b in ours), [b[:80] for b in ours]
    assert first.text.count("Plotly.newPlot(") == len(bodies) - len(ours)
    assert all(f'nonce="{nonce}"' in attrs for attrs in tags), (path, tags)
    assert nonce not in second.text
    outside_scripts = re.sub(r"<script\b.*?</script>", "", first.text, flags=re.DOTALL)
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", outside_scripts)  # no onclick=...


def test_the_nonce_is_on_every_answer_and_the_file_report_has_none(
    client: TestClient, tmp_path: Path, db_url: str
) -> None:
    for path in ("/api/v1/book", "/no/such/page", "/static/app.js"):
        _csp_nonce(client.get(path))
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["--db", db_url, "report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text("utf-8")
    assert "nonce=" not in text and "Plotly.newPlot" in text  # the file works offline as before


# --- 4. ids with any character --------------------------------------------------------------------

ODD_BOOK = """
[book]
name = "Odd ids"
currency = "USD"
as_of = 2024-06-28
transactions = "transactions.csv"
marks = "marks.csv"

[[person]]
id = "p/q r"
name = "Odd Person"

[[company]]
id = "a/b c"
name = "Slash Co"
public = false
key_people = ["p/q r"]
links = [{ to = "x?y#z%25", kind = "partner" }]

[[company]]
id = "x?y#z%25"
name = "Query Co"
public = false

[[account]]
id = "acc/1 ?#"
name = "Odd account"
kind = "personal"
"""
ODD_IDS = {"company": ["a/b c", "x?y#z%25"], "person": ["p/q r"], "account": ["acc/1 ?#"]}
API = {"company": "companies", "person": "persons", "account": "accounts"}


@pytest.fixture
def odd_server(tmp_path: Path) -> Iterator[str]:
    """A book whose ids hold "/", "?", "#", "%" and spaces, loaded by the CLI and served by
    a real uvicorn (TestClient decodes a path twice, so "%25" would not survive it)."""
    import threading
    import time

    import uvicorn

    book = tmp_path / "book"
    book.mkdir()
    (book / "book.toml").write_text(ODD_BOOK, encoding="utf-8")
    (book / "transactions.csv").write_text(
        "date,account,company,action,quantity,price,fees\n"
        "2024-01-02,acc/1 ?#,,deposit,10000,,0\n"
        "2024-01-02,acc/1 ?#,a/b c,buy,10,100,0\n"
        "2024-01-03,acc/1 ?#,x?y#z%25,buy,5,100,0\n",
        encoding="utf-8",
    )
    (book / "marks.csv").write_text(
        "date,company,price,kind,source\n2024-01-02,a/b c,100,round,r\n"
        "2024-01-03,x?y#z%25,100,round,r\n2024-06-28,a/b c,150,round,r\n",
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    loaded = CliRunner().invoke(cli, ["--db", url, "load", str(book)])
    assert loaded.exit_code == 0, loaded.output
    engine = connect_for_writing(url)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(engine, TOKEN, book), port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def test_ids_with_any_character_have_pages_and_api_answers(odd_server: str) -> None:
    for kind, ids in ODD_IDS.items():
        for key in ids:
            page = httpx.get(f"{odd_server}/{kind}/{quote(key, safe='')}")
            assert page.status_code == 200, (kind, key, page.text[:200])
            assert html.escape(key) in page.text
            api = httpx.get(f"{odd_server}/api/v1/{API[kind]}/{quote(key, safe='')}")
            assert api.status_code == 200, (kind, key, api.text[:200])
    gone = httpx.get(f"{odd_server}/api/v1/companies/{quote('a/b', safe='')}")
    assert gone.status_code == 404


def test_every_link_to_an_id_is_url_encoded_and_leads_to_its_page(odd_server: str) -> None:
    seen: set[str] = set()
    pages = ["/"] + [f"/{k}/{quote(i, safe='')}" for k, ids in ODD_IDS.items() for i in ids]
    for path in pages:
        text = httpx.get(odd_server + path).text
        assert "/~" not in text
        for link in re.findall(r'href="(/(?:company|person|account)/[^"]*)"', text):
            seen.add(html.unescape(link))
    expected = {f"/{k}/{quote(i, safe='')}" for k, ids in ODD_IDS.items() for i in ids}
    assert seen == expected  # every id linked, each as one encoded path segment
    for link in seen:
        assert httpx.get(odd_server + link).status_code == 200, link


# --- 5. Idempotency-Key ---------------------------------------------------------------------------

BUY = {
    "date": "2025-11-14",
    "account": "ron",
    "company": "tesla",
    "action": "buy",
    "quantity": 1000,
    "price": 404.35,
}


@pytest.fixture
def stored(db_path: Path) -> Callable[[], int]:
    """How many transactions the database holds."""

    def count() -> int:
        conn = sqlite3.connect(db_path)
        try:
            n: int = conn.execute("SELECT count(*) FROM transactions").fetchone()[0]
            return n
        finally:
            conn.close()

    return count


def test_the_same_key_and_body_answer_the_first_answer_and_store_once(
    client: TestClient, auth: dict[str, str], stored: Callable[[], int]
) -> None:
    before = stored()
    headers = {**auth, "Idempotency-Key": "buy-tesla-2025-11-14"}
    first = client.post("/api/v1/transactions", json={"transactions": [BUY]}, headers=headers)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/transactions", json={"transactions": [BUY]}, headers=headers)
    assert again.status_code == 201 and again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert stored() == before + 1  # stored once
    # without a key, the same request is a new write
    plain = client.post("/api/v1/transactions", json={"transactions": [BUY]}, headers=auth)
    assert plain.status_code == 201 and stored() == before + 2


def test_the_same_key_with_another_body_is_409_naming_the_header(
    client: TestClient, auth: dict[str, str], stored: Callable[[], int]
) -> None:
    headers = {**auth, "Idempotency-Key": "k-0001"}
    assert client.post("/api/v1/transactions", json={"transactions": [BUY]}, headers=headers)
    before = stored()
    other = {**BUY, "quantity": 5}
    r = client.post("/api/v1/transactions", json={"transactions": [other]}, headers=headers)
    assert r.status_code == 409
    assert "Idempotency-Key" in r.json()["detail"]["message"]
    r = client.post("/api/v1/marks", json={"transactions": [BUY]}, headers=headers)
    assert r.status_code == 409  # another path is another request
    assert stored() == before


def test_a_failed_or_unauthorised_write_keeps_no_key(
    client: TestClient, auth: dict[str, str]
) -> None:
    key = {"Idempotency-Key": "k-0002"}
    bad = client.post(
        "/api/v1/transactions",
        json={"transactions": [{**BUY, "company": "nope"}]},
        headers={**auth, **key},
    )
    assert bad.status_code == 422
    wrong = client.post(
        "/api/v1/transactions",
        json={"transactions": [BUY]},
        headers={"Authorization": "Bearer wrong-token-0123456789", **key},
    )
    assert wrong.status_code == 401
    good = client.post(
        "/api/v1/transactions", json={"transactions": [BUY]}, headers={**auth, **key}
    )
    assert good.status_code == 201 and "idempotent-replayed" not in good.headers
    for odd in ("", "x" * 201, "a key"):
        r = client.post(
            "/api/v1/transactions",
            json={"transactions": [BUY]},
            headers={**auth, "Idempotency-Key": odd},
        )
        assert r.status_code == 400 and r.json()["detail"]["field"] == "Idempotency-Key"
