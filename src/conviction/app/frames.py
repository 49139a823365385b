"""The projections' answers as pandas DataFrames, and as HTML for a notebook.

``ProjectionReport.to_frame()`` and ``ComparisonReport.to_frame()`` are built here, as the
ledger's answers are in :mod:`conviction.ledger.frames`: one row per line, numbers as
numbers (NaN where a figure does not exist), percentiles as columns named as ``--json``
names them (``p5``, ``p50``...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from conviction.ledger.frames import _amount, _header, _pick, _table

if TYPE_CHECKING:
    from conviction.app.policy_answers import ComparisonReport, OutcomeLine
    from conviction.app.projection_answers import ProjectionReport

__all__ = ["comparison_frame", "comparison_html", "projection_frame", "projection_html"]

PROJECTION_TABLES = ("terminal", "fan", "companies")
COMPARISON_TABLES = ("book", "accounts")


def _floats(values: dict[str, float | None]) -> dict[str, float]:
    return {k: float("nan") if v is None else float(v) for k, v in values.items()}


def projection_frame(report: ProjectionReport, by: str = "terminal") -> pd.DataFrame:
    """``by="terminal"``: the whole book (cash included) at the horizon, a row each for
    value, multiple, CAGR, the projected holdings' multiple alone and their largest
    drawdown, a column per percentile (and ``mean``); ``"fan"``: the value at each
    year end (index ``year``); ``"companies"``: each company's value today and its multiple
    at the horizon by percentile."""
    which = _pick(by, PROJECTION_TABLES)
    if which == "fan":
        frame = pd.DataFrame(list(report.fan)).set_index("year")
        return frame.astype(float)
    if which == "companies":
        rows = {
            c.company: {"start_value": c.start_value, **_floats(c.terminal.multiple)}
            for c in report.companies
        }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "company"
        return frame
    t = report.terminal
    rows = {
        "value": _floats(t.value),
        "multiple": _floats(t.multiple),
        "cagr": _floats(report.cagr),
        "holdings_multiple": _floats(report.holdings.multiple),
        "max_drawdown": _floats(report.max_drawdown),
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def projection_html(report: ProjectionReport) -> str:
    """P(target) and the setting over the book at the horizon."""
    head = _header(
        f"Projection {report.config} on {report.as_of} ({report.currency})",
        f"whole book today {_amount(report.start_value)} (cash {_amount(report.cash.value)} "
        f"at {100 * report.cash.rate:g}% a year)",
        f"P(whole book >= {report.target_multiple:g}x in {report.years} years) "
        f"{report.prob_target.estimate:.1%} ± {report.prob_target.se:.1%}",
        f"holdings alone {report.holdings.prob_target.estimate:.1%} "
        f"± {report.holdings.prob_target.se:.1%}",
        f"{report.paths:,} paths, seed {report.seed}",
    )
    return head + _table(projection_frame(report))


def _outcome_row(line: OutcomeLine) -> dict[str, float]:
    return {
        "median_multiple": line.median_multiple,
        **{f"p({k}x)": v for k, v in line.prob_target.items()},
        "prob_loss": line.prob_loss,
        **{f"p{k}": v for k, v in line.percentiles.items()},
        "worst_decile_mean": line.worst_decile_mean,
        "median_cagr": line.median_cagr,
        "median_max_drawdown": line.median_max_drawdown,
    }


def comparison_frame(report: ComparisonReport, by: str = "book") -> pd.DataFrame:
    """``by="book"``: one row per policy (the whole book's multiple: median, P(target),
    P(loss), percentiles, costs, trades); ``"accounts"``: one row per (policy, account)."""
    if _pick(by, COMPARISON_TABLES) == "book":
        rows = {
            p.policy: {
                **_outcome_row(p.book),
                "median_costs": p.median_costs,
                "median_trades": p.median_trades,
            }
            for p in report.policies
        }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "policy"
        return frame
    rows_by = {(p.policy, a.name): _outcome_row(a) for p in report.policies for a in p.accounts}
    frame = pd.DataFrame.from_dict(rows_by, orient="index")
    frame.index = pd.MultiIndex.from_tuples(list(rows_by), names=["policy", "account"])
    return frame


def comparison_html(report: ComparisonReport) -> str:
    """The setting over one row per policy."""
    head = _header(
        f"Policies on {report.paths:,} paths of {report.config} from {report.as_of}",
        f"{report.years:g} years, target {report.target_multiple:g}x, seed {report.seed}",
    )
    frame = comparison_frame(report)
    percent = [c for c in frame.columns if c.startswith("p(") or c in ("prob_loss",)]
    return head + _table(frame, percent=[*percent, "median_cagr", "median_max_drawdown"])
