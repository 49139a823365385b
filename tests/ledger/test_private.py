"""Private-market measures against cash-flow tables computed by hand.

Flows fall exactly 365 days apart, so the act/365 IRR is the plain annual IRR that
``numpy_financial.irr`` computes on the same table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pytest

from conviction.io import read_book
from conviction.ledger.private import ALL_PRIVATE, private_measures

# d0 .. d4, 365 days apart (2024 is a leap year, so the last is 2024-12-31)
D = [str(np.datetime64("2021-01-01") + np.timedelta64(365 * k, "D")) for k in range(5)]

TX = (
    "date,account,company,action,quantity,price,fees\n"
    f"{D[0]},me,,deposit,100000,,\n"
    f"{D[0]},me,b,buy,1000,10,50\n"  # paid in 10,050 (fees count)
    f"{D[0]},c1,,deposit,1000,,\n"
    f"{D[0]},c1,a,buy,10,10,0\n"  # a public company: not in the measures
    f"{D[1]},me,b,buy,500,20,0\n"  # paid in 10,000
    "2022-06-01,,b,split,2,,\n"  # 1,500 -> 3,000 shares
    f"{D[2]},me,b,sell,600,15,0\n"  # distributes 9,000
    f"{D[3]},me,b,dividend,2400,0.5,0\n"  # distributes 1,200
)
MARKS = (
    "date,company,price,kind,source,grade\n"
    f"{D[0]},a,10,close,x,\n"
    "2024-06-28,b,20,tender,secondary at 20,B\n"
)


def test_measures_against_a_hand_computed_table(write_book: Callable[..., Path]) -> None:
    book = read_book(write_book(TX, MARKS, as_of=dt.date.fromisoformat(D[4])))
    report = private_measures(book)
    (b,) = report.holdings
    paid_in, distributed, residual = 10_050 + 10_000, 9_000 + 1_200, 2_400 * 20
    assert (b.paid_in, b.distributed, b.residual) == pytest.approx((paid_in, distributed, residual))
    assert b.dpi == pytest.approx(distributed / paid_in)
    assert b.rvpi == pytest.approx(residual / paid_in)
    assert b.tvpi == pytest.approx((distributed + residual) / paid_in)
    flows = [-10_050.0, -10_000.0, 9_000.0, 1_200.0, 48_000.0]
    assert b.irr == pytest.approx(float(npf.irr(flows)), rel=1e-9)
    # the mark behind the residual, with its age, kind and grade
    assert b.mark_date == dt.date(2024, 6, 28)
    assert b.mark_age_days == (dt.date.fromisoformat(D[4]) - dt.date(2024, 6, 28)).days
    assert (b.mark_kind, b.mark_grade, b.mark_source) == ("tender", "B", "secondary at 20")
    assert report.total is not None and report.total.company == ALL_PRIVATE
    assert report.total.irr == pytest.approx(b.irr, rel=1e-12)


def test_before_any_distribution(write_book: Callable[..., Path]) -> None:
    book = read_book(write_book(TX, MARKS, as_of=dt.date.fromisoformat(D[4])))
    (b,) = private_measures(book, dt.date.fromisoformat(D[1])).holdings
    # two buys, the second on the date itself; valued at the last trade price (20)
    assert b.paid_in == pytest.approx(20_050) and b.distributed == 0
    assert b.residual == pytest.approx(1_500 * 20)
    assert b.dpi == 0 and b.mark_kind == "trade"
    assert b.irr == pytest.approx(float(npf.irr([-10_050.0, 30_000.0 - 10_000.0])), rel=1e-9)


BOOK = """\
[book]
name = "funds"
currency = "USD"
as_of = {as_of}
transactions = "transactions.csv"
marks = "marks.csv"
fx = "fx.csv"

[[company]]
id = "p"
name = "P"
public = false

[[company]]
id = "q"
name = "Q"
public = false
currency = "EUR"

[[account]]
id = "lp"
name = "LP"
"""


def test_pooled_and_in_another_currency(tmp_path: Path) -> None:
    """Two private holdings, one in euros: each flow at its day's EURUSD."""
    (tmp_path / "book.toml").write_text(BOOK.format(as_of=D[3]))
    (tmp_path / "transactions.csv").write_text(
        "date,account,company,action,quantity,price,fees\n"
        f"{D[0]},lp,,deposit,1000000,,\n"
        f"{D[0]},lp,p,buy,100,100,0\n"
        f"{D[1]},lp,q,buy,50,200,0\n"
        f"{D[2]},lp,p,sell,50,150,0\n"
    )
    (tmp_path / "marks.csv").write_text(
        f"date,company,price,kind,source\n{D[3]},p,180,round,r\n{D[3]},q,260,model,m\n"
    )
    (tmp_path / "fx.csv").write_text(
        f"date,pair,rate,source\n{D[0]},EURUSD,1.2,e\n{D[1]},EURUSD,1.1,e\n{D[3]},EURUSD,1.05,e\n"
    )
    report = private_measures(read_book(tmp_path))
    p, q = report.holdings
    assert (p.paid_in, p.distributed, p.residual) == pytest.approx((10_000, 7_500, 50 * 180))
    assert (q.paid_in, q.distributed, q.residual) == pytest.approx(
        (50 * 200 * 1.1, 0, 50 * 260 * 1.05)
    )
    assert q.mark_grade == "C" and q.mark_kind == "model"
    assert p.irr == pytest.approx(float(npf.irr([-10_000, 0, 7_500, 9_000])), rel=1e-9)
    total = report.total
    assert total is not None
    assert total.tvpi == pytest.approx((7_500 + 9_000 + 13_650) / (10_000 + 11_000))
    pooled = [-10_000, -11_000, 7_500, 9_000 + 13_650]
    assert total.irr == pytest.approx(float(npf.irr(pooled)), rel=1e-9)
    # in euros, the dollar holding's flows convert at each day's rate instead
    (p_eur, _) = private_measures(read_book(tmp_path), currency="EUR").holdings
    assert p_eur.paid_in == pytest.approx(10_000 / 1.2)
    assert p_eur.distributed == pytest.approx(7_500 / 1.1)  # 2023: last rate is 2022's
