"""The state of a book on a date: value, gains, attribution and concentration.

Attribution follows the book's own structure: by company, by key person (a company with
several key people splits by ``key_people_weights``, equally by default), by account and
by theme (a company counts fully towards each of its themes: exposure, not a partition).
Gains: ``realized`` (sales, net of fees, against lot cost), ``unrealized`` (value of open
lots against their cost) and ``income`` (dividends); their sum is the total gain.

Each gain also splits into a **price effect** and a **currency effect** that add up to it
exactly (docs/currencies.md). Per lot, with ``C`` its cost in the company's currency,
``X_0`` the rate it was paid at (its cost in the status currency is ``C·X_0``), ``V`` its
value (or its share of a sale's proceeds) in the company's currency and ``X_t`` the rate on
the valuation (or sale) day: price effect ``(V − C)·X_0`` — the gain the price made, at the
rate the lot was paid at, i.e. the gain had the rate not moved — and currency effect
``V·(X_t − X_0)`` — what the rate's move did to the lot's value. Dividends count as price
effect. In the company's own currency the currency effect is zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from conviction._typing import BoolArray, Float64Array, IntArray
from conviction.book.model import Book
from conviction.errors import DataError
from conviction.ledger.fx import FxRates
from conviction.ledger.index import BookIndex, as_index
from conviction.ledger.prices import split_factors

__all__ = [
    "AccountLine",
    "BookStatus",
    "CompanyLine",
    "ExposureLine",
    "StaleMark",
    "StaleRate",
    "status",
]


@dataclass(frozen=True, slots=True)
class CompanyLine:
    company: str
    quantity: float
    price: float  # in the status currency, per share as traded on the date
    value: float
    weight: float  # of total value (cash included)
    cost: float
    unrealized_gain: float
    realized_gain: float
    income: float
    mark_date: dt.date | None
    mark_kind: str | None
    mark_grade: str | None
    mark_age_days: int | None
    price_effect: float  # status currency; price_effect + currency_effect == gain
    currency_effect: float
    local_currency: str  # the company's currency
    local_gain: float  # the gain in the company's currency (price alone, with income)

    @property
    def gain(self) -> float:
        return self.unrealized_gain + self.realized_gain + self.income


@dataclass(frozen=True, slots=True)
class ExposureLine:
    """Value and gain attributed to a key person or a theme."""

    name: str
    value: float
    weight: float
    gain: float


@dataclass(frozen=True, slots=True)
class AccountLine:
    account: str
    kind: str
    currency: str
    value: float
    cash: float
    gain: float
    weights: dict[str, float]  # company -> weight in this account's value
    price_effect: float = 0.0
    currency_effect: float = 0.0


@dataclass(frozen=True, slots=True)
class StaleMark:
    company: str
    last_mark_date: dt.date
    age_days: int
    kind: str
    grade: str
    source: str


@dataclass(frozen=True, slots=True)
class StaleRate:
    """An exchange rate used on the status date that was set on an earlier day."""

    pair: str  # as stored (a cross shows each of its legs)
    last_rate_date: dt.date
    age_days: int
    rate: float
    source: str


@dataclass(frozen=True)
class BookStatus:
    as_of: dt.date
    currency: str
    total_value: float
    cash: float
    by_company: tuple[CompanyLine, ...]
    by_person: tuple[ExposureLine, ...]
    by_theme: tuple[ExposureLine, ...]
    by_account: tuple[AccountLine, ...]
    hhi: float  # Herfindahl index of holdings weights (cash excluded)
    stale_marks: tuple[StaleMark, ...]
    stale_fx: bool
    stale_rates: tuple[StaleRate, ...] = ()

    @property
    def total_gain(self) -> float:
        return sum(line.gain for line in self.by_company)

    @property
    def price_effect(self) -> float:
        return sum(line.price_effect for line in self.by_company)

    @property
    def currency_effect(self) -> float:
        return sum(line.currency_effect for line in self.by_company)

    def company(self, company: str) -> CompanyLine:
        for line in self.by_company:
            if line.company == company:
                return line
        raise KeyError(company)

    def to_frame(self, by: str = "company") -> pd.DataFrame:
        """A DataFrame of one table: ``by`` is ``company`` (default), ``person``, ``theme``,
        ``account`` or ``stale_marks``; one row per line, indexed by its id."""
        from conviction.ledger.frames import status_frame

        return status_frame(self, by)

    def _repr_html_(self) -> str:
        from conviction.ledger.frames import status_html

        return status_html(self)


def status(
    book: Book | BookIndex,
    as_of: dt.date | None = None,
    *,
    currency: str | None = None,
    accounts: Sequence[str] | None = None,
) -> BookStatus:
    """Value, gains, attribution and concentration of ``book`` on ``as_of``."""
    ix = as_index(book)
    book = ix.book
    as_of = as_of or book.meta.as_of
    if as_of is None:
        raise DataError("no date given and the book sets no as_of")
    currency = currency or book.currency
    account_ids = tuple(accounts if accounts is not None else ix.accounts)
    companies, ta = ix.companies, ix.trades
    n_a, n_c = len(ix.accounts), len(companies)
    where = {a: i for i, a in enumerate(ix.accounts)}
    wanted = np.zeros(n_a + 1, dtype=bool)  # [-1]: rows of no account (splits)
    wanted[[where[a] for a in account_ids]] = True
    day = np.asarray([as_of], dtype="datetime64[D]")  # the one valuation day, as an array
    until = ix.rows_until(as_of)
    # Replayed with rates into the status currency, each lot's `cost_account` is its cost
    # in that currency at the rates it was paid at (pooled average-cost lots included).
    state = ix.replay(until, currency)
    lots = state.lots
    mine = wanted[lots.account]
    held = np.zeros(n_c, dtype=bool)
    held[lots.company[mine]] = True
    to_ccy = np.ones(n_c)
    for j in np.flatnonzero(held):
        to_ccy[j] = ix.fx.rate(book.companies[companies[j]].currency, currency, day).rates[0]
    marked = ix.marks.lookup(day, companies)
    factor = split_factors(book, companies, day, ix.splits)[0]
    local_price = marked.price[0] / factor  # per share as traded, company currency
    price_today = local_price * to_ccy  # in the status currency

    # Per (account, company) cell, as dense (accounts, companies) grids.
    def grid(key: IntArray, values: Float64Array) -> Float64Array:
        cells = np.bincount(key, values, minlength=n_a * n_c).astype(np.float64)  # float if empty
        return cells.reshape(n_a, n_c)

    # open lots: price and currency effects of every gain (see the module docstring)
    lot_key = lots.account[mine] * n_c + lots.company[mine]
    lot_quantity = lots.quantity[mine]
    lot_cost, lot_paid = lots.cost[mine], lots.cost_account[mine]
    value_local = lot_quantity * np.nan_to_num(local_price)[lots.company[mine]]
    lot_pe, lot_ce = _effects(value_local, lot_cost, lot_paid, to_ccy[lots.company[mine]])
    quantity = grid(lot_key, lot_quantity)
    cost = grid(lot_key, lot_paid)
    price_eff = grid(lot_key, lot_pe)
    ccy_eff = grid(lot_key, lot_ce)
    local_gain = grid(lot_key, value_local - lot_cost)
    present = grid(lot_key, np.ones(lot_key.size)) > 0

    # sales: every (sale, lot) match shares the proceeds by quantity, effects at its paid rate
    sales = state.sales
    sold = wanted[sales.account]
    sale_key = sales.account * n_c + sales.company
    matches = state.matches
    m_sold = sold[matches.sale]
    m_sale = matches.sale[m_sold]
    proceeds = sales.proceeds[m_sale] * matches.quantity[m_sold] / sales.quantity[m_sale]
    m_pe, m_ce = _effects(
        proceeds, matches.cost[m_sold], matches.cost_account[m_sold], sales.rate[m_sale]
    )
    price_eff += grid(sale_key[m_sale], m_pe)
    ccy_eff += grid(sale_key[m_sale], m_ce)
    realized = grid(sale_key[sold], sales.proceeds_account[sold] - sales.cost_account[sold])
    local_gain += grid(sale_key[sold], sales.proceeds[sold] - sales.cost[sold])
    present |= grid(sale_key[sold], np.ones(int(sold.sum()))) > 0

    # income: dividends at the rate of their day, all price effect
    income, has_income = _income(ix, until, wanted, currency)
    price_eff += income
    present |= has_income
    div = state.dividends
    paid_out = wanted[div.account]
    local_gain += grid(div.account[paid_out] * n_c + div.company[paid_out], div.amount[paid_out])

    cash_by_account, stale_fx = _cash(ix, until, day, currency)
    value = quantity * np.nan_to_num(price_today)[None, :]
    value[~present] = 0.0
    unpriced = (lot_quantity > 0) & ~np.isfinite(price_today[lots.company[mine]])
    if unpriced.any():
        first = int(np.flatnonzero(unpriced)[0])
        acc, com = ix.accounts[lots.account[mine][first]], companies[lots.company[mine][first]]
        raise DataError(f"no price for {com} on or before {as_of} (held by {acc})")

    total_cash = float(cash_by_account[wanted[:n_a]].sum())
    total_value = total_cash + float(value.sum())
    denom = total_value if total_value else np.nan

    lines: list[CompanyLine] = []
    for j in np.flatnonzero(present.any(axis=0)):
        c = companies[j]
        v, cst = float(value[:, j].sum()), float(cost[:, j].sum())
        mark = marked.mark(0, int(j))
        md = None if mark is None else _date(mark.date)
        lines.append(
            CompanyLine(
                company=c,
                quantity=float(quantity[:, j].sum()),
                price=float(price_today[j]),
                value=v,
                weight=v / denom,
                cost=cst,
                unrealized_gain=v - cst,
                realized_gain=float(realized[:, j].sum()),
                income=float(income[:, j].sum()),
                mark_date=md,
                mark_kind=None if mark is None else mark.kind,
                mark_grade=None if mark is None else mark.grade,
                mark_age_days=None if md is None else (as_of - md).days,
                price_effect=float(price_eff[:, j].sum()),
                currency_effect=float(ccy_eff[:, j].sum()),
                local_currency=book.companies[c].currency,
                local_gain=float(local_gain[:, j].sum()),
            )
        )
    lines.sort(key=lambda line: -line.value)

    by_person = _exposure(lines, {c: book.companies[c].person_weights() for c in companies}, denom)
    by_theme = _exposure(
        lines, {c: dict.fromkeys(book.companies[c].themes, 1.0) for c in companies}, denom
    )
    gain = value - cost + realized + income
    by_account = []
    for a in account_ids:
        i = where[a]
        cells = np.flatnonzero(present[i])
        v = float(value[i, cells].sum()) + float(cash_by_account[i])
        order = cells[np.argsort(-value[i, cells], kind="stable")]
        weights = {companies[j]: float(value[i, j]) / v for j in order} if v else {}
        account = book.accounts[a]
        by_account.append(
            AccountLine(
                a,
                account.kind,
                currency,
                v,
                float(cash_by_account[i]),
                float(gain[i, cells].sum()),
                weights,
                price_effect=float(price_eff[i, cells].sum()),
                currency_effect=float(ccy_eff[i, cells].sum()),
            )
        )
    held_total = sum(line.value for line in lines)
    hhi = sum((line.value / held_total) ** 2 for line in lines) if held_total else 0.0
    stale = []
    for line in lines:
        if line.quantity > 0 and line.mark_date is not None and line.mark_date < as_of:
            mark = marked.mark(0, companies.index(line.company))
            stale.append(
                StaleMark(
                    company=line.company,
                    last_mark_date=line.mark_date,
                    age_days=line.mark_age_days or 0,
                    kind=line.mark_kind or "",
                    grade=line.mark_grade or "",
                    source="" if mark is None else mark.source,
                )
            )
    rows = wanted[ta.account[:until]] | (ta.account[:until] < 0)  # splits: the book's currency
    needed = {book.companies[companies[j]].currency for j in np.flatnonzero(held)}
    needed |= {ta.currencies[int(k)] for k in np.unique(ta.settle_code[:until][rows])}
    return BookStatus(
        as_of=as_of,
        currency=currency,
        total_value=total_value,
        cash=total_cash,
        by_company=tuple(lines),
        by_person=by_person,
        by_theme=by_theme,
        by_account=tuple(by_account),
        hhi=hhi,
        stale_marks=tuple(stale),
        stale_fx=stale_fx,
        stale_rates=_stale_rates(ix.fx, needed, as_of, currency),
    )


def _cash(ix: BookIndex, until: int, day: np.ndarray, currency: str) -> tuple[Float64Array, bool]:
    """Each account's cash on ``day`` in ``currency`` (rows ``[0, until)``), and whether a
    rate it or a holding needed was carried forward from an earlier day."""
    ta, n_a = ix.trades, len(ix.accounts)
    live = ta.account[:until] >= 0
    out = np.zeros(n_a)
    stale = False
    for code in np.unique(ta.settle_code[:until][live]):
        sel = live & (ta.settle_code[:until] == code)
        per = np.bincount(ta.account[:until][sel], ta.settle_amount[:until][sel], minlength=n_a)
        series = ix.fx.rate(ta.currencies[int(code)], currency, day)
        out += per * series.rates[0]
        stale |= bool(series.stale[0])
    traded = np.unique(ta.company[ta.company >= 0])
    for ccy in {ix.book.companies[ix.companies[j]].currency for j in traded} - {currency}:
        stale |= bool(ix.fx.rate(ccy, currency, day).stale[0])
    return out, stale


def _effects(
    value_local: Float64Array, cost_local: Float64Array, paid: Float64Array, rate_now: Float64Array
) -> tuple[Float64Array, Float64Array]:
    """Each lot's price effect ``(V − C)·X_0`` and currency effect ``V·(X_t − X_0)``, with
    ``X_0 = paid / C`` the rate its cost was paid at (so they sum to ``V·X_t − paid``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        x0 = np.where(cost_local != 0, paid / cost_local, rate_now)
    price = (value_local - cost_local) * x0
    # V·(X_t − X_0) written as the gain less the price effect: the same amount, but X_0 is
    # a quotient with its own rounding, so this way the two effects add up to the gain
    # ``V·X_t − paid`` to the last bit (a lot sold on its purchase day has no ~1e-13 left).
    return price, value_local * rate_now - paid - price


def _as_dict(series: pd.Series) -> dict[tuple[str, str], float]:
    """A sum grouped by (account, company) as a plain dict."""
    keys: list[tuple[str, str]] = list(series.index)
    return {(str(a), str(c)): float(v) for (a, c), v in zip(keys, series.to_numpy(), strict=True)}


def _stale_rates(
    fx: FxRates, needed: set[str], as_of: dt.date, currency: str
) -> tuple[StaleRate, ...]:
    """Stored rates older than ``as_of`` that the status used: those of held companies'
    currencies and of every currency cash is held in."""
    seen: dict[str, StaleRate] = {}
    for ccy in sorted(needed - {currency}):
        for used in fx.used(ccy, currency, as_of):
            if used.date < as_of and used.pair not in seen:
                age = (as_of - used.date).days
                seen[used.pair] = StaleRate(used.pair, used.date, age, used.rate, used.source)
    return tuple(seen.values())


def _nz(x: float) -> float:
    return float(x) if np.isfinite(x) else 0.0


def _date(value: np.datetime64) -> dt.date:
    return dt.date.fromisoformat(str(value.astype("datetime64[D]")))


def _income(
    ix: BookIndex, until: int, wanted: BoolArray, currency: str
) -> tuple[Float64Array, BoolArray]:
    """Dividends of rows ``[0, until)`` of the wanted accounts, each at its day's rate into
    ``currency``, per (account, company); and which cells had any."""
    ta, n_a, n_c = ix.trades, len(ix.accounts), len(ix.companies)
    sel = np.flatnonzero((ta.action[:until] == "dividend") & wanted[ta.account[:until]])
    amount = ta.settle_amount[sel].copy()
    for code in np.unique(ta.settle_code[sel]):
        rows = sel[ta.settle_code[sel] == code]
        rate = ix.fx.rate(ta.currencies[int(code)], currency, ta.day[rows]).rates
        amount[ta.settle_code[sel] == code] *= rate
    key = ta.account[sel] * n_c + ta.company[sel]
    income = np.bincount(key, amount, minlength=n_a * n_c).astype(np.float64).reshape(n_a, n_c)
    has = np.bincount(key, minlength=n_a * n_c).reshape(n_a, n_c) > 0
    return income, has


def _exposure(
    lines: list[CompanyLine], split: dict[str, dict[str, float]], denom: float
) -> tuple[ExposureLine, ...]:
    value: dict[str, float] = {}
    gain: dict[str, float] = {}
    for line in lines:
        for name, w in split[line.company].items():
            value[name] = value.get(name, 0.0) + line.value * w
            gain[name] = gain.get(name, 0.0) + line.gain * w
    return tuple(
        ExposureLine(name, value[name], value[name] / denom, gain[name])
        for name in sorted(value, key=lambda n: -value[n])
    )
