"""Every web page in Chromium: its load event and its width at a phone and a desktop size.

On the bundled example loaded into a fresh SQLite file and served by ``create_app`` on a
real uvicorn (127.0.0.1), Debian's Chromium (``/usr/bin/chromium``, by Playwright) opens
each page several times in one browser context: a first visit (cold cache), a second
(plotly.js from the browser's cache), then more (Chromium keeps plotly's compiled code from
the third load of a script on: what a user who keeps the app open gets). Prints, per page
and viewport, the load event (``performance.timing.loadEventEnd - navigationStart``) of
the second visit and the median of the later ones, when the figures of the first screen
were drawn (the last ``plot:ID`` mark of ``lazy-plots.js``; the figures below the fold are
drawn when scrolled to), the bytes of the page's HTML and
``document.documentElement.scrollWidth`` against ``innerWidth``. Bar (issue 15): each page's
load event within 500 ms on a warm server; at 390 px no page wider than the viewport.

    python benchmarks/bench_pages.py            # 390 and 1440 px, 5 visits each
    python benchmarks/bench_pages.py --quick    # 390 and 1440 px, 3 visits each
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import sync_playwright
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "baron"
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
)
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: The load event, and the last figure drawn (0: the page draws none on its first screen).
_TIMES = """(() => {
  const t = performance.timing;
  const marks = performance.getEntriesByType("mark").filter((m) => m.name.startsWith("plot:"));
  return [t.loadEventEnd - t.navigationStart, Math.max(0, ...marks.map((m) => m.startTime))];
})()"""


def _visit(page: Any, url: str) -> tuple[float, float]:
    """One visit: its load event and when the first screen's figures were drawn (ms)."""
    page.goto(url, wait_until="load")
    page.wait_for_timeout(400)  # the figures of the first screen draw after the load event
    load, drawn = page.evaluate(_TIMES)
    return float(load), float(drawn)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    later = 1 if args.quick else 3  # visits after the second

    from conviction.cli import app as cli
    from conviction.store import connect_for_writing
    from conviction.web import create_app

    tmp = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    db = tmp / "baron.db"
    loaded = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "load", str(EXAMPLE)])
    if loaded.exit_code != 0:
        print(loaded.output, file=sys.stderr)
        return 1
    engine = connect_for_writing(f"sqlite:///{db}")
    app = create_app(
        engine, "bench-token-0123456789", ROOT, policies=("examples/baron/policies/hold.toml",)
    )
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{config.port}"
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for width in (390, 1440):
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                for path in PAGES:
                    visits = [_visit(page, base + path) for _ in range(2 + later)]
                    scroll = page.evaluate("document.documentElement.scrollWidth")
                    size = page.evaluate("document.documentElement.outerHTML.length")
                    rows.append(
                        {
                            "page": path,
                            "viewport": width,
                            "first_ms": visits[0][0],
                            "second_ms": visits[1][0],
                            "load_ms": statistics.median(v[0] for v in visits[2:]),
                            "drawn_ms": statistics.median(v[1] for v in visits[2:]),
                            "scroll_width": scroll,
                            "html_chars": size,
                        }
                    )
                context.close()
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(
        f"{'page':<16} {'px':>5} {'first ms':>9} {'second ms':>10} {'load ms':>8}"
        f" {'drawn ms':>9} {'width':>6} {'html chars':>11}"
    )
    for r in rows:
        print(
            f"{r['page']:<16} {r['viewport']:>5} {r['first_ms']:>9} {r['second_ms']:>10}"
            f" {r['load_ms']:>8.0f} {r['drawn_ms']:>9.0f} {r['scroll_width']:>6}"
            f" {r['html_chars']:>11,}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
