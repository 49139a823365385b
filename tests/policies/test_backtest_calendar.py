"""A backtest of a book is valued on the sessions of the book's calendar, as `conviction
history` values the book, and says which year each annualised figure counts; the policy
still decides on its steps (the days with a mark, a flow or a round)."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from conviction.cli import app

ROOT = Path(__file__).resolve().parents[2]
HOLD = ROOT / "examples" / "baron" / "policies" / "hold.toml"
runner = CliRunner()

# Tokyo is closed from 2023-12-29 (Friday, the last session) to 2024-01-03; 2024-01-08 is
# Coming of Age Day. 'a' is marked on weekdays, and on Saturday 2024-01-06; $1,000 comes in
# on that Saturday.
MARKS = """date,company,price,kind,source
2023-12-27,a,10,close,test
2023-12-28,a,10.5,close,test
2023-12-29,a,10.2,close,test
2024-01-02,a,10.4,close,test
2024-01-04,a,11,close,test
2024-01-05,a,11.5,close,test
2024-01-06,a,12,close,test
2024-01-09,a,12.5,close,test
2024-01-10,a,13,close,test
"""
TRANSACTIONS = """date,account,company,action,quantity,price,fees
2023-12-27,c1,,deposit,1000,,0
2023-12-27,c1,a,buy,100,10,0
2024-01-06,c1,,deposit,1000,,0
"""


def xtks(start: str, end: str) -> list[str]:
    """Tokyo's sessions, from exchange_calendars itself."""
    with warnings.catch_warnings():  # the package's own pandas deprecations
        warnings.simplefilter("ignore")
        import exchange_calendars as xcals

        days = xcals.get_calendar("XTKS", start=start, end=end).sessions_in_range(start, end)
    return [str(d.date()) for d in days]


def invoke(db: str, *args: str) -> Any:
    result = runner.invoke(app, ["--db", db, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


@pytest.fixture
def tokyo(write_book: Callable[..., Path]) -> str:
    toml = write_book(TRANSACTIONS, MARKS)
    text = toml.read_text()
    toml.write_text(text.replace('currency = "USD"\n', 'currency = "USD"\ncalendar = "XTKS"\n', 1))
    url = f"sqlite:///{toml.parent / 'tokyo.db'}"
    invoke(url, "load", str(toml.parent))
    return url


def test_a_backtest_is_valued_on_the_books_calendar(tokyo: str) -> None:
    args = ("backtest", "--policy", str(HOLD), "--start", "2023-12-27", "--end", "2024-01-10")
    payload = invoke(tokyo, *args, "--json")
    sessions = xtks("2023-12-27", "2024-01-10")
    assert "2024-01-08" not in sessions and "2024-01-02" not in sessions
    assert payload["calendar"] == "XTKS" and payload["sessions_per_year"] == 245
    assert payload["steps"] == 9  # every mark and the deposit's day (the Saturday)
    assert (
        [r["date"] for r in payload["series"]]
        == sessions
        == [r["date"] for r in payload["traded_series"]]
    )
    assert payload["sessions"] == len(sessions) == 7
    # by hand: 100 a and $0 cash; the Saturday's mark and deposit count on 2024-01-09
    close = {
        "2023-12-27": 10, "2023-12-28": 10.5, "2023-12-29": 10.2, "2024-01-04": 11,
        "2024-01-05": 11.5, "2024-01-09": 12.5, "2024-01-10": 13,
    }  # fmt: skip
    for row in payload["hold_series"]:
        cash = 1000.0 if row["date"] >= "2024-01-09" else 0.0
        assert row["c1"] == pytest.approx(100 * close[row["date"]] + cash, rel=1e-12)
    c1 = next(a for a in payload["accounts"] if a["account"] == "c1")
    # time-weighted: the deposit is no return; 12.5 a share on its day, then the $1,000
    # held in cash beside the shares
    growth = (100 * 12.5 / 1000) * (2300 / 2250)
    assert c1["twr"] == pytest.approx(growth - 1, rel=1e-12)
    # CAGR¹: 245 sessions a year, over the 6 returns between the 7 sessions valued
    assert c1["cagr_sessions"] == pytest.approx(growth ** (245 / 6) - 1, rel=1e-12)
    assert c1["cagr_calendar"] == pytest.approx(growth ** (365.25 / 14) - 1, rel=1e-12)
    # the book as traded is conviction history's, which counts the same sessions
    history = invoke(tokyo, "history", "--start", "2023-12-27", "--end", "2024-01-10", "--json")
    line = next(a for a in history["accounts"] if a["account"] == "c1")
    assert c1["cagr_sessions_as_traded"] == pytest.approx(line["cagr_sessions"], rel=1e-12)
    assert "sessions_per_year" in payload["conventions"]["cagr_sessions"]
    text = invoke(tokyo, *args)
    assert "valued on 7 XTKS sessions" in text
    assert "245 sessions a year (XTKS), ² calendar time" in text


def test_on_a_step_the_sessions_value_is_the_engines(tokyo: str) -> None:
    """The session values rebuild the holdings from the trade log: on every step that is
    a session they are the engine's own values, and the log ends at the engine's
    holdings."""
    from conviction.io.policy_toml import read_policy_text
    from conviction.policies.history import backtest
    from conviction.store import connect, read_book

    book = read_book(connect(tokyo))
    policy = read_policy_text(
        '[[rules]]\nrule = "rebalance"\ntargets = { a = 0.5 }\nevery = "day"\n'
        "[costs]\ncommission_bps = 10\n",
        file="half.toml",
    )
    result = backtest(book, policy, end=dt.date(2024, 1, 10))
    assert result.run.trades is not None and len(result.run.trades) > 3
    values = result.policy_values
    assert values is not None and result.run.values is not None
    steps = result.inputs.setup.dates.astype("datetime64[D]")
    common, i, j = np.intersect1d(steps, values.days, return_indices=True)
    assert common.size == 7  # of the 9 steps, 2024-01-02 and the Saturday are no sessions
    assert values.values[j] == pytest.approx(result.run.values[0][i], rel=1e-12)
    assert values.values[-1].sum() == pytest.approx(result.run.final_values[0].sum(), rel=1e-12)
