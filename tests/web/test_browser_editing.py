"""Editing the book in a real browser (Debian's Chromium, Playwright, a real uvicorn):
from the dashboard's stale-mark review to the mark form, a refused mark shown next to its
field, a mark added with the token and read back through the API, an upload previewed and
applied, and the pages at 390 and 1440 px without sideways scrolling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from test_browser import browser, server  # noqa: F401  (fixtures)

PAGES = ("/book/transactions", "/book/marks", "/book/fx", "/book/marks?company=xai")


def _watch(page: Any, base: str) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    foreign: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(base) else foreign.append(r.url))
    return problems, foreign


def _api_marks(base: str, company: str) -> list[dict[str, Any]]:
    rows = httpx.get(
        base + "/api/v1/book/marks", params={"company": company, "limit": 1000}
    ).json()["rows"]
    return [r for r in rows if r["origin"] == "api"]


def test_a_stale_mark_is_recorded_from_the_dashboard(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    token: str,
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems, foreign = _watch(page, server)
    page.goto(server + "/", wait_until="load")
    link = page.locator("a.record-mark", has_text="xai")
    expect(link).to_have_count(1)
    link.click()
    page.wait_for_url("**/book/marks?company=xai#row-form")
    form = page.locator("#row-form")
    expect(form.locator('select[name="company"]')).to_have_value("xai")
    expect(form.locator('select[name="kind"]')).to_have_value("round")

    # without the token: refused, said so
    form.locator('input[name="date"]').fill("2025-11-10")
    form.locator('input[name="price"]').fill("55")
    form.locator("#row-submit").click()
    expect(form.locator(".result")).to_contain_text("token")
    assert _api_marks(server, "xai") == []

    # with the token, a price of 0: the error next to the price field, nothing stored
    page.locator("#token").fill(token)
    form.locator('input[name="price"]').fill("0")
    form.locator("#row-submit").click()
    error = form.locator('.field-error[data-field="price"]')
    expect(error).to_contain_text("price must be positive, got 0")  # load's words
    expect(form.locator('input[name="price"]')).to_have_attribute("aria-invalid", "true")
    assert _api_marks(server, "xai") == []

    # a good price and a source: stored
    form.locator('input[name="price"]').fill("55")
    form.locator('input[name="source"]').fill("Series E, browser test")
    form.locator("#row-submit").click()
    expect(form.locator(".result")).to_have_attribute("data-state", "saved")
    page.wait_for_load_state("load")
    stored = _api_marks(server, "xai")
    assert [(m["values"]["price"], m["values"]["source"]) for m in stored] == [
        (55.0, "Series E, browser test")
    ]
    # the page reloads with the new row, editable; an edit is saved as a new row
    row = page.locator(f'#rows-table tr[data-id="{stored[0]["id"]}"]')
    expect(row).to_have_count(1)
    row.locator("button.row-edit").click()
    expect(page.locator("#row-submit")).to_have_text("save changes")
    form.locator('input[name="price"]').fill("60")
    form.locator("#row-submit").click()
    expect(form.locator(".result")).to_contain_text("saved as row")
    after = _api_marks(server, "xai")
    assert [m["values"]["price"] for m in after] == [60.0] and after[0]["id"] > stored[0]["id"]
    # the refused requests are the browser's only console errors ("Failed to load
    # resource: ... 401", "... 422")
    assert [p for p in problems if not _refused(p)] == [] and foreign == []


def _refused(problem: str) -> bool:
    return "status of 401" in problem or "status of 422" in problem


def test_an_upload_is_previewed_then_applied(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    token: str,
    tmp_path: Path,
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems, foreign = _watch(page, server)
    page.goto(server + "/book/marks", wait_until="load")
    page.locator("#token").fill(token)
    wrong = tmp_path / "transactions.csv"
    wrong.write_text("date,account,company,action,quantity\n2025-01-02,ron,,deposit,5\n")
    upload = page.locator("#upload-form")
    upload.locator('input[type="file"]').set_input_files(str(wrong))
    page.locator("#upload-preview").click()
    expect(upload.locator(".result")).to_contain_text("this is a file of transactions")
    expect(page.locator("#upload-apply")).to_be_disabled()

    marks = tmp_path / "new-marks.csv"
    marks.write_text(
        "date,company,price,kind,source\n"
        "2025-11-10,xai,55,round,upload\n"
        "2025-11-11,spacex,400,tender,upload\n"
    )
    upload.locator('input[type="file"]').set_input_files(str(marks))
    page.locator("#upload-preview").click()
    expect(upload.locator(".result")).to_contain_text("2 to add")
    expect(page.locator("#upload-result")).to_contain_text("adds (2)")
    assert _api_marks(server, "xai") == []  # a preview stores nothing
    page.locator("#upload-apply").click()
    expect(upload.locator(".result")).to_contain_text("applied: 2 added")
    assert [m["values"]["price"] for m in _api_marks(server, "spacex")] == [400.0]
    assert [p for p in problems if not _refused(p)] == [] and foreign == []


@pytest.mark.parametrize("width", [390, 1440])
def test_the_book_pages_fit(server: str, browser: Any, width: int) -> None:  # noqa: F811
    page = browser.new_page(viewport={"width": width, "height": 860})
    problems, foreign = _watch(page, server)
    for path in PAGES:
        page.goto(server + path, wait_until="load")
        wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert wide[0] <= wide[1], (path, width, wide)
        boxes = page.eval_on_selector_all(
            "#row-form input, #row-form select, #row-form button, #upload-form input",
            "els => els.map(e => { const r = e.getBoundingClientRect();"
            " return [e.name || e.id, r.left, r.right]; })",
        )
        cut = [b for b in boxes if b[1] < 0 or b[2] > width]
        assert cut == [], (path, width, cut)
    assert problems == [] and foreign == []
