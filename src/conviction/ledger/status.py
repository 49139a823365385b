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
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from conviction._typing import Float64Array
from conviction.book.model import Book
from conviction.errors import DataError
from conviction.ledger.fx import FxRates
from conviction.ledger.lots import Replay, replay
from conviction.ledger.prices import marked_prices, split_factors
from conviction.ledger.valuation import TradeArrays, rates_into, trade_arrays, value_history

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


def status(
    book: Book,
    as_of: dt.date | None = None,
    *,
    currency: str | None = None,
    accounts: Sequence[str] | None = None,
) -> BookStatus:
    """Value, gains, attribution and concentration of ``book`` on ``as_of``."""
    as_of = as_of or book.meta.as_of
    if as_of is None:
        raise DataError("no date given and the book sets no as_of")
    currency = currency or book.currency
    account_ids = tuple(accounts if accounts is not None else book.accounts)
    companies = tuple(book.companies)
    fx = FxRates(book.fx)
    day = np.datetime64(as_of, "D")
    tx = book.transactions
    if accounts is not None:
        tx = tx[tx["account"].isin(account_ids) | (tx["action"] == "split")]
        book = replace(book, transactions=tx)

    ta = trade_arrays(book, tuple(book.accounts), companies, fx)
    # Replayed with rates into the status currency, each lot's `cost_account` is its cost
    # in that currency at the rates it was paid at (pooled average-cost lots included).
    into = rates_into(book, ta, companies, currency, fx, until=day)
    state = replay(book.transactions, book.accounts, into, until=as_of)
    marked = marked_prices(book, np.array([day]), companies)
    factor = split_factors(book, companies, np.array([day]))[0]
    held_companies = {lot.company for lot in state.lots}
    to_ccy = np.array(
        [
            fx.rate(book.companies[c].currency, currency, np.array([day])).rates[0]
            if c in held_companies
            else 1.0
            for c in companies
        ]
    )
    local_price = marked.price[0] / factor  # per share as traded, company currency
    price_today = local_price * to_ccy  # in the status currency

    column = {c: j for j, c in enumerate(companies)}
    # price and currency effects of every gain (see the module docstring), status currency
    open_lots = pd.DataFrame(
        {
            "account": [lot.account for lot in state.lots],
            "company": [lot.company for lot in state.lots],
            "quantity": [lot.quantity for lot in state.lots],
            "cost": [lot.cost for lot in state.lots],
            "paid": [lot.cost_account for lot in state.lots],
        }
    )
    col = np.array([column[c] for c in open_lots["company"]], dtype=np.int64)
    open_lots["value_local"] = open_lots["quantity"].to_numpy() * np.nan_to_num(local_price)[col]
    open_lots["price_eff"], open_lots["ccy_eff"] = _effects(
        open_lots["value_local"].to_numpy(),
        open_lots["cost"].to_numpy(),
        open_lots["paid"].to_numpy(),
        to_ccy[col],
    )
    open_lots["local_gain"] = open_lots["value_local"] - open_lots["cost"]
    per_key = open_lots.groupby(["account", "company"], sort=False).sum(numeric_only=True)
    quantity = _as_dict(per_key["quantity"])
    cost = _as_dict(per_key["paid"])
    price_eff, ccy_eff = _as_dict(per_key["price_eff"]), _as_dict(per_key["ccy_eff"])
    local_gain = _as_dict(per_key["local_gain"])

    # every (sale, lot) match: proceeds shared by quantity, effects at the lot's paid rate
    matches = [(sale, m) for sale in state.sales for m in sale.lots]
    if matches:
        sold = pd.DataFrame(
            {
                "account": [sale.account for sale, _ in matches],
                "company": [sale.company for sale, _ in matches],
                "proceeds": [sale.proceeds * m.quantity / sale.quantity for sale, m in matches],
                "cost": [m.cost for _, m in matches],
                "paid": [m.cost_account for _, m in matches],
                "rate": [sale.rate for sale, _ in matches],
            }
        )
        sold["price_eff"], sold["ccy_eff"] = _effects(
            sold["proceeds"].to_numpy(),
            sold["cost"].to_numpy(),
            sold["paid"].to_numpy(),
            sold["rate"].to_numpy(),
        )
        by_sale = sold.groupby(["account", "company"], sort=False)[["price_eff", "ccy_eff"]].sum()
        for key, amount in _as_dict(by_sale["price_eff"]).items():
            _add(price_eff, key, amount)
        for key, amount in _as_dict(by_sale["ccy_eff"]).items():
            _add(ccy_eff, key, amount)
    realized: dict[tuple[str, str], float] = {}
    for sale in state.sales:
        key = (sale.account, sale.company)
        realized[key] = realized.get(key, 0.0) + sale.gain_account
        _add(local_gain, key, sale.gain)
    income = _income(book, ta, fx, day, currency)
    for key, amount in income.items():
        _add(price_eff, key, amount)  # income is all price effect
    for key, amount in state.dividends.items():
        _add(local_gain, key, amount)

    cash_now = value_history(
        book, np.array([day]), currency=currency, accounts=tuple(book.accounts)
    )
    cash_by_account = dict(zip(cash_now.accounts, cash_now.cash[0], strict=True))
    keys = set(quantity) | set(realized) | set(income)
    value = {k: quantity.get(k, 0.0) * _nz(price_today[column[k[1]]]) for k in keys}
    for (acc, com), q in quantity.items():
        if q > 0 and not np.isfinite(price_today[companies.index(com)]):
            raise DataError(f"no price for {com} on or before {as_of} (held by {acc})")

    total_cash = float(sum(cash_by_account[a] for a in account_ids))
    total_value = total_cash + float(sum(value.values()))
    denom = total_value if total_value else np.nan
    mark_days = marked.mark_day()[0]

    lines: list[CompanyLine] = []
    keys_by_company: dict[str, list[tuple[str, str]]] = {}
    for k in keys:
        keys_by_company.setdefault(k[1], []).append(k)
    for j, c in enumerate(companies):
        mine = keys_by_company.get(c, [])
        if not mine:
            continue
        v = sum(value[k] for k in mine)
        cst = sum(cost.get(k, 0.0) for k in mine)
        row = int(marked.mark_row[0, j])
        mark = marked.marks.iloc[row] if row >= 0 else None
        md = _date(mark_days[j]) if row >= 0 else None
        lines.append(
            CompanyLine(
                company=c,
                quantity=sum(quantity.get(k, 0.0) for k in mine),
                price=float(price_today[j]),
                value=v,
                weight=v / denom,
                cost=cst,
                unrealized_gain=v - cst,
                realized_gain=sum(realized.get(k, 0.0) for k in mine),
                income=sum(income.get(k, 0.0) for k in mine),
                mark_date=md,
                mark_kind=None if mark is None else str(mark["kind"]),
                mark_grade=None if mark is None else str(mark["grade"]),
                mark_age_days=None if md is None else (as_of - md).days,
                price_effect=sum(price_eff.get(k, 0.0) for k in mine),
                currency_effect=sum(ccy_eff.get(k, 0.0) for k in mine),
                local_currency=book.companies[c].currency,
                local_gain=sum(local_gain.get(k, 0.0) for k in mine),
            )
        )
    lines.sort(key=lambda line: -line.value)

    by_person = _exposure(lines, {c: book.companies[c].person_weights() for c in companies}, denom)
    by_theme = _exposure(
        lines, {c: dict.fromkeys(book.companies[c].themes, 1.0) for c in companies}, denom
    )
    by_account = []
    keys_of: dict[str, list[tuple[str, str]]] = {}  # one pass, not one per account
    for k in keys:
        keys_of.setdefault(k[0], []).append(k)
    for a in account_ids:
        mine_a = keys_of.get(a, [])
        acc_value = {k[1]: value[k] for k in mine_a}
        held = sum(acc_value.values())
        v = held + cash_by_account[a]
        gain = sum(
            value.get(k, 0.0) - cost.get(k, 0.0) + realized.get(k, 0.0) + income.get(k, 0.0)
            for k in mine_a
        )
        weights = {c: x / v for c, x in sorted(acc_value.items(), key=lambda kv: -kv[1]) if v}
        account = book.accounts[a]
        by_account.append(
            AccountLine(
                a,
                account.kind,
                currency,
                v,
                cash_by_account[a],
                gain,
                weights,
                price_effect=sum(price_eff.get(k, 0.0) for k in mine_a),
                currency_effect=sum(ccy_eff.get(k, 0.0) for k in mine_a),
            )
        )
    held_total = sum(line.value for line in lines)
    hhi = sum((line.value / held_total) ** 2 for line in lines) if held_total else 0.0
    stale = tuple(
        StaleMark(
            company=line.company,
            last_mark_date=line.mark_date,
            age_days=line.mark_age_days or 0,
            kind=line.mark_kind or "",
            grade=line.mark_grade or "",
            source=str(
                marked.marks.iloc[int(marked.mark_row[0, companies.index(line.company)])]["source"]
            ),
        )
        for line in lines
        if line.quantity > 0 and line.mark_date is not None and line.mark_date < as_of
    )
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
        stale_marks=stale,
        stale_fx=bool(cash_now.stale_fx[0]),
        stale_rates=_stale_rates(book, ta, state, fx, as_of, currency),
    )


def _add(into: dict[tuple[str, str], float], key: tuple[str, str], amount: float) -> None:
    into[key] = into.get(key, 0.0) + float(amount)


def _effects(
    value_local: Float64Array, cost_local: Float64Array, paid: Float64Array, rate_now: Float64Array
) -> tuple[Float64Array, Float64Array]:
    """Each lot's price effect ``(V − C)·X_0`` and currency effect ``V·(X_t − X_0)``, with
    ``X_0 = paid / C`` the rate its cost was paid at (so they sum to ``V·X_t − paid``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        x0 = np.where(cost_local != 0, paid / cost_local, rate_now)
    return (value_local - cost_local) * x0, value_local * (rate_now - x0)


def _as_dict(series: pd.Series) -> dict[tuple[str, str], float]:
    """A sum grouped by (account, company) as a plain dict."""
    keys: list[tuple[str, str]] = list(series.index)
    return {(str(a), str(c)): float(v) for (a, c), v in zip(keys, series.to_numpy(), strict=True)}


def _stale_rates(
    book: Book, ta: TradeArrays, state: Replay, fx: FxRates, as_of: dt.date, currency: str
) -> tuple[StaleRate, ...]:
    """Stored rates older than ``as_of`` that the status used: those of held companies'
    currencies and of every currency cash is held in."""
    day = np.datetime64(as_of, "D")
    needed = {book.companies[lot.company].currency for lot in state.lots}
    needed |= {str(c) for c in pd.unique(ta.settle_currency[ta.day <= day])}
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
    book: Book, ta: TradeArrays, fx: FxRates, day: np.datetime64, currency: str
) -> dict[tuple[str, str], float]:
    sel = np.flatnonzero((ta.action == "dividend") & (ta.day <= day))
    out: dict[tuple[str, str], float] = {}
    accounts, companies = tuple(book.accounts), tuple(book.companies)
    for i in sel:
        rate = fx.rate(str(ta.settle_currency[i]), currency, ta.day[i : i + 1]).rates[0]
        key = (accounts[ta.account[i]], companies[ta.company[i]])
        out[key] = out.get(key, 0.0) + ta.settle_amount[i] * rate
    return out


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
