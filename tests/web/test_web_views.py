"""Any date, any slice: ``?as_of=`` on every page, ``?account=`` and ``?range=`` on the
dashboard, and a readable page (HTTP 422) for a date or account that cannot be shown."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from conviction.app.reads import book_status
from conviction.report.render import money
from conviction.store import connect, read_book
from conviction.web.views import View, range_start, read_view, windowed

DAY = "2021-12-31"


@pytest.fixture
def book(db_url: str) -> Any:
    return read_book(connect(db_url))


def _cards(page: str) -> dict[str, str]:
    found = re.findall(r'<div class="k">([^<]+)</div><div class="v">(.*?)</div>', page)
    return {k: re.sub(r"<[^>]+>", "", v) for k, v in found}


def _picker(page: str) -> str:
    found = re.search(r'<form class="view"[^>]*>.*?</form>', page, re.S)
    assert found, page[:2000]
    return found.group(0)


def _xs(page: str, div: str) -> list[str]:
    """The x values (dates) of the first trace of a figure on a page."""
    found = re.search(rf'Plotly\.newPlot\(\s*"{div}",\s*', page)
    assert found, div
    traces, _ = json.JSONDecoder().raw_decode(page, found.end())
    xs: list[str] = traces[0]["x"]
    return xs


def test_the_dashboard_shows_the_date_asked_for(client: TestClient, book: Any) -> None:
    page = client.get("/", params={"as_of": DAY})
    assert page.status_code == 200
    assert f"On {DAY}, in USD." in page.text
    then = book_status(book, dt.date.fromisoformat(DAY))
    now = book_status(book)
    cards = _cards(page.text)
    assert cards["value"] == money(then.total_value) != money(now.total_value)
    assert cards["cash"] == money(then.cash)
    assert f'name="as_of" value="{DAY}"' in _picker(page.text)
    assert _xs(page.text, "fig-value")[-1] == DAY  # the history ends on the day
    # the navigation keeps the date, and so do the links to companies, people, accounts
    assert f'href="/theses?as_of={DAY}"' in page.text
    assert f'href="/report?as_of={DAY}"' in page.text
    links = re.findall(r'href="(/(?:company|person|account)/[^"]*)"', page.text)
    assert {"/company/tesla", "/person/musk", "/account/ron"} <= {
        link.removesuffix(f"?as_of={DAY}") for link in links
    }
    assert links and all(link.endswith(f"?as_of={DAY}") for link in links)
    undated = client.get("/").text
    assert 'href="/company/tesla"' in undated


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/company/tesla", "Tesla"),
        ("/person/musk", f"Scorecard on {DAY}"),
        ("/account/ron", f"On {DAY} · USD"),
        ("/theses", f"On {DAY}."),
        ("/projection", f'<input type="hidden" name="as_of" value="{DAY}">'),
        ("/policies", f"Backtests to {DAY}, on the book as it stood that day."),
        ("/report", f"Report on {DAY}"),
    ],
)
def test_every_page_honours_as_of(client: TestClient, path: str, says: str) -> None:
    page = client.get(path, params={"as_of": DAY})
    assert page.status_code == 200, page.text[:500]
    assert says in page.text
    assert f'name="as_of" value="{DAY}"' in _picker(page.text)


def test_a_company_page_values_the_holding_on_the_date(client: TestClient, book: Any) -> None:
    page = client.get("/company/tesla", params={"as_of": DAY}).text
    line = next(
        c for c in book_status(book, dt.date.fromisoformat(DAY)).by_company if c.company == "tesla"
    )
    assert _cards(page)["value"] == money(line.value)
    marks = re.findall(r"<tr><td>(\d{4}-\d{2}-\d{2})</td><td class=\"n\">", page)
    assert marks and max(marks) <= DAY  # no mark after the day


def test_an_account_page_lists_only_what_happened_by_the_date(client: TestClient) -> None:
    page = client.get("/account/partners", params={"as_of": "2016-01-15"}).text
    dates = re.findall(r"<tr><td>(\d{4}-\d{2}-\d{2})</td><td>(?:buy|sell|deposit)", page)
    assert dates and max(dates) <= "2016-01-15"
    everything = client.get("/account/partners").text
    assert max(re.findall(r"<tr><td>(\d{4}-\d{2}-\d{2})</td><td>", everything)) > "2016-01-15"


def test_policies_backtest_to_the_date(client: TestClient) -> None:
    page = client.get("/policies", params={"as_of": DAY}).text
    whole = client.get("/policies").text
    assert "2025-11-14" not in re.sub(r'<form class="view".*?</form>', "", page, flags=re.S)
    assert "2025-11-14" in whole


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"as_of": "2001-01-01"},
            "as_of 2001-01-01 is before the book's first transaction (2014-06-10): pick a "
            "day from 2014-06-10 to",
        ),
        ({"as_of": "2999-01-01"}, "as_of 2999-01-01 is in the future (today is"),
        ({"as_of": "31/12/2021"}, "as_of must be a date YYYY-MM-DD, got '31/12/2021'"),
        ({"account": "[/nobody]"}, "unknown account '[/nobody]'"),
        ({"range": "2Y"}, "range must be one of YTD, 1Y, 3Y, 5Y, 10Y, Max, got '2Y'"),
    ],
)
@pytest.mark.parametrize("path", ["/", "/company/tesla", "/theses", "/policies", "/report"])
def test_a_date_that_cannot_be_shown_is_a_page_that_says_why(
    client: TestClient, path: str, query: dict[str, str], message: str
) -> None:
    if path != "/" and "account" in query:
        query = {**query, "as_of": "2001-01-01"}  # account and range are the dashboard's
        message = "as_of 2001-01-01 is before the book's first transaction"
    if path != "/" and "range" in query:
        return
    page = client.get(path, params=query)
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert message in html.unescape(page.text)
    assert "<h1>Cannot show this page</h1>" in page.text
    picker = _picker(page.text)  # pick another date from there
    assert 'min="2014-06-10"' in picker


def test_the_account_filter_values_those_accounts_only(client: TestClient, book: Any) -> None:
    page = client.get("/", params={"account": "ron"}).text
    ron = book_status(book, accounts=["ron"])
    everyone = book_status(book)
    assert _cards(page)["value"] == money(ron.total_value) != money(everyone.total_value)
    assert "accounts ron only" in page
    assert '<option value="ron" selected>ron</option>' in _picker(page)
    both = client.get("/", params={"account": ["ron", "partners"]}).text
    assert _cards(both)["value"] == money(everyone.total_value)
    # with a date too
    on = client.get("/", params={"account": "ron", "as_of": DAY}).text
    then = book_status(book, dt.date.fromisoformat(DAY), accounts=["ron"])
    assert _cards(on)["value"] == money(then.total_value)


@pytest.mark.parametrize("span", ["YTD", "1Y", "3Y", "5Y", "10Y", "Max"])
def test_time_ranges_cut_the_value_return_and_drawdown_charts(
    client: TestClient, span: str
) -> None:
    page = client.get("/", params={"range": span, "as_of": "2025-11-14"}).text
    start = range_start(span, dt.date(2025, 11, 14))
    for fig in ("fig-value", "fig-growth", "fig-drawdown"):
        xs = _xs(page, fig)
        assert xs[-1] == "2025-11-14"
        if start is None or start < dt.date(2014, 6, 10):
            assert xs[0] == "2014-06-10"
        else:  # the first business day of the range
            assert start.isoformat() <= xs[0] <= (start + dt.timedelta(days=3)).isoformat()
    assert re.search(rf'<a href="[^"]*"[^>]* aria-current="page" class="on">{span}</a>', page)
    # the rolling returns stay over the whole history
    assert _xs(client.get("/").text, "fig-rolling") == _xs(page, "fig-rolling")


def test_range_links_keep_the_date_and_accounts(client: TestClient) -> None:
    page = client.get("/", params={"as_of": DAY, "account": "ron"}).text
    assert f'<a href="/?as_of={DAY}&amp;account=ron&amp;range=1Y">1Y</a>' in page


def test_windowed_history_rebases_growth_and_drawdown(client: TestClient, db_url: str) -> None:
    from conviction.report.data import report_data

    book = read_book(connect(db_url))
    h = report_data(book).history
    start = dt.date(2022, 1, 3)
    w = windowed(h, start)
    keep = h.days >= np.datetime64(start)
    assert w.days[0] == np.datetime64(start)
    np.testing.assert_array_equal(w.values, h.values[keep])
    np.testing.assert_allclose(w.index, h.index[keep] / h.index[keep][0])
    assert w.index[0] == 1.0 and w.drawdown[0] == 0.0
    peak = np.maximum.accumulate(w.index)
    np.testing.assert_allclose(w.drawdown, w.index / peak - 1.0)
    assert windowed(h, None) is h and windowed(h, dt.date(2000, 1, 1)) is h


def test_range_start() -> None:
    end = dt.date(2024, 2, 29)
    assert range_start("YTD", end) == dt.date(2024, 1, 1)
    assert range_start("1Y", end) == dt.date(2023, 2, 28)
    assert range_start("10Y", end) == dt.date(2014, 2, 28)
    assert range_start("Max", end) is None


def test_read_view_bounds(db_url: str) -> None:
    book = read_book(connect(db_url))
    today = dt.date(2026, 1, 1)
    view = read_view(book, " 2014-06-10 ", ["ron", ""], "5Y", today=today)
    assert view == View(
        dt.date(2014, 6, 10), ("ron",), "5Y", dt.date(2014, 6, 10), today, dt.date(2025, 11, 14)
    )
    assert view.query() == "?as_of=2014-06-10&account=ron&range=5Y"
    assert view.query(account=None, range=None) == "?as_of=2014-06-10"
    assert read_view(book, None, today=today).query() == ""
    assert read_view(book, "2026-01-01", today=today).as_of == today  # today itself is fine


def _ys(page: str, div: str) -> dict[str, np.ndarray]:
    """Each trace's y values of a figure on a page, by trace name."""
    import base64

    found = re.search(rf'Plotly\.newPlot\(\s*"{div}",\s*', page)
    assert found, div
    traces, _ = json.JSONDecoder().raw_decode(page, found.end())
    out = {}
    for t in traces:
        y = t["y"]
        if isinstance(y, dict):  # plotly's typed array
            y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
        out[t["name"]] = np.asarray(y, dtype=float)
    return out


def test_the_benchmark_picker_draws_any_stored_series(client: TestClient, book: Any) -> None:
    from conviction.ledger.valuation import price_history

    page = client.get("/", params={"benchmark": "tesla", "range": "1Y"}).text
    assert '<option value="tesla" selected>Tesla (marks)</option>' in _picker(page)
    growth = _ys(page, "fig-growth")
    assert list(growth) == ["book", "Tesla"]
    days = np.array(_xs(page, "fig-growth"), dtype="datetime64[D]")
    tesla = price_history(book, days)["tesla"].to_numpy()
    np.testing.assert_allclose(growth["Tesla"], tesla / tesla[0])  # rebased on the range
    assert list(_ys(page, "fig-drawdown")) == ["book", "Tesla"]
    assert "against Tesla" in page
    # none: the book alone (this server has no --benchmark file)
    alone = client.get("/", params={"benchmark": "none"}).text
    assert list(_ys(alone, "fig-growth")) == ["book"]
    assert list(_ys(client.get("/").text, "fig-growth")) == ["book"]


def test_an_unknown_benchmark_is_a_page_that_says_why(client: TestClient) -> None:
    page = client.get("/", params={"benchmark": "../../etc/passwd"})
    assert page.status_code == 422
    assert (
        "unknown benchmark '../../etc/passwd' (known: none, spacex, tesla, xai)"
        in html.unescape(page.text)
    )


def test_the_servers_benchmark_file_is_the_default_and_can_be_left_out(
    db_url: str, tmp_path: Any
) -> None:
    from conviction.store import connect_for_writing
    from conviction.web import create_app

    days = np.arange(np.datetime64("2014-01-02"), np.datetime64("2025-12-01"), 7)
    closes = 100.0 * 1.001 ** np.arange(days.size)
    rows = "".join(f"{d},{c:.6f}\n" for d, c in zip(days, closes, strict=True))
    (tmp_path / "index.csv").write_text("date,close\n" + rows)
    engine = connect_for_writing(db_url)
    app = create_app(
        engine, "test-token-0123456789abcdef", tmp_path, benchmark="index.csv",
        allowed_hosts=("testserver",),
    )  # fmt: skip
    with TestClient(app) as client:
        page = client.get("/").text
        assert list(_ys(page, "fig-growth")) == ["book", "index"]
        assert '<option value="index.csv" selected>index.csv</option>' in _picker(page)
        assert '<option value="none">none</option>' in _picker(page)
        chosen = client.get("/", params={"benchmark": "xai"}).text
        assert list(_ys(chosen, "fig-growth")) == ["book", "xAI"]
        alone = client.get("/", params={"benchmark": "none"}).text
        assert list(_ys(alone, "fig-growth")) == ["book"]
        assert '<option value="none" selected>none</option>' in _picker(alone)
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "field", "length"),
    [
        ("/?as_of=" + "9" * 5000, "as_of", "5,000"),
        ("/?range=" + "x" * 2000, "range", "2,000"),
        ("/?benchmark=" + "b" * 3000, "benchmark", "3,000"),
        ("/?account=" + "a" * 3000, "account", "3,000"),
        ("/company/" + "z" * 3000, "path", "3,000"),
    ],
)
def test_an_over_long_query_value_is_a_short_readable_page(
    client: TestClient, url: str, field: str, length: str
) -> None:
    """A value pasted by mistake (kilobytes): the page frame says which field and how long
    the value was, and echoes only its start (the API keeps its JSON answer)."""
    r = client.get(url)
    assert r.status_code in (404, 422)
    assert r.headers["content-type"].startswith("text/html")
    assert f'data-field="{field}"' in r.text
    assert f"({length} characters)" in r.text
    assert len(r.text) < 12_000  # the start of the value, not all of it
    assert client.get("/api/v1/status?as_of=" + "9" * 5000).headers["content-type"] == (
        "application/json"
    )


@pytest.mark.parametrize("as_of", ["2021-12-31", "2026-03-01"])
def test_one_account_of_a_book_with_an_exchange_is_shown(client: TestClient, as_of: str) -> None:
    """The example exchanges xai into spacex (2026-02-02) in the accounts that hold it: the
    page of an account is drawn from that account's rows and the book-wide exchange,
    whether or not the account held xai (it is not refused as 'nothing to exchange')."""
    for account in ("ron", "partners"):
        r = client.get(f"/?as_of={as_of}&account={account}&range=1Y&benchmark=tesla")
        assert r.status_code == 200, r.text[:300]
        assert 'role="alert"' not in r.text
