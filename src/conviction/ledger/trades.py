"""The transaction table as arrays, with every amount's currency conversion resolved.

Built once per book state (``conviction.ledger.index``): day numbers, integer codes for
accounts, companies and currencies, each row's cash effect in the currency it settles in,
its rate into the account's currency, and its change in original shares (``prices``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from conviction._typing import BoolArray, Float64Array, IntArray
from conviction.book.model import Book
from conviction.errors import DataError, LedgerError
from conviction.ledger.columns import codes_in, objects
from conviction.ledger.fx import FxRates, RateSeries
from conviction.ledger.prices import Splits, split_factors, splits_of

__all__ = ["TradeArrays", "rates_into", "trade_arrays"]


@dataclass(frozen=True)
class TradeArrays:
    """The transaction table as arrays, with every amount's currency conversion resolved.

    ``settle_amount`` is the cash effect of each row in its settle currency;
    ``to_account`` converts the company's currency into the account's currency on the
    trade day (the row's ``fx_rate`` when it settles in the account's currency).
    """

    day: np.ndarray  # datetime64[D]
    account: IntArray
    company: IntArray  # -1 for cash rows
    action: np.ndarray
    quantity: Float64Array
    original_shares: Float64Array  # signed change in original shares (buy +, sell -)
    settle_currency: np.ndarray
    settle_amount: Float64Array
    external: BoolArray  # deposits and withdrawals: money in or out of the account
    to_account: Float64Array
    # Currencies as integer codes into ``currencies`` (comparing ints is ~50x cheaper than
    # comparing a million strings): each row's settle, account and company currency.
    currencies: tuple[str, ...]
    settle_code: IntArray
    account_code: IntArray
    company_code: IntArray  # -1 for cash rows


def trade_arrays(
    book: Book,
    accounts: Sequence[str],
    companies: Sequence[str],
    fx: FxRates | None = None,
    splits: Splits | None = None,
) -> TradeArrays:
    tx = book.transactions
    fx = fx or FxRates(book.fx)
    n = len(tx)
    day = tx["date"].to_numpy().astype("datetime64[D]")
    account = codes_in(tx["account"], accounts)
    company = codes_in(tx["company"], companies)
    action = objects(tx["action"])
    qty = tx["quantity"].to_numpy(float)
    price = np.nan_to_num(tx["price"].to_numpy(float))
    fees = tx["fees"].to_numpy(float)

    given_codes, given_names = pd.factorize(tx["currency"])
    names = sorted(
        {book.currency}
        | {a.currency for a in book.accounts.values()}
        | {c.currency for c in book.companies.values()}
        | {str(g) for g in given_names if g}
    )
    code = {c: i for i, c in enumerate(names)}
    # per row through the account's and company's position (index -1: no account/company)
    all_accounts = list(book.accounts)
    row_account = (
        account if list(accounts) == all_accounts else codes_in(tx["account"], all_accounts)
    )
    by_account = [code[book.accounts[a].currency] for a in all_accounts]
    account_c = np.array([*by_account, code[book.currency]], dtype=np.int64)[row_account]
    by_company = [code[book.companies[c].currency] for c in companies]
    company_c = np.array([*by_company, -1], dtype=np.int64)[company]
    given_c = np.array([code[str(g)] if g else -1 for g in given_names] + [-1], dtype=np.int64)
    settle_c = given_c[given_codes]
    settle_c = np.where(settle_c >= 0, settle_c, account_c)
    settle = np.array(names, dtype=object)[settle_c]
    fx_given = tx["fx_rate"].to_numpy(float)

    is_buy, is_sell = action == "buy", action == "sell"
    is_div = action == "dividend"
    is_trade = is_buy | is_sell | is_div
    gross = np.where(is_buy, qty * price + fees, qty * price - fees)
    _check_reporting(fx, names, code[book.currency], settle_c, company_c, day, is_trade, tx)
    to_settle = _rates(fx, names, company_c, settle_c, day, is_trade, tx)
    to_settle = np.where(is_trade & np.isfinite(fx_given), fx_given, to_settle)
    to_account = _rates(fx, names, company_c, account_c, day, is_trade, tx)
    same = settle_c == account_c
    to_account = np.where(is_trade & same & np.isfinite(fx_given), fx_given, to_account)

    amount = np.zeros(n)
    amount[is_buy] = -gross[is_buy] * to_settle[is_buy]
    sells = is_sell | is_div
    amount[sells] = gross[sells] * to_settle[sells]
    dep, wd = action == "deposit", action == "withdraw"
    amount[dep] = qty[dep]
    amount[wd] = -qty[wd]

    factors = np.ones(n)
    splits = splits_of(book) if splits is None else splits
    # corporate actions written out per account (ledger.corporate): shares in and out
    gets, gives = is_buy | (action == "carry_in"), is_sell | (action == "carry_out")
    for j, c in enumerate(companies):
        if c in splits:
            sel = np.flatnonzero((company == j) & (gets | gives))
            factors[sel] = split_factors(book, [c], day[sel], splits)[:, 0]
    shares = np.where(gets, qty, np.where(gives, -qty, 0.0)) / factors
    return TradeArrays(
        day,
        account,
        company,
        action,
        qty,
        shares,
        settle,
        amount,
        dep | wd,
        to_account,
        tuple(names),
        settle_c,
        account_c,
        company_c,
    )


def rates_into(
    book: Book,
    ta: TradeArrays,
    companies: Sequence[str],
    currency: str,
    fx: FxRates,
    *,
    until: np.datetime64 | None = None,
) -> Float64Array:
    """Per row, the rate from the company's currency into ``currency`` on the row's day.

    Where ``currency`` is the row's account currency this is ``ta.to_account`` (so a rate
    the row traded at is kept); elsewhere the day's rate. Rows after ``until`` get 1.0.
    Replaying lots with these rates keeps every lot's cost in ``currency`` at the rates it
    was paid at, pooled (average cost) lots included.
    """
    names = list(ta.currencies)
    if currency not in names:
        names.append(currency)
    target = names.index(currency)
    is_trade = np.isin(ta.action, ["buy", "sell", "dividend"]) & (ta.company >= 0)
    own = ta.account_code == target
    need = is_trade & ~own
    if until is not None:
        need &= ta.day <= until
    quote = np.full(ta.day.shape[0], target, dtype=np.int64)
    # a report currency the stored pairs cannot give is missing data, not a bad row
    out = _rates(fx, names, ta.company_code, quote, ta.day, need, None)
    out[own] = ta.to_account[own]
    return out


def _rates(
    fx: FxRates,
    names: Sequence[str],
    base: IntArray,
    quote: IntArray,
    day: np.ndarray,
    mask: BoolArray,
    tx: pd.DataFrame | None,
) -> Float64Array:
    """Per-row rate base→quote (currency codes into ``names``) on the row's day (1.0 where
    not needed).

    With ``tx``, a rate that cannot be derived is the fault of the first row that needs
    it, so the error names that row (file, line) rather than only the pair.
    """
    out = np.ones(base.shape[0])
    need = mask & (base != quote) & (base >= 0)
    if not need.any():
        return out
    key = base * len(names) + quote
    for k in np.unique(key[need]):
        sel = np.flatnonzero(need & (key == k))
        b, q = names[int(k) // len(names)], names[int(k) % len(names)]
        rates = fx.rate(b, q, day[sel]) if tx is None else _rate_for_rows(fx, b, q, day, sel, tx)
        out[sel] = rates.rates
    return out


def _rate_for_rows(
    fx: FxRates, base: str, quote: str, day: np.ndarray, sel: IntArray, tx: pd.DataFrame
) -> RateSeries:
    try:
        return fx.rate(base, quote, day[sel])
    except DataError as exc:
        # rows are in date order: the first one that needs the rate is the one to name
        first = int(sel[0])
        no_chain = "cannot be derived" in str(exc)
        raise LedgerError(
            f"this row needs a {base}{quote} rate on {day[first]}: {exc}",
            file=str(tx["file"].iloc[first]),
            line=int(tx["line"].iloc[first]),
            field="currency" if no_chain else "date",
        ) from None


def _check_reporting(
    fx: FxRates,
    names: Sequence[str],
    currency: int,
    settle: IntArray,
    company: IntArray,
    day: np.ndarray,
    is_trade: BoolArray,
    tx: pd.DataFrame,
) -> None:
    """Every amount must be convertible to the book's reporting currency from its first
    day on; checking each currency's earliest row is enough (rates carry forward)."""
    for codes, mask in ((settle, np.ones(settle.shape[0], dtype=bool)), (company, is_trade)):
        need = mask & (codes != currency) & (codes >= 0)
        for c in np.unique(codes[need]):
            first = np.flatnonzero(need & (codes == c))[:1]
            _rate_for_rows(fx, names[int(c)], names[currency], day, first, tx)
