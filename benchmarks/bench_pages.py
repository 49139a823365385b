"""Every web page in Chromium: its load event and its width at a phone and a desktop size.

On the bundled example loaded into a fresh SQLite file and served by ``create_app`` on a
real uvicorn (127.0.0.1), Debian's Chromium (``/usr/bin/chromium``, by Playwright) opens
each page twice in one browser context: a first visit (cold cache) and a second (plotly.js
from the browser's cache). Prints, per page and viewport, the load event
(``performance.timing.loadEventEnd - navigationStart``), the bytes of the page's HTML and
``document.documentElement.scrollWidth`` against ``innerWidth``. Bar (issue 15): each page's
load event within 500 ms on a warm server; at 390 px no page wider than the viewport.

    python benchmarks/bench_pages.py            # 390 and 1440 px, 3 warm visits each
    python benchmarks/bench_pages.py --quick    # 390 and 1440 px, 1 warm visit
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3

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
                    page.goto(base + path, wait_until="load")  # cold, also warms the server
                    cold = page.evaluate(
                        "performance.timing.loadEventEnd - performance.timing.navigationStart"
                    )
                    warm = []
                    for _ in range(repeats):
                        page.goto(base + path, wait_until="load")
                        warm.append(
                            page.evaluate(
                                "performance.timing.loadEventEnd"
                                " - performance.timing.navigationStart"
                            )
                        )
                    scroll = page.evaluate("document.documentElement.scrollWidth")
                    size = page.evaluate("document.documentElement.outerHTML.length")
                    rows.append(
                        {
                            "page": path,
                            "viewport": width,
                            "first_ms": cold,
                            "load_ms": statistics.median(warm),
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
    print(f"{'page':<16} {'px':>5} {'first ms':>9} {'load ms':>8} {'width':>6} {'html chars':>11}")
    for r in rows:
        print(
            f"{r['page']:<16} {r['viewport']:>5} {r['first_ms']:>9} {r['load_ms']:>8.0f}"
            f" {r['scroll_width']:>6} {r['html_chars']:>11,}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
