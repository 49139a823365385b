"""`conviction backtest` replays the book's flows: the policy, hold and the book as traded,
on a small book by hand (a deposit and a withdrawal) and on the Baron example."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conviction.cli import app
from conviction.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "examples" / "baron" / "policies"
runner = CliRunner()


def invoke(db: str, *args: str) -> Any:
    result = runner.invoke(app, ["--db", db, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


# c1 starts with 50 a at $10 and $500 cash; $500 comes in on 2024-03-01 (the book buys 20 a
# with it, at $15), $300 goes out on 2024-05-01.
TRANSACTIONS = """date,account,company,action,quantity,price,fees
2024-01-02,c1,,deposit,1000,,0
2024-01-02,c1,a,buy,50,10,0
2024-03-01,c1,,deposit,500,,0
2024-03-01,c1,a,buy,20,15,0
2024-05-01,c1,,withdraw,300,,0
"""
MARKS = """date,company,price,kind,source
2024-01-02,a,10,close,test
2024-02-01,a,12,close,test
2024-03-01,a,15,close,test
2024-04-01,a,12,close,test
2024-05-01,a,16,close,test
2024-06-03,a,20,close,test
"""
HALF = """[[rules]]
rule = "rebalance"
targets = { a = 0.5 }
every = "month"
"""
ALL_IN = """[[rules]]
rule = "rebalance"
targets = { a = 1.0 }
every = "month"
"""


@pytest.fixture
def small(write_book: Callable[..., Path]) -> tuple[str, Path]:
    toml = write_book(TRANSACTIONS, MARKS)
    url = f"sqlite:///{toml.parent / 'flows.db'}"
    invoke(url, "load", str(toml.parent))
    return url, toml.parent


def backtest(url: str, policy: Path, *extra: str) -> dict[str, Any]:
    args = ("backtest", "--policy", str(policy), "--start", "2024-01-02", "--end", "2024-06-03")
    payload: dict[str, Any] = invoke(url, *args, *extra, "--json")
    return payload


def account(payload: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in payload["accounts"] if a["account"] == name)


def test_the_policy_line_replays_the_deposit_and_the_withdrawal(small: tuple[str, Path]) -> None:
    url, folder = small
    policy = folder / "half.toml"
    policy.write_text(HALF)
    payload = backtest(url, policy)
    assert payload["flows"] is True
    # By hand: half in a, half in cash, rebalanced at each month's first step; the deposit
    # lands in cash and the withdrawal comes out of it before the step's rebalance.
    a, cash = 50.0, 500.0
    value = a * 12 + cash  # 2024-02-01: 1,100
    a, cash = value / 2 / 12, value / 2
    cash += 500  # 2024-03-01
    value = a * 15 + cash  # 1,737.50
    a, cash = value / 2 / 15, value / 2
    value = a * 12 + cash  # 2024-04-01: 1,563.75
    a, cash = value / 2 / 12, value / 2
    cash -= 300  # 2024-05-01
    value = a * 16 + cash  # 1,524.375
    a, cash = value / 2 / 16, value / 2
    final = a * 20 + cash
    assert final == pytest.approx(1714.921875, rel=1e-12)
    c1 = account(payload, "c1")
    assert c1["end_value"] == pytest.approx(final, rel=1e-12)
    assert c1["net_flows"] == pytest.approx(200.0)
    # hold: the 50 a of the start; the deposit stays in cash, the withdrawal comes out of it
    assert c1["end_value_if_held"] == pytest.approx(50 * 20 + 500 + 500 - 300, rel=1e-12)
    # as traded: the book bought 20 a with the deposit
    assert c1["end_value_as_traded"] == pytest.approx(70 * 20 + 400, rel=1e-12)
    assert c1["vs_as_traded"] == pytest.approx(final - 1800, rel=1e-12)
    # the three lines start from the same value, on the same dates
    first = {k: payload[k][0]["c1"] for k in ("series", "hold_series", "traded_series")}
    assert set(first.values()) == {1000.0}
    dates = [r["date"] for r in payload["series"]]
    assert dates == [r["date"] for r in payload["traded_series"]]
    assert dates == [r["date"] for r in payload["hold_series"]]
    assert {"2024-03-01", "2024-05-01"} <= set(dates)


def test_the_as_traded_line_is_conviction_history(small: tuple[str, Path]) -> None:
    url, folder = small
    policy = folder / "half.toml"
    policy.write_text(HALF)
    payload = backtest(url, policy)
    history = invoke(url, "history", "--start", "2024-01-02", "--end", "2024-06-03",
                     "--freq", "D", "--json")  # fmt: skip
    by_day = {r["date"]: r for r in history["series"]}
    rows = payload["traded_series"]
    # every day conviction history values (the XNYS sessions), not only the 6 steps
    assert [r["date"] for r in rows] == [r["date"] for r in history["series"]]
    assert len(rows) == payload["sessions"] == 106 and payload["steps"] == 6
    for row in rows:
        assert row["c1"] == by_day[row["date"]]["c1"]  # the same answer, not a recomputation
        assert row["total"] == pytest.approx(sum(by_day[row["date"]][a] for a in ("c1", "me")))


def test_a_withdrawal_short_of_cash_sells_pro_rata(small: tuple[str, Path]) -> None:
    url, folder = small
    policy = folder / "all_in.toml"
    policy.write_text(ALL_IN)
    payload = backtest(url, policy)
    sold = [t for t in payload["trades"] if t["rule"] == "withdrawal"]
    assert [(t["date"], t["company"]) for t in sold] == [("2024-05-01", "a")]
    assert sold[0]["quantity"] == pytest.approx(-300 / 16, rel=1e-12)
    c1 = account(payload, "c1")
    # all in a from the start; the deposit goes into a at the month's rebalance
    a = 100.0 + 500 / 15
    a -= 300 / 16
    assert c1["end_value"] == pytest.approx(a * 20, rel=1e-12)


def test_no_flows_keeps_the_old_backtest(small: tuple[str, Path]) -> None:
    url, folder = small
    policy = folder / "half.toml"
    policy.write_text(HALF)
    payload = backtest(url, policy, "--no-flows")
    assert payload["flows"] is False and payload["traded_series"] == []
    c1 = account(payload, "c1")
    assert c1["net_flows"] == 0.0 and c1["end_value_as_traded"] is None
    assert c1["end_value_if_held"] == pytest.approx(50 * 20 + 500, rel=1e-12)
    assert payload["steps"] == 6  # the marks: the days the policy decides on
    history = invoke(url, "history", "--start", "2024-01-02", "--end", "2024-06-03",
                     "--freq", "D", "--json")  # fmt: skip
    # valued on the days conviction history values: the XNYS sessions
    assert [r["date"] for r in payload["series"]] == [r["date"] for r in history["series"]]
    by_day = {r["date"]: r["c1"] for r in payload["hold_series"]}
    # hold between two marks: its shares at the last mark, the cash
    assert by_day["2024-02-15"] == pytest.approx(50 * 12 + 500, rel=1e-12)


def test_a_flow_in_a_currency_without_a_rate_names_its_row(
    write_book: Callable[..., Path],
) -> None:
    rows = TRANSACTIONS.replace(
        "2024-05-01,c1,,withdraw", "2024-04-02,c1,,deposit,100,,0,EUR\n2024-05-01,c1,,withdraw"
    )
    rows = rows.replace("quantity,price,fees\n", "quantity,price,fees,currency\n")
    toml = write_book(rows, MARKS)
    url = f"sqlite:///{toml.parent / 'fx.db'}"
    with pytest.raises(InputError) as caught:
        invoke(url, "load", str(toml.parent))
        invoke(url, "backtest", "--policy", str(POLICIES / "hold.toml"), "--start",
               "2024-01-02", "--end", "2024-06-03")  # fmt: skip
    error = caught.value
    assert error.file is not None and error.file.endswith("transactions.csv")
    assert error.line == 6
    assert error.field == "currency"
    assert "EUR" in str(error)


def test_the_trim_episode_with_and_without_the_books_flows(tmp_path: Path) -> None:
    """README: the trims cost the fund $2.21B (21.5% of the held account) with the book's
    deposits replayed, $2.30B (24.0%) from the 2020-12-31 positions alone (--no-flows)."""
    url = f"sqlite:///{tmp_path / 'baron.db'}"
    invoke(url, "load", str(ROOT / "examples" / "baron"))
    trim = POLICIES / "trim_episode.toml"
    replayed = invoke(url, "backtest", "--policy", str(trim), "--json")
    fund = account(replayed, "partners")
    assert round(fund["vs_hold"] / 1e9, 2) == -2.21
    assert round(-fund["vs_hold"] / fund["end_value_if_held"], 3) == 0.215
    # the book as traded ends where the book does (conviction status: $15.99B)
    status = invoke(url, "status", "--json")
    total = account(replayed, "total")
    assert total["end_value_as_traded"] == pytest.approx(status["total_value"], rel=1e-9)
    alone = account(invoke(url, "backtest", "--policy", str(trim), "--no-flows", "--json"),
                    "partners")  # fmt: skip
    assert round(alone["vs_hold"] / 1e9, 2) == -2.30
    assert round(-alone["vs_hold"] / alone["end_value_if_held"], 3) == 0.240


def test_the_report_and_web_line_show_the_three_lines(small: tuple[str, Path]) -> None:
    from conviction.app.runs import backtest_lines
    from conviction.report.render import environment, money
    from conviction.store import connect, read_book

    url, folder = small
    policy = folder / "half.toml"
    policy.write_text("[policy]\nstart = 2024-01-02\nend = 2024-06-03\n" + HALF)
    (line,) = backtest_lines(read_book(connect(url)), [policy])
    assert line.error is None
    assert line.end_value == pytest.approx(1714.921875, rel=1e-12)
    assert line.end_if_held == pytest.approx(1700.0, rel=1e-12)
    assert line.end_as_traded == pytest.approx(1800.0, rel=1e-12)
    assert line.traded is not None and line.traded[0] == line.total[0] == line.hold[0] == 1000.0
    # one max drawdown: the report's is the CLI's (time-weighted, on the sessions)
    cli = account(invoke(url, "backtest", "--policy", str(policy), "--json"), "total")
    assert line.max_drawdown == cli["max_drawdown"]
    html = (
        environment()
        .from_string('{% import "_tables.html.j2" as t %}{{ t.policies_table(lines) }}')
        .render(lines=[line])
    )
    assert '<th class="n">as traded</th>' in html
    assert f'<td class="n">{money(1800.0)}</td>' in html
