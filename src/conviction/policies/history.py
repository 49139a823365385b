"""A policy replayed on a book's own history: inputs from the book, then one engine run.

The backtest starts from the book's positions and cash on ``start`` and lets the policy
alone trade from there on: the book's later recorded trades are not replayed. By default
(``flows=True``) the book's external flows after ``start`` are: its deposits and
withdrawals, in the book's currency at the book's rate of their day, on their dates, and
its dividends, as cash per share of the book's holding that day, paid on the shares the
policy holds. ``hold`` is the same start and the same flows with no trade (deposits stay
in cash). With ``flows=False`` nothing is replayed (model flows with
``contribute``/``withdraw``). Its steps are the dates on which the companies
it uses have a close mark (public) or a round or tender (private, which are their
liquidity events), plus ``start`` and ``end``. On each step a company is priced by its
last mark on or before it (split-adjusted), but a public company's mark may be at most
``max_gap_days`` older than its own cadence makes it: a company marked every day may be
``max_gap_days`` old, one the book marks about monthly (the median spacing of its close
marks, here 30 days) up to 29 + ``max_gap_days``. A longer gap is an error naming the
date, not a silent fill.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from conviction._typing import BoolArray, DateArray, Float64Array
from conviction.book.model import Book
from conviction.errors import DataError, FormatError, LedgerError
from conviction.ledger.corporate import listing_dates, private_on
from conviction.ledger.fx import FxRates
from conviction.ledger.history import HistoryReport, history_report
from conviction.ledger.prices import marked_prices, split_factors
from conviction.ledger.valuation import cash, positions, price_history
from conviction.policies.engine import PolicyEngine, Progress, Setup
from conviction.policies.results import PolicyRun
from conviction.policies.spec import Hold, Policy, Rebalance

__all__ = [
    "DEFAULT_MAX_GAP_DAYS",
    "Backtest",
    "BacktestInputs",
    "SessionValues",
    "backtest",
    "backtest_days",
    "backtest_inputs",
    "on_sessions",
]

#: How old (calendar days) a public company's last close may be on a backtest date.
DEFAULT_MAX_GAP_DAYS = 7


@dataclass(frozen=True, eq=False)
class BacktestInputs:
    """What the engine needs, taken from a book: one path of prices and the start state."""

    setup: Setup
    prices: Float64Array  # (1, time, companies), split-adjusted to the last date
    holdings: Float64Array  # (accounts, companies), on start, in last-date shares
    cash: Float64Array  # (accounts,)
    liquidity: BoolArray  # (time, companies): private rounds and tenders
    start: dt.date
    end: dt.date
    #: the book's external flows replayed (None with ``flows=False``): deposits less
    #: withdrawals (time, accounts) and dividends per share held (time, accounts, companies)
    deposits: Float64Array | None = None
    dividends: Float64Array | None = None

    @property
    def flows(self) -> bool:
        return self.deposits is not None


@dataclass(frozen=True, eq=False)
class SessionValues:
    """A run's value on the valuation grid (the sessions of the book's calendar, and
    ``start``/``end`` where they are none): each account's value on each day, and the
    net contributions that came in on it (a step on a day that is no session counts on
    the next day of the grid, as in ``conviction history``)."""

    days: DateArray  # datetime64[D]
    values: Float64Array  # (days, accounts)
    flows: Float64Array  # (days, accounts)

    def returns(self) -> Float64Array:
        """Time-weighted returns between the days of the grid, of each account and the
        total (last column): r_t = (V_t - F_t) / V_{t-1} - 1; NaN after a zero value."""
        v = np.concatenate([self.values, self.values.sum(axis=1, keepdims=True)], axis=1)
        f = np.concatenate([self.flows, self.flows.sum(axis=1, keepdims=True)], axis=1)
        prior = v[:-1]
        out = np.full(prior.shape, np.nan)
        np.divide(v[1:] - f[1:], prior, out=out, where=prior > 0)
        r: Float64Array = out - 1.0
        return r


@dataclass(frozen=True, eq=False)
class Backtest:
    """A policy's run on history next to simply holding the same start (and the same
    flows), and (with flows) the book as it was actually traded: the ledger's history
    answer on the same dates.

    The policy decides on its steps (the days with news: marks, flows, liquidity
    events); the runs are valued on the sessions of the book's ``calendar``
    (``policy_values``, ``hold_values``), as ``conviction history`` values the book, and
    ``sessions_per_year`` of them make a year of the annualised figures."""

    inputs: BacktestInputs
    run: PolicyRun
    hold: PolicyRun
    traded: HistoryReport | None = None
    calendar: str = "XNYS"
    sessions_per_year: int = 252
    policy_values: SessionValues | None = None
    hold_values: SessionValues | None = None

    @property
    def daily(self) -> bool:
        """True when the steps are (about) trading days, so daily statistics make sense."""
        days = self.inputs.setup.dates.astype("datetime64[D]").astype(np.int64)
        return days.size > 20 and float(np.median(np.diff(days))) <= 4.0


def _named_companies(policy: Policy) -> set[str]:
    names: set[str] = set()
    for rule in policy.rules:
        names.update(rule.companies)
        if isinstance(rule, Rebalance) and not isinstance(rule.targets, str):
            names.update(name for name, _ in rule.targets)
    return names


def backtest_inputs(
    book: Book,
    policy: Policy,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    max_gap_days: int = DEFAULT_MAX_GAP_DAYS,
    flows: bool = True,
) -> BacktestInputs:
    """Prices, liquidity events, positions and cash for a backtest of ``policy`` on ``book``.

    ``start``/``end`` default to the policy's, then to the book's first transaction and
    its ``as_of`` (or last mark). ``flows``: replay the book's external flows after
    ``start`` (their dates become steps).
    """
    tx_days = book.transactions["date"].to_numpy().astype("datetime64[D]")
    mark_days = book.marks["date"].to_numpy().astype("datetime64[D]")
    if start is None:
        start = policy.start or (tx_days.min().astype(dt.date) if tx_days.size else None)
    if end is None:
        end = (
            policy.end
            or book.meta.as_of
            or (mark_days.max().astype(dt.date) if mark_days.size else None)
        )
    if start is None or end is None:
        raise DataError("the book has no transactions or marks to backtest on")
    if start > end:
        raise FormatError(f"start {start} is after end {end}", field="start")
    first, last = np.datetime64(start, "D"), np.datetime64(end, "D")

    held = positions(book, start)
    companies = [
        c
        for c in book.companies
        if (held[c].to_numpy() != 0).any() or c in _named_companies(policy)
    ]
    if not companies:
        raise DataError(f"no account holds anything on {start}, and the policy names no company")
    for c in companies:
        currency = book.companies[c].currency
        if currency != book.currency:
            raise DataError(
                f"backtests value every company in the book's currency ({book.currency}); "
                f"{c} is in {currency}"
            )
    # private at the start; one that lists later is liquid from its listing on
    private = np.array([private_on(book, c, start) for c in companies])
    listed = {c: np.datetime64(d, "D") for c, d in listing_dates(book).items()}

    # Steps: the close marks of the public companies used, the liquidity events of the
    # private ones, and the two ends.
    marks = book.marks
    in_window = (mark_days >= first) & (mark_days <= last)
    company = marks["company"].to_numpy()
    kind = marks["kind"].to_numpy()
    public_ids = [c for c, p in zip(companies, private, strict=True) if not p]
    private_ids = [c for c, p in zip(companies, private, strict=True) if p]
    closes = in_window & np.isin(company, public_ids) & (kind == "close")
    for c in set(private_ids) & set(listed):  # its closes after the listing are steps
        closes |= in_window & (company == c) & (kind == "close") & (mark_days >= listed[c])
    events = in_window & np.isin(company, private_ids) & np.isin(kind, ["round", "tender"])
    tx = book.transactions
    flow_rows = np.zeros(len(tx), dtype=bool)
    if flows:
        flow_rows = (
            (tx_days > first)
            & (tx_days <= last)
            & tx["action"].isin(["deposit", "withdraw", "dividend"]).to_numpy()
            & tx["account"].isin(list(book.accounts)).to_numpy()
        )
    dates: DateArray = np.unique(
        np.concatenate([mark_days[closes | events], tx_days[flow_rows], [first, last]])
    )

    frame = price_history(book, dates)[companies]
    prices = frame.to_numpy(dtype=np.float64)
    missing = np.isnan(prices)
    if missing.any():
        t, j = np.argwhere(missing)[0]
        raise DataError(f"no price for {companies[j]} on {dates[t]} (no mark on or before it)")
    age = (dates[:, None] - marked_prices(book, dates, companies).mark_day()).astype(np.int64)
    cadence = np.array([_cadence(mark_days[(company == c) & (kind == "close")]) for c in companies])
    limit = max_gap_days + cadence - 1
    stale = (age > limit) & ~private
    if stale.any():
        t, j = np.argwhere(stale)[0]
        every = "every day" if cadence[j] == 1 else f"about every {cadence[j]} days"
        raise DataError(
            f"no price for {companies[j]} on {dates[t]}: its last mark is {age[t, j]} days "
            f"old; it is marked {every}, and backtests forward-fill at most {limit[j]} days "
            f"(add marks, or allow a longer gap)"
        )
    liquidity = np.zeros(prices.shape, dtype=bool)
    for j, c in enumerate(companies):
        if private[j]:
            liquidity[:, j] = np.isin(dates, mark_days[events & (company == c)])
            if c in listed:
                liquidity[:, j] |= dates >= listed[c]

    factors = split_factors(book, companies, np.array([first, last]))
    accounts = tuple(book.accounts)
    quantities = held.loc[list(accounts), companies].to_numpy(dtype=np.float64)
    quantities = quantities * factors[1] / factors[0]  # into the last date's share count
    deposits = dividends = None
    if flows:
        deposits, dividends = _flows(book, flow_rows, dates, accounts, companies, factors[1])
    setup = Setup(
        companies=tuple(companies),
        accounts=accounts,
        kinds=tuple(book.accounts[a].kind for a in accounts),
        dates=dates,
        private=private,
    )
    return BacktestInputs(
        setup=setup,
        prices=prices[None],
        holdings=quantities,
        cash=cash(book, start).reindex(list(accounts)).to_numpy(dtype=np.float64),
        liquidity=liquidity,
        start=start,
        end=end,
        deposits=deposits,
        dividends=dividends,
    )


def _flows(
    book: Book,
    rows: BoolArray,
    dates: DateArray,
    accounts: tuple[str, ...],
    companies: list[str],
    last_factors: Float64Array,
) -> tuple[Float64Array, Float64Array]:
    """The book's external flows on the steps ``dates``, in the book's currency.

    Deposits (+) and withdrawals (-) settle in the row's currency (the account's when the
    row names none), converted at the book's rate of their day; a dividend is its amount
    (quantity x price - fees, in the company's currency, the book's) divided by the
    shares the account held that day (in the last date's share count), so that the
    policy is paid on the shares it holds. A dividend of a company the backtest does
    not price is left out (no policy holds it).
    """
    tx = book.transactions.loc[rows]
    fx = FxRates(book.fx)
    index = {d: i for i, d in enumerate(dates.astype("datetime64[D]").tolist())}
    where = {a: i for i, a in enumerate(accounts)}
    deposits = np.zeros((dates.size, len(accounts)))
    dividends = np.zeros((dates.size, len(accounts), len(companies)))
    held_on: dict[dt.date, Float64Array] = {}
    r: dict[str, Any]
    for r in tx.to_dict("records"):  # type: ignore[assignment]
        day = dt.date.fromisoformat(str(r["date"])[:10])
        t, a = index[day], where[str(r["account"])]
        if r["action"] == "dividend":
            if r["company"] not in companies:
                continue
            j = companies.index(str(r["company"]))
            if day not in held_on:
                factors = split_factors(book, companies, np.array([np.datetime64(day, "D")]))
                held = positions(book, day).loc[list(accounts), companies].to_numpy(float)
                held_on[day] = held * last_factors / factors[0]
            # per share of the account's holding that day (the book's, if the account
            # held none: a dividend paid after a sale)
            shares = held_on[day][a, j]
            if shares <= 0:
                shares = held_on[day][:, j].sum()
            amount = float(r["quantity"]) * float(r["price"]) - float(r["fees"] or 0.0)
            if shares <= 0:
                raise LedgerError(
                    f"a dividend of {r['company']} on {day}, a day on which the book holds "
                    f"none: it cannot be paid per share held",
                    file=str(r["file"]),
                    line=int(r["line"]),
                    field="company",
                )
            dividends[t, a, j] += amount / shares
            continue
        currency = str(r["currency"] or "") or book.accounts[str(r["account"])].currency
        try:
            rate = fx.rate(currency, book.currency, np.array([np.datetime64(day, "D")]))
        except DataError as exc:
            raise LedgerError(
                f"this {r['action']} of {float(r['quantity']):,.2f} {currency} on {day} is "
                f"replayed in the book's currency ({book.currency}), and needs a {currency}"
                f"{book.currency} rate on that day: {exc}",
                file=str(r["file"]),
                line=int(r["line"]),
                field="currency",
            ) from None
        sign = 1.0 if r["action"] == "deposit" else -1.0
        deposits[t, a] += sign * float(r["quantity"]) * float(rate.rates[0])
    return deposits, dividends


def _cadence(days: DateArray) -> int:
    """A company's usual spacing between marks: the median gap in whole days (at least 1)."""
    gaps = np.diff(np.unique(days.astype("datetime64[D]")).astype(np.int64))
    return max(1, int(np.median(gaps))) if gaps.size else 1


def backtest(
    book: Book,
    policy: Policy,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    max_gap_days: int = DEFAULT_MAX_GAP_DAYS,
    progress: Progress | None = None,
    flows: bool = True,
) -> Backtest:
    """Run ``policy`` on the book's history, and holding, from the same start.

    With ``flows`` (the default) both replay the book's external flows, and the result
    carries the book as traded: the ledger's history answer (``conviction history``) on
    the backtest's dates, in the book's currency.
    """
    inputs = backtest_inputs(
        book, policy, start=start, end=end, max_gap_days=max_gap_days, flows=flows
    )

    def once(p: Policy, report: Progress | None) -> PolicyRun:
        return PolicyEngine(p, inputs.setup).run(
            inputs.prices,
            inputs.holdings,
            inputs.cash,
            liquidity=inputs.liquidity,
            progress=report,
            deposits=inputs.deposits,
            dividends=inputs.dividends,
        )

    from conviction.ledger.sessions import sessions_per_year

    grid = backtest_days(inputs.start, inputs.end, book.meta.calendar)
    prices = price_history(book, grid)[list(inputs.setup.companies)].to_numpy(np.float64)
    run, hold = once(policy, progress), once(Policy("hold", (Hold(),)), None)
    traded = None
    if flows:
        traded = history_report(book, grid, freq="D")
    return Backtest(
        inputs,
        run,
        hold,
        traded,
        calendar=book.meta.calendar,
        sessions_per_year=sessions_per_year(book.meta.calendar),
        policy_values=on_sessions(run, inputs, grid, prices),
        hold_values=on_sessions(hold, inputs, grid, prices),
    )


def backtest_days(start: dt.date, end: dt.date, calendar: str) -> DateArray:
    """The valuation grid of a backtest: the sessions of ``calendar`` from ``start`` to
    ``end``, with ``start`` and ``end`` themselves where they are no session (the
    backtest starts from the positions on ``start`` and ends on ``end``)."""
    from conviction.ledger.sessions import valuation_days

    days = valuation_days(start, end, calendar)
    first = np.datetime64(start, "D")
    if not days.size or days[0] != first:
        days = np.concatenate([[first], days])
    out: DateArray = days.astype("datetime64[D]")
    return out


def on_sessions(
    run: PolicyRun, inputs: BacktestInputs, grid: DateArray, prices: Float64Array
) -> SessionValues:
    """``run`` (a history run, on the steps of ``inputs``) valued on the days ``grid``,
    at ``prices`` (grid, companies) in the steps' share count: on each day, the holdings
    and cash after the last step on or before it, at the day's prices. On a day that is
    a step this is the run's own value. The holdings after each step are the start's
    plus the trade log's quantities; the cash is the run's value less them."""
    if run.values is None or run.flows is None or run.trades is None:
        raise ValueError("a backtest run keeps its values, flows and trades")
    steps = inputs.setup.dates.astype("datetime64[D]")
    n_steps, n_acc = steps.size, len(inputs.setup.accounts)
    change = np.zeros((n_steps, n_acc, len(inputs.setup.companies)))
    log = run.trades
    np.add.at(change, (log.step, log.account, log.company), log.quantity)
    held = inputs.holdings[None] + np.cumsum(change, axis=0)  # (steps, accounts, companies)
    cash = run.values[0] - np.einsum("tac,tc->ta", held, inputs.prices[0])
    at = np.searchsorted(steps, grid, side="right") - 1  # the last step on or before
    values = np.einsum("tac,tc->ta", held[at], prices) + cash[at]
    flows = np.zeros((grid.size, n_acc))
    np.add.at(flows, np.searchsorted(grid, steps, side="left"), run.flows[0])  # next day
    flows[0] = 0.0  # before the first value: nothing to return on
    return SessionValues(grid, values, flows)
