"""Plotly figures from plain data: arrays, sequences and mappings in, ``go.Figure`` out.

No figure reads a book or computes a statistic: ``report.data`` does that once. Each
function draws one thing a person would rather look at than read; the same numbers are in
the report's tables for readers without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import plotly.graph_objects as go  # type: ignore[import-untyped]
from plotly.subplots import make_subplots  # type: ignore[import-untyped]

from conviction._typing import Float64Array
from conviction.analytics import RollingSummary
from conviction.theses.model import Thesis

if TYPE_CHECKING:
    from conviction.app.track_runs import TrackAnswer

__all__ = [
    "COLORS",
    "STATUS_COLORS",
    "concentration_figure",
    "drawdown_figure",
    "fan_figure",
    "growth_figure",
    "marks_figure",
    "milestones_figure",
    "outcomes_figure",
    "policies_figure",
    "rolling_figure",
    "track_figure",
    "value_figure",
    "waterfall_figure",
]

#: One colour per series, in order (colour-blind safe: Okabe-Ito).
COLORS: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
BENCHMARK_COLOR = "#7f7f7f"
STATUS_COLORS: dict[str, str] = {
    "pending": "#56B4E9",
    "hit": "#009E73",
    "slipped": "#E69F00",
    "missed": "#D55E00",
}
_HEIGHT = 380


#: The look of plotly's "plotly_white" template, as plain layout settings. The template
#: itself is copied into every figure (about 25 ms a figure to apply, 10 KB of JSON each):
#: the dashboard redraws six figures after every write.
_WHITE_AXIS = {
    "gridcolor": "#EBF0F8",
    "linecolor": "#EBF0F8",
    "zerolinecolor": "#EBF0F8",
    "zerolinewidth": 2,
    "ticks": "",
    "automargin": True,
    "title": {"standoff": 15},
}
_WHITE = {
    "template": "none",
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "font": {"color": "#2a3f5f"},
    "colorway": list(COLORS),
    "hoverlabel": {"align": "left"},
}


def _title(title: str) -> dict[str, Any]:
    """Plotly's title of ``title``: a long one is split at its first ": ", " (" or ", " into a
    title and a subtitle below it, in a smaller font. Plotly does not wrap a title, and on
    a phone (390 px) a line of 60 characters ran off the figure's edge."""
    text: dict[str, Any] = {"text": title}
    if len(title) > _ONE_LINE:
        for mark, keep in ((": ", ""), (" (", "("), (", ", "")):
            head, found, rest = title.partition(mark)
            if found and rest:
                text = {"text": head, "subtitle": {"text": keep + rest}}
                break
    return {**text, "x": 0.01, "xanchor": "left"}


#: The longest title kept on one line (about a phone's width at plotly's title size).
_ONE_LINE = 36


def _layout(fig: go.Figure, title: str, *, height: int = _HEIGHT) -> go.Figure:
    fig.update_layout(_WHITE)
    fig.update_xaxes(_WHITE_AXIS)
    fig.update_yaxes(_WHITE_AXIS)
    heading = _title(title)
    fig.update_layout(
        title=heading,
        height=height,
        margin={"l": 60, "r": 20, "t": 80 if "subtitle" in heading else 60, "b": 40},
        legend={"orientation": "h", "y": -0.15},
        hovermode="x unified",
    )
    return fig


def _dates(days: np.ndarray) -> list[str]:
    """ISO dates: plotly reads them as dates, and the JSON stays small."""
    return [str(d) for d in np.asarray(days).astype("datetime64[D]")]


def value_figure(days: np.ndarray, values: Mapping[str, Float64Array], currency: str) -> go.Figure:
    """The value of each account over time, stacked: their sum is the book."""
    fig = go.Figure()
    x = _dates(days)
    for i, (name, v) in enumerate(values.items()):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=np.asarray(v, dtype=float),
                name=name,
                stackgroup="book",
                mode="lines",
                line={"width": 0.5, "color": COLORS[i % len(COLORS)]},
            )
        )
    fig.update_yaxes(title_text=currency, exponentformat="B")
    return _layout(fig, f"Value by account ({currency})")


def growth_figure(
    days: np.ndarray,
    book: Float64Array,
    benchmark: Float64Array | None = None,
    benchmark_name: str | None = None,
) -> go.Figure:
    """Growth of 1 (time-weighted, so deposits do not count as gains) against a benchmark,
    on a log scale so equal percentage moves look equal."""
    fig = go.Figure()
    x = _dates(days)
    fig.add_trace(go.Scatter(x=x, y=book, name="book", line={"color": COLORS[0], "width": 2}))
    if benchmark is not None:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=benchmark,
                name=benchmark_name or "benchmark",
                line={"color": BENCHMARK_COLOR, "width": 1.5},
            )
        )
    fig.update_yaxes(type="log", title_text="growth of 1", **_log_ticks(book, benchmark))
    title = "Growth of 1, time-weighted"
    if benchmark is not None:
        title += f", against {benchmark_name or 'the benchmark'}"
    return _layout(fig, title)


def drawdown_figure(
    days: np.ndarray,
    book: Float64Array,
    benchmark: Float64Array | None = None,
    benchmark_name: str | None = None,
) -> go.Figure:
    """How far below its last peak the book (and benchmark) stood on each day."""
    fig = go.Figure()
    x = _dates(days)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=book,
            name="book",
            fill="tozeroy",
            line={"color": COLORS[5], "width": 1},
        )
    )
    if benchmark is not None:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=benchmark,
                name=benchmark_name or "benchmark",
                line={"color": BENCHMARK_COLOR, "width": 1},
            )
        )
    fig.update_yaxes(tickformat=".0%", title_text="below peak")
    return _layout(fig, "Drawdown from the running peak", height=300)


def waterfall_figure(
    title: str,
    start_label: str,
    start: float,
    labels: Sequence[str],
    steps: Sequence[float],
    end_label: str,
    end: float,
    *,
    other: float = 0.0,
    currency: str = "",
) -> go.Figure:
    """From ``start`` through each gain to ``end`` (``other`` closes the gap when not 0)."""
    x = [start_label, *labels]
    y = [start, *steps]
    measure = ["absolute"] + ["relative"] * len(steps)
    if abs(other) > 1e-9 * max(abs(end), 1.0):
        x.append("fees and other")
        y.append(other)
        measure.append("relative")
    x.append(end_label)
    y.append(end)
    measure.append("total")
    fig = go.Figure(
        go.Waterfall(
            x=x,
            y=y,
            measure=measure,
            textposition="outside",
            text=[_short(v) for v in y],
            connector={"line": {"color": "#bbbbbb"}},
            increasing={"marker": {"color": COLORS[2]}},
            decreasing={"marker": {"color": COLORS[5]}},
            totals={"marker": {"color": COLORS[0]}},
        )
    )
    fig.update_yaxes(title_text=currency, exponentformat="B")
    fig = _layout(fig, title)
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


def concentration_figure(
    companies: Mapping[str, float],
    people: Mapping[str, float],
    *,
    company_cap: float | None = None,
    person_cap: float | None = None,
) -> go.Figure:
    """Weights of the book by company and by key person, with the review caps."""
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=("by company", "by key person"), horizontal_spacing=0.15
    )
    for col, (weights, cap, color) in enumerate(
        ((companies, company_cap, COLORS[0]), (people, person_cap, COLORS[3])), start=1
    ):
        names = list(weights)[::-1]  # largest on top
        values = [weights[n] for n in names]
        over = [cap is not None and v > cap for v in values]
        fig.add_trace(
            go.Bar(
                x=values,
                y=names,
                orientation="h",
                marker={"color": [COLORS[5] if o else color for o in over]},
                text=[f"{v:.1%}" for v in values],
                textposition="outside",
                cliponaxis=False,
                showlegend=False,
                hovertemplate="%{y}: %{x:.1%}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        if cap is not None:
            fig.add_vline(
                x=cap,
                line={"dash": "dash", "color": COLORS[5]},
                annotation_text=f"cap {cap:.0%}",
                row=1,
                col=col,
            )
        top = max([*values, cap or 0.0, 0.01])
        fig.update_xaxes(tickformat=".0%", range=[0, top * 1.2], row=1, col=col)
    fig = _layout(fig, "Concentration: share of the book's value (cash included)")
    fig.update_layout(hovermode="closest")
    return fig


def fan_figure(
    years: Sequence[int],
    percentiles: Sequence[float],
    values: Float64Array,
    *,
    start_value: float,
    target_multiple: float,
    prob_target: float,
    prob_se: float | None = None,
    currency: str = "",
    start_year: int | None = None,
) -> go.Figure:
    """Percentile bands of the projected value by year, with the target path.

    ``values`` is (years, percentiles). Bands pair the outer percentiles (5-95, 25-75);
    the middle one is drawn as a line. The target path grows ``start_value`` at the
    constant rate that reaches ``target_multiple`` at the horizon.
    """
    v = np.asarray(values, dtype=np.float64)
    q = list(percentiles)
    t = np.asarray(years, dtype=np.float64)
    x = [int(y + start_year) for y in years] if start_year is not None else list(years)
    fig = go.Figure()
    n = len(q)
    for k in range(n // 2):  # outer band first, so inner bands draw on top
        lo, hi = k, n - 1 - k
        shade = 0.15 + 0.2 * k
        fig.add_trace(
            go.Scatter(
                x=x, y=v[:, hi], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"
            )
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=v[:, lo],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=f"rgba(0,114,178,{shade:.2f})",
                name=f"p{q[lo]:g} to p{q[hi]:g}",
                hoverinfo="skip",
            )
        )
    if n % 2:
        mid = n // 2
        fig.add_trace(
            go.Scatter(
                x=x,
                y=v[:, mid],
                name=f"median (p{q[mid]:g})",
                line={"color": COLORS[0], "width": 2},
            )
        )
    horizon = float(t[-1]) if t.size else 1.0
    target = start_value * target_multiple ** (t / horizon)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=target,
            name=f"target {target_multiple:g}x",
            line={"color": COLORS[5], "dash": "dash", "width": 2},
        )
    )
    prob = f"P(at least {target_multiple:g}x) = {prob_target:.1%}"
    if prob_se is not None:
        prob += f" ± {prob_se:.1%}"
    fig.add_annotation(
        x=x[-1] if x else 0,
        y=float(np.log10(target[-1])) if target.size else 0.0,  # log axis: in log10 units
        text=prob,
        showarrow=True,
        arrowhead=2,
        ax=-120,
        ay=-30,
        bgcolor="white",
    )
    fig.update_yaxes(type="log", title_text=currency, exponentformat="B", **_log_ticks(v, target))
    fig.update_xaxes(title_text="year" if start_year is not None else "years from today")
    return _layout(
        fig, f"Projected value of the holdings: percentile fan and the {target_multiple:g}x target"
    )


def policies_figure(
    lines: Sequence[tuple[str, np.ndarray, Float64Array]], *, currency: str = ""
) -> go.Figure:
    """Each policy's book value over its backtest, side by side."""
    fig = go.Figure()
    for i, (name, days, total) in enumerate(lines):
        fig.add_trace(
            go.Scatter(
                x=_dates(days),
                y=total,
                name=name,
                mode="lines",
                line={"color": COLORS[i % len(COLORS)], "width": 2, "dash": _DASHES[i % 3]},
            )
        )
    fig.update_yaxes(title_text=currency, exponentformat="B")
    return _layout(fig, "Policies side by side: the book's value under each, on history")


_DASHES = ("solid", "dash", "dot")


def outcomes_figure(
    names: Sequence[str],
    percentiles: Sequence[Mapping[int, float]],
    prob_target: Sequence[float],
    *,
    target: float,
    years: float,
) -> go.Figure:
    """Each policy on the same projected paths: the book's multiple at the horizon (box
    25th-75th percentile, whiskers 5th-95th), the target, and P(at least the target)."""
    fig = go.Figure()
    for i, (name, pct) in enumerate(zip(names, percentiles, strict=True)):
        fig.add_trace(
            go.Box(
                name=name,
                x=[name],
                q1=[pct[25]],
                median=[pct[50]],
                q3=[pct[75]],
                lowerfence=[pct[5]],
                upperfence=[pct[95]],
                marker={"color": COLORS[i % len(COLORS)]},
                boxpoints=False,
                showlegend=False,
            )
        )
    fig.add_hline(
        y=target,
        line={"dash": "dash", "color": COLORS[5]},
        annotation_text=f"target {target:g}x",
    )
    for name, p in zip(names, prob_target, strict=True):
        fig.add_annotation(
            x=name,
            y=1.0,
            yref="paper",
            yanchor="bottom",
            showarrow=False,
            text=f"P(≥{target:g}x) {p:.0%}",
        )
    lo = min([p[5] for p in percentiles] + [target])
    hi = max([p[95] for p in percentiles] + [target])
    fig.update_yaxes(
        type="log",
        range=[np.log10(lo / 1.5), np.log10(hi * 1.5)],
        title_text=f"multiple of today's book in {years:g} years",
    )
    fig = _layout(fig, "Policies on the projected paths: the book's multiple at the horizon")
    fig.update_layout(hovermode="closest", margin={"t": 80})
    return fig


def rolling_figure(
    book: Sequence[RollingSummary],
    benchmark: Sequence[RollingSummary] = (),
    benchmark_name: str | None = None,
) -> go.Figure:
    """The distribution of annualised returns over every holding period of 1, 3, 5 and 10
    years: boxes from the 25th to the 75th percentile, whiskers 5th to 95th."""
    fig = go.Figure()
    for name, rows, color in (
        ("book", book, COLORS[0]),
        (benchmark_name or "benchmark", benchmark, BENCHMARK_COLOR),
    ):
        rows = [r for r in rows if r.count > 0]
        if not rows:
            continue
        fig.add_trace(
            go.Box(
                name=name,
                x=[f"{r.years:g} y" for r in rows],
                q1=[r.p25 for r in rows],
                median=[r.median for r in rows],
                q3=[r.p75 for r in rows],
                lowerfence=[r.p5 for r in rows],
                upperfence=[r.p95 for r in rows],
                mean=[r.mean for r in rows],
                marker={"color": color},
                boxpoints=False,
            )
        )
    fig.update_layout(boxmode="group")
    fig.update_yaxes(tickformat=".0%", title_text="annualised return")
    fig.update_xaxes(title_text="holding period")
    fig = _layout(fig, "Rolling holding-period returns (every window, 252 days a year)")
    fig.update_layout(hovermode="closest")
    return fig


def milestones_figure(theses: Sequence[Thesis], as_of: dt.date) -> go.Figure:
    """Every milestone on a time line: its history of states (coloured by status), a line
    to its due date (diamond), and today."""
    fig = go.Figure()
    rows: list[str] = []
    seen: set[str] = set()
    for thesis in theses:
        for m in thesis.milestones:
            label = f"{thesis.id} · {m.id}"
            rows.append(label)
            dates = [e.date.isoformat() for e in m.history]
            fig.add_trace(
                go.Scatter(
                    x=[m.history[0].date.isoformat(), m.due.isoformat()],
                    y=[label, label],
                    mode="lines",
                    line={"color": "#cccccc", "width": 3},
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
            for status in STATUS_COLORS:
                idx = [i for i, e in enumerate(m.history) if e.status == status]
                if not idx:
                    continue
                fig.add_trace(
                    go.Scatter(
                        x=[dates[i] for i in idx],
                        y=[label] * len(idx),
                        mode="markers",
                        marker={"size": 11, "color": STATUS_COLORS[status]},
                        name=status,
                        legendgroup=status,
                        showlegend=status not in seen,
                        text=[f"{m.title}<br>{m.history[i].evidence}" for i in idx],
                        hovertemplate="%{x}: " + status + "<br>%{text}<extra></extra>",
                    )
                )
                seen.add(status)
            fig.add_trace(
                go.Scatter(
                    x=[m.due.isoformat()],
                    y=[label],
                    mode="markers",
                    marker={"symbol": "diamond-open", "size": 12, "color": "#333333"},
                    name="due",
                    legendgroup="due",
                    showlegend="due" not in seen,
                    hovertemplate=f"due %{{x}}<br>{m.title}<extra></extra>",
                )
            )
            seen.add("due")
    fig.add_vline(x=as_of.isoformat(), line={"dash": "dot", "color": "#333333"})
    fig.add_annotation(
        x=as_of.isoformat(),
        y=1.0,
        yref="paper",
        yanchor="bottom",
        text=f"as of {as_of}",
        showarrow=False,
    )
    fig.update_yaxes(categoryorder="array", categoryarray=rows[::-1], automargin=True)
    height = max(240, 60 + 40 * len(rows))
    fig = _layout(fig, "Theses: milestones over time", height=height)
    fig.update_layout(hovermode="closest")
    return fig


def _track_text(answer: TrackAnswer) -> list[str]:
    """Hover text of each row of a track: the evidence of its date, what it moved."""
    texts = []
    for row in answer.rows:
        lines = []
        for ev in row.evidence:
            moved = ", ".join(f"{e.driver} ×{e.factor:.3g}" for e in ev.effects)
            lines.append(
                f"{ev.thesis}/{ev.milestone} {ev.status}" + (f": {moved}" if moved else "")
            )
        shown = lines[:6] + ([f"... and {len(lines) - 6} more"] if len(lines) > 6 else [])
        texts.append("<br>".join(shown))
    return texts


def track_figure(answer: TrackAnswer) -> go.Figure:
    """How P(target) (top, ± 1 standard error) and the median multiple (bottom) moved at
    each milestone update; each marker is coloured by the outcome recorded that day."""
    dates = [r.date.isoformat() for r in answer.rows]
    texts = _track_text(answer)
    colors = []
    for r in answer.rows:
        outcomes = [e.status for e in r.evidence if e.effects] or [e.status for e in r.evidence]
        worst = next((s for s in ("missed", "slipped", "hit") if s in outcomes), "pending")
        colors.append(STATUS_COLORS[worst])
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=[r.prob_target for r in answer.rows],
            error_y={"type": "data", "array": [r.prob_target_se for r in answer.rows]},
            mode="lines+markers",
            line={"shape": "hv", "color": COLORS[0]},
            marker={"size": 10, "color": colors},
            name=f"P(≥{answer.target_multiple:g}x)",
            text=texts,
            hovertemplate="%{x}: P %{y:.1%}<br>%{text}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=[r.median_multiple for r in answer.rows],
            mode="lines+markers",
            line={"shape": "hv", "color": COLORS[1]},
            marker={"size": 10, "color": colors},
            name="median multiple",
            text=texts,
            hovertemplate="%{x}: median %{y:.2f}x<br>%{text}<extra></extra>",
        ),
        row=2,
        col=1,
    )
    fig.update_yaxes(tickformat=".0%", title_text="P(target)", row=1, col=1)
    fig.update_yaxes(ticksuffix="x", title_text="median", row=2, col=1)
    fig = _layout(fig, "The odds, update by update", height=440)
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


def marks_figure(
    name: str, days: np.ndarray, prices: Float64Array, kinds: Sequence[str], currency: str
) -> go.Figure:
    """A company's marks over time: the split-adjusted price, each kind of mark its own
    marker (a close is a market price; a round, tender or model mark is not)."""
    fig = go.Figure()
    x = _dates(days)
    y = np.asarray(prices, dtype=np.float64)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="lines",
            line={"color": "#bbbbbb", "shape": "hv"},
            showlegend=False,
            hoverinfo="skip",
        )
    )
    kinds_arr = np.asarray(kinds, dtype=object)
    for i, kind in enumerate(dict.fromkeys(kinds)):
        sel = np.flatnonzero(kinds_arr == kind)
        fig.add_trace(
            go.Scatter(
                x=[x[k] for k in sel],
                y=y[sel],
                mode="markers",
                name=kind,
                marker={"size": 8, "color": COLORS[i % len(COLORS)]},
            )
        )
    fig.update_yaxes(
        type="log", title_text=f"{currency} per share (split-adjusted)", **_log_ticks(y)
    )
    fig = _layout(fig, f"{name}: marks over time")
    fig.update_layout(hovermode="closest")
    return fig


def _log_ticks(*series: Float64Array | None) -> dict[str, list[float]]:
    """Ticks 1-2-5 per decade over the data's range (plotly's own log ticks label 20 as
    "2" beside a decade)."""
    values = np.concatenate(
        [np.asarray(s, dtype=np.float64).ravel() for s in series if s is not None]
    )
    values = values[np.isfinite(values) & (values > 0)]
    if not values.size:
        return {}
    lo, hi = np.floor(np.log10(values.min())), np.ceil(np.log10(values.max()))
    ticks = [m * 10.0**e for e in np.arange(lo, hi + 1) for m in (1, 2, 5)]
    return {"tickvals": [t for t in ticks if values.min() / 2 <= t <= values.max() * 2]}


def _short(x: float) -> str:
    size = abs(x)
    for unit, scale in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if size >= scale:
            return f"{x / scale:,.2f}{unit}"
    return f"{x:,.0f}"
