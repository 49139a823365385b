"""A book as one Beancount ledger: accounts, lots at cost, prices and exchange rates.

What each row becomes (``<A>`` is the book account, ``<C>`` the company's commodity, its
ticker when it has one):

- ``deposit`` / ``withdraw``: ``Assets:<A>:Cash`` against ``Equity:Transfers:<A>``;
- ``buy``: a lot in ``Assets:<A>:<C>`` at its cost in the account's currency, fees included
  (``{{cost CCY, date, "lot id"}}``, conviction's own lot id), paid from ``Assets:<A>:Cash``
  (``@@`` the cost when the row settles in another currency);
- ``sell``: the lots conviction's lot method consumed, each by its id, the net proceeds to
  cash and the difference to ``Income:Gains:<A>`` (an average-cost account, which
  Beancount cannot book, gives each lot its share of the sale);
- ``dividend``: cash against ``Income:Dividends:<A>:<C>``;
- ``split``: every open lot of the company, in every account, is closed and reopened with
  the quantity times the ratio at the same total cost and date;
- marks: a ``price`` directive (the mark conviction values with on that date; the other
  marks of the day as ``custom "mark"`` entries), with the kind, source and grade as
  metadata; FX rates: ``price`` directives between the two currencies.

Beancount reads amounts as exact decimals; conviction's floats are written as the
shortest decimal that reads back as the same float, and the ledger allows a tolerance of
1e-6 for what that leaves (a cost of 1000 over 3 shares).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from conviction.book.model import Book
from conviction.export.book_csv import number_text
from conviction.ledger.index import as_index

__all__ = ["beancount_text", "commodity_names"]

_KIND_RANK = {"close": 0, "round": 1, "tender": 2, "model": 3}


@dataclass
class _Lot:
    label: str
    quantity: float
    cost: float  # in the account's currency
    opened: dt.date


def _component(text: str) -> str:
    """A Beancount account name component: a capital or a digit first, then [A-Za-z0-9-]."""
    clean = re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-") or "X"
    return clean[0].upper() + clean[1:] if clean[0].isalpha() else "N" + clean


def _commodity(text: str) -> str:
    clean = re.sub(r"[^A-Z0-9'._-]+", "", text.upper())
    clean = re.sub(r"^[^A-Z]+", "", clean)
    clean = re.sub(r"[^A-Z0-9]+$", "", clean)[:24]
    clean = re.sub(r"[^A-Z0-9]+$", "", clean)
    return clean if len(clean) >= 2 else (clean + "X" * (2 - len(clean)) if clean else "CO")


def commodity_names(book: Book) -> dict[str, str]:
    """Each company's commodity: its ticker (or id) in Beancount's letters, unique, and
    never a currency of the book."""
    taken = {book.currency, *(a.currency for a in book.accounts.values())}
    taken |= {c.currency for c in book.companies.values()}
    for pair in book.fx["pair"].tolist():
        taken |= {str(pair)[:3], str(pair)[3:]}
    out: dict[str, str] = {}
    for cid, company in book.companies.items():
        base = _commodity(company.ticker or cid)
        name, n = base, 2
        while name in taken:
            name, n = f"{base[:21]}-{n}", n + 1
        taken.add(name)
        out[cid] = name
    return out


def _accounts(book: Book) -> dict[str, str]:
    out: dict[str, str] = {}
    taken: set[str] = set()
    for aid in book.accounts:
        base = _component(aid)
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        out[aid] = name
    return out


def _str(text: object) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _num(value: Any) -> str:
    return number_text(float(value))


def beancount_text(book: Book) -> str:
    """The whole book as one Beancount file (see the module docstring)."""
    ix = as_index(book)
    tx = book.transactions
    ta = ix.trades
    comm = commodity_names(book)
    acct = _accounts(book)
    n = len(tx)
    state = ix.replay(n)
    sa, ma = state.sales, state.matches
    match_ids = ma.lot_id
    sale_of_row = {int(r): i for i, r in enumerate(sa.row.tolist())}
    days = [pd.Timestamp(d).date() for d in tx["date"].tolist()]
    all_days = [*days, *(pd.Timestamp(d).date() for d in book.marks["date"].tolist())]
    all_days += [pd.Timestamp(d).date() for d in book.fx["date"].tolist()]
    start = min(all_days) if all_days else book.meta.as_of or dt.date.today()

    out: list[str] = [
        f"; {book.meta.name}: exported by conviction export --format beancount",
        f'option "title" {_str(book.meta.name)}',
        f'option "operating_currency" {_str(book.currency)}',
        'option "inferred_tolerance_default" "*:0.000001"',
        "",
    ]
    for cid, company in book.companies.items():
        out.append(f"{start} commodity {comm[cid]}")
        out.append(f"  name: {_str(company.name)}")
        out.append(f"  conviction-id: {_str(cid)}")
        out.append(f"  public: {'TRUE' if company.public else 'FALSE'}")
    out.append("")
    booking = {"fifo": "FIFO", "lifo": "LIFO", "hifo": "HIFO"}
    for aid, account in book.accounts.items():
        a = acct[aid]
        out.append(f"{start} open Assets:{a}:Cash")
        out.append(f"  conviction-id: {_str(aid)}")
        out.append(f"  kind: {_str(account.kind)}")
        for cid in book.companies:
            method = booking.get(account.lot_method, "STRICT")
            out.append(f'{start} open Assets:{a}:{comm[cid]} {comm[cid]} "{method}"')
        out.append(f"{start} open Equity:Transfers:{a}")
        out.append(f"{start} open Income:Gains:{a}")
        out.append(f"{start} open Expenses:Fees:{a}")
        for cid in book.companies:
            out.append(f"{start} open Income:Dividends:{a}:{comm[cid]}")
    out.append(f"{start} open Equity:Rounding")
    out.append("")

    lots: dict[tuple[str, str], list[_Lot]] = {}
    seq: dict[tuple[str, str], int] = {}
    settle = ta.settle_currency
    amount = ta.settle_amount
    rate = ta.to_account
    rows = tx.to_dict("records")
    for i, row in enumerate(rows):
        day, action = days[i], row["action"]
        aid, cid = row["account"], row["company"]
        where = "  conviction-row: " + _str(f"{row['file']}:{row['line']}")
        if action == "split":
            ratio = float(row["quantity"])
            postings = []
            for (a_id, c_id), held in lots.items():
                if c_id != cid:
                    continue
                for lot in held:
                    if lot.quantity <= 0:
                        continue
                    name = f"Assets:{acct[a_id]}:{comm[cid]}"
                    postings.append(f"  {name}  -{_num(lot.quantity)} {comm[cid]} {_label(lot)}")
                    lot.quantity *= ratio
                    spec = _cost(lot.cost, book.accounts[a_id].currency, lot.opened, lot.label)
                    postings.append(f"  {name}  {_num(lot.quantity)} {comm[cid]} {spec}")
            out.append(f'{day} * "split {_num(ratio)} for 1 of {cid}"')
            out.append(where)
            out += postings
            if postings:
                out.append("  Equity:Rounding")
            out.append("")
            continue
        a = acct[aid]
        ccy = str(settle[i])
        account_ccy = book.accounts[aid].currency
        cash = float(amount[i])
        if action in ("deposit", "withdraw"):
            out.append(f"{day} * {_str(action)}")
            out.append(where)
            out.append(f"  Assets:{a}:Cash  {_num(cash)} {ccy}")
            out.append(f"  Equity:Transfers:{a}")
            out.append("")
            continue
        c = comm[cid]
        qty = float(row["quantity"])
        if action == "dividend":
            out.append(f'{day} * "dividend of {cid}"')
            out.append(where)
            out.append(f"  Assets:{a}:Cash  {_num(cash)} {ccy}")
            out.append(f"  Income:Dividends:{a}:{c}")
            out.append("")
            continue
        key = (aid, cid)
        if action == "buy":
            seq[key] = seq.get(key, 0) + 1
            label = str(row["lot"] or "") or f"{cid}-{seq[key]}"
            cost = (qty * float(row["price"]) + float(row["fees"])) * float(rate[i])
            lots.setdefault(key, []).append(_Lot(label, qty, cost, day))
            out.append(f'{day} * "buy {_num(qty)} {cid}"')
            out.append(where)
            spec = _cost(cost, account_ccy, day, label)
            out.append(f"  Assets:{a}:{c}  {_num(qty)} {c} {spec}")
            out.append(f"  Assets:{a}:Cash  {_num(cash)} {ccy}{_at(-cost, ccy, account_ccy)}")
            out.append(f"  Expenses:Fees:{a}")
            out.append("")
            continue
        # a sale: the lots conviction consumed
        s = sale_of_row[i]
        first, count = int(sa.first_match[s]), int(sa.n_matches[s])
        held = lots.get(key, [])
        taken: list[tuple[_Lot, float]] = []
        if book.accounts[aid].lot_method == "average":
            total = sum(lot.quantity for lot in held)
            for lot in held:
                share = lot.quantity * qty / total if total > 0 else 0.0
                taken.append((lot, min(share, lot.quantity)))
        else:
            by_label = {lot.label: lot for lot in held}
            for m in range(first, first + count):
                lot = by_label[str(match_ids[m])]
                taken.append((lot, min(float(ma.quantity[m]), lot.quantity)))
        out.append(f'{day} * "sell {_num(qty)} {cid}"')
        out.append(where)
        for lot, part in taken:
            if part <= 0:
                continue
            out.append(f"  Assets:{a}:{c}  -{_num(part)} {c} {_label(lot)}")
            lot.cost -= lot.cost * part / lot.quantity  # what is left keeps its unit cost
            lot.quantity -= part
            if lot.quantity < 1e-9 * max(1.0, part):
                lot.quantity = 0.0
        proceeds = float(sa.proceeds_account[s])
        out.append(f"  Assets:{a}:Cash  {_num(cash)} {ccy}{_at(proceeds, ccy, account_ccy)}")
        out.append(f"  Income:Gains:{a}")
        out.append("")
        lots[key] = [lot for lot in held if lot.quantity > 0]

    out += _prices(book, comm)
    return "\n".join(out) + "\n"


def _cost(total: float, ccy: str, day: dt.date, label: str) -> str:
    """A lot's total cost, date and id: ``{{4001 USD, 2025-01-06, "tesla-1"}}``."""
    return "{{" + f"{_num(total)} {ccy}, {day}, {_str(label)}" + "}}"


def _label(lot: _Lot) -> str:
    return "{" + _str(lot.label) + "}"


def _at(total: float, ccy: str, account_ccy: str) -> str:
    """``@@ total`` in the account's currency when the cash leg is in another one."""
    if ccy == account_ccy or not math.isfinite(total):
        return ""
    return f" @@ {_num(abs(total))} {account_ccy}"


def _prices(book: Book, comm: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    marks = book.marks
    if len(marks):
        frame = marks.assign(
            mday=[pd.Timestamp(d).date() for d in marks["date"].tolist()],
            mrank=[_KIND_RANK.get(str(k), 9) for k in marks["kind"].tolist()],
            morder=np.arange(len(marks)),
        ).sort_values(["mday", "company", "mrank", "morder"], kind="stable")
        seen: set[tuple[dt.date, str]] = set()
        for m in frame.itertuples(index=False):
            cid, day = str(m.company), cast(dt.date, m.mday)
            ccy = book.companies[cid].currency
            meta = [f"  kind: {_str(m.kind)}"]
            if isinstance(m.source, str) and m.source:
                meta.append(f"  source: {_str(m.source)}")
            if isinstance(m.grade, str) and m.grade:
                meta.append(f"  grade: {_str(m.grade)}")
            if (day, cid) in seen:  # a mark the day's better one beats
                out.append(
                    f'{day} custom "mark" {_str(comm[cid])} {_num(m.price)} {ccy} {_str(m.kind)}'
                )
            else:
                seen.add((day, cid))
                out.append(f"{day} price {comm[cid]} {_num(m.price)} {ccy}")
            out += meta
    for r in book.fx.itertuples(index=False):
        pair = str(r.pair)
        out.append(
            f"{pd.Timestamp(cast(Any, r.date)).date()} price {pair[:3]} {_num(r.rate)} {pair[3:]}"
        )
        if isinstance(r.source, str) and r.source:
            out.append(f"  source: {_str(r.source)}")
    return out
