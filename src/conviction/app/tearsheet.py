"""The tear sheet: one answer for the report, the dashboard and ``GET /api/v1/tearsheet``.

:func:`tear_sheet` is pure: it takes the book, its value history over the chosen range
(``report.data.History``, windowed as the dashboard's charts are) and its status on the
last day, and computes, from the same time-weighted return series as the report's
statistics:

- the return of each calendar month (a heatmap) and of each year, with the benchmark's
  year beside it (``analytics.calendar``, agreeing with quantstats);
- the worst drawdown periods (start, trough, recovery or none yet, depth);
- the holdings on the last day (value, quantity, cost, gain, weight);
- each company's contribution over the range: its gain from the range's first day to
  its last (value change net of what was bought, sold and paid out), which with
  ``other`` (cash, fees, currency on cash) sums to the book's gain over the range:
  its value change net of deposits and withdrawals;
- the allocation by company, by key person (a company split by its people's weights) and
  by theme (a company counts fully in each of its themes), for a treemap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from conviction.analytics.calendar import (
    DrawdownPeriod,
    drawdown_periods,
    monthly_returns,
    yearly_returns,
)

if TYPE_CHECKING:
    from conviction.book.model import Book
    from conviction.ledger.book_status import BookStatus
    from conviction.report.data import History

__all__ = [
    "AllocationTile",
    "Contribution",
    "HoldingRow",
    "MonthRow",
    "TearSheet",
    "YearLine",
    "tear_sheet",
]

#: How many drawdown periods, top and bottom contributors a tear sheet lists.
TOP = 5

AllocationBy = Literal["company", "person", "theme"]


@dataclass(frozen=True)
class MonthRow:
    """One year of the heatmap: the return of each month (NaN: no observation in the
    range) and of the year."""

    year: int
    months: tuple[float, ...]  # January to December
    total: float


@dataclass(frozen=True)
class YearLine:
    """One calendar year (the part of it in the range): the book's return, the
    benchmark's (NaN without one or without its prices that year)."""

    year: int
    book: float
    benchmark: float

    @property
    def excess(self) -> float:
        return self.book - self.benchmark


@dataclass(frozen=True)
class HoldingRow:
    """A company held on the last day, in the book's currency."""

    company: str
    name: str
    value: float
    quantity: float
    cost: float
    gain: float  # unrealised + realised + income, since the first transaction
    weight: float  # of the book's value, cash included
    people: tuple[str, ...]  # key people's names
    themes: tuple[str, ...]


@dataclass(frozen=True)
class Contribution:
    """A company's gain over the range: ``end_value - start_value - net_bought``."""

    company: str
    name: str
    start_value: float
    end_value: float
    net_bought: float  # bought less sold less income received, over the range
    gain: float


@dataclass(frozen=True)
class AllocationTile:
    """One tile of the allocation treemap of ``by``: a top tile has ``parent`` ""."""

    by: AllocationBy
    id: str
    parent: str
    label: str
    value: float
    weight: float  # of the book's value, cash included (exposure, for person and theme)


@dataclass(frozen=True)
class TearSheet:
    """A quantstats-style tear sheet of the book over one range."""

    as_of: dt.date
    start: dt.date  # the range's first day: returns and gains are measured from its close
    range: str
    currency: str
    benchmark: str | None
    months: tuple[MonthRow, ...]
    years: tuple[YearLine, ...]
    drawdowns: tuple[DrawdownPeriod, ...]  # the worst, deepest first
    holdings: tuple[HoldingRow, ...]  # by value, largest first
    contributions: tuple[Contribution, ...]  # every company with a gain, largest first
    other_gain: float  # the book's gain over the range not made by a company
    book_gain: float  # value change over the range net of deposits and withdrawals
    total_value: float
    allocation: tuple[AllocationTile, ...]

    @property
    def top(self) -> tuple[Contribution, ...]:
        """The largest contributors (gains above zero), largest first."""
        return tuple(c for c in self.contributions if c.gain > 0)[:TOP]

    @property
    def bottom(self) -> tuple[Contribution, ...]:
        """The smallest contributors (losses), the largest loss first."""
        return tuple(c for c in reversed(self.contributions) if c.gain < 0)[:TOP]


def tear_sheet(
    book: Book,
    history: History,
    end: BookStatus,
    *,
    range_: str = "Max",
    whole: bool = True,
) -> TearSheet:
    """The tear sheet of ``book`` over ``history`` (its first day to its last, which is
    ``end``'s date). ``whole``: ``history`` starts at the first transaction, so gains
    count from zero; else from the status on its first day."""
    from conviction.ledger.book_status import status

    days = history.days
    start = _date(days[0])
    returns = _returns(history.index, days)
    table = monthly_returns(returns)
    year_book = yearly_returns(returns)
    year_bench = pd.Series(dtype=np.float64)
    if history.benchmark_index is not None:
        year_bench = yearly_returns(_returns(history.benchmark_index, days))
    months = tuple(
        MonthRow(int(y), tuple(float(v) for v in row), float(year_book.get(y, np.nan)))
        for y, row in zip(table.index, table.to_numpy(), strict=True)
    )
    years = tuple(
        YearLine(int(y), float(year_book[y]), float(year_bench.get(y, np.nan)))
        for y in year_book.index
    )
    total = history.total
    if whole:
        before: dict[str, tuple[float, float]] = {}
        book_gain = float(total[-1] - history.flows.sum())
    else:
        first = status(book, start)
        before = {c.company: (c.value, c.gain) for c in first.by_company}
        book_gain = float(total[-1] - total[0] - history.flows[1:].sum())
    names = {c.id: c.name for c in book.companies.values()}
    contributions = []
    after = {c.company: (c.value, c.gain) for c in end.by_company}
    for company in {*before, *after}:
        v0, g0 = before.get(company, (0.0, 0.0))
        v1, g1 = after.get(company, (0.0, 0.0))
        gain = g1 - g0
        contributions.append(
            Contribution(company, names.get(company, company), v0, v1, v1 - v0 - gain, gain)
        )
    contributions.sort(key=lambda c: (-c.gain, c.company))
    persons = {p.id: p.name for p in book.persons.values()}
    holdings = tuple(
        HoldingRow(
            company=c.company,
            name=names.get(c.company, c.company),
            value=c.value,
            quantity=c.quantity,
            cost=c.cost,
            gain=c.gain,
            weight=c.weight,
            people=tuple(persons.get(p, p) for p in book.companies[c.company].key_people),
            themes=book.companies[c.company].themes,
        )
        for c in end.by_company
        if c.quantity > 0
    )
    return TearSheet(
        as_of=end.as_of,
        start=start,
        range=range_,
        currency=end.currency,
        benchmark=history.benchmark_name,
        months=months,
        years=years,
        drawdowns=drawdown_periods(returns, top=TOP),
        holdings=holdings,
        contributions=tuple(contributions),
        other_gain=book_gain - sum(c.gain for c in contributions),
        book_gain=book_gain,
        total_value=end.total_value,
        allocation=_allocation(book, holdings, end.cash, end.total_value, persons),
    )


def _returns(index: np.ndarray, days: np.ndarray) -> pd.Series:
    """Daily returns of a growth-of-1 series (NaN where a price is missing)."""
    x = np.asarray(index, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = x[1:] / x[:-1] - 1.0
    return pd.Series(r, index=pd.DatetimeIndex(days[1:]), name="returns")


def _date(value: object) -> dt.date:
    return dt.date.fromisoformat(str(np.asarray(value).astype("datetime64[D]")))


def _allocation(
    book: Book,
    holdings: tuple[HoldingRow, ...],
    cash: float,
    total: float,
    persons: dict[str, str],
) -> tuple[AllocationTile, ...]:
    denom = total if total else float("nan")
    tiles: list[AllocationTile] = []
    for h in holdings:
        tiles.append(AllocationTile("company", h.company, "", h.name, h.value, h.value / denom))
    if cash > 0:
        tiles.append(AllocationTile("company", "cash", "", "cash", cash, cash / denom))
    dimensions: tuple[AllocationBy, ...] = ("person", "theme")
    for by in dimensions:
        groups: dict[str, list[tuple[HoldingRow, float]]] = {}
        for h in holdings:
            company = book.companies[h.company]
            split = (
                company.person_weights() if by == "person" else dict.fromkeys(company.themes, 1.0)
            )
            for key, w in (split or {"": 1.0}).items():
                groups.setdefault(key, []).append((h, w))
        for key in sorted(groups, key=lambda k: -sum(h.value * w for h, w in groups[k])):
            label = (persons.get(key, key) if by == "person" else key) or f"no {by}"
            parent = f"{by}:{key}"
            value = sum(h.value * w for h, w in groups[key])
            tiles.append(AllocationTile(by, parent, "", label, value, value / denom))
            for h, w in groups[key]:
                tiles.append(
                    AllocationTile(
                        by,
                        f"{parent}/{h.company}",
                        parent,
                        h.name,
                        h.value * w,
                        h.value * w / denom,
                    )
                )
    return tuple(tiles)
