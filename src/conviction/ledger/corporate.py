"""Corporate actions: exchanges (mergers), spin-offs, renames and listings.

The book's files hold one row per event, a company event like a split (``account`` may
be empty): ``exchange`` (``company`` → ``into`` at ``quantity`` new shares per old
share), ``spinoff`` (``quantity`` new ``into`` shares per ``company`` share, ``price`` the
fraction of the cost basis that moves to them), ``rename`` (an exchange at ratio 1 into a
new id) and ``listing`` (a private company is public from that date).

``expand`` turns each exchange, spin-off or rename into rows of every account that holds
the company on that date, which the rest of the ledger reads like trades without cash:

- ``carry_out`` (exchange, rename): the whole position of ``company`` leaves the account
  (``quantity``: the shares it held); its lots close without a sale;
- ``basis_out`` (spin-off): the position stays, each lot keeps ``1 - price`` of its cost;
- ``carry_in``: ``quantity`` shares of ``company`` (the target) come in; the lot replay
  (``replay_with_carries``) gives them one lot per lot of the source, with its id, its
  acquisition date and its cost (all of it, or ``price`` of it for a spin-off).

Nothing is realised by an event: realised gains come only from sales. Cash in lieu of a
fractional share is an ordinary ``sell`` of the fraction of the new shares on the day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from conviction._typing import Float64Array, IntArray
from conviction.book.model import Book
from conviction.errors import LedgerError
from conviction.ledger.columns import objects
from conviction.ledger.lot_kernels import BUY, ReplayArrays, replay_arrays
from conviction.ledger.prices import split_factors, splits_of

__all__ = [
    "CARRY_ACTIONS",
    "Carry",
    "expand",
    "listing_dates",
    "private_on",
    "replay_with_carries",
]

#: The actions of the book's files that move lots between companies.
CARRY_ACTIONS = ("exchange", "spinoff", "rename")
#: The rows ``expand`` writes for them (never in a file).
DERIVED_ACTIONS = ("carry_out", "basis_out", "carry_in")


@dataclass(frozen=True, slots=True)
class Carry:
    """One account's part of an event, as rows of the expanded table: ``row_out`` (the
    source's ``carry_out`` or ``basis_out``) and ``row_in`` (the target's ``carry_in``)."""

    row_out: int
    row_in: int
    account: str
    source: str
    target: str
    ratio: float  # new shares per old share
    fraction: float  # of each lot's cost that moves (1 for an exchange)


def listing_dates(book: Book) -> dict[str, dt.date]:
    """Each listed company's listing date (a private company public from that day)."""
    tx = book.transactions
    if "action" not in tx or not len(tx):
        return {}
    rows = tx[(tx["action"] == "listing").to_numpy()]
    days = rows["date"].to_numpy().astype("datetime64[D]").astype(object).tolist()
    return {str(c): d for c, d in zip(rows["company"].tolist(), days, strict=True)}


def private_on(book: Book, company: str, day: dt.date | np.datetime64 | None) -> bool:
    """Whether ``company`` is private on ``day``: declared private (``public = false``)
    and not listed on or before ``day`` (None: the book's last state, after any listing)."""
    if book.companies[company].public:
        return False
    listed = listing_dates(book).get(company)
    if listed is None:
        return True
    if day is None:
        return False
    when = day if isinstance(day, dt.date) else day.astype("datetime64[D]").astype(dt.date)
    return bool(when < listed)


def expand(book: Book, *, strict: bool = True) -> tuple[Book, tuple[Carry, ...]]:
    """The book with each exchange, spin-off and rename written out per holding account
    (see the module docstring), and the carries for the lot replay.

    Raises ``LedgerError`` naming the event's row when no account holds the company; with
    ``strict=False`` such an event is left out instead (a part of a checked book, such as
    the accounts a page shows, may hold none of a company another account exchanged).
    """
    tx = book.transactions
    if not len(tx) or "into" not in tx:
        return book, ()
    action = objects(tx["action"])
    events = np.flatnonzero(np.isin(action, CARRY_ACTIONS))
    if not events.size:
        return book, ()
    splits = splits_of(book)
    day = tx["date"].to_numpy().astype("datetime64[D]")
    account = objects(tx["account"])
    company = objects(tx["company"])
    qty = tx["quantity"].to_numpy(float)
    # original shares (before every split) of each buy and sell
    signed = np.where(action == "buy", qty, np.where(action == "sell", -qty, 0.0))
    factor = np.ones(len(tx))
    for c in splits:
        sel = np.flatnonzero((company == c) & (signed != 0))
        factor[sel] = split_factors(book, [c], day[sel], splits)[:, 0]
    original = signed / factor
    added: list[tuple[int, str, str, float]] = []  # (before row, account, company, orig)
    pieces: list[pd.DataFrame] = []
    carries: list[Carry] = []
    start = 0
    offset = 0  # rows written so far
    for e in events.tolist():
        src, tgt = str(company[e]), str(tx["into"].iloc[e])
        kind = str(action[e])
        ratio = float(qty[e])
        fraction = float(tx["price"].iloc[e]) if kind == "spinoff" else 1.0
        f_src = float(split_factors(book, [src], day[e : e + 1], splits)[0, 0])
        f_tgt = float(split_factors(book, [tgt], day[e : e + 1], splits)[0, 0])
        before = company[:e] == src
        held: dict[str, float] = {}
        for a in dict.fromkeys(account[:e][before & (signed[:e] != 0)].tolist()):
            held[str(a)] = float(original[:e][before & (account[:e] == a)].sum())
        for row, a, c, o in added:
            if c == src and row < e:
                held[a] = held.get(a, 0.0) + o
        held = {a: o for a, o in held.items() if o > 1e-9 * max(1.0, abs(o)) and abs(o) > 1e-12}
        if not held and not strict:
            continue  # rows up to it go with the next piece
        if not held:
            raise LedgerError(
                f"no account holds {src} on {day[e]}: there is nothing to "
                f"{'spin off from' if kind == 'spinoff' else kind}",
                file=str(tx["file"].iloc[e]),
                line=int(tx["line"].iloc[e]),
                field="company",
            )
        pieces.append(tx.iloc[start : e + 1])
        offset += e + 1 - start
        start = e + 1
        rows: list[dict[str, object]] = []
        event = tx.iloc[e]
        for a, orig in held.items():
            shares = orig * f_src  # as held on the day
            out = "basis_out" if kind == "spinoff" else "carry_out"
            new = shares * ratio
            base = {c: event[c] for c in tx.columns}
            rows.append(
                {**base, "account": a, "action": out, "quantity": shares, "into": tgt}
                | ({"price": np.nan} if out == "carry_out" else {})
            )
            rows.append(
                {
                    **base,
                    "account": a,
                    "company": tgt,
                    "action": "carry_in",
                    "quantity": new,
                    "price": fraction,
                    "into": src,
                }
            )
            carries.append(Carry(offset, offset + 1, a, src, tgt, ratio, fraction))
            offset += 2
            if out == "carry_out":
                added.append((e, a, src, -orig))
            added.append((e, a, tgt, new / f_tgt))
        pieces.append(pd.DataFrame(rows, columns=tx.columns).astype(tx.dtypes.to_dict()))
    pieces.append(tx.iloc[start:])
    out_tx = pd.concat(pieces, ignore_index=True)
    out_book = dataclasses.replace(book, transactions=out_tx)
    return out_book, tuple(carries)


def replay_with_carries(
    carries: tuple[Carry, ...],
    day: IntArray,
    account: IntArray,
    company: IntArray,
    action: npt.NDArray[np.int8],
    quantity: Float64Array,
    price: Float64Array,
    fees: Float64Array,
    rate: Float64Array,
    method: IntArray,
    lot: npt.NDArray[np.object_],
    n_accounts: int,
    n_companies: int,
    until_row: int,
    *,
    account_ids: tuple[str, ...],
    company_ids: tuple[str, ...],
    file: npt.NDArray[np.object_],
    line: IntArray,
) -> ReplayArrays:
    """The lot replay of rows ``[0, until_row)`` of an expanded table, each ``carry_in``
    row written out as one lot per lot the source held just before the event (the lots
    a replay up to the event gives, with their ids, acquisition dates and costs), and
    rows of the result pointing at the expanded table's rows."""
    cols: dict[str, np.ndarray] = {
        "day": np.asarray(day[:until_row], np.int64),
        "account": np.asarray(account[:until_row], np.int64),
        "company": np.asarray(company[:until_row], np.int64),
        "action": np.asarray(action[:until_row], np.int8),
        "quantity": np.asarray(quantity[:until_row], np.float64),
        "price": np.nan_to_num(np.asarray(price[:until_row], np.float64)),
        "fees": np.nan_to_num(np.asarray(fees[:until_row], np.float64)),
        "rate": np.asarray(rate[:until_row], np.float64),
        "lot": np.asarray(lot[:until_row], dtype=object),
        "file": np.asarray(file[:until_row], dtype=object),
        "line": np.asarray(line[:until_row], np.int64),
        "opened": np.asarray(day[:until_row], np.int64),
        "cost": np.full(until_row, np.nan),
        "cost_account": np.full(until_row, np.nan),
        "origin": np.arange(until_row, dtype=np.int64),
    }
    shift = 0

    def run(n: int) -> ReplayArrays:
        return replay_arrays(
            cols["day"],
            cols["account"],
            cols["company"],
            cols["action"],
            cols["quantity"],
            cols["price"],
            cols["fees"],
            cols["rate"],
            method,
            cols["lot"],
            n_accounts,
            n_companies,
            n,
            account_ids=account_ids,
            company_ids=company_ids,
            file=cols["file"],
            line=cols["line"],
            opened=cols["opened"],
            given_cost=cols["cost"],
            given_cost_account=cols["cost_account"],
        )

    for carry in carries:
        if carry.row_in >= until_row:
            break
        i_out, i_in = carry.row_out + shift, carry.row_in + shift
        before = run(i_out).lots
        a, s = account_ids.index(carry.account), company_ids.index(carry.source)
        mine = np.flatnonzero((before.account == a) & (before.company == s))
        k = mine.size
        new = {
            "day": np.full(k, cols["day"][i_in]),
            "account": np.full(k, a, np.int64),
            "company": np.full(k, cols["company"][i_in], np.int64),
            "action": np.full(k, BUY, np.int8),
            "quantity": before.quantity[mine] * carry.ratio,
            "price": np.zeros(k),
            "fees": np.zeros(k),
            "rate": np.ones(k),
            "lot": before.lot_id[mine],
            "file": np.full(k, cols["file"][i_in], dtype=object),
            "line": np.full(k, cols["line"][i_in], np.int64),
            "opened": before.opened[mine],
            "cost": before.cost[mine] * carry.fraction,
            "cost_account": before.cost_account[mine] * carry.fraction,
            "origin": np.full(k, cols["origin"][i_in], np.int64),
        }
        for name, values in new.items():
            column = cols[name]
            cols[name] = np.concatenate(
                [column[:i_in], np.asarray(values, dtype=column.dtype), column[i_in + 1 :]]
            )
        shift += k - 1
    result = run(until_row + shift)
    origin = cols["origin"]
    return ReplayArrays(
        dataclasses.replace(result.lots, row=origin[result.lots.row]),
        dataclasses.replace(result.sales, row=origin[result.sales.row]),
        dataclasses.replace(result.matches, lot_row=origin[result.matches.lot_row]),
        result.dividends,
    )
