"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against the
example served by a real uvicorn on 127.0.0.1.

Checks that the charts render (plotly's SVG is in the page, no console errors, no request
leaves the server), then updates a milestone through the page with the token and reads
it back through the API. Set ``CONVICTION_SCREENSHOT=path.png`` to keep a picture of the
dashboard.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import expect, sync_playwright

from conviction.store import connect_for_writing
from conviction.web import create_app

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
DASHBOARD_FIGURES = 9  # six, and the tear sheet's heatmap, yearly returns and treemap


def _chromium() -> Path:
    """/usr/bin/chromium, installed by .ci/ensure-chromium.sh when missing (as root)."""
    if not CHROMIUM.exists() and shutil.which("apt-get"):
        subprocess.run(
            ["bash", str(ROOT / ".ci" / "ensure-chromium.sh")],
            check=False,
            capture_output=True,
            timeout=900,
        )
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium, and .ci/ensure-chromium.sh could not install it")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(db_url: str, token: str) -> Iterator[str]:
    """The app on a real uvicorn in a background thread; yields its base URL."""
    engine = connect_for_writing(db_url)
    config = uvicorn.Config(
        create_app(engine, token, ROOT, policies=("examples/baron/policies/hold.toml",)),
        host="127.0.0.1",
        port=_free_port(),
        log_level="warning",
        lifespan="on",
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{config.port}"
    srv.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    chromium = _chromium()

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), headless=True, args=ARGS)
        yield b
        b.close()


def test_dashboard_charts_and_a_milestone_update(server: str, browser: Any, token: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    foreign: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(server) else foreign.append(r.url))

    page.goto(server + "/", wait_until="networkidle")
    # The figures of the first screen are drawn at once, the others when they come near
    # the screen (static/lazy-plots.js), each in a box of its height meanwhile.
    expect(page.locator("#fig-value.js-plotly-plot")).to_have_count(1)
    assert 0 < page.locator(".js-plotly-plot").count() < DASHBOARD_FIGURES
    boxes = page.locator(".plotly-graph-div")
    assert boxes.count() == DASHBOARD_FIGURES
    waiting = page.eval_on_selector_all(
        ".plotly-graph-div:not(.js-plotly-plot)", "els => els.map(e => e.offsetHeight)"
    )
    assert waiting and all(h >= 200 for h in waiting), waiting  # kept its height: no jump
    for i in range(DASHBOARD_FIGURES):  # a reader scrolling down the page
        boxes.nth(i).scroll_into_view_if_needed()
    # Each figure is drawn: plotly puts its SVG and at least one trace in the div.
    # (Locators, not wait_for_function: the page's CSP forbids the eval the latter uses.)
    expect(page.locator(".js-plotly-plot")).to_have_count(DASHBOARD_FIGURES)
    drawn = page.eval_on_selector_all(
        ".js-plotly-plot",
        "els => els.map(e => [e.id, e.querySelectorAll('.trace, .hm').length])",  # .hm: heatmap
    )
    assert len(drawn) == DASHBOARD_FIGURES
    assert all(n > 0 for _, n in drawn), drawn
    assert page.locator("#fig-value .scatterlayer .trace").count() == 2  # two accounts
    if os.environ.get("CONVICTION_SCREENSHOT"):
        page.screenshot(path=os.environ["CONVICTION_SCREENSHOT"], full_page=True)
    # The other pages draw too.
    # (Inline scripts run by the answer's CSP nonce: a blocked one is a console error.)
    for path in (
        "/company/tesla",
        "/person/musk",
        "/account/ron",
        "/policies",
        "/theses",
        "/report",
    ):
        page.goto(server + path, wait_until="networkidle")
        page.locator(".js-plotly-plot .main-svg").first.wait_for()
    assert problems == []

    # A milestone update through the page: first without the token (refused), then with it.
    page.goto(server + "/theses", wait_until="networkidle")
    form = page.locator('form[data-thesis="tesla"][data-milestone="ai5-chip"]')
    form.locator('select[name="status"]').select_option("slipped")
    form.locator('input[name="date"]').fill("2026-01-15")
    form.locator('input[name="due"]').fill("2028-06-30")
    form.locator('input[name="evidence"]').fill("AI5 samples slip to 2028 (browser test)")
    form.locator("button").click()
    refused = form.locator('.result[data-state="error"]')
    refused.wait_for()
    assert "401" in refused.inner_text()

    page.fill("#token", token)
    form.locator("button").click()
    form.locator('.result[data-state="saved"]').wait_for()
    assert form.locator("xpath=ancestor::tr//span[contains(@class,'status')]").inner_text() == (
        "slipped"
    )

    thesis = httpx.get(server + "/api/v1/theses/tesla", params={"as_of": "2026-02-01"}).json()
    chip = next(m for m in thesis["milestones"] if m["id"] == "ai5-chip")
    assert chip["status"] == "slipped" and chip["due"] == "2028-06-30"
    assert chip["history"][-1]["evidence"] == "AI5 samples slip to 2028 (browser test)"
    assert [e["origin"] for e in chip["history"]].count("update") == 1  # the refused one: none
    # The refused attempt is the one error the browser saw; nothing came from elsewhere.
    assert len(problems) == 1 and "401" in problems[0]
    assert foreign == []
