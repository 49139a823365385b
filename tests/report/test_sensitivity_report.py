"""``conviction report --sensitivity`` and ``--scenario``: the tornado, the Sobol indices and
the scenarios side by side, drawn from the same answers as ``conviction sensitivity --json``
and ``conviction project --scenario --json`` on the same seed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conviction.cli import app as cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
SPEC = str(EXAMPLE / "projection.toml")
RUN = ("--paths", "1000", "--seed", "11")


@pytest.fixture(scope="module")
def baron_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sens') / 'baron.db'}"
    assert CliRunner().invoke(cli, ["--db", url, "load", str(EXAMPLE)]).exit_code == 0
    return url


def _json(url: str, *args: str) -> Any:
    done = CliRunner().invoke(cli, ["--db", url, *args, "--json"])
    assert done.exit_code == 0, (done.output, done.exception)
    return json.loads(done.stdout)


def _figure(html: str, div: str) -> dict[str, Any]:
    """The plotly figure drawn into ``div``: its data and layout, as written in the file."""
    at = html.index(f'id="{div}"')
    call = html.index("Plotly.newPlot(", at)
    start = html.index("[", call)
    data, end = json.JSONDecoder().raw_decode(html, start)
    layout, _ = json.JSONDecoder().raw_decode(html, html.index("{", end))
    return {"data": data, "layout": layout}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def test_the_report_draws_the_tornado_and_the_scenarios_of_the_cli_answers(
    baron_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    names = ("key-person-gone-year-3", "xai-marked-down-50")
    summary = _json(
        baron_url, "report", "--out", str(out), "--projection", SPEC, *RUN, "--sensitivity",
        "--scenario", names[0], "--scenario", names[1],
    )  # fmt: skip
    sens = _json(baron_url, "sensitivity", "--config", SPEC, *RUN)
    scen = _json(
        baron_url, "project", "--config", SPEC, *RUN, "--scenario", names[0], "--scenario", names[1]
    )
    assert summary["sensitivity"] == len(sens["tornado"]) > 5
    assert summary["scenarios"] == ["base", *names]
    html = out.read_text("utf-8")
    section = html[html.index('<section id="sensitivity">') : html.index('<section id="policies">')]
    # the table: every input in the answer's order (sorted by swing), its numbers
    shown = re.findall(r"<tr><td><code>([^<]+)</code></td><td class=\"n\">", section)
    assert shown[: len(sens["tornado"])] == [b["input"] for b in sens["tornado"]]
    for b in sens["tornado"]:
        assert f"{_pct(b['p_swing'])} &plusmn; {_pct(b['p_swing_se'])}" in section
    # the chart: P(target) bars from the low end's P to the high end's, error = paired s.e.
    fig = _figure(html, "fig-tornado")
    p_bars, median_bars = fig["data"]
    assert p_bars["y"] == [b["input"] for b in sens["tornado"]]

    def unpack(values: Any) -> list[float]:  # plotly writes long arrays as typed base64
        if isinstance(values, dict):
            import base64

            import numpy as np

            return list(np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]))
        return list(values)

    assert unpack(p_bars["base"]) == pytest.approx([b["p_low"] for b in sens["tornado"]])
    assert unpack(p_bars["x"]) == pytest.approx([b["p_high"] - b["p_low"] for b in sens["tornado"]])
    assert unpack(p_bars["error_x"]["array"]) == pytest.approx(
        [b["p_swing_se"] for b in sens["tornado"]]
    )
    assert unpack(median_bars["base"]) == pytest.approx([b["median_low"] for b in sens["tornado"]])
    assert 'id="fig-sobol"' in section
    for s in sens["sobol"]["indices"]:
        assert f"<code>{s['driver']}</code>" in section
    # the scenarios: the same P(target) for the base and each scenario as project --scenario
    scenarios = html[html.index('<section id="scenarios">') : html.index('<section id="policies">')]
    assert [c["name"] for c in scen["cases"]] == ["base", *names]
    for c in scen["cases"]:
        assert f'<th class="n">{c["name"]}</th>' in scenarios
        est = c["prob_target"]
        assert f"{_pct(est['estimate'])} &plusmn; {_pct(est['se'])}" in scenarios
    bars = _figure(html, "fig-scenarios")["data"][0]
    assert unpack(bars["y"]) == pytest.approx([c["prob_target"]["estimate"] for c in scen["cases"]])


def test_without_the_flags_there_is_no_tornado_and_bad_input_writes_nothing(
    baron_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "plain.html"
    _json(baron_url, "report", "--out", str(out), "--projection", SPEC, "--paths", "500")
    html = out.read_text("utf-8")
    assert 'id="sensitivity"' not in html and 'id="scenarios"' not in html
    bad = tmp_path / "bad.html"
    no_spec = CliRunner().invoke(
        cli, ["--db", baron_url, "report", "--out", str(bad), "--sensitivity"]
    )
    assert no_spec.exit_code != 0 and "--projection" in str(no_spec.exception)
    unknown = CliRunner().invoke(
        cli,
        ["--db", baron_url, "report", "--out", str(bad), "--projection", SPEC, "--paths", "500",
         "--scenario", "no-such-scenario"],
    )  # fmt: skip
    assert unknown.exit_code != 0
    assert "no-such-scenario" in str(unknown.exception)
    assert not bad.exists()
