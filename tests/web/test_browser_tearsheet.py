"""The tear sheet in Chromium at a phone (390 px) and a desktop (1440 px) width: the
page never scrolls sideways (the heatmap and the monthly table scroll inside their own
box at most), the holdings table sorts and filters with tearsheet.js, the filter box is
hidden without it, incognito blurs the amounts, no console error. Pictures go to
``$CONVICTION_SHOTS`` when it is set."""

from __future__ import annotations

import os
from typing import Any

import pytest
from test_browser import browser, server  # noqa: F401  (fixtures)

PAGES = ("/", "/?range=1Y&account=ron", "/report")


@pytest.mark.parametrize("width", [390, 1440])
def test_the_tear_sheet_fits_and_its_table_sorts_and_filters(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    width: int,
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 860})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    shots = os.environ.get("CONVICTION_SHOTS")
    for path in PAGES:
        page.goto(server + path, wait_until="load")
        sheet = page.locator("#tearsheet")
        sheet.scroll_into_view_if_needed()
        for name in ("ts_months", "ts_years", "ts_allocation"):
            fig = page.locator(f"#fig-{name}")
            fig.scroll_into_view_if_needed()
            page.wait_for_selector(f"#fig-{name}.js-plotly-plot", timeout=10_000)
        wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert wide[0] <= wide[1], (path, width, wide)
        box = page.eval_on_selector(
            "#tearsheet", "e => [e.getBoundingClientRect().left, e.getBoundingClientRect().right]"
        )
        assert box[0] >= 0 and box[1] <= width, (path, width, box)
        if shots:
            name = "tearsheet-" + ("report" if "report" in path else "dashboard")
            name += "-1y" if "range" in path else ""
            page.locator("#tearsheet").screenshot(path=f"{shots}/{name}-{width}.png")
        names = lambda: page.eval_on_selector_all(  # noqa: E731
            "#ts-holdings tbody tr:not([hidden]) td:first-child", "els => els.map(e => e.innerText)"
        )
        values = lambda: page.eval_on_selector_all(  # noqa: E731
            "#ts-holdings tbody tr:not([hidden]) td:nth-child(2)",
            "els => els.map(e => parseFloat(e.dataset.v))",
        )
        drawn = values()
        assert drawn == sorted(drawn, reverse=True) and len(drawn) >= 2
        who = names()[0]
        assert page.locator("#ts-holdings-tools").is_visible()
        page.locator("#ts-holdings th:nth-child(2) button").click()  # value: largest first
        assert values() == sorted(drawn, reverse=True)
        page.locator("#ts-holdings th:nth-child(2) button").click()  # again: smallest first
        assert values() == sorted(drawn)
        page.locator("#ts-holdings th:nth-child(1) button").click()
        assert names() == sorted(names(), key=str.lower, reverse=True)
        page.fill("#ts-filter", who.lower())
        assert names() == [who]
        assert "1 of" in page.locator("#ts-count").inner_text()
        page.fill("#ts-filter", "")
        assert len(names()) == len(drawn)
    page.close()
    assert problems == []


def test_without_javascript_the_table_reads_and_incognito_blurs_amounts(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    plain = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 860})
    page = plain.new_page()
    page.goto(server + "/", wait_until="load")
    assert page.locator("#ts-holdings tbody tr").count() >= 3
    assert not page.locator("#ts-holdings-tools").is_visible()  # no filter box without JS
    wide = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1], wide
    plain.close()
    page = browser.new_page(viewport={"width": 1440, "height": 860})
    page.goto(server + "/", wait_until="load")
    page.locator("#incognito").click()
    blur = page.eval_on_selector("#ts-holdings tbody td.n", "e => getComputedStyle(e).filter")
    assert "blur" in blur
    gain = page.eval_on_selector("#tearsheet .amount", "e => getComputedStyle(e).filter")
    assert "blur" in gain
    page.close()
