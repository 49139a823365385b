"""Every page at a phone (390 px) and a desktop (1440 px) width in Chromium: no sideways
scrolling, every nav link inside the viewport, no console error, nothing fetched from
elsewhere (Swagger UI included). Pictures go to ``$CONVICTION_SHOTS`` when it is set."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from test_browser import browser, server  # noqa: F401  (fixtures)

PAGES = (
    "/",
    "/company/tesla",
    "/person/musk",
    "/account/ron",
    "/theses",
    "/projection",
    "/policies",
    "/report",
    "/api/v1/docs",
    "/book/transactions",
    "/book/marks",
    "/book/fx",
    # the date, account and range controls in use
    "/?as_of=2021-12-31&account=ron&range=1Y&benchmark=tesla",
    "/report?as_of=2021-12-31",
    # a date that cannot be shown: a page that says why (HTTP 422)
    "/?as_of=2001-01-01",
)


@pytest.mark.parametrize("width", [390, 1440])
def test_every_page_fits(server: str, browser: Any, width: int) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": width, "height": 860})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    foreign: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(server) else foreign.append(r.url))
    shots = os.environ.get("CONVICTION_SHOTS")
    for path in PAGES:
        page.goto(server + path, wait_until="load")
        if path == "/api/v1/docs":
            page.locator(".swagger-ui .opblock").first.wait_for()
        wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert wide[0] <= wide[1], (path, width, wide)
        boxes = page.eval_on_selector_all(
            "header.top a, header.top input, header.top button, header.top select",
            "els => els.map(e => { const r = e.getBoundingClientRect();"
            " return [e.textContent || e.id, r.left, r.right]; })",
        )
        cut = [b for b in boxes if b[1] < 0 or b[2] > width]
        assert cut == [], (path, width, cut)
        if shots:
            name = re.sub(r"[^\w.-]+", "-", path.strip("/")) or "dashboard"
            page.screenshot(path=f"{shots}/{name}-{width}.png", full_page=True)
    # the 422 of the page that says why is the browser's one console error
    assert [p for p in problems if "status of 422" not in p] == []
    assert foreign == []
