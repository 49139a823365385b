"""The HTML report of the Baron example: every section and figure is there, nothing is
loaded from the network, and its numbers agree with independent computations."""

from __future__ import annotations

import csv
import datetime as dt
import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conviction.app.report import ReportRequest, folder_inputs, gather
from conviction.cli import app as cli
from conviction.report import ReportData, render_report, report_figures
from conviction.report.render import money
from conviction.store import connect
from needs_data import need

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
SECTIONS = (
    "summary",
    "value",
    "attribution",
    "concentration",
    "rolling",
    "projection",
    "policies",
    "theses",
)
FIGURES = (
    "value",
    "growth",
    "drawdown",
    "waterfall_company",
    "waterfall_person",
    "concentration",
    "rolling",
    "fan",
    "policies",
    "milestones",
)


@pytest.fixture(scope="module")
def baron_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("report") / "baron.db"
    url = f"sqlite:///{path}"
    result = CliRunner().invoke(cli, ["--db", url, "load", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    return url


@pytest.fixture(scope="module")
def gspc() -> Path:
    path = ROOT.parent / "shared" / "data" / "prices" / "GSPC.csv"
    return need(path)


@pytest.fixture(scope="module")
def data(baron_url: str, gspc: Path) -> ReportData:
    projection, policies = folder_inputs(EXAMPLE)
    request = ReportRequest(
        benchmark=gspc,
        benchmark_name="S&P 500",
        projection=projection,
        paths=4096,
        policies=policies,
    )
    return gather(connect(baron_url), request)


@pytest.fixture(scope="module")
def html(data: ReportData) -> str:
    return render_report(data)


class _Page(HTMLParser):
    """What a page is made of: ids, what it loads, the text of its tables."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.loads: list[tuple[str, str]] = []
        self.inline_scripts = 0
        self.cells: list[str] = []
        self._in_cell = False
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "script":
            self._in_script = True
            if a.get("src"):
                self.loads.append(("script", a["src"]))
            else:
                self.inline_scripts += 1
        if tag == "link" and a.get("href") and not a["href"].startswith("data:"):
            self.loads.append((a.get("rel", "link"), a["href"]))  # (data: loads nothing)
        if tag in ("img", "iframe", "embed", "source", "audio", "video") and a.get("src"):
            self.loads.append((tag, a["src"]))
        if tag in ("td", "th"):
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._in_cell = False
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_cell and not self._in_script:
            self.cells[-1] += data.strip()


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def test_every_section_and_figure_is_there(html: str) -> None:
    page = _parse(html)
    assert set(SECTIONS) <= page.ids
    for name in FIGURES:
        assert f"fig-{name}" in page.ids, name
        assert re.search(r'Plotly\.newPlot\(\s*"fig-' + name + '"', html), name


def test_nothing_is_loaded_from_the_network(html: str) -> None:
    page = _parse(html)
    assert page.loads == []  # no <script src>, <link href>, <img src>: all inline
    assert page.inline_scripts >= len(FIGURES) + 1  # plotly.js itself and each figure
    assert "plotly.js" in html[:10_000] or "plotly.js v" in html
    styles = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
    assert styles and not any(re.search(r"@import|url\(\s*['\"]?https?:", s) for s in styles)


def test_tables_carry_the_numbers_without_javascript(html: str, baron_url: str) -> None:
    import json

    status = json.loads(CliRunner().invoke(cli, ["--db", baron_url, "status", "--json"]).stdout)
    text = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    cells = _parse(text).cells
    assert money(status["total_value"]) in text
    for line in status["by_company"]:
        assert money(line["value"]) in cells and money(line["gain"]) in cells
    for line in status["by_person"]:
        assert money(line["gain"]) in cells


def test_the_waterfall_starts_at_the_money_put_in(data: ReportData) -> None:
    with (EXAMPLE / "transactions.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    net_in = sum(
        float(r["quantity"]) * (1 if r["action"] == "deposit" else -1)
        for r in rows
        if r["action"] in ("deposit", "withdraw")
    )
    w = data.by_company
    assert w.start == pytest.approx(net_in)
    assert w.start + sum(w.steps) + w.other == pytest.approx(w.end)
    assert w.end == pytest.approx(data.status.total_value)
    assert abs(w.other) < 1e-6 * w.end  # fees sit in the gains: nothing unexplained
    assert sum(data.by_person.steps) == pytest.approx(sum(w.steps))


def test_benchmark_is_the_price_file_rebased(data: ReportData, gspc: Path) -> None:
    with gspc.open(encoding="utf-8") as f:
        closes = {r["date"]: float(r["close"]) for r in csv.DictReader(f)}
    h = data.history
    assert h.benchmark_index is not None and h.benchmark_drawdown is not None

    def close_on(day: np.datetime64) -> float:
        d = dt.date.fromisoformat(str(day))
        while d.isoformat() not in closes:
            d -= dt.timedelta(days=1)
        return closes[d.isoformat()]

    first, last = h.days[0], h.days[-1]
    assert h.benchmark_index[-1] == pytest.approx(close_on(last) / close_on(first), rel=1e-12)
    # Drawdown: a plain loop over the running peak.
    peak, worst = 0.0, 0.0
    for x in h.benchmark_index:
        peak = max(peak, x)
        worst = min(worst, x / peak - 1.0)
    assert float(np.min(h.benchmark_drawdown)) == pytest.approx(worst, rel=1e-12)


def test_rolling_ten_years_from_the_index(data: ReportData) -> None:
    """Every 10-year window's annualised growth, computed here from the growth index."""
    index = data.history.index
    window = 10 * 252
    growth = index[window:] / index[:-window]
    direct = growth ** (252 / window) - 1.0
    ten = next(r for r in data.rolling if r.years == 10)
    assert ten.count == direct.size == index.size - 1 - window + 1
    assert ten.median == pytest.approx(float(np.median(direct)), rel=1e-9)
    assert ten.p5 == pytest.approx(float(np.percentile(direct, 5)), rel=1e-9)


def test_projection_and_policies_are_in(data: ReportData, html: str) -> None:
    p = data.projection
    assert p is not None and p.paths == 4096
    assert f"{100 * p.prob_target:.1f}%" in html
    names = {x.name for x in data.policies}
    assert {"baron", "hold", "index"} <= names
    ran = [x for x in data.policies if x.error is None]
    hold = next(x for x in ran if x.name == "hold")
    assert hold.trades == 0 and hold.end_value == pytest.approx(hold.end_if_held)


def test_policies_on_paths_are_conviction_compare(data: ReportData, baron_url: str) -> None:
    import json

    _, files = folder_inputs(EXAMPLE)
    args = [
        "--db",
        baron_url,
        "compare",
        "--config",
        str(EXAMPLE / "projection.toml"),
        "--paths",
        "4096",
        "--json",
    ]
    for f in files:
        args += ["--policy", str(f)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    cli_out = json.loads(result.stdout)
    assert [o.name for o in data.outcomes] == [p["policy"] for p in cli_out["policies"]]
    for ours, theirs in zip(data.outcomes, cli_out["policies"], strict=True):
        book = theirs["book"]
        assert ours.paths == book["paths"] == 4096
        assert {str(k): v for k, v in ours.percentiles.items()} == book["percentiles"]
        assert ours.prob_target == book["prob_target"][f"{ours.target:g}"]


def test_figures_draw_the_data_they_are_given(data: ReportData) -> None:
    figs = report_figures(data)
    assert set(FIGURES) <= set(figs)
    fan = figs["fan"]
    p = data.projection
    assert p is not None
    median = next(t for t in fan.data if t.name and t.name.startswith("median"))
    np.testing.assert_allclose(median.y, p.fan[:, 2] * p.start_value)
    target = next(t for t in fan.data if t.name and t.name.startswith("target"))
    assert target.y[-1] == pytest.approx(p.start_value * p.target_multiple)
    assert target.y[0] == pytest.approx(p.start_value)
    (note,) = [a for a in fan.layout.annotations if a.text.startswith("P(at least")]
    assert f"{p.prob_target:.1%}" in note.text
    assert 10**note.y == pytest.approx(p.start_value * p.target_multiple)  # log axis
    waterfall = figs["waterfall_company"].data[0]
    measure = list(waterfall.measure)
    assert measure[0] == "absolute" and measure[-1] == "total"
    bars = figs["concentration"].data[0]
    weights = {data.company_names[c.company]: c.weight for c in data.status.by_company}
    assert dict(zip(bars.y, bars.x, strict=True)) == pytest.approx(weights)


def test_a_small_book_without_extras(write_book: object, tmp_path: Path) -> None:
    """A book with no theses, projection, policies or benchmark still renders."""
    toml = write_book(  # type: ignore[operator]
        "date,account,company,action,quantity,price,fees\n"
        "2022-01-03,c1,,deposit,1000,,\n"
        "2022-01-03,c1,a,buy,10,50,0\n",
        "date,company,price,kind,source\n2022-01-03,a,50,close,x\n2023-06-30,a,80,close,x\n",
    )
    url = f"sqlite:///{tmp_path / 'small.db'}"
    assert CliRunner().invoke(cli, ["--db", url, "load", str(toml)]).exit_code == 0
    html = render_report(gather(connect(url), ReportRequest()))
    page = _parse(html)
    assert set(SECTIONS) <= page.ids
    assert "No projection in this report" in html and "No policies in this report" in html
    assert "fig-fan" not in page.ids and page.loads == []


def test_the_database_is_only_read(baron_url: str, data: ReportData) -> None:
    path = baron_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    try:
        before = list(conn.iterdump())
    finally:
        conn.close()
    render_report(gather(connect(baron_url), ReportRequest()))
    conn = sqlite3.connect(path)
    try:
        assert list(conn.iterdump()) == before
    finally:
        conn.close()


def test_long_figure_titles_are_split_for_a_phone(data: ReportData) -> None:
    """Plotly does not wrap a title: a long one becomes a title and a subtitle below it,
    each short enough for a 390 px screen; a short one stays whole."""
    from conviction.report.figures import policies_figure

    days = np.array(["2024-01-02", "2024-01-03"], dtype="datetime64[D]")
    fig = policies_figure([("hold", days, np.array([1.0, 2.0]))], currency="USD")
    assert fig.layout.title.text == "Policies side by side"
    assert fig.layout.title.subtitle.text == "the book's value under each, on history"
    assert fig.layout.margin.t == 80  # room for both lines
    for name, f in report_figures(data).items():  # every line fits a phone's width
        title = f.layout.title
        assert len(title.text) <= 36, (name, title.text)
        assert len(title.subtitle.text or "") <= 48, (name, title.subtitle.text)
