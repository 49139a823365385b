"""The answers of ``conviction backtest`` and ``conviction compare``, as result objects.

A backtest (``policies.history.Backtest``) and a comparison (``app.runs.Comparison``) hold
arrays and engine state; these frozen dataclasses are what a person or a program reads of
them (documented in docs/policies.md), serialised like every answer by ``app.answers``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from conviction.app.runs import Comparison
    from conviction.book.model import Book
    from conviction.policies.history import Backtest, SessionValues
    from conviction.policies.spec import Policy
    from conviction.policies.summary import Outcome

__all__ = [
    "BacktestAccount",
    "BacktestReport",
    "ComparedPolicy",
    "ComparisonReport",
    "OutcomeLine",
    "TradeLine",
    "backtest_report",
    "comparison_report",
    "run_backtest",
]

BACKTEST_CONVENTIONS = {
    "valuation": "on the sessions of the book's calendar (calendar, XNYS by default) from "
    "start to end, as conviction history values the book: each session's value is the "
    "holdings and cash after the policy's last step on or before it, at the session's "
    "marks; the policy decides on its steps (the days with a mark, a flow or a liquidity "
    "event), a step on a day that is no session counting on the next session",
    "cagr_sessions": "time-weighted, (1 + TWR) ** (sessions_per_year / sessions valued "
    "after the start) - 1: a year is sessions_per_year sessions of the calendar",
    "cagr_calendar": "time-weighted, (1 + TWR) ** (365.25 / calendar days) - 1",
    "volatility_sessions": "of the daily time-weighted returns on the sessions, "
    "sqrt(sessions_per_year) a year; sharpe_sessions the same, rf = 0 (quantstats' "
    "definitions); daily marks only (daily true), none otherwise",
}
FLOW_CONVENTIONS = {
    "flows": "the book's deposits, withdrawals (in the book's currency at the book's rate "
    "of their day) and dividends (per share held) after the start, replayed on their "
    "dates for the policy and hold alike; the book's own trades and their fees are not",
    "hold": "the book's positions and cash on the start date, never traded: every later "
    "deposit stays in cash, withdrawals come out of cash (holdings sold pro rata when "
    "it is short), dividends are paid on the shares held",
    "as_traded": "the book as actually traded: conviction history's value on each step",
}
NO_FLOW_CONVENTIONS = {
    "flows": "none replayed (--no-flows): the policy and hold start from the positions "
    "and cash on the start date and nothing comes in or goes out but the policy's own",
    "hold": "the positions and cash on the start date, never traded",
}
COMPARE_CONVENTIONS = {
    "multiple": "(final value + withdrawn) / (value today + contributed), cash included",
    "median_cagr": "median multiple ** (1 / years) - 1",
    "max_drawdown": "of the value at each step (monthly), flows included",
}


@dataclass(frozen=True, slots=True)
class BacktestAccount:
    """One account (or ``total``) over the backtest, next to holding its start."""

    account: str
    kind: str
    start_value: float
    end_value: float
    end_value_if_held: float
    vs_hold: float
    net_flows: float
    trades: int
    costs: float
    twr: float
    cagr_calendar: float | None
    max_drawdown: float
    cagr_sessions: float | None = None  # a year of sessions_per_year sessions
    volatility_sessions: float | None = None  # the two: daily marks only
    sharpe_sessions: float | None = None
    # the book as actually traded (flows replayed only): conviction history's figures
    end_value_as_traded: float | None = None
    vs_as_traded: float | None = None  # the policy's end value less the book's
    net_flows_as_traded: float | None = None
    twr_as_traded: float | None = None
    cagr_calendar_as_traded: float | None = None
    cagr_sessions_as_traded: float | None = None


@dataclass(frozen=True, slots=True)
class TradeLine:
    date: dt.date
    account: str
    company: str
    action: str
    quantity: float
    price: float
    value: float
    cost: float
    rule: str


@dataclass(frozen=True)
class BacktestReport:
    """``series`` rows are ``{"date": "YYYY-MM-DD", "<account>": value, ..., "total": ...}``:
    the policy's values on each session of ``calendar`` (``sessions`` of them; ``steps``
    counts the days the policy decided on); ``hold_series`` holding's, ``traded_series``
    the book's as actually traded (empty unless ``flows``: the flows were replayed)."""

    policy: str
    start: dt.date
    end: dt.date
    steps: int
    daily: bool
    companies: tuple[str, ...]
    conventions: dict[str, str]
    accounts: tuple[BacktestAccount, ...]
    trades: tuple[TradeLine, ...]
    series: tuple[dict[str, str | float], ...]
    flows: bool = False
    hold_series: tuple[dict[str, str | float], ...] = ()
    traded_series: tuple[dict[str, str | float], ...] = ()
    calendar: str = "XNYS"  # the trading calendar whose sessions are valued
    sessions_per_year: int = 252  # a year of cagr_sessions, volatility_sessions
    sessions: int = 0  # days valued (the series' rows)


def _rows(values: SessionValues, accounts: tuple[str, ...]) -> tuple[dict[str, str | float], ...]:
    """A run's values on the sessions as the answer's series rows, with a total."""
    series: list[dict[str, str | float]] = []
    for day, row in zip(values.days.tolist(), values.values.tolist(), strict=True):
        line: dict[str, str | float] = {"date": day.isoformat()}
        line.update(zip(accounts, row, strict=True))
        line["total"] = float(sum(row))
        series.append(line)
    return tuple(series)


def _traded_rows(result: Backtest) -> tuple[dict[str, str | float], ...]:
    """The ledger's history (``conviction history``) on the sessions, with a total."""
    if result.traded is None:
        return ()
    names = result.inputs.setup.accounts
    rows = []
    for r in result.traded.series:
        row = dict(r)
        row["total"] = float(sum(float(r[a]) for a in names))
        rows.append(row)
    return tuple(rows)


def _finite(x: float) -> float | None:
    import math

    return x if math.isfinite(x) else None


def _stats(result: Backtest, column: int) -> dict[str, float | None]:
    """Return statistics of one account (or the total, ``column`` -1) from its
    time-weighted returns on the sessions."""
    import numpy as np
    import pandas as pd

    from conviction.analytics import cagr, max_drawdown, sharpe, volatility

    values = _values(result.policy_values)
    r = values.returns()[:, column]
    returns = pd.Series(r, index=pd.DatetimeIndex(values.days[1:])).dropna()
    days = (result.inputs.end - result.inputs.start).days
    growth = float(np.prod(1.0 + returns.to_numpy()))
    per_year = result.sessions_per_year
    stats: dict[str, float | None] = {
        "twr": growth - 1.0,
        "cagr_calendar": growth ** (365.25 / days) - 1.0 if days > 0 and growth > 0 else None,
        "cagr_sessions": _finite(float(cagr(returns, per_year))) if len(returns) else None,
        "max_drawdown": float(max_drawdown(returns)) if len(returns) else 0.0,
    }
    if result.daily:  # quantstats' definitions, a year of the calendar's sessions, rf = 0
        stats["volatility_sessions"] = _finite(float(volatility(returns, per_year)))
        stats["sharpe_sessions"] = _finite(float(sharpe(returns, periods=per_year)))
    return stats


def _values(values: SessionValues | None) -> SessionValues:
    if values is None:
        raise ValueError("a backtest is valued on the sessions (policies.history.backtest)")
    return values


def backtest_report(result: Backtest) -> BacktestReport:
    """What ``conviction backtest`` answers about a backtest."""
    run, hold, inputs = result.run, result.hold, result.inputs
    kinds = dict(zip(inputs.setup.accounts, inputs.setup.kinds, strict=True))
    traded = _traded_rows(result)
    lines = {} if result.traded is None else {x.account: x for x in result.traded.accounts}
    days = (inputs.end - inputs.start).days
    accounts = []
    for j, name in enumerate((*run.accounts, "total")):
        if name == "total":
            start, final = run.initial_values[0].sum(), run.final_values[0].sum()
            held = hold.final_values[0].sum()
            trades, costs = run.n_trades[0].sum(), run.costs[0].sum()
            flows = run.inflows[0].sum() - run.outflows[0].sum()
        else:
            start, final = run.initial_values[0, j], run.final_values[0, j]
            held = hold.final_values[0, j]
            trades, costs = run.n_trades[0, j], run.costs[0, j]
            flows = run.inflows[0, j] - run.outflows[0, j]
        stats = _stats(result, -1 if name == "total" else j)
        book: dict[str, float | None] = {}
        if traded:
            book["end_value_as_traded"] = float(traded[-1][name])
            book["vs_as_traded"] = float(final) - float(traded[-1][name])
            if name == "total":  # history's TWR is per account; the total's is not defined
                book["net_flows_as_traded"] = float(sum(x.net_flows for x in lines.values()))
            else:
                x = lines[name]
                growth = 1.0 + x.twr
                book["net_flows_as_traded"] = x.net_flows
                book["twr_as_traded"] = x.twr
                book["cagr_calendar_as_traded"] = (
                    growth ** (365.25 / days) - 1.0 if days > 0 and growth > 0 else None
                )
                book["cagr_sessions_as_traded"] = _finite(x.cagr_sessions)
        accounts.append(
            BacktestAccount(
                account=name,
                kind=kinds.get(name, ""),
                start_value=float(start),
                end_value=float(final),
                end_value_if_held=float(held),
                vs_hold=float(final - held),
                net_flows=float(flows),
                trades=int(trades),
                costs=float(costs),
                twr=float(stats["twr"] or 0.0),
                cagr_calendar=stats["cagr_calendar"],
                max_drawdown=float(stats["max_drawdown"] or 0.0),
                cagr_sessions=stats["cagr_sessions"],
                volatility_sessions=stats.get("volatility_sessions"),
                sharpe_sessions=stats.get("sharpe_sessions"),
                **book,
            )
        )
    frame = run.trade_frame()
    trades = tuple(
        TradeLine(
            date=day.date(),
            account=str(r["account"]),
            company=str(r["company"]),
            action=str(r["action"]),
            quantity=float(r["quantity"]),
            price=float(r["price"]),
            value=float(r["value"]),
            cost=float(r["cost"]),
            rule=str(r["rule"]),
        )
        for day, r in zip(frame["date"], frame.to_dict("records"), strict=True)
    )
    conventions = dict(BACKTEST_CONVENTIONS)
    conventions.update(FLOW_CONVENTIONS if inputs.flows else NO_FLOW_CONVENTIONS)
    return BacktestReport(
        policy=run.policy,
        start=inputs.start,
        end=inputs.end,
        steps=int(inputs.setup.dates.size),
        daily=result.daily,
        companies=tuple(inputs.setup.companies),
        conventions=conventions,
        accounts=tuple(accounts),
        trades=trades,
        series=_rows(_values(result.policy_values), run.accounts),
        flows=inputs.flows,
        hold_series=_rows(_values(result.hold_values), hold.accounts),
        traded_series=traded,
        calendar=result.calendar,
        sessions_per_year=result.sessions_per_year,
        sessions=int(_values(result.policy_values).days.size),
    )


@dataclass(frozen=True, slots=True)
class OutcomeLine:
    """The distribution of one multiple (the whole book's or one account's) over paths."""

    name: str
    paths: int
    median_multiple: float
    mean_log_multiple: float
    percentiles: dict[str, float]  # "5", "10", "25", "50", "75", "95"
    prob_target: dict[str, float]  # target multiple as text ("5") -> probability
    prob_loss: float
    worst_decile: float
    worst_decile_mean: float
    median_cagr: float
    median_max_drawdown: float


@dataclass(frozen=True, slots=True)
class ComparedPolicy:
    policy: str
    book: OutcomeLine
    accounts: tuple[OutcomeLine, ...]
    median_costs: float  # trading costs as a fraction of the book's value today
    median_trades: float


@dataclass(frozen=True)
class ComparisonReport:
    as_of: dt.date
    config: str
    seed: int | None
    paths: int
    years: float
    target_multiple: float
    not_projected: tuple[str, ...]
    conventions: dict[str, str]
    policies: tuple[ComparedPolicy, ...]

    def to_frame(self, by: str = "book") -> pd.DataFrame:
        """A DataFrame of one table: ``book`` (a row per policy) or ``accounts``."""
        from conviction.app.frames import comparison_frame

        return comparison_frame(self, by)

    def _repr_html_(self) -> str:
        from conviction.app.frames import comparison_html

        return comparison_html(self)


def _outcome(o: Outcome) -> OutcomeLine:
    return OutcomeLine(
        name=o.name,
        paths=o.paths,
        median_multiple=o.median,
        mean_log_multiple=o.mean_log,
        percentiles={str(k): v for k, v in o.percentiles.items()},
        prob_target={f"{k:g}": v for k, v in o.prob_target.items()},
        prob_loss=o.prob_loss,
        worst_decile=o.worst_decile,
        worst_decile_mean=o.worst_decile_mean,
        median_cagr=o.median_cagr,
        median_max_drawdown=o.median_max_drawdown,
    )


def comparison_report(comparison: Comparison) -> ComparisonReport:
    """What ``conviction compare`` answers about policies run on the same paths."""
    first = comparison.summaries[0]
    return ComparisonReport(
        as_of=comparison.as_of,
        config=comparison.config,
        seed=comparison.seed,
        paths=first.paths,
        years=first.years,
        target_multiple=first.targets[0],
        not_projected=comparison.not_projected,
        conventions={
            **COMPARE_CONVENTIONS,
            "cash": f"the book's cash on {comparison.as_of} ({comparison.cash:,.2f}) is in "
            f"every multiple, earning {100 * comparison.cash_rate:g}% a year (the file's "
            "cash_rate, as project's: hold's P(target) is project's)",
        },
        policies=tuple(
            ComparedPolicy(
                policy=s.policy,
                book=_outcome(s.book),
                accounts=tuple(_outcome(a) for a in s.accounts),
                median_costs=s.median_costs,
                median_trades=s.median_trades,
            )
            for s in comparison.summaries
        ),
    )


def run_backtest(
    book: Book,
    policy: Policy,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    max_gap_days: int | None = None,
    flows: bool = True,
    fields: tuple[str, str, str] = ("start", "end", "max_gap"),
) -> Backtest:
    """``conviction backtest``: one policy on the book's history next to holding, the
    book's flows replayed (``flows``, the default) with the book as traded beside them,
    or (``flows=False``) from the positions on ``start`` with none. ``fields`` name the
    inputs in errors."""
    from conviction.errors import FormatError
    from conviction.policies.history import DEFAULT_MAX_GAP_DAYS, backtest

    if start is not None and end is not None and start > end:
        raise FormatError(f"{fields[0]} {start} is after {fields[1]} {end}", field=fields[0])
    gap = DEFAULT_MAX_GAP_DAYS if max_gap_days is None else max_gap_days
    if gap < 0:
        raise FormatError(f"{fields[2]} must be >= 0, got {gap}", field=fields[2])
    return backtest(book, policy, start=start, end=end, max_gap_days=gap, flows=flows)
