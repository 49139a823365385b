"""A policy replayed on a book's own history: inputs from the book, then one engine run.

The backtest starts from the book's positions and cash on ``start`` and lets the policy
alone trade from there on (the book's later recorded trades are not replayed; model
flows with ``contribute``/``withdraw``). Its steps are the dates on which the companies
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

import numpy as np

from conviction._typing import BoolArray, DateArray, Float64Array
from conviction.book.model import Book
from conviction.errors import DataError, FormatError
from conviction.ledger.corporate import listing_dates, private_on
from conviction.ledger.prices import marked_prices, split_factors
from conviction.ledger.valuation import cash, positions, price_history
from conviction.policies.engine import PolicyEngine, Progress, Setup
from conviction.policies.results import PolicyRun
from conviction.policies.spec import Hold, Policy, Rebalance

__all__ = ["DEFAULT_MAX_GAP_DAYS", "Backtest", "BacktestInputs", "backtest", "backtest_inputs"]

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


@dataclass(frozen=True, eq=False)
class Backtest:
    """A policy's run on history next to simply holding the same start."""

    inputs: BacktestInputs
    run: PolicyRun
    hold: PolicyRun

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
) -> BacktestInputs:
    """Prices, liquidity events, positions and cash for a backtest of ``policy`` on ``book``.

    ``start``/``end`` default to the policy's, then to the book's first transaction and
    its ``as_of`` (or last mark).
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
    dates: DateArray = np.unique(np.concatenate([mark_days[closes | events], [first, last]]))

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
    )


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
) -> Backtest:
    """Run ``policy`` on the book's history, and holding, from the same start."""
    inputs = backtest_inputs(book, policy, start=start, end=end, max_gap_days=max_gap_days)

    def once(p: Policy, report: Progress | None) -> PolicyRun:
        return PolicyEngine(p, inputs.setup).run(
            inputs.prices,
            inputs.holdings,
            inputs.cash,
            liquidity=inputs.liquidity,
            progress=report,
        )

    return Backtest(inputs, once(policy, progress), once(Policy("hold", (Hold(),)), None))
