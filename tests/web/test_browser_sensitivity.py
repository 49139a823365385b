"""The sensitivity page, and the projection and policies pages' forms, in a real browser
(Chromium): they fit 390 and 1440 px with no sideways scroll and no console error, before a
run and with a tornado or scenarios drawn; the form starts a job and the page follows it."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from test_browser import browser, server  # noqa: F401  (fixtures)

SPEC = "examples/baron/projection.toml"


def _start(base: str, token: str, url: str, body: dict[str, Any]) -> str:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    req = urllib.request.Request(base + url, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(req) as r:
        job: str = json.load(r)["id"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base}{url}/{job}") as r:
            if json.load(r)["status"] in ("done", "failed"):
                return job
        time.sleep(0.1)
    raise AssertionError(f"job {job} did not finish")


def test_the_sensitivity_page_fits_a_phone_and_a_desktop(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    token: str,
) -> None:
    tornado = _start(server, token, "/api/v1/sensitivities", {"spec": SPEC, "paths": 500})
    scenarios = _start(
        server, token, "/api/v1/scenarios",
        {"spec": SPEC, "paths": 1000, "scenarios": ["key-person-gone-year-3"]},
    )  # fmt: skip
    problems: list[str] = []
    for width in (390, 1440):
        page = browser.new_page(viewport={"width": width, "height": 860})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        for path, fig in (
            ("/projection/sensitivity", None),
            ("/projection", None),  # its form: horizon, target, paths, seed, scenarios
            ("/policies", None),  # its compare form
            (f"/projection/sensitivity?job={tornado}", "#fig-tornado"),
            (f"/projection/sensitivity?job={scenarios}", "#fig-scenarios"),
        ):
            page.goto(server + path, wait_until="load")
            if fig is not None:
                page.locator(fig).scroll_into_view_if_needed()
                page.wait_for_selector(f"{fig} .main-svg", timeout=15_000)
            wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert wide[0] <= wide[1], (path, width, wide)
        page.close()
    assert problems == []


def test_the_form_starts_a_job_and_the_page_follows_it(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    token: str,
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 860})
    page.goto(server + "/projection/sensitivity", wait_until="load")
    page.evaluate(f"sessionStorage.setItem('conviction-token', {json.dumps(token)})")
    form = page.locator("#scenarios-form")
    form.locator('input[name="paths"]').fill("0")
    form.locator("button[type=submit]").click()
    form.locator(".result").filter(has_text="refused").wait_for(timeout=15_000)
    assert "422" in form.locator(".result").inner_text()
    form.locator('input[name="paths"]').fill("800")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/projection/sensitivity?job=*")
    page.wait_for_selector("#run-job[data-status=done]", timeout=120_000)
    # scrolled as a user would (Playwright's own scroll_into_view_if_needed waits forever
    # on this reloaded page, though the figure's box is there, visible and stable)
    page.wait_for_selector("#fig-scenarios", state="attached", timeout=60_000)  # reloaded
    page.evaluate("document.getElementById('fig-scenarios').scrollIntoView()")
    page.wait_for_selector("#fig-scenarios .main-svg", timeout=15_000)
    page.close()
