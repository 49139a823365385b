"""Figures of the sensitivity and scenario answers, for the report and the web app alike.

- :func:`tornado_figure`: per input, P(target) (left) and the median multiple (right) with
  that input at its low and at its high end, the others as specified, sorted by swing (the
  answer's order); P's bars carry the standard error of the paired difference.
- :func:`sobol_figure`: the first-order and total Sobol indices of the log multiple per
  driver, with their confidence intervals.
- :func:`scenario_figure`: the base and each scenario side by side: P(target) ± 1 s.e.
  and the median multiple with its 25th to 75th percentile.

Each reads the one typed answer (``SensitivityAnswer``, ``ScenarioReport``); nothing here
computes a number the answer does not hold.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import plotly.graph_objects as go  # type: ignore[import-untyped]
from plotly.subplots import make_subplots  # type: ignore[import-untyped]

from conviction.report.figures import COLORS, _layout

if TYPE_CHECKING:
    from conviction.app.policy_answers import ComparisonReport
    from conviction.app.scenario_runs import ScenarioReport
    from conviction.app.sensitivity_runs import SensitivityAnswer

__all__ = ["compare_figure", "scenario_figure", "sobol_figure", "tornado_figure"]

#: The colour of a bar whose input's high end raises the figure, and of one that lowers it.
UP, DOWN = COLORS[0], COLORS[5]


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x


def tornado_figure(a: SensitivityAnswer) -> go.Figure:
    """The tornado: a bar per input from its low end's value to its high end's, P(target)
    with the paired standard error of the swing, and the median multiple; the base as a
    dotted line. Bars are in the answer's order (largest swing of P first)."""
    bars = a.tornado
    names = [b.input for b in bars]
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.08,
        subplot_titles=(f"P(≥{a.target_multiple:g}x)", "median multiple"),
    )
    p_colors = [UP if b.p_swing >= 0 else DOWN for b in bars]
    fig.add_trace(
        go.Bar(
            y=names,
            x=[b.p_high - b.p_low for b in bars],
            base=[b.p_low for b in bars],
            orientation="h",
            marker={"color": p_colors},
            error_x={"type": "data", "array": [b.p_swing_se for b in bars], "thickness": 1},
            customdata=[[b.low, b.high, b.p_low, b.p_high, b.p_swing, b.p_swing_se] for b in bars],
            hovertemplate=(
                "%{y}<br>low %{customdata[0]:.4g}: P %{customdata[2]:.1%}"
                "<br>high %{customdata[1]:.4g}: P %{customdata[3]:.1%}"
                "<br>swing %{customdata[4]:+.1%} ± %{customdata[5]:.1%}<extra></extra>"
            ),
            name="P(target)",
        ),
        row=1,
        col=1,
    )
    m_colors = [UP if b.median_swing >= 0 else DOWN for b in bars]
    fig.add_trace(
        go.Bar(
            y=names,
            x=[b.median_high - b.median_low for b in bars],
            base=[b.median_low for b in bars],
            orientation="h",
            marker={"color": m_colors},
            customdata=[[b.low, b.high, b.median_low, b.median_high] for b in bars],
            hovertemplate=(
                "%{y}<br>low %{customdata[0]:.4g}: median %{customdata[2]:.2f}x"
                "<br>high %{customdata[1]:.4g}: median %{customdata[3]:.2f}x<extra></extra>"
            ),
            name="median multiple",
        ),
        row=1,
        col=2,
    )
    fig.add_vline(x=a.base.prob_target, line={"dash": "dot", "color": "#555"}, row=1, col=1)
    fig.add_vline(x=a.base.median_multiple, line={"dash": "dot", "color": "#555"}, row=1, col=2)
    fig = _layout(fig, "Which input decides the target", height=140 + 22 * max(len(bars), 1))
    fig.update_xaxes(tickformat=".0%", row=1, col=1)
    fig.update_xaxes(ticksuffix="x", row=1, col=2)
    fig.update_xaxes(nticks=4)  # two panels side by side on a phone: few ticks, no overlap
    fig.update_yaxes(autorange="reversed", tickfont={"size": 10})
    fig.update_annotations(font={"size": 12})  # the panels' titles
    fig.update_layout(hovermode="closest", showlegend=False, bargap=0.25)
    return fig


def sobol_figure(a: SensitivityAnswer) -> go.Figure:
    """First-order and total Sobol indices of the log multiple per driver (largest total
    first), with their confidence intervals as error bars (none where the interval does
    not exist: a driver the book does not depend on)."""
    rows = sorted(a.sobol.indices, key=lambda s: -(_num(s.total) or 0.0))
    names = [s.driver for s in rows]
    fig = go.Figure()
    for label, value, low, high, color in (
        ("first order", "first_order", "first_order_low", "first_order_high", COLORS[0]),
        ("total", "total", "total_low", "total_high", COLORS[1]),
    ):
        vals = [_num(getattr(s, value)) for s in rows]
        lows = [_num(getattr(s, low)) for s in rows]
        highs = [_num(getattr(s, high)) for s in rows]
        plus = [
            None if v is None or h is None else max(h - v, 0.0)
            for v, h in zip(vals, highs, strict=True)
        ]
        minus = [
            None if v is None or lo is None else max(v - lo, 0.0)
            for v, lo in zip(vals, lows, strict=True)
        ]
        fig.add_trace(
            go.Bar(
                y=names,
                x=vals,
                orientation="h",
                name=label,
                marker={"color": color},
                error_x={
                    "type": "data",
                    "array": plus,
                    "arrayminus": minus,
                    "symmetric": False,
                    "thickness": 1,
                },
                hovertemplate=f"%{{y}}: {label} %{{x:.3f}}<extra></extra>",
            )
        )
    level = f"{100 * a.sobol.confidence_level:g}%"
    fig = _layout(
        fig, f"Sobol indices of the log multiple ({level} intervals)", height=160 + 30 * len(rows)
    )
    fig.update_yaxes(autorange="reversed", tickfont={"size": 10})
    fig.update_layout(hovermode="closest", barmode="group")
    return fig


def scenario_figure(r: ScenarioReport) -> go.Figure:
    """The base and each scenario side by side on the same random numbers: P(target) ± 1
    standard error (left) and the median multiple with its 25th to 75th percentile (right)."""
    cases = r.cases
    names = [c.name for c in cases]
    colors = [COLORS[i % len(COLORS)] for i in range(len(cases))]
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.12,
        subplot_titles=(f"P(≥{r.target_multiple:g}x in {r.years} years)", "median multiple"),
    )
    fig.add_trace(
        go.Bar(
            x=names,
            y=[c.prob_target.estimate for c in cases],
            error_y={"type": "data", "array": [c.prob_target.se for c in cases]},
            marker={"color": colors},
            hovertemplate="%{x}: P %{y:.1%}<extra></extra>",
            name="P(target)",
        ),
        row=1,
        col=1,
    )
    med = [_num(c.terminal.multiple.get("p50")) for c in cases]
    p75 = [_num(c.terminal.multiple.get("p75")) for c in cases]
    p25 = [_num(c.terminal.multiple.get("p25")) for c in cases]
    fig.add_trace(
        go.Bar(
            x=names,
            y=med,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [
                    None if m is None or h is None else h - m for m, h in zip(med, p75, strict=True)
                ],
                "arrayminus": [
                    None if m is None or lo is None else m - lo
                    for m, lo in zip(med, p25, strict=True)
                ],
            },
            marker={"color": colors},
            hovertemplate="%{x}: median %{y:.2f}x<extra></extra>",
            name="median multiple",
        ),
        row=1,
        col=2,
    )
    fig.add_hline(y=r.target_multiple, line={"dash": "dot", "color": "#555"}, row=1, col=2)
    fig = _layout(fig, "Scenarios beside the base case", height=400)
    fig.update_yaxes(tickformat=".0%", row=1, col=1)
    fig.update_yaxes(ticksuffix="x", row=1, col=2)
    fig.update_xaxes(tickangle=-30, tickfont={"size": 10})
    fig.update_layout(hovermode="closest", showlegend=False)
    return fig


def compare_figure(r: ComparisonReport) -> go.Figure:
    """Policies on the same projected paths (``conviction compare``): the report's figure of
    the book's multiple at the horizon per policy and P(target)."""
    from conviction.report.figures import outcomes_figure

    target = f"{r.target_multiple:g}"
    return outcomes_figure(
        [p.policy for p in r.policies],
        [{int(k): v for k, v in p.book.percentiles.items()} for p in r.policies],
        [p.book.prob_target.get(target, float("nan")) for p in r.policies],
        target=r.target_multiple,
        years=r.years,
    )
