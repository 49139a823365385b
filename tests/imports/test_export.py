"""conviction export: the book's own CSV layout loads back to the same status, and the
Beancount ledger passes Beancount's checker with the balances conviction reports."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from beancount import loader
from beancount.core import prices, realization
from hypothesis import given, settings
from hypothesis import strategies as st

from conviction import status as book_status
from conviction.export import export_files, number_text
from conviction.io.book_reader import read_book

if TYPE_CHECKING:
    from conftest import ConvictionMain  # the fixture's type (tests/conftest.py)

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [ROOT / "examples" / "baron", ROOT / "examples" / "yen-holder"]

# Four accounts, one per lot method, each buying 10 @ 100, 10 @ 130 (fee 2), 10 @ 90, then
# selling 12 @ 120 (fee 1); a 2-for-1 split in between and a second sale of 5 @ 70.
# The realised costs below are worked out by hand for each method.
METHODS_TOML = """\
[book]
name = "methods"
currency = "USD"
as_of = 2025-06-30
transactions = "transactions.csv"
marks = "marks.csv"

[[company]]
id = "acme"
name = "Acme"
ticker = "ACM"

[[account]]
id = "f"
name = "FIFO"
lot_method = "fifo"

[[account]]
id = "l"
name = "LIFO"
lot_method = "lifo"

[[account]]
id = "h"
name = "HIFO"
lot_method = "hifo"

[[account]]
id = "a"
name = "Average"
lot_method = "average"

[[account]]
id = "s"
name = "Specific"
lot_method = "specific"
"""


def _methods_book(folder: Path) -> Path:
    folder.mkdir()
    (folder / "book.toml").write_text(METHODS_TOML)
    rows = ["date,account,company,action,quantity,price,fees,lot"]
    for acct in "flhas":
        rows.append(f"2025-01-02,{acct},,deposit,10000,,0,")
    for buy in ("2025-01-10,{},acme,buy,10,100,0,", "2025-02-10,{},acme,buy,10,130,2,"):
        rows += [buy.format(acct) for acct in "flhas"]
    rows += [f"2025-03-10,{acct},acme,buy,10,90,0," for acct in "flhas"]
    for acct in "flha":
        rows.append(f"2025-04-01,{acct},acme,sell,12,120,1,")
    rows.append("2025-04-01,s,acme,sell,12,120,1,acme-3:10;acme-1:2")
    rows.append("2025-05-01,,acme,split,2,,,")
    for acct in "flhas":
        rows.append(f"2025-06-02,{acct},acme,sell,5,70,0,")
    (folder / "transactions.csv").write_text("\n".join(rows) + "\n")
    # a round and a close of the same day: the close is the one conviction values with
    (folder / "marks.csv").write_text(
        "date,company,price,kind,source\n2025-06-30,acme,80,round,r\n2025-06-30,acme,75,close,t\n"
    )
    return folder


# -- CSV --------------------------------------------------------------------------------------


def _run(run: ConvictionMain, db: Path, *args: str) -> str:
    code, out, err = run(["--db", f"sqlite:///{db}", *args])
    assert code == 0, (out, err)
    return out


def _answers(run: ConvictionMain, db: Path) -> list[Any]:
    """status, gains and history, less where each sale's row was read from (its file)."""
    answers = [json.loads(_run(run, db, cmd, "--json")) for cmd in ("status", "gains", "history")]
    for sale in answers[1]["sales"]:
        sale.pop("file")
    return answers


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_csv_export_loads_back_to_the_same_answers(
    example: Path, tmp_path: Path, conviction_main: ConvictionMain
) -> None:
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    _run(conviction_main, first, "load", str(example))
    out = _run(conviction_main, first, "export", "--format", "csv", "--out", str(tmp_path / "x"))
    assert f"wrote {tmp_path / 'x' / 'transactions.csv'}" in out
    _run(conviction_main, second, "load", str(tmp_path / "x"))
    assert _answers(conviction_main, second) == _answers(conviction_main, first)


@pytest.mark.parametrize(
    ("kind", "statement", "refs"),
    [("ibkr", DATA / "ibkr.xml", 10), ("ofx", DATA / "ofx" / "invest.ofx", 5)],
)
def test_csv_export_of_an_import_keeps_the_broker_references(
    tmp_path: Path, conviction_main: ConvictionMain, kind: str, statement: Path, refs: int
) -> None:
    book = tmp_path / "book"
    shutil.copytree(DATA / "book", book)
    db = tmp_path / "a.db"
    step = ["import", kind, str(statement), "--account", "me"]
    if kind == "ibkr":
        step += ["--map", str(DATA / "map.toml")]
    _run(conviction_main, db, *step, "--book", str(book))
    out_dir = tmp_path / "out"
    out = _run(
        conviction_main,
        db,
        "export",
        "--format",
        "csv",
        "--book",
        str(book),
        "--out",
        str(out_dir),
        "--json",
    )
    assert json.loads(out)["files"]["transactions.csv"]["lines"] == 1 + 1 + refs
    text = (out_dir / "transactions.csv").read_text()
    assert text.splitlines()[0] == ("date,account,company,action,quantity,price,fees,currency,ref")
    assert text.count(f",{kind}:") == refs
    fresh = tmp_path / "b.db"
    _run(conviction_main, fresh, "load", str(out_dir))
    assert _answers(conviction_main, fresh) == _answers(conviction_main, db)
    # the exported book is a book to import into: the same statement adds nothing
    again = _run(conviction_main, fresh, *step, "--book", str(out_dir))
    assert "added 0 rows" in again and f"{refs} already imported" in again


def test_numbers_are_written_as_the_shortest_decimal() -> None:
    assert [number_text(x) for x in (0.1, 1e-7, 1e15 - 1, 400.0, -2.5, float("nan"))] == [
        "0.1",
        "0.0000001",
        "999999999999999",
        "400",
        "-2.5",
        "",
    ]
    assert float(number_text(0.1 + 0.2)) == 0.1 + 0.2


def test_export_refuses_to_overwrite(tmp_path: Path, conviction_main: ConvictionMain) -> None:
    db = tmp_path / "c.db"
    _run(conviction_main, db, "load", str(EXAMPLES[0]))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "marks.csv").write_text("mine\n")
    code, out, err = conviction_main(
        ["--db", f"sqlite:///{db}", "export", "--format", "csv", "--out", str(out_dir)]
    )
    assert code == 2 and "Traceback" not in out + err
    assert "already holds marks.csv" in " ".join(err.split())
    assert sorted(p.name for p in out_dir.iterdir()) == ["marks.csv"]
    assert (out_dir / "marks.csv").read_text() == "mine\n"
    code, _, err = conviction_main(
        ["--db", f"sqlite:///{db}", "export", "--format", "ledger", "--out", str(out_dir)]
    )
    assert code == 2 and "unknown format 'ledger'" in err and "'--format'" in err
    # a folder that cannot be made (under a file): an error naming it, nothing written
    under_file = out_dir / "marks.csv" / "sub"
    code, out, err = conviction_main(
        ["--db", f"sqlite:///{db}", "export", "--format", "csv", "--out", str(under_file)]
    )
    assert code == 2 and "Traceback" not in out + err, err
    assert f"{under_file}: cannot write here" in " ".join(err.split())
    assert sorted(p.name for p in out_dir.iterdir()) == ["marks.csv"]


# -- Beancount --------------------------------------------------------------------------------


def _ledger(book_dir: Path, tmp_path: Path) -> tuple[list[Any], Any]:
    text = export_files(read_book(book_dir), "beancount")["book.beancount"]
    path = tmp_path / "book.beancount"
    path.write_text(text)
    # bean-check itself, as a user runs it: no output and exit 0 for a valid ledger
    bean_check = Path(sys.executable).parent / "bean-check"
    done = subprocess.run([str(bean_check), str(path)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stdout + done.stderr
    entries, errors, _ = loader.load_file(str(path))
    assert errors == []
    return entries, realization.realize(entries)


def _holdings(real: Any) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Units and total cost per commodity, cash per currency, over every Assets account."""
    units: dict[str, float] = {}
    cost: dict[str, float] = {}
    cash: dict[str, float] = {}
    for acc in realization.iter_children(realization.get(real, "Assets")):
        for pos in acc.balance:
            name, number = pos.units.currency, float(pos.units.number)
            if pos.cost is None:
                cash[name] = cash.get(name, 0.0) + number
            else:
                units[name] = units.get(name, 0.0) + number
                cost[name] = cost.get(name, 0.0) + number * float(pos.cost.number)
    return units, cost, cash


def _value(entries: list[Any], real: Any, day: Any, currency: str) -> float:
    """The market value of every position at ``day`` in ``currency``, from the ledger's
    own price directives (a commodity's price, then its currency's rate)."""
    price_map = prices.build_price_map(entries)
    total = 0.0
    for acc in realization.iter_children(realization.get(real, "Assets")):
        for pos in acc.balance:
            name, number = pos.units.currency, float(pos.units.number)
            if pos.cost is not None:  # a share: its price in its quote currency
                quote = next(q for (b, q) in price_map if b == name and q != name)
                _, price = prices.get_price(price_map, (name, quote), day)
                name, number = quote, number * float(price)
            if name != currency:
                _, rate = prices.get_price(price_map, (name, currency), day)
                number *= float(rate)
            total += number
    return total


def _company_of(book_dir: Path) -> dict[str, str]:
    from conviction.export import commodity_names

    return {v: k for k, v in commodity_names(read_book(book_dir)).items()}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_beancount_balances_equal_the_status(example: Path, tmp_path: Path) -> None:
    entries, real = _ledger(example, tmp_path)
    book = read_book(example)
    # the ledger's balances are after its last row (the Baron book has rows past its as_of)
    last = book.transactions["date"].max().date()
    status = book_status(book, max(last, book.meta.as_of or last))
    units, cost, cash = _holdings(real)
    company = _company_of(example)
    by_company = {c.company: c for c in status.by_company}
    assert {company[k]: v for k, v in units.items()} == pytest.approx(
        {c: line.quantity for c, line in by_company.items() if line.quantity}
    )
    assert cash == pytest.approx({book.currency: status.cash})  # one cash currency each
    assert _value(entries, real, status.as_of, book.currency) == pytest.approx(
        status.total_value, rel=1e-12
    )
    if example.name == "baron":  # USD accounts: costs in the book's currency
        assert {company[k]: v for k, v in cost.items()} == pytest.approx(
            {c: line.cost for c, line in by_company.items() if line.quantity}
        )


def test_beancount_books_each_lot_method_as_conviction_does(tmp_path: Path) -> None:
    folder = _methods_book(tmp_path / "methods")
    entries, real = _ledger(folder, tmp_path)
    status = book_status(read_book(folder))
    # The cost left in each account, by hand. Lots: L1 10 @ 100 (1000), L2 10 @ 130 + fee 2
    # (1302), L3 10 @ 90 (900). The sale of 12 takes
    #   fifo L1 + 2 of L2 (260.4), lifo L3 + 2 of L2, hifo L2 + 2 of L1 (200),
    #   average 12/30 of 3202, specific acme-3 (L3) + 2 of acme-1 (L1, 200).
    # The 2-for-1 split doubles what is left; the sale of 5 then takes
    #   fifo 5 of L2's 16 (1041.6 x 5/16 = 325.5), lifo the newest, L2 too (325.5),
    #   hifo L1 (800 over 16, 50 a share, above L3's 900/20 = 45): 250,
    #   average 5/36 of the pool, specific (no lot named: fifo) 5 of L1's 16: 250.
    left = {
        "f": 1041.6 + 900 - 325.5,
        "l": 1000 + 1041.6 - 325.5,
        "h": 800 + 900 - 250,
        "a": (3202 - 1280.8) * 31 / 36,
        "s": 800 + 1302 - 250,
    }
    accounts = {
        acc.account.split(":")[1]: acc
        for acc in realization.iter_children(realization.get(real, "Assets"))
        if acc.account.endswith(":ACM")
    }
    for name, expected in left.items():
        balance = accounts[name.upper()].balance
        assert sum(float(p.units.number) for p in balance) == pytest.approx(31)
        got = sum(float(p.units.number) * float(p.cost.number) for p in balance)
        assert got == pytest.approx(expected), name
    # the realised gains: net proceeds less the cost taken, by hand for fifo and hifo
    sold = 12 * 120 - 1 + 5 * 70
    gains = {
        acc.account.split(":")[2]: -float(acc.balance.get_currency_units("USD").number)
        for acc in realization.iter_children(realization.get(real, "Income:Gains"))
        if acc.account.count(":") == 2
    }
    assert gains["F"] == pytest.approx(sold - (1260.4 + 325.5))
    assert gains["H"] == pytest.approx(sold - (1502 + 250))
    assert sum(gains.values()) == pytest.approx(sum(c.realized_gain for c in status.by_company))
    total_cost = {c.company: c.cost for c in status.by_company}["acme"]
    assert total_cost == pytest.approx(sum(left.values()))
    assert _value(entries, real, status.as_of, "USD") == pytest.approx(status.total_value)


def test_beancount_of_an_ibkr_import_with_fx(tmp_path: Path) -> None:
    from conviction.imports import load_import_map, plan_import, read_statements, write_import

    book = tmp_path / "book"
    shutil.copytree(DATA / "book", book)
    plan = plan_import(
        book,
        read_statements("ibkr", [DATA / "ibkr.xml"]),
        "me",
        mapping=load_import_map(DATA / "map.toml"),
    )
    write_import(plan)
    entries, real = _ledger(book, tmp_path)
    status = book_status(read_book(book))
    units, _, cash = _holdings(real)
    assert units == pytest.approx({"TSLA": 6, "ACME": 100})
    assert cash["EUR"] == pytest.approx(500)
    assert cash["USD"] + cash["EUR"] * 1.08 == pytest.approx(status.cash)
    assert _value(entries, real, status.as_of, "USD") == pytest.approx(status.total_value)


# -- digits -----------------------------------------------------------------------------------

_DECIMALS = st.builds(
    lambda digits, places: Decimal(digits).scaleb(-places),
    st.integers(1, 10**15 - 1),
    st.integers(0, 8),
)


def _plain(value: Decimal) -> str:
    return format(value, "f")  # as the file wrote it (1E-8 as 0.00000001), zeros kept


@settings(max_examples=60, deadline=None)
@given(amount=_DECIMALS, price=_DECIMALS, rate=_DECIMALS)
def test_decimal_text_survives_read_and_export(
    amount: Decimal, price: Decimal, rate: Decimal
) -> None:
    # Up to 15 significant digits (below the 1e15 bound), any places: the digits a book's
    # files hold are the digits its export writes, trailing zeros included (5.0 stays 5.0).
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "book.toml").write_text(
            '[book]\nname = "digits"\nas_of = 2025-01-31\ntransactions = "t.csv"\n'
            'marks = "m.csv"\nfx = "fx.csv"\n'
            '[[company]]\nid = "c"\nname = "C"\n[[account]]\nid = "a"\nname = "A"\n'
        )
        (folder / "t.csv").write_text(
            f"date,account,company,action,quantity,price,fees\n2025-01-02,a,,deposit,{amount},,0\n"
        )
        (folder / "m.csv").write_text(f"date,company,price,kind\n2025-01-02,c,{price},close\n")
        (folder / "fx.csv").write_text(f"date,pair,rate\n2025-01-02,EURUSD,{rate}\n")
        files = export_files(read_book(folder), "csv")
    assert files["transactions.csv"].splitlines()[1].split(",")[4] == _plain(amount)
    assert files["marks.csv"].splitlines()[1].split(",")[2] == _plain(price)
    assert files["fx.csv"].splitlines()[1].split(",")[2] == _plain(rate)


def test_beancount_names_from_awkward_ids(tmp_path: Path) -> None:
    # a ticker with a dot and a leading digit, a ticker that is a currency code, account
    # ids with no ASCII letter, quotes in the book's name: still a ledger bean-check takes
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "book.toml").write_text(
        '[book]\nname = "edge \\"quoted\\""\ncurrency = "JPY"\nas_of = 2025-03-31\n'
        'transactions = "t.csv"\nmarks = "m.csv"\n'
        '[[company]]\nid = "toyota"\nname = "Toyota"\nticker = "7203.T"\ncurrency = "JPY"\n'
        '[[company]]\nid = "jpy"\nname = "JPY Inc"\nticker = "JPY"\ncurrency = "JPY"\n'
        '[[account]]\nid = "家族"\nname = "Family"\ncurrency = "JPY"\n'
        '[[account]]\nid = "個人"\nname = "個人"\ncurrency = "JPY"\n'
    )
    (folder / "t.csv").write_text(
        "date,account,company,action,quantity,price,fees\n"
        "2025-01-06,家族,,deposit,1000000,,0\n2025-01-07,家族,toyota,buy,100,2800,0\n"
        "2025-01-08,個人,,deposit,500000,,0\n2025-01-09,個人,jpy,buy,10,1000,0\n"
    )
    (folder / "m.csv").write_text(
        "date,company,price,kind\n2025-03-31,toyota,2700,close\n2025-03-31,jpy,1100,close\n"
    )
    entries, real = _ledger(folder, tmp_path)
    names = {a.account for a in realization.iter_children(real) if not a.balance.is_empty()}
    assert names == {
        "Assets:Family:C7203-T",
        "Assets:Family:Cash",
        "Assets:Account:JPY-2",
        "Assets:Account:Cash",
        "Equity:Transfers:Family",
        "Equity:Transfers:Account",
    }
    units, _, cash = _holdings(real)
    assert units == {"C7203.T": 100, "JPY-2": 10}
    assert cash == {"JPY": 1000000 - 280000 + 500000 - 10000}
    status = book_status(read_book(folder))
    assert _value(entries, real, status.as_of, "JPY") == pytest.approx(status.total_value)
