"""The tear sheet: one answer (``app.tearsheet.TearSheet``) in the API, the dashboard and
the report, for the page's date, accounts, range and benchmark; its contributors add up
to the book's gain over the range, computed here from the value history alone."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from conviction.app.answers import answer_model
from conviction.app.tearsheet import TearSheet, tear_sheet
from conviction.io.book_reader import read_book
from conviction.ledger.sessions import valuation_days
from conviction.ledger.valuation import value_history
from conviction.report.data import report_data
from conviction.report.render import render_report
from conviction.web.views import range_start, windowed

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"


@pytest.fixture(scope="module")
def baron() -> object:
    return read_book(EXAMPLE)


def _gain_from_values(book: object, start: dt.date | None, end: dt.date) -> float:
    """Value change net of deposits and withdrawals, from the daily value history."""
    tx = book.transactions["date"].to_numpy().astype("datetime64[D]")  # type: ignore[attr-defined]
    days = valuation_days(tx.min(), end, book.meta.calendar)  # type: ignore[attr-defined]
    vh = value_history(book, days)  # type: ignore[arg-type]
    total, flows = vh.value.sum(axis=1), vh.flows.sum(axis=1)
    if start is None:
        return float(total[-1] - flows.sum())
    i = int(np.searchsorted(days, np.datetime64(start, "D")))
    return float(total[-1] - total[i] - flows[i + 1 :].sum())


@pytest.mark.parametrize("span", ["Max", "5Y", "3Y", "1Y", "YTD"])
def test_contributions_sum_to_the_books_gain_over_the_range(baron: object, span: str) -> None:
    d = report_data(baron)  # type: ignore[arg-type]
    start = range_start(span, d.as_of)
    part = windowed(d.history, start)
    ts = tear_sheet(baron, part, d.status, range_=span, whole=part is d.history)  # type: ignore[arg-type]
    first = None if part is d.history else dt.date.fromisoformat(str(part.days[0]))
    expected = _gain_from_values(baron, first, d.as_of)
    got = sum(c.gain for c in ts.contributions)
    assert got == pytest.approx(expected, rel=1e-9)
    assert ts.book_gain == pytest.approx(expected, rel=1e-12)
    assert abs(ts.other_gain) < 1e-3  # the example has no fees or interest on cash
    for c in ts.contributions:  # value change net of what was bought
        assert c.end_value - c.start_value - c.net_bought == pytest.approx(c.gain, abs=1e-3)
    assert [c.gain for c in ts.top] == sorted((c.gain for c in ts.top), reverse=True)
    if span == "Max":  # from zero: each company's gain since its first transaction
        gains = {c.company: c.gain for c in d.status.by_company}
        assert {c.company: c.gain for c in ts.contributions} == pytest.approx(gains)


def test_the_tear_sheet_of_a_range_is_measured_from_its_first_day(baron: object) -> None:
    d = report_data(baron)  # type: ignore[arg-type]
    part = windowed(d.history, range_start("1Y", d.as_of))
    ts = tear_sheet(baron, part, d.status, range_="1Y", whole=False)  # type: ignore[arg-type]
    assert ts.start == dt.date.fromisoformat(str(part.days[0])) >= dt.date(2024, 11, 14)
    growth = float(np.prod([1 + y.book for y in ts.years]))
    assert growth == pytest.approx(part.index[-1] / part.index[0], rel=1e-10)
    months = [v for row in ts.months for v in row.months if np.isfinite(v)]
    assert float(np.prod([1 + v for v in months])) == pytest.approx(growth, rel=1e-10)
    held = sum(h.value for h in ts.holdings)
    assert held + d.status.cash == pytest.approx(ts.total_value, rel=1e-12)
    top = {t.id: t.value for t in ts.allocation if t.by == "person" and not t.parent}
    kids = [t.value for t in ts.allocation if t.by == "person" and t.parent]
    assert sum(top.values()) == pytest.approx(sum(kids)) == pytest.approx(held)


def test_the_api_answers_the_dashboards_tear_sheet(client: TestClient) -> None:
    r = client.get("/api/v1/tearsheet", params={"range": "3Y", "account": "ron"})
    assert r.status_code == 200, r.text
    body = r.json()
    answer_model(TearSheet).model_validate(body)
    assert body["range"] == "3Y"
    page = client.get("/", params={"range": "3Y", "account": "ron"}).text
    assert 'id="tearsheet"' in page and 'id="ts-holdings"' in page
    for h in body["holdings"]:
        assert f'data-v="{h["value"]}"' in page
    for c in body["top"]:
        assert c["name"] in page
    assert body["start"] in page
    whole = client.get("/api/v1/tearsheet").json()
    assert whole["range"] == "Max" and whole["start"] < body["start"]
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/tearsheet" in schema["paths"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"range": "2Y"}, "range"),
        ({"as_of": "2001-01-01"}, "as_of"),
        ({"account": "nobody"}, "account"),
        ({"benchmark": "nothing"}, "benchmark"),
    ],
)
def test_a_bad_view_is_a_422_naming_the_field(
    client: TestClient, query: dict[str, str], field: str
) -> None:
    r = client.get("/api/v1/tearsheet", params=query)
    assert r.status_code == 422
    assert r.json()["detail"]["field"] == field


def test_the_script_is_served_and_loaded_with_the_pages_nonce(client: TestClient) -> None:
    js = client.get("/static/tearsheet.js")
    assert js.status_code == 200 and "ts-holdings" in js.text
    r = client.get("/")
    nonce = re.search(r"nonce-([^' ]+)", r.headers["content-security-policy"])
    assert nonce is not None
    assert f'<script src="/static/tearsheet.js" nonce="{nonce[1]}" defer>' in r.text


def test_the_report_has_the_tear_sheet_and_its_script_inline(baron: object) -> None:
    d = report_data(baron)  # type: ignore[arg-type]
    html = render_report(d)
    assert 'id="tearsheet"' in html and 'href="#tearsheet"' in html
    for name in ("ts_months", "ts_years", "ts_allocation"):
        assert re.search(r'Plotly\.newPlot\(\s*"fig-' + name + '"', html), name
    assert 'src="/static/tearsheet.js"' not in html and "ts-holdings" in html
    ts = d.tearsheet
    assert ts is not None
    for p in ts.drawdowns:
        assert f"<td>{p.start}</td><td>{p.trough}</td>" in html
    worst = ts.drawdowns[0]
    assert worst.depth == pytest.approx(d.stats.max_drawdown, rel=1e-12)


def test_yearly_returns_against_a_company_benchmark_compound_to_its_price_ratio(
    client: TestClient, baron: object
) -> None:
    from conviction.ledger.valuation import price_history

    body = client.get("/api/v1/tearsheet", params={"benchmark": "tesla", "range": "5Y"}).json()
    assert body["benchmark"] == "Tesla"
    marks = baron.marks[baron.marks["company"] == "tesla"]  # type: ignore[attr-defined]
    days = np.unique(marks["date"].to_numpy().astype("datetime64[D]"))
    prices = price_history(baron, days)["tesla"].to_numpy()  # type: ignore[arg-type]

    def price_on(day: str) -> float:
        return float(prices[np.searchsorted(days, np.datetime64(day), side="right") - 1])

    expected = price_on(body["as_of"]) / price_on(body["start"])
    growth = float(np.prod([1 + y["benchmark"] for y in body["years"]]))
    assert growth == pytest.approx(expected, rel=1e-9)
    book = float(np.prod([1 + y["book"] for y in body["years"]]))
    assert [y["excess"] for y in body["years"]] == pytest.approx(
        [y["book"] - y["benchmark"] for y in body["years"]]
    )
    assert book != pytest.approx(growth)
