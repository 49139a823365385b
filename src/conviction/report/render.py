"""Render a report to one self-contained HTML string (the caller decides where it goes).

plotly.js is inlined once in a ``<script>`` element and every figure is a ``<div>`` with a
small inline script, so the file opens offline; the tables carry the same numbers for a
reader without JavaScript. Nothing here writes a file.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from typing import Any
from urllib.parse import quote

import numpy as np
import plotly.graph_objects as go  # type: ignore[import-untyped]
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from conviction.report import figures, tearsheet_figures
from conviction.report.data import ReportData
from conviction.theses.model import PILLARS

__all__ = ["environment", "figure_html", "plotly_js", "render_report", "report_figures"]

#: The plotly config of every figure: no logo, responsive.
PLOT_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle that ships inside the plotly package (no network)."""
    from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]

    js: str = get_plotlyjs()
    return js


def money(x: Any, digits: int = 2) -> str:
    """Compact amounts: 15.99B, 283.20M, 1.50k."""
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    x = float(x)
    for unit, scale in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:,.{digits}f}{unit}"
    return f"{x:,.{digits}f}"


def pct(x: Any, digits: int = 1) -> str:
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    return f"{100 * float(x):.{digits}f}%"


def num(x: Any, digits: int = 2) -> str:
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    return f"{float(x):,.{digits}f}"


def id_url(value: Any) -> str:
    """An id as one URL path segment: every character but letters, digits and ``_.-~``
    percent-encoded (``a/b c`` → ``a%2Fb%20c``); the web app's routes take ``{id:path}``."""
    return quote(str(value), safe="")


def environment(*extra: PackageLoader) -> Environment:
    """The Jinja2 environment of the report's templates (``extra`` loaders first, so the
    web app can add its pages and still use the report's tables)."""
    from jinja2 import ChoiceLoader

    env = Environment(
        loader=ChoiceLoader([*extra, PackageLoader("conviction.report", "templates")]),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters: dict[str, Callable[..., str]] = {
        "money": money,
        "pct": pct,
        "num": num,
        "id_url": id_url,
    }
    env.filters.update(filters)
    env.globals.update(zip=zip, pillars=PILLARS)
    env.globals["tearsheet_js"] = lambda: Markup(tearsheet_figures.tearsheet_js())
    return env


def figure_html(fig: go.Figure, div_id: str, *, nonce: str | None = None) -> Markup:
    """One figure as a ``<div>`` plus its inline drawing script (plotly.js not included).
    ``nonce``: written on the script (``<script nonce=...>``), for a page served with a
    Content-Security-Policy that allows inline scripts by nonce only."""
    html = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=div_id,
        config=PLOT_CONFIG,
    )
    if nonce is not None:  # the first <script is plotly's own: the data is JSON-escaped
        html = html.replace("<script", f'<script nonce="{escape(nonce)}"', 1)
    return Markup(html)


def report_figures(d: ReportData, *, only: Sequence[str] | None = None) -> dict[str, go.Figure]:
    """Every figure of the report, by name (the template's ``fig.<name>``); ``only``: just
    these (the dashboard draws six: each figure costs tens of milliseconds in plotly)."""
    draw = _figure_makers(d)
    return {k: make() for k, make in draw.items() if only is None or k in only}


def _figure_makers(d: ReportData) -> dict[str, Callable[[], go.Figure]]:
    """How to draw each figure ``d`` has data for."""
    h = d.history
    st = d.status
    out: dict[str, Callable[[], go.Figure]] = {
        "value": lambda: figures.value_figure(
            h.days, _largest_accounts(h.accounts, h.values), d.currency
        ),
        "growth": lambda: figures.growth_figure(
            h.days, h.index, h.benchmark_index, h.benchmark_name
        ),
        "drawdown": lambda: figures.drawdown_figure(
            h.days, h.drawdown, h.benchmark_drawdown, h.benchmark_name
        ),
        "concentration": lambda: figures.concentration_figure(
            {d.company_names.get(c.company, c.company): c.weight for c in st.by_company},
            {d.person_names.get(p.name, p.name): p.weight for p in st.by_person},
            company_cap=d.settings.company_cap,
            person_cap=d.settings.person_cap,
        ),
        "rolling": lambda: figures.rolling_figure(d.rolling, d.benchmark_rolling, h.benchmark_name),
    }
    for key, w, label in (
        ("waterfall_company", d.by_company, "by company"),
        ("waterfall_person", d.by_person, "by key person"),
    ):
        names = d.company_names if key.endswith("company") else d.person_names
        out[key] = partial(
            figures.waterfall_figure,
            f"From money in to value today, {label}",
            w.start_label,
            w.start,
            [names.get(n, n) for n in w.labels],
            w.steps,
            w.end_label,
            w.end,
            other=w.other,
            currency=d.currency,
        )
    p = d.projection
    if p is not None:
        out["fan"] = partial(
            figures.fan_figure,
            list(range(p.years + 1)),
            [float(q) for q in p.percentiles],
            p.fan * p.start_value,
            start_value=p.start_value,
            target_multiple=p.target_multiple,
            prob_target=p.prob_target,
            prob_se=p.prob_target_se,
            currency=d.currency,
            start_year=d.as_of.year,
        )
    ran = [x for x in d.policies if x.error is None]
    if ran:
        out["policies"] = partial(
            figures.policies_figure, [(x.name, x.dates, x.total) for x in ran], currency=d.currency
        )
    if d.outcomes:
        first = d.outcomes[0]
        out["outcomes"] = partial(
            figures.outcomes_figure,
            [o.name for o in d.outcomes],
            [o.percentiles for o in d.outcomes],
            [o.prob_target for o in d.outcomes],
            target=first.target,
            years=first.years,
        )
    if d.theses:
        out["milestones"] = partial(figures.milestones_figure, d.theses, d.as_of)
    if d.track is not None and d.track.rows:
        out["track"] = partial(figures.track_figure, d.track)
    if d.sensitivity is not None or d.scenarios is not None:
        from conviction.report import sensitivity_figures as sf

        if d.sensitivity is not None:
            out["tornado"] = partial(sf.tornado_figure, d.sensitivity)
            if d.sensitivity.sobol.indices:
                out["sobol"] = partial(sf.sobol_figure, d.sensitivity)
        if d.scenarios is not None:
            out["scenarios"] = partial(sf.scenario_figure, d.scenarios)
    if d.tearsheet is not None:
        out.update(tearsheet_figures.tearsheet_makers(d.tearsheet))
    return out


#: Accounts drawn one by one in the value figure; the rest are summed as one band.
MAX_ACCOUNT_BANDS = 8


def _largest_accounts(accounts: tuple[str, ...], values: Any) -> dict[str, Any]:
    """Account values to stack: the largest by final value, the others summed (a figure of
    a thousand bands says nothing, and its data would weigh megabytes)."""
    if len(accounts) <= MAX_ACCOUNT_BANDS:
        return {a: values[:, j] for j, a in enumerate(accounts)}
    order = np.argsort(-values[-1])
    keep = order[: MAX_ACCOUNT_BANDS - 1]
    rest = order[MAX_ACCOUNT_BANDS - 1 :]
    out = {accounts[j]: values[:, j] for j in keep}
    out[f"{rest.size} other accounts"] = values[:, rest].sum(axis=1)
    return out


def render_report(
    d: ReportData, *, inline_plotly: bool = True, plotly_src: str | None = None
) -> str:
    """The whole report as one HTML document. ``inline_plotly=False`` leaves plotly.js out
    (for a page that loads it once from elsewhere, such as the web app); ``plotly_src``:
    then load it from this URL (``<script src=...>``)."""
    figs = {k: figure_html(f, f"fig-{k}") for k, f in report_figures(d).items()}
    template = environment().get_template("report.html.j2")
    return template.render(
        d=d,
        fig=_Figures(figs),
        plotly_js=Markup(plotly_js()) if inline_plotly else None,
        plotly_src=None if inline_plotly else plotly_src,
        lazy_plots_js=Markup(lazy_plots_js()),
    )


def lazy_plots_js() -> str:
    """The script that draws each figure when it comes near the screen (static/)."""
    from importlib.resources import files

    return files("conviction.report").joinpath("static/lazy-plots.js").read_text("utf-8")


class _Figures(dict[str, Markup]):
    """Template access ``fig.name``; a figure that was not drawn is empty, not an error."""

    def __getattr__(self, name: str) -> Markup:
        return self.get(name, Markup(""))
