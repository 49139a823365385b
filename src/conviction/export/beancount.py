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
from typing import Any

from conviction.book.model import Book
from conviction.export.book_csv import day_texts, number_text, number_texts, texts
from conviction.ledger.corporate import CARRY_ACTIONS
from conviction.ledger.index import as_index

__all__ = ["beancount_text", "commodity_names"]

_KIND_RANK = {"close": 0, "round": 1, "tender": 2, "model": 3}


@dataclass
class _Lot:
    label: str
    quantity: float
    cost: float  # in the account's currency
    opened: str  # YYYY-MM-DD


def _component(text: str) -> str:
    """A Beancount account name component: a capital or a digit first, then [A-Za-z0-9-]."""
    clean = re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-") or "X"
    return clean[0].upper() + clean[1:] if clean[0].isalpha() else "N" + clean


def _commodity(text: str) -> str:
    """A commodity name: capitals, digits and ``'._-``, a capital first, a capital or a
    digit last, 2 to 24 long (``7203.T`` becomes ``C7203.T``); "" when nothing is left."""
    clean = re.sub(r"[^A-Z0-9'._-]+", "", text.upper())
    clean = re.sub(r"[^A-Z0-9]+$", "", re.sub(r"^[^A-Z0-9]+", "", clean))
    if clean and not clean[0].isalpha():
        clean = "C" + clean
    clean = re.sub(r"[^A-Z0-9]+$", "", clean[:24])
    return clean + "X" if len(clean) == 1 else clean


def commodity_names(book: Book) -> dict[str, str]:
    """Each company's commodity: its ticker (or id) in Beancount's letters, unique, and
    never a currency of the book."""
    taken = {book.currency, *(a.currency for a in book.accounts.values())}
    taken |= {c.currency for c in book.companies.values()}
    for pair in book.fx["pair"].tolist():
        taken |= {str(pair)[:3], str(pair)[3:]}
    out: dict[str, str] = {}
    for cid, company in book.companies.items():
        base = _commodity(company.ticker or "") or _commodity(cid) or "CO"
        name, n = base, 2
        while name in taken:
            name, n = f"{base[:21]}-{n}", n + 1
        taken.add(name)
        out[cid] = name
    return out


def _unique(names: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, base in names.items():
        name, n = base, 2
        while name in out.values():
            name, n = f"{base}-{n}", n + 1
        out[key] = name
    return out


def _accounts(book: Book) -> dict[str, str]:
    out: dict[str, str] = {}
    taken: set[str] = set()
    for aid, account in book.accounts.items():
        # an id with no ASCII letter or digit ("家族"): its name's, else "Account"
        base = next(
            (_component(t) for t in (aid, account.name) if re.search(r"[A-Za-z0-9]", t)),
            "Account",
        )
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
    tx = ix.book.transactions  # corporate actions written out per account (ledger.corporate)
    ta = ix.trades
    comm = commodity_names(book)
    acct = _accounts(book)
    leaf = _unique({cid: _component(name) for cid, name in comm.items()})  # "BRK.B": "BRK-B"
    n = len(tx)
    state = ix.replay(n)
    sa, ma = state.sales, state.matches
    match_ids = ma.lot_id
    sale_of_row = {int(r): i for i, r in enumerate(sa.row.tolist())}
    days = day_texts(tx["date"])
    firsts = [
        min(t) for t in (days, day_texts(book.marks["date"]), day_texts(book.fx["date"])) if t
    ]
    as_of = book.meta.as_of or dt.date.today()
    start = min(firsts) if firsts else as_of.isoformat()

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
            out.append(f'{start} open Assets:{a}:{leaf[cid]} {comm[cid]} "{method}"')
        out.append(f"{start} open Equity:Transfers:{a}")
        out.append(f"{start} open Income:Gains:{a}")
        out.append(f"{start} open Expenses:Fees:{a}")
        for cid in book.companies:
            out.append(f"{start} open Income:Dividends:{a}:{leaf[cid]}")
    out.append(f"{start} open Equity:Rounding")
    out.append("")

    lots: dict[tuple[str, str], dict[str, _Lot]] = {}  # open lots by id, in opening order
    seq: dict[tuple[str, str], int] = {}
    settle = ta.settle_currency
    amount = ta.settle_amount
    rate = ta.to_account
    actions, accounts, companies = texts(tx["action"]), texts(tx["account"]), texts(tx["company"])
    quantities = tx["quantity"].to_numpy(dtype=float).tolist()
    price = tx["price"].to_numpy(dtype=float, na_value=math.nan).tolist()
    fees = tx["fees"].to_numpy(dtype=float, na_value=math.nan).tolist()
    names = texts(tx["lot"])
    wheres = [f"{f}:{n}" for f, n in zip(texts(tx["file"]), tx["line"].tolist(), strict=True)]
    moving: list[str] = []  # the postings of a carry_out / basis_out, for its carry_in
    carried: list[_Lot] = []
    for i, action in enumerate(actions):
        day, aid, cid = days[i], accounts[i], companies[i]
        where = "  conviction-row: " + _str(wheres[i])
        if action in CARRY_ACTIONS or action == "listing":
            continue  # written out below, per account (carry_out, basis_out, carry_in)
        if action in ("carry_out", "basis_out"):
            held = lots.get((aid, cid), {})
            name = f"Assets:{acct[aid]}:{leaf[cid]}"
            moving, carried = [], []
            fraction = 1.0 if action == "carry_out" else price[i]
            for lot in list(held.values()):
                if lot.quantity <= 0:
                    continue
                moving.append(f"  {name}  -{_num(lot.quantity)} {comm[cid]} {_label(lot)}")
                moved = lot.cost * fraction
                carried.append(_Lot(lot.label, lot.quantity, moved, lot.opened))
                if action == "carry_out":
                    del held[lot.label]
                    continue
                lot.cost -= moved
                spec = _cost(lot.cost, book.accounts[aid].currency, lot.opened, lot.label)
                moving.append(f"  {name}  {_num(lot.quantity)} {comm[cid]} {spec}")
            continue
        if action == "carry_in":
            source = str(tx["into"].iloc[i])
            ratio = quantities[i] / sum(lot.quantity for lot in carried)
            name = f"Assets:{acct[aid]}:{leaf[cid]}"
            out.append(f'{day} * "{source} into {cid}"')
            out.append(where)
            out += moving
            for lot in carried:
                new = _Lot(lot.label, lot.quantity * ratio, lot.cost, lot.opened)
                lots.setdefault((aid, cid), {})[new.label] = new
                spec = _cost(new.cost, book.accounts[aid].currency, new.opened, new.label)
                out.append(f"  {name}  {_num(new.quantity)} {comm[cid]} {spec}")
            out.append("  Equity:Rounding")
            out.append("")
            continue
        if action == "split":
            ratio = quantities[i]
            postings = []
            for (a_id, c_id), held in lots.items():
                if c_id != cid:
                    continue
                for lot in held.values():
                    if lot.quantity <= 0:
                        continue
                    name = f"Assets:{acct[a_id]}:{leaf[cid]}"
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
        c, held_in = comm[cid], f"Assets:{a}:{leaf[cid]}"
        qty = quantities[i]
        if action == "dividend":
            out.append(f'{day} * "dividend of {cid}"')
            out.append(where)
            out.append(f"  Assets:{a}:Cash  {_num(cash)} {ccy}")
            out.append(f"  Income:Dividends:{a}:{leaf[cid]}")
            out.append("")
            continue
        key = (aid, cid)
        if action == "buy":
            seq[key] = seq.get(key, 0) + 1
            label = names[i] or f"{cid}-{seq[key]}"
            cost = (qty * price[i] + fees[i]) * float(rate[i])
            lots.setdefault(key, {})[label] = _Lot(label, qty, cost, day)
            out.append(f'{day} * "buy {_num(qty)} {cid}"')
            out.append(where)
            spec = _cost(cost, account_ccy, day, label)
            out.append(f"  {held_in}  {_num(qty)} {c} {spec}")
            out.append(f"  Assets:{a}:Cash  {_num(cash)} {ccy}{_at(-cost, ccy, account_ccy)}")
            out.append(f"  Expenses:Fees:{a}")
            out.append("")
            continue
        # a sale: the lots conviction consumed
        s = sale_of_row[i]
        first, count = int(sa.first_match[s]), int(sa.n_matches[s])
        held = lots.get(key, {})
        taken: list[tuple[_Lot, float]] = []
        if book.accounts[aid].lot_method == "average":
            total = sum(lot.quantity for lot in held.values())
            for lot in held.values():
                share = lot.quantity * qty / total if total > 0 else 0.0
                taken.append((lot, min(share, lot.quantity)))
        else:
            for m in range(first, first + count):
                lot = held[str(match_ids[m])]
                taken.append((lot, min(float(ma.quantity[m]), lot.quantity)))
        out.append(f'{day} * "sell {_num(qty)} {cid}"')
        out.append(where)
        for lot, part in taken:
            if part <= 0:
                continue
            out.append(f"  {held_in}  -{_num(part)} {c} {_label(lot)}")
            lot.cost -= lot.cost * part / lot.quantity  # what is left keeps its unit cost
            lot.quantity -= part
            if lot.quantity < 1e-9 * max(1.0, part):
                del held[lot.label]
        proceeds = float(sa.proceeds_account[s])
        out.append(f"  Assets:{a}:Cash  {_num(cash)} {ccy}{_at(proceeds, ccy, account_ccy)}")
        out.append(f"  Income:Gains:{a}")
        out.append("")

    out += _prices(book, comm)
    return "\n".join(out) + "\n"


def _cost(total: float, ccy: str, day: str, label: str) -> str:
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
    day, company = day_texts(marks["date"]), texts(marks["company"])
    kind, price = texts(marks["kind"]), number_texts(marks["price"])
    source, grade = texts(marks["source"]), texts(marks["grade"])
    # on one date a close beats a round, a round a tender, a tender a model
    order = sorted(
        range(len(day)), key=lambda i: (day[i], company[i], _KIND_RANK.get(kind[i], 9), i)
    )
    ccy = {cid: c.currency for cid, c in book.companies.items()}
    quoted = {cid: _str(name) for cid, name in comm.items()}
    seen: set[tuple[str, str]] = set()
    for i in order:
        cid = company[i]
        if (day[i], cid) in seen:  # a mark the day's better one beats
            out.append(
                f'{day[i]} custom "mark" {quoted[cid]} {price[i]} {ccy[cid]} {_str(kind[i])}'
            )
        else:
            seen.add((day[i], cid))
            out.append(f"{day[i]} price {comm[cid]} {price[i]} {ccy[cid]}")
        out.append(f"  kind: {_str(kind[i])}")
        if source[i]:
            out.append(f"  source: {_str(source[i])}")
        if grade[i]:
            out.append(f"  grade: {_str(grade[i])}")
    fx = book.fx
    fx_day, pair, rate, fx_source = (
        day_texts(fx["date"]),
        texts(fx["pair"]),
        number_texts(fx["rate"]),
        texts(fx["source"]),
    )
    for i in range(len(fx_day)):
        out.append(f"{fx_day[i]} price {pair[i][:3]} {rate[i]} {pair[i][3:]}")
        if fx_source[i]:
            out.append(f"  source: {_str(fx_source[i])}")
    return out
