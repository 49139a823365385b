"""The tear sheet's figures: monthly-returns heatmap, yearly returns against the
benchmark, allocation treemap. Plain data in (a ``TearSheet``), ``go.Figure`` out; the
numbers are in the tear sheet's tables too."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go  # type: ignore[import-untyped]

from conviction.report.figures import BENCHMARK_COLOR, COLORS, _layout

if TYPE_CHECKING:
    from conviction.app.tearsheet import TearSheet

__all__ = [
    "MONTHS",
    "monthly_heatmap",
    "tearsheet_figures",
    "tearsheet_js",
    "tearsheet_makers",
    "treemap_figure",
    "yearly_figure",
]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def monthly_heatmap(ts: TearSheet) -> go.Figure:
    """Each month's return, a row a year (latest at the top), red for a loss, blue for a
    gain; a month outside the range is blank."""
    z = np.array([row.months for row in ts.months], dtype=np.float64).reshape(-1, 12) * 100
    text = [["" if not np.isfinite(v) else f"{v:.1f}" for v in row] for row in z]
    top = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(MONTHS),
            y=[str(row.year) for row in ts.months],
            text=text,
            texttemplate="%{text}",
            textfont={"size": 10},
            colorscale=[[0, "#D55E00"], [0.5, "#f7f7f7"], [1, "#0072B2"]],
            zmin=-top,
            zmax=top,
            zmid=0,
            hoverongaps=False,
            hovertemplate="%{y} %{x}: %{z:.2f}%<extra></extra>",
            colorbar={"title": {"text": "%"}, "thickness": 10},
        )
    )
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_xaxes(side="top", type="category")
    height = max(220, 60 + 22 * len(ts.months))
    fig = _layout(fig, "Monthly returns (%)", height=height)
    fig.update_layout(hovermode="closest", margin={"l": 50, "r": 10, "t": 70, "b": 10})
    return fig


def yearly_figure(ts: TearSheet) -> go.Figure:
    """The book's return each calendar year, beside the benchmark's."""
    years = [str(y.year) for y in ts.years]
    fig = go.Figure(
        go.Bar(
            x=years,
            y=[y.book * 100 for y in ts.years],
            name="book",
            marker_color=COLORS[0],
            hovertemplate="%{x}: %{y:.1f}%<extra>book</extra>",
        )
    )
    if ts.benchmark is not None:
        fig.add_trace(
            go.Bar(
                x=years,
                y=[y.benchmark * 100 for y in ts.years],
                name=ts.benchmark,
                marker_color=BENCHMARK_COLOR,
                hovertemplate="%{x}: %{y:.1f}%<extra>" + ts.benchmark + "</extra>",
            )
        )
    fig.update_xaxes(type="category")
    fig.update_yaxes(title_text="%", ticksuffix="%")
    title = "Yearly returns" + (f" against {ts.benchmark}" if ts.benchmark else "")
    fig = _layout(fig, title)
    fig.update_layout(barmode="group", hovermode="closest")
    return fig


_BY_TITLE = {"company": "by company", "person": "by key person", "theme": "by theme"}


def treemap_figure(ts: TearSheet) -> go.Figure:
    """The allocation on the last day as a treemap, by company (cash a tile of its own),
    by key person or by theme (buttons switch): tiles show names and shares, not amounts."""
    fig = go.Figure()
    shown = [by for by in _BY_TITLE if any(t.by == by for t in ts.allocation)]
    for i, by in enumerate(shown):
        tiles = [t for t in ts.allocation if t.by == by]
        fig.add_trace(
            go.Treemap(
                ids=[t.id for t in tiles],
                labels=[t.label for t in tiles],
                parents=[t.parent for t in tiles],
                values=[max(t.value, 0.0) for t in tiles],
                customdata=[t.weight * 100 for t in tiles],
                branchvalues="total",
                textinfo="label+text",
                text=[f"{t.weight * 100:.1f}%" for t in tiles],
                hovertemplate="%{label}: %{value:,.0f} (%{customdata:.1f}% of the book)"
                "<extra></extra>",
                name=_BY_TITLE[by],
                visible=i == 0,
                marker={"colors": [COLORS[j % len(COLORS)] for j in range(len(tiles))]}
                if by == "company"
                else None,
                root={"color": "rgba(0,0,0,0)"},
            )
        )
    buttons = [
        {
            "label": _BY_TITLE[by],
            "method": "update",
            "args": [{"visible": [b == by for b in shown]}],
        }
        for by in shown
    ]
    fig = _layout(fig, "Allocation", height=420)
    fig.update_layout(
        hovermode="closest",
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "right",
                "buttons": buttons,
                "x": 0.01,
                "xanchor": "left",
                "y": 1.02,
                "yanchor": "bottom",
                "showactive": True,
                "pad": {"t": 0, "b": 0},
                "font": {"size": 11},
            }
        ]
        if len(shown) > 1
        else [],
    )
    fig.update_layout(title={"y": 0.98, "yanchor": "top"})
    return fig


def tearsheet_figures(ts: TearSheet) -> dict[str, go.Figure]:
    """The tear sheet's figures drawn, by name (``fig.ts_*`` in the templates)."""
    return {name: make() for name, make in tearsheet_makers(ts).items()}


def tearsheet_makers(ts: TearSheet) -> dict[str, Callable[[], go.Figure]]:
    """How to draw each tear-sheet figure, by its name in the templates (``fig.ts_*``)."""
    out: dict[str, Callable[[], go.Figure]] = {
        "ts_months": partial(monthly_heatmap, ts),
        "ts_years": partial(yearly_figure, ts),
    }
    if ts.allocation:
        out["ts_allocation"] = partial(treemap_figure, ts)
    return out


@lru_cache(maxsize=1)
def tearsheet_js() -> str:
    """The holdings table's sort-and-filter script (``web/static/tearsheet.js``), for a
    report that inlines it."""
    from importlib.resources import files

    return files("conviction.web").joinpath("static", "tearsheet.js").read_text("utf-8")
