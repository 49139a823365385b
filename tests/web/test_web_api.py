"""Read endpoints and pages against the Baron example in a real SQLite file.

The API's answers are checked against the CLI's ``--json`` output on the same database
(``conviction status``, ``history``, ``review``, ``thesis show``), and the book's
reference data against book.toml read with tomllib.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"


def test_status_is_the_cli_status(client: TestClient, cli_json: Callable[..., Any]) -> None:
    assert client.get("/api/v1/status").json() == cli_json("status")
    api = client.get("/api/v1/status", params={"as_of": "2021-06-30", "account": "ron"}).json()
    assert api == cli_json("status", "--as-of", "2021-06-30", "--account", "ron")


def test_history_is_the_cli_history(client: TestClient, cli_json: Callable[..., Any]) -> None:
    params = {"start": "2024-01-01", "freq": "M"}
    api = client.get("/api/v1/history", params=params).json()
    assert api == cli_json("history", "--start", "2024-01-01", "--freq", "M")
    assert [a["account"] for a in api["accounts"]] == ["partners", "ron"]


def test_reviews_and_theses_are_the_cli_ones(
    client: TestClient, cli_json: Callable[..., Any]
) -> None:
    assert client.get("/api/v1/reviews").json() == cli_json("review")
    assert client.get("/api/v1/theses/tesla").json() == cli_json("thesis", "show", "tesla")
    assert client.get("/api/v1/theses").json() == cli_json("thesis", "list")


def test_book_lists_the_toml_reference_data(client: TestClient) -> None:
    toml = tomllib.loads((EXAMPLE / "book.toml").read_text("utf-8"))
    book = client.get("/api/v1/book").json()
    assert book["name"] == toml["book"]["name"]
    assert {c["id"] for c in book["companies"]} == {c["id"] for c in toml["company"]}
    assert {a["id"]: a["kind"] for a in book["accounts"]} == {
        a["id"]: a["kind"] for a in toml["account"]
    }
    lines = (EXAMPLE / "transactions.csv").read_text("utf-8").strip().splitlines()
    assert book["rows"]["transactions"] == len(lines) - 1


def test_company_person_account_details(client: TestClient) -> None:
    tesla = client.get("/api/v1/companies/tesla").json()
    assert tesla["status"]["company"] == "tesla" and tesla["key_people"] == ["musk"]
    marks = (EXAMPLE / "marks.csv").read_text("utf-8").splitlines()
    assert len(tesla["marks"]) == sum(1 for m in marks[1:] if m.split(",")[1] == "tesla")
    musk = client.get("/api/v1/persons/musk").json()
    assert set(musk["companies"]) == {"tesla", "spacex", "xai"}
    assert set(musk["scores"]) == {"execution", "long_term", "integration", "resilience"}
    ron = client.get("/api/v1/accounts/ron").json()
    assert ron["kind"] == "personal"
    assert all(t["action"] != "sell" for t in ron["transactions"])  # the last seller


@pytest.mark.parametrize(
    ("url", "what"),
    [
        ("/api/v1/companies/nope", "company"),
        ("/api/v1/persons/nope", "person"),
        ("/api/v1/accounts/nope", "account"),
        ("/api/v1/theses/nope", "thesis"),
        ("/api/v1/status?account=nope", "account"),
        ("/api/v1/projections/nope", "projection job"),
        ("/company/nope", "company"),
        ("/person/nope", "person"),
        ("/account/nope", "account"),
        ("/projection?job=nope", "projection job"),
    ],
)
def test_unknown_ids_are_404(client: TestClient, url: str, what: str) -> None:
    r = client.get(url)
    assert r.status_code == 404
    if url.startswith("/api/"):
        assert f"no {what} 'nope'" in r.json()["detail"]["message"]
    else:  # a page: the site's frame (its menu) back, saying what is missing, escaped
        assert r.headers["content-type"].startswith("text/html")
        assert f"no {what} &#39;nope&#39;" in r.text
        assert '<a href="/theses">Theses</a>' in r.text


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/status?as_of=2025-13-01",
        "/api/v1/status?as_of=yesterday",
        "/api/v1/history?freq=W",
        "/api/v1/history?start=2025-01-01&end=2024-01-01",
    ],
)
def test_bad_query_parameters_are_422(client: TestClient, url: str) -> None:
    assert client.get(url).status_code == 422


def test_stats_agree_with_quantstats_on_the_books_daily_twr(
    client: TestClient, db_url: str
) -> None:
    import numpy as np
    import pandas as pd
    import quantstats as qs

    from conviction.ledger.sessions import valuation_days
    from conviction.ledger.valuation import value_history
    from conviction.store import connect, read_book

    book = read_book(connect(db_url))
    first = book.transactions["date"].min()
    assert book.meta.as_of is not None
    days = valuation_days(first, book.meta.as_of, book.meta.calendar)  # the book's sessions
    vh = value_history(book, days)
    value, flows = vh.value.sum(axis=1), vh.flows.sum(axis=1)
    # Time-weighted daily returns written out here: (V_t - F_t) / V_{t-1} - 1.
    r = np.zeros(days.size)
    r[1:] = np.where(value[:-1] > 0, (value[1:] - flows[1:]) / value[:-1] - 1.0, 0.0)
    returns = pd.Series(r[1:], index=pd.DatetimeIndex(days[1:]))

    # asked for daily (the default is the marks' frequency, monthly: tests/web/test_api_stats.py)
    stats = client.get("/api/v1/stats", params={"frequency": "daily"}).json()
    assert stats["frequency"] == "daily" and stats["warnings"]  # of forward-filled marks
    assert stats["periods"] == 252 and stats["observations"] == returns.size
    cagr: Any = qs.stats.cagr(returns)  # a float for a Series (untyped library)
    assert stats["cagr"] == pytest.approx(float(cagr), rel=1e-9)
    assert stats["max_drawdown"] == pytest.approx(float(qs.stats.max_drawdown(returns)), rel=1e-9)
    assert [r["years"] for r in stats["rolling"]] == [1, 3, 5, 10]
    assert stats["benchmark"] is None


def test_stats_benchmark_must_be_a_csv_in_the_workspace(client: TestClient) -> None:
    r = client.get("/api/v1/stats", params={"benchmark": "examples/baron/marks.csv"})
    assert r.status_code == 422  # a CSV, but not a price file: the reader says which field
    assert r.json()["detail"]["file"] == "examples/baron/marks.csv"
    r = client.get("/api/v1/stats", params={"benchmark": "examples/baron/book.toml"})
    assert r.status_code == 422


def test_openapi_lists_reads_and_guarded_writes(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for read in (
        "/api/v1/book",
        "/api/v1/status",
        "/api/v1/history",
        "/api/v1/stats",
        "/api/v1/reviews",
        "/api/v1/projections/{job_id}",
    ):
        assert "get" in paths[read]
    for write in (
        "/api/v1/transactions",
        "/api/v1/marks",
        "/api/v1/projections",
        "/api/v1/theses/{thesis_id}/milestones/{milestone_id}",
    ):
        assert paths[write]["post"]["security"] == [{"HTTPBearer": []}]
        assert "401" in paths[write]["post"]["responses"]
    assert client.get("/docs").status_code == 404  # Swagger UI would load a CDN


class _Assets(HTMLParser):
    """Collect what a page would load: scripts, stylesheets, images, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag in ("script", "img", "iframe") and a.get("src"):
            self.loads.append(str(a["src"]))
        if tag == "link" and a.get("href"):
            self.loads.append(str(a["href"]))


@pytest.mark.parametrize(
    ("url", "figures"),
    [
        (
            "/",
            [
                "fig-value",
                "fig-growth",
                "fig-drawdown",
                "fig-concentration",
                "fig-waterfall_company",
                "fig-rolling",
            ],
        ),
        ("/company/tesla", ["fig-marks"]),
        ("/person/musk", ["fig-person"]),
        ("/account/ron", ["fig-account"]),
        ("/theses", ["fig-milestones"]),
        ("/policies", []),
        ("/projection", []),
        ("/report", ["fig-value", "fig-rolling", "fig-milestones", "summary", "theses"]),
    ],
)
def test_pages_render_with_local_assets_only(
    client: TestClient, url: str, figures: list[str]
) -> None:
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    page = _Assets()
    page.feed(r.text)
    assert set(figures) <= page.ids
    assert all(re.match(r"^(/static/|data:)", src) for src in page.loads), page.loads
    for fig in figures:
        assert f'Plotly.newPlot(\n                        "{fig}"' in r.text or fig in r.text


def test_dashboard_tables_show_the_status(client: TestClient) -> None:
    from conviction.report.render import money

    st = client.get("/api/v1/status").json()
    html = client.get("/").text
    assert money(st["total_value"]) in html
    for line in st["by_company"]:
        assert f'href="/company/{line["company"]}"' in html
        assert money(line["gain"]) in html


def test_static_assets_are_served_here(client: TestClient) -> None:
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and "plotly.js" in js.text[:500]
    assert client.get("/static/app.js").status_code == 200
