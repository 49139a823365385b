"""The array replay against the row-by-row oracle (``lot_oracle.py``, the old code).

Random small books — accounts on every lot method, specific lots by given name and by
default id, splits (some named twice on a day), dividends, fees, non-unit rates, a
cut-off date — must give the same lots, sales, matches and dividends, to 1e-9 relative;
books that oversell or name bad lots must raise the same LedgerError. The numba kernel
and its plain-Python twin must agree bit for bit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lot_oracle import replay as oracle_replay

from conviction.book.model import Account
from conviction.errors import LedgerError
from conviction.ledger import lot_kernels
from conviction.ledger.lots import replay

START = dt.date(2021, 1, 4)
ACCOUNTS = {
    "f": Account("f", "F", lot_method="fifo"),
    "l": Account("l", "L", lot_method="lifo"),
    "h": Account("h", "H", lot_method="hifo"),
    "v": Account("v", "V", lot_method="average"),
    "s": Account("s", "S", lot_method="specific"),
    "t": Account("t", "T", lot_method="specific"),
}
ACCOUNT_IDS = tuple(ACCOUNTS)
COMPANIES = ("x", "y", "z")
COLUMNS = ("date", "account", "company", "action", "quantity", "price", "fees", "lot")

Key = tuple[int, int]  # account, company
Op = tuple[int, str, int, float, float, float, int, int, float, int]
# a book trades a few (account, company) keys, so that keys hold several lots
keys = st.lists(
    st.tuples(st.integers(0, len(ACCOUNT_IDS) - 1), st.integers(0, len(COMPANIES) - 1)),
    min_size=1,
    max_size=4,
    unique=True,
)
op = st.tuples(
    st.integers(0, 3),  # days after the previous row
    st.sampled_from(["buy"] * 5 + ["sell"] * 4 + ["split", "dividend", "deposit"]),
    st.integers(0, 3),  # which key
    st.sampled_from([1.0, 3.0, 7.5, 10.0, 33.0, 100.0]),  # buy quantity
    st.floats(1.0, 200.0).map(lambda p: round(p, 2)),  # price
    st.sampled_from([0.0, 0.0, 1.0, 2.5]),  # fees
    st.integers(0, 99),  # lot name / spec choice
    st.integers(0, 99),  # how much to sell, which split ratio
    st.floats(0.5, 2.0).map(lambda r: round(r, 4)),  # company -> account rate
    st.integers(0, 99),  # a bad row, rarely
)


def _book(keys: list[Key], ops: list[Op], *, bad: bool) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows for ``ops`` that stay valid (no oversell, names that exist) unless ``bad``.

    Tracks positions and, for specific-lot accounts, the lots (named like the replay
    names them) so that its specs mostly hold; a spec that does not is still a test."""
    rows: list[tuple[Any, ...]] = []
    rates: list[float] = []
    position: dict[tuple[str, str], float] = {}
    lots: dict[tuple[str, str], list[list[Any]]] = {}  # [id, qty] in opening order
    seq: dict[tuple[str, str], int] = {}
    splits_done: set[tuple[int, str]] = set()
    day = 0
    for gap, action, ki, qty, price, fees, pick, amount, rate, oops in ops:
        day += gap
        ai, ci = keys[ki % len(keys)]
        acc, com = ACCOUNT_IDS[ai], COMPANIES[ci]
        key = (acc, com)
        date = START + dt.timedelta(days=day)
        if action == "deposit":
            rows.append((date, acc, "", action, 1000.0, np.nan, 0.0, ""))
        elif action == "dividend":
            rows.append((date, acc, com, action, qty, price / 100, fees, ""))
        elif action == "split":
            ratio = (2.0, 3.0, 0.5, 1.5, 0.25)[amount % 5]
            rows.append((date, acc if pick % 2 else "", com, action, ratio, np.nan, 0.0, ""))
            if (day, com) not in splits_done:
                splits_done.add((day, com))
                for k in position:
                    if k[1] == com:
                        position[k] *= ratio
                        for lot in lots.get(k, []):
                            lot[1] *= ratio
        elif action == "buy" or position.get(key, 0.0) <= 1e-9:
            seq[key] = seq.get(key, 0) + 1
            name = ("", "", "", "A", "B", "C")[pick % 6] if pick < 60 else ""
            rows.append((date, acc, com, "buy", qty, price, fees, name))
            position[key] = position.get(key, 0.0) + qty
            pooled = ACCOUNTS[acc].lot_method == "average" and lots.get(key)
            if not pooled:
                lots.setdefault(key, []).append([name or f"{com}-{seq[key]}", qty])
        else:
            held = position[key]
            q = held * (0.25, 0.5, 1.0, 1.0 / 3.0)[amount % 4]
            spec = ""
            if ACCOUNTS[acc].lot_method == "specific" and pick < 70:
                spec, q = _spec(lots.get(key, []), pick, amount)
            elif ACCOUNTS[acc].lot_method != "specific" and pick >= 90:
                spec = "A"  # a lot column on a method that ignores it
            if bad and oops < 15:
                q, spec = (
                    (held + 1.0, spec),
                    (q, "nope:1"),
                    (q, spec + ";A:abc" if spec else "A:abc"),
                    (q, spec.split(";")[0] + ":1e9" if spec else spec),
                )[oops % 4]
            rows.append((date, acc, com, "sell", q, price, fees, spec))
            position[key] = held - q
            if spec or ACCOUNTS[acc].lot_method == "specific":
                _consume(lots.get(key, []), spec, q)
        rates.append(rate)
    tx = pd.DataFrame(rows, columns=list(COLUMNS))
    tx["date"] = tx["date"].astype("datetime64[s]")
    tx["file"] = "tx.csv"
    tx["line"] = np.arange(2, len(tx) + 2, dtype=np.int64)
    return tx, np.array(rates)


def _live(lots: list[list[Any]], name: str) -> list[Any] | None:
    """The lot a spec's name resolves to: the last live one of that name."""
    live = [lot for lot in lots if lot[0] == name and lot[1] > 1e-9]
    return live[-1] if live else None


def _spec(lots: list[list[Any]], pick: int, amount: int) -> tuple[str, float]:
    names = list(dict.fromkeys(lot[0] for lot in lots if lot[1] > 1e-9))
    chosen = [n for i, n in enumerate(names) if (pick >> i) % 2] or names[-1:]
    parts, total = [], 0.0
    for i, n in enumerate(chosen[:3]):
        lot = _live(lots, n)
        assert lot is not None
        if (amount + i) % 3 == 0:
            parts.append(n)  # no quantity: the whole lot
            total += lot[1]
        else:
            q = lot[1] * (0.5 if (amount + i) % 3 == 1 else 1.0)
            parts.append(f"{n}:{q!r}")
            total += q
    return ";".join(parts), total


def _consume(lots: list[list[Any]], spec: str, q: float) -> None:
    if not spec:  # fifo
        for held in lots:
            take = min(held[1], q)
            held[1] -= take
            q -= take
    else:
        for part in spec.split(";"):
            name, _, text = part.partition(":")
            named = _live(lots, name)
            if named is not None:
                with contextlib.suppress(ValueError):
                    named[1] -= float(text) if text else named[1]
    lots[:] = [lot for lot in lots if lot[1] > 1e-9]


def _outcome(run: Callable[[], Any]) -> tuple[Any, Any]:
    try:
        return run(), None
    except LedgerError as e:
        return None, (e.message, e.file, e.line, e.field)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def assert_same(new: Any, old: Any) -> None:
    assert len(new.lots) == len(old.lots)
    for a, b in zip(new.lots, old.lots, strict=True):
        assert (a.id, a.account, a.company, a.opened) == (b.id, b.account, b.company, b.opened)
        for f in ("quantity", "cost", "cost_account"):
            assert _close(getattr(a, f), getattr(b, f)), (f, a, b)
    assert len(new.sales) == len(old.sales)
    for a, b in zip(new.sales, old.sales, strict=True):
        assert (a.date, a.account, a.company, a.file, a.line) == (
            b.date,
            b.account,
            b.company,
            b.file,
            b.line,
        )
        for f in ("quantity", "proceeds", "proceeds_account", "cost", "cost_account", "rate"):
            assert _close(getattr(a, f), getattr(b, f)), (f, a, b)
        assert [(m.lot, m.opened) for m in a.lots] == [(m.lot, m.opened) for m in b.lots]
        for ma, mb in zip(a.lots, b.lots, strict=True):
            for f in ("quantity", "cost", "cost_account"):
                assert _close(getattr(ma, f), getattr(mb, f)), (f, ma, mb)
    for mine, theirs in (
        (new.dividends, old.dividends),
        (new.dividends_account, old.dividends_account),
    ):
        assert list(mine) == list(theirs)
        assert all(_close(mine[k], theirs[k]) for k in theirs)
    for acc in ACCOUNT_IDS:
        for com in COMPANIES:
            assert _close(new.open_quantity(acc, com), old.open_quantity(acc, com))


SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    keys=keys,
    ops=st.lists(op, min_size=5, max_size=80),
    bad=st.booleans(),
    cut=st.none() | st.integers(0, 120),
)
def test_replay_matches_the_row_by_row_oracle(
    keys: list[Key], ops: list[Op], bad: bool, cut: int | None
) -> None:
    tx, rates = _book(keys, ops, bad=bad)
    until = None if cut is None else START + dt.timedelta(days=cut)
    new, new_err = _outcome(lambda: replay(tx, ACCOUNTS, rates, until=until))
    old, old_err = _outcome(lambda: oracle_replay(tx, ACCOUNTS, rates, until=until))
    assert new_err == old_err
    if old_err is None:
        assert_same(new, old)


def _kernel_inputs(tx: pd.DataFrame, rates: np.ndarray) -> dict[str, Any]:
    account = pd.Index(ACCOUNT_IDS).get_indexer(pd.Index(tx["account"])).astype(np.int64)
    company = pd.Index(COMPANIES).get_indexer(pd.Index(tx["company"])).astype(np.int64)
    methods = [lot_kernels.METHOD_CODES[a.lot_method] for a in ACCOUNTS.values()]
    return {
        "day": tx["date"].to_numpy().astype("datetime64[D]").astype(np.int64),
        "account": account,
        "company": company,
        "action": lot_kernels.action_codes(tx["action"].to_numpy(dtype=object)),
        "quantity": tx["quantity"].to_numpy(float),
        "price": tx["price"].to_numpy(float),
        "fees": tx["fees"].to_numpy(float),
        "rate": rates,
        "method": np.array(methods, dtype=np.int64),
        "lot": tx["lot"].to_numpy(dtype=object),
        "n_accounts": len(ACCOUNT_IDS),
        "n_companies": len(COMPANIES),
        "account_ids": ACCOUNT_IDS,
        "company_ids": COMPANIES,
        "file": tx["file"].to_numpy(dtype=object),
        "line": tx["line"].to_numpy(),
    }


def _flat(result: lot_kernels.ReplayArrays) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for part in ("lots", "sales", "matches", "dividends"):
        table = getattr(result, part)
        for name, value in vars(table).items():
            if isinstance(value, np.ndarray):
                out[f"{part}.{name}"] = value
        if hasattr(table, "lot_id"):
            out[f"{part}.lot_id"] = table.lot_id
    return out


@pytest.mark.skipif(not lot_kernels.HAVE_NUMBA, reason="numba is not installed")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keys=keys, ops=st.lists(op, min_size=5, max_size=80), bad=st.booleans())
def test_numba_kernel_and_python_twin_agree_bit_for_bit(
    keys: list[Key], ops: list[Op], bad: bool
) -> None:
    tx, rates = _book(keys, ops, bad=bad)
    kw = _kernel_inputs(tx, rates)
    jit, jit_err = _outcome(lambda: lot_kernels.replay_arrays(**kw, backend="numba"))
    py, py_err = _outcome(lambda: lot_kernels.replay_arrays(**kw, backend="python"))
    assert jit_err == py_err
    if jit_err is None:
        a, b = _flat(jit), _flat(py)
        assert a.keys() == b.keys()
        for k in a:
            assert a[k].dtype == b[k].dtype, k
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)


# --- errors, case by case ---------------------------------------------------------------

HEADER = [
    (START, "s", "", "deposit", 1e6, np.nan, 0.0, ""),
    (START, "s", "x", "buy", 100.0, 10.0, 0.0, ""),
    (START, "s", "x", "buy", 100.0, 30.0, 0.0, "big"),
    (START, "f", "x", "buy", 10.0, 1.0, 0.0, ""),
]


def _rows(*tail: tuple[Any, ...]) -> pd.DataFrame:
    tx = pd.DataFrame([*HEADER, *tail], columns=list(COLUMNS))
    tx["date"] = tx["date"].astype("datetime64[s]")
    tx["file"] = "book/tx.csv"
    tx["line"] = np.arange(2, len(tx) + 2, dtype=np.int64)
    return tx


D = START + dt.timedelta(days=5)


@pytest.mark.parametrize(
    ("tail", "message", "field"),
    [
        (
            [(D, "f", "x", "sell", 11.0, 1.0, 0.0, "")],
            "sale of 11 x is larger than the position of 10 in f",
            "quantity",
        ),
        (
            [(D, "s", "x", "sell", 250.0, 1.0, 0.0, "x-1")],
            "sale of 250 x is larger than the position of 200 in s",
            "quantity",
        ),
        (
            [(D, "s", "y", "sell", 1.0, 1.0, 0.0, "")],
            "sale of 1 y is larger than the position of 0 in s",
            "quantity",
        ),
        (
            [(D, "s", "x", "sell", 5.0, 1.0, 0.0, "nope:5")],
            "lot 'nope' does not exist or is already sold",
            "lot",
        ),
        (
            [
                (D, "s", "x", "sell", 100.0, 1.0, 0.0, "x-1:100"),
                (D, "s", "x", "sell", 5.0, 1.0, 0.0, "x-1:5"),
            ],
            "lot 'x-1' does not exist or is already sold",
            "lot",
        ),
        (
            [(D, "s", "x", "sell", 150.0, 1.0, 0.0, "big:150")],
            "lot 'big' holds 100, cannot sell 150 from it",
            "lot",
        ),
        (
            [(D, "s", "x", "sell", 20.0, 1.0, 0.0, "x-1:5;big:6")],
            "named lots add up to 11 but the sale is 20",
            "lot",
        ),
        (
            [(D, "s", "x", "sell", 20.0, 1.0, 0.0, "x-1:5; big : 1x")],
            "expected 'lot:quantity', got 'big : 1x'",
            "lot",
        ),
        (
            [(D, "s", "x", "sell", 20.0, 1.0, 0.0, " ; ")],
            "named lots add up to 0 but the sale is 20",
            "lot",
        ),
    ],
)
def test_errors_match_the_oracle(tail: list[tuple[Any, ...]], message: str, field: str) -> None:
    tx = _rows(*tail)
    errors = []
    for run in (replay, oracle_replay):
        with pytest.raises(LedgerError) as info:
            run(tx, ACCOUNTS)
        errors.append((info.value.message, info.value.file, info.value.line, info.value.field))
    assert errors[0] == errors[1] == (message, "book/tx.csv", len(tx) + 1, field)


def test_the_earliest_failing_row_is_reported_across_keys() -> None:
    # the later row is in a key the kernel visits first
    tx = _rows(
        (D, "f", "x", "sell", 50.0, 1.0, 0.0, ""),
        (D, "s", "x", "sell", 1.0, 1.0, 0.0, "nope"),
    )
    for run in (replay, oracle_replay):
        with pytest.raises(LedgerError) as info:
            run(tx, ACCOUNTS)
        assert (info.value.line, info.value.field) == (6, "quantity")


def test_replay_arrays_interface_by_hand() -> None:
    tx = _rows(
        (D, "s", "x", "sell", 150.0, 2.0, 1.0, "big:50;x-1"),
        (D, "f", "x", "dividend", 10.0, 0.5, 0.0, ""),
        (D, "", "x", "split", 2.0, np.nan, 0.0, ""),
        (D, "f", "x", "split", 5.0, np.nan, 0.0, ""),  # the same day's split: ignored
        (D, "f", "x", "sell", 4.0, 3.0, 0.0, ""),
    )
    kw = _kernel_inputs(tx, np.full(len(tx), 2.0))
    r = lot_kernels.replay_arrays(**kw)
    s, f = ACCOUNT_IDS.index("s"), ACCOUNT_IDS.index("f")
    # open: s's "big" (50 left, doubled), then f's lot (20 after the split, 4 sold)
    assert r.lots.lot_id.tolist() == ["big", "x-1"]
    assert r.lots.account.tolist() == [s, f]
    assert r.lots.row.tolist() == [2, 3]
    assert r.lots.seq.tolist() == [2, 1]
    np.testing.assert_allclose(r.lots.quantity, [100.0, 16.0])
    np.testing.assert_allclose(r.lots.cost, [1500.0, 8.0])
    np.testing.assert_allclose(r.lots.cost_account, [3000.0, 16.0])
    assert r.sales.row.tolist() == [4, 8]
    np.testing.assert_allclose(r.sales.proceeds, [299.0, 12.0])
    np.testing.assert_allclose(r.sales.cost, [50 * 30 + 100 * 10, 2.0])
    assert r.sales.first_match.tolist() == [0, 2]
    assert r.sales.n_matches.tolist() == [2, 1]
    assert r.matches.sale.tolist() == [0, 0, 1]
    assert r.matches.lot_id.tolist() == ["big", "x-1", "x-1"]
    np.testing.assert_allclose(r.matches.quantity, [50.0, 100.0, 4.0])
    assert r.dividends.account.tolist() == [f]
    np.testing.assert_allclose(r.dividends.amount, [5.0])
    np.testing.assert_allclose(r.dividends.amount_account, [10.0])
    # until_row: only the first rows
    early = lot_kernels.replay_arrays(**kw, until_row=4)
    assert early.sales.row.size == 0
    assert early.lots.lot_id.tolist() == ["x-1", "big", "x-1"]


def test_a_name_given_twice_sells_from_the_last_open_lot_of_that_name() -> None:
    tx = _rows(
        (D, "s", "x", "buy", 40.0, 20.0, 0.0, "big"),
        (D, "s", "x", "sell", 10.0, 1.0, 0.0, "big:10"),
        (D, "s", "x", "sell", 30.0, 1.0, 0.0, "big"),
        (D, "s", "x", "sell", 10.0, 1.0, 0.0, "big:10"),
    )
    new, old = replay(tx, ACCOUNTS), oracle_replay(tx, ACCOUNTS)
    assert_same(new, old)
    # the second "big" (40 at 20) is used first and then, once sold out, the first
    assert [s.cost for s in new.sales] == [200.0, 600.0, 300.0]
    assert [lot.quantity for lot in new.lots if lot.id == "big"] == [90.0]
