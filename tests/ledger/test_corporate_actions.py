"""Corporate actions: exchanges (mergers), spin-offs, renames and listings, by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conviction.errors import InputError
from conviction.io import read_book
from conviction.ledger.book_status import status
from conviction.ledger.corporate import listing_dates, private_on
from conviction.ledger.gains import realized_gains
from conviction.ledger.private import private_measures
from conviction.store.book_store import read_book as read_stored

if TYPE_CHECKING:
    from conftest import ConvictionMain  # the fixture's type (tests/conftest.py)

BOOK = """
[book]
name = "Corporate actions"
currency = "USD"
as_of = 2026-03-31
transactions = "transactions.csv"
marks = "marks.csv"

[[company]]
id = "oldco"
name = "Old Co"
public = false

[[company]]
id = "newco"
name = "New Co"
public = false

[[company]]
id = "parent"
name = "Parent"

[[company]]
id = "spin"
name = "Spin"

[[company]]
id = "fb"
name = "Facebook"

[[company]]
id = "meta"
name = "Meta Platforms"

[[account]]
id = "me"
name = "Me"
kind = "personal"
lot_method = "{method}"
"""

HEADER = "date,account,company,action,quantity,price,fees,into\n"
ROWS = [
    "2020-01-02,me,,deposit,100000,,,",
    "2020-01-02,me,oldco,buy,100,10,0,",  # oldco-1: cost 1,000
    "2021-01-04,me,parent,buy,100,50,0,",  # parent-1: cost 5,000
    "2022-06-01,,parent,spinoff,0.5,0.2,,spin",  # 50 spin, 20% of the basis
    "2022-07-01,me,spin,sell,50,30,0,",
    "2025-06-01,me,oldco,buy,50,20,0,",  # oldco-2: cost 1,000
    "2025-09-01,me,newco,buy,10,100,0,",  # newco-1: cost 1,000
    "2026-02-02,,oldco,exchange,0.5,,,newco",  # 150 oldco -> 75 newco
    "2026-03-01,me,newco,sell,60,30,0,",
]
MARKS = """date,company,price,kind,source
2022-06-01,parent,45,close,x
2022-06-01,spin,20,close,x
2025-12-01,oldco,40,round,x
2026-01-15,newco,90,round,x
"""


def write(tmp_path: Path, rows: list[str], method: str = "fifo", marks: str = MARKS) -> Path:
    d = tmp_path / "book"
    d.mkdir(parents=True, exist_ok=True)
    (d / "book.toml").write_text(BOOK.format(method=method))
    (d / "transactions.csv").write_text(HEADER + "\n".join(rows) + "\n")
    (d / "marks.csv").write_text(marks)
    return d / "book.toml"


def line(st: object, company: str) -> object:
    return next(c for c in st.by_company if c.company == company)  # type: ignore[attr-defined]


def test_exchange_carries_basis_and_dates_and_realises_nothing(tmp_path: Path) -> None:
    book = read_book(write(tmp_path, ROWS))
    before = status(book, dt.date(2026, 2, 1))
    after = status(book, dt.date(2026, 2, 10))
    # 10 newco of its own + 100 x 0.5 + 50 x 0.5 carried; cost 1,000 + 1,000 + 1,000
    new = line(after, "newco")
    assert new.quantity == pytest.approx(85)
    assert new.cost == pytest.approx(3_000)
    assert new.value == pytest.approx(85 * 90)
    assert "oldco" not in {c.company for c in after.by_company if c.quantity}
    total_before = line(before, "oldco").cost + line(before, "newco").cost
    assert total_before == pytest.approx(3_000)
    # no realised gain on the exchange: the only sales are the spin's and newco's later
    gains = realized_gains(read_book(write(tmp_path / "no-sale", ROWS[:-1])))
    assert [(s.company, s.date) for s in gains.sales] == [("spin", dt.date(2022, 7, 1))]
    assert sum(t.gain for t in gains.totals) == pytest.approx(1_500 - 1_000)
    assert after.cash == pytest.approx(before.cash)


def test_sale_after_exchange_keeps_the_old_acquisition_dates(tmp_path: Path) -> None:
    book = read_book(write(tmp_path, ROWS))
    sale = realized_gains(book).sales[-1]
    # fifo takes newco's own lot, then the carried oldco-1 (opened 2020-01-02: long term)
    first, second = sale.lots
    assert (first.lot, first.quantity, first.holding_days, first.term) == (
        "newco-1",
        10,
        181,
        "short",
    )
    assert (second.lot, second.quantity, second.term) == ("oldco-1", 50, "long")
    assert second.holding_days == (dt.date(2026, 3, 1) - dt.date(2020, 1, 2)).days
    assert first.gain == pytest.approx(10 * 30 - 1_000)
    assert second.gain == pytest.approx(50 * 30 - 1_000)
    assert sale.cost == pytest.approx(2_000)
    left = line(status(book, dt.date(2026, 3, 31)), "newco")
    assert left.quantity == pytest.approx(25)  # oldco-2, 1,000 of cost
    assert left.cost == pytest.approx(1_000)


def test_hifo_sees_the_carried_unit_costs(tmp_path: Path) -> None:
    book = read_book(write(tmp_path, ROWS, method="hifo"))
    sale = realized_gains(book).sales[-1]
    # unit costs: newco-1 100, oldco-1 20 (1,000 / 50), oldco-2 40 (1,000 / 25)
    assert [(m.lot, m.quantity) for m in sale.lots] == [
        ("newco-1", 10),
        ("oldco-2", 25),
        ("oldco-1", 25),
    ]
    assert sale.cost == pytest.approx(1_000 + 1_000 + 500)


def test_spinoff_splits_the_basis_exactly(tmp_path: Path) -> None:
    book = read_book(write(tmp_path, ROWS))
    st = status(book, dt.date(2022, 6, 15))
    parent, spin = line(st, "parent"), line(st, "spin")
    assert parent.quantity == 100 and spin.quantity == 50
    assert parent.cost == 4_000 and spin.cost == 1_000  # 80% / 20% of 5,000, exactly
    assert parent.cost + spin.cost == 5_000
    sale = realized_gains(book).sales[0]
    lot = sale.lots[0]
    # the spin's lot is the parent's: its id and its acquisition date (543 days: long)
    assert (lot.lot, lot.holding_days, lot.term) == ("parent-1", 543, "long")
    assert sale.gain == pytest.approx(1_500 - 1_000)


def test_rename_changes_nothing_but_the_id(tmp_path: Path) -> None:
    plain = [
        "2019-01-02,me,,deposit,10000,,,",
        "2019-01-02,me,fb,buy,20,130,5,",
        "2023-03-01,me,fb,sell,5,180,0,",
    ]
    marks = (
        "date,company,price,kind,source\n2022-12-30,fb,120,close,x\n2024-06-28,meta,500,close,x\n"
    )
    renamed = [*plain[:2], "2022-06-09,,fb,rename,,,,meta", "2023-03-01,me,meta,sell,5,180,0,"]
    a = read_book(write(tmp_path / "a", plain, marks=marks.replace("meta", "fb")))
    b = read_book(write(tmp_path / "b", renamed, marks=marks))
    sa, sb = status(a, dt.date(2024, 6, 30)), status(b, dt.date(2024, 6, 30))
    assert (sa.total_value, sa.cash, sa.total_gain) == (sb.total_value, sb.cash, sb.total_gain)
    la, lb = line(sa, "fb"), line(sb, "meta")
    assert (
        (la.quantity, la.cost, la.value)
        == (lb.quantity, lb.cost, lb.value)
        == (15, 1_953.75, 7_500)
    )
    ga, gb = realized_gains(a).sales[0], realized_gains(b).sales[0]
    assert (ga.gain, ga.lots[0].lot, ga.lots[0].holding_days) == (
        gb.gain,
        gb.lots[0].lot,
        gb.lots[0].holding_days,
    )
    assert gb.lots[0].lot == "fb-1"  # the lot keeps its id under the new company id


def test_private_measures_follow_the_exchange(tmp_path: Path) -> None:
    book = read_book(write(tmp_path, ROWS))
    report = private_measures(book, dt.date(2026, 2, 10))
    by = {h.company: h for h in report.holdings}
    # oldco distributes its 150 shares at its last round (40): 6,000 into newco
    assert by["oldco"].paid_in == pytest.approx(2_000)
    assert by["oldco"].distributed == pytest.approx(6_000) and by["oldco"].residual == 0
    assert by["newco"].paid_in == pytest.approx(1_000 + 6_000)
    assert by["newco"].residual == pytest.approx(85 * 90)
    # the whole private book paid 3,000 in cash and holds 7,650: the move is internal
    assert report.total is not None
    assert report.total.paid_in == pytest.approx(3_000)
    assert report.total.distributed == 0
    assert report.total.residual == pytest.approx(7_650)


def test_listing_makes_a_private_company_public_from_its_date(tmp_path: Path) -> None:
    rows = [*ROWS, "2026-03-10,,newco,listing,,,,"]
    marks = MARKS + "2026-03-10,newco,35,close,x\n"
    book = read_book(write(tmp_path, rows, marks=marks))
    assert listing_dates(book) == {"newco": dt.date(2026, 3, 10)}
    assert private_on(book, "newco", dt.date(2026, 3, 9))
    assert not private_on(book, "newco", dt.date(2026, 3, 10))
    assert private_on(book, "oldco", dt.date(2030, 1, 1))
    before = {h.company for h in private_measures(book, dt.date(2026, 3, 9)).holdings}
    after = {h.company for h in private_measures(book, dt.date(2026, 3, 31)).holdings}
    assert "newco" in before and "newco" not in after
    assert line(status(book, dt.date(2026, 3, 31)), "newco").mark_kind == "close"


def test_backtest_liquidity_follows_the_listing(tmp_path: Path) -> None:
    from conviction.policies.history import backtest_inputs
    from conviction.policies.spec import Hold, Policy

    rows = [*(ROWS[i] for i in (0, 1, 5, 6, 7)), "2026-03-10,,newco,listing,,,,"]
    marks = MARKS + "2026-03-10,newco,35,close,x\n2026-03-11,newco,36,close,x\n"
    book = read_book(write(tmp_path, rows, marks=marks))
    inputs = backtest_inputs(
        book,
        Policy(name="hold", rules=(Hold(),)),
        start=dt.date(2026, 3, 2),
        end=dt.date(2026, 3, 12),
    )
    j = inputs.setup.companies.index("newco")
    days = inputs.setup.dates.astype("datetime64[D]").astype(object).tolist()
    liquid = dict(zip(days, inputs.liquidity[:, j].tolist(), strict=True))
    assert dt.date(2026, 3, 11) in liquid  # a close after the listing is a step
    assert liquid[dt.date(2026, 3, 10)] and liquid[dt.date(2026, 3, 11)]
    assert not liquid[dt.date(2026, 3, 2)]


BAD = [
    ("2026-02-02,,oldco,exchange,0,,,newco", "quantity", "ratio"),
    ("2026-02-02,,oldco,exchange,-1,,,newco", "quantity", "ratio"),
    ("2026-02-02,,parent,spinoff,0.5,1.2,,spin", "price", "strictly between 0 and 1"),
    ("2026-02-02,,parent,spinoff,0.5,0,,spin", "price", "strictly between 0 and 1"),
    ("2026-02-02,,oldco,exchange,0.5,,,nosuch", "into", "unknown company 'nosuch'"),
    ("2026-02-02,,oldco,exchange,0.5,,,", "into", "into"),
    ("2026-02-02,,spin,exchange,0.5,,,newco", "company", "no account holds spin"),
    ("2026-02-02,,oldco,exchange,0.5,,,oldco", "into", "itself"),
    ("2026-02-02,,fb,rename,2,,,meta", "quantity", "rename"),
    ("2026-02-02,,parent,listing,,,,", "company", "already public"),
]


@pytest.mark.parametrize(("row", "field", "words"), BAD)
def test_bad_corporate_actions_name_file_line_field(
    tmp_path: Path, row: str, field: str, words: str
) -> None:
    rows = [*ROWS[:7], row]
    with pytest.raises(InputError) as caught:
        read_book(write(tmp_path, rows))
    err = caught.value
    assert err.field == field and err.line == 9, str(err)
    assert str(err.file).endswith("transactions.csv")
    assert words in str(err)


def test_old_files_without_into_still_read(tmp_path: Path) -> None:
    rows = [r.rsplit(",", 1)[0] for r in ROWS[:3]]
    d = tmp_path / "old"
    d.mkdir()
    (d / "book.toml").write_text(BOOK.format(method="fifo"))
    (d / "transactions.csv").write_text(HEADER.rsplit(",", 1)[0] + "\n" + "\n".join(rows) + "\n")
    (d / "marks.csv").write_text(MARKS)
    book = read_book(d / "book.toml")
    assert (book.transactions["into"] == "").all()


def test_store_keeps_into_and_a_bad_action_changes_nothing(
    tmp_path: Path, conviction_main: ConvictionMain
) -> None:
    from conviction.store import connect, read_book_at

    db = tmp_path / "b.db"
    toml = write(tmp_path, ROWS)
    code, _, err = conviction_main(["--db", f"sqlite:///{db}", "load", str(toml)])
    assert code == 0, err
    book = read_book(toml)
    for stored in (read_book_at(f"sqlite:///{db}"), read_stored(connect(f"sqlite:///{db}"))):
        assert stored.transactions["into"].tolist() == book.transactions["into"].tolist()
        a, b = status(book, dt.date(2026, 3, 31)), status(stored, dt.date(2026, 3, 31))
        assert (a.total_value, a.total_gain) == (b.total_value, b.total_gain)
        assert realized_gains(book).sales == realized_gains(stored).sales
    before = db.read_bytes()
    bad = write(tmp_path / "bad", [*ROWS[:7], "2026-02-02,,spin,exchange,1,,,newco"])
    code, _, err = conviction_main(["--db", f"sqlite:///{db}", "load", str(bad)])
    assert code == 2
    assert "transactions.csv:9" in err and "company" in err and "no account holds spin" in err
    assert db.read_bytes() == before


def test_cash_in_lieu_is_a_sale_of_the_fraction(tmp_path: Path) -> None:
    # docs/formats.md's worked example
    toml = BOOK.replace('id = "oldco"', 'id = "xai"').replace('id = "newco"', 'id = "spacex"')
    d = tmp_path / "lieu"
    d.mkdir()
    (d / "book.toml").write_text(toml.format(method="fifo"))
    rows = [
        "2024-12-23,me,,deposit,300000,,,",
        "2024-12-23,me,xai,buy,5000,50,0,",
        "2026-02-02,,xai,exchange,0.1433,,,spacex",
        "2026-02-02,me,spacex,sell,0.5,526.34,0,",
    ]
    (d / "transactions.csv").write_text(HEADER + "\n".join(rows) + "\n")
    (d / "marks.csv").write_text(
        "date,company,price,kind,source\n2026-02-02,spacex,526.34,round,x\n"
    )
    book = read_book(d / "book.toml")
    (sale,) = realized_gains(book).sales
    lot = sale.lots[0]
    assert (lot.lot, lot.term) == ("xai-1", "long")
    assert sale.proceeds == pytest.approx(263.17)
    assert sale.cost == pytest.approx(174.46, abs=0.005)
    assert sale.gain == pytest.approx(88.71, abs=0.005)
    held = line(status(book, dt.date(2026, 2, 2)), "spacex")
    assert held.quantity == pytest.approx(716.0)
    assert held.cost == pytest.approx(250_000 - 174.45917655, abs=1e-6)


def test_a_specific_account_sells_a_carried_lot_by_its_id(tmp_path: Path) -> None:
    rows = [*ROWS[:-1], "2026-03-01,me,newco,sell,20,30,0,"]
    text = HEADER.replace(",into", ",lot,into") + "\n".join(
        r.rsplit(",", 1)[0] + ",," + r.rsplit(",", 1)[1] for r in rows
    )
    text = text.replace(
        "2026-03-01,me,newco,sell,20,30,0,,", "2026-03-01,me,newco,sell,20,30,0,oldco-2:20,"
    )
    d = write(tmp_path, rows, method="specific").parent
    (d / "transactions.csv").write_text(text + "\n")
    sale = realized_gains(read_book(d / "book.toml")).sales[-1]
    (lot,) = sale.lots
    assert (lot.lot, lot.quantity, lot.opened) == ("oldco-2", 20, dt.date(2025, 6, 1))
    assert sale.cost == pytest.approx(1_000 * 20 / 25)
