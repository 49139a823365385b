"""`conviction backtest` on real SQLite files: the Baron example and small books by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conviction.cli import app
from conviction.errors import DataError, FormatError, SpecError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baron"
POLICIES = EXAMPLE / "policies"
runner = CliRunner()


def invoke(db: str, *args: str) -> Any:
    result = runner.invoke(app, ["--db", db, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


@pytest.fixture
def baron(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'baron.db'}"
    invoke(url, "load", str(EXAMPLE))
    return url


def xnys(start: str, end: str) -> list[str]:
    """The New York stock exchange's sessions, from exchange_calendars itself."""
    import warnings

    with warnings.catch_warnings():  # the package's own pandas deprecations
        warnings.simplefilter("ignore")
        import exchange_calendars as xcals

        days = xcals.get_calendar("XNYS", start=start, end=end).sessions_in_range(start, end)
    return [str(d.date()) for d in days]


def by_account(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["account"]: row for row in payload["accounts"]}


def test_hold_backtest_ends_where_the_ledger_does(baron: str) -> None:
    # No trades between these dates, but SpaceX splits 10:1 on 2022-02-17 in between:
    # holding must end at exactly the ledger's value of the book on the last day.
    # The example's Tesla marks are a handful a year, hence the long --max-gap.
    start, end = "2021-03-31", "2022-08-24"
    payload = invoke(
        baron, "backtest", "--policy", str(POLICIES / "hold.toml"), "--start", start,
        "--end", end, "--max-gap", "400", "--json",
    )  # fmt: skip
    status = invoke(baron, "status", "--as-of", end, "--json")
    accounts = by_account(payload)
    for line in status["by_account"]:
        assert accounts[line["account"]]["end_value"] == pytest.approx(line["value"], rel=1e-9)
    assert accounts["total"]["end_value"] == pytest.approx(status["total_value"], rel=1e-9)
    assert payload["trades"] == []
    start_status = invoke(baron, "status", "--as-of", start, "--json")
    assert accounts["total"]["start_value"] == pytest.approx(start_status["total_value"], rel=1e-9)


def test_baron_policy_never_sells_ron_and_reports_against_holding(baron: str) -> None:
    payload = invoke(
        baron, "backtest", "--policy", str(POLICIES / "baron.toml"), "--start", "2016-12-31",
        "--no-flows", "--json",
    )  # fmt: skip
    assert payload["trades"], "the cap should bite on this book"
    assert not [t for t in payload["trades"] if t["account"] == "ron" and t["quantity"] < 0]
    accounts = by_account(payload)
    ron = accounts["ron"]
    assert ron["end_value"] == pytest.approx(ron["end_value_if_held"])
    fund = accounts["partners"]
    assert fund["vs_hold"] == pytest.approx(fund["end_value"] - fund["end_value_if_held"])
    total = accounts["total"]
    assert total["end_value"] == pytest.approx(payload["series"][-1]["total"])
    # Costs: 6 bps of every trade's value.
    traded = sum(abs(t["value"]) for t in payload["trades"])
    assert total["costs"] == pytest.approx(6e-4 * traded)
    text = invoke(
        baron, "backtest", "--policy", str(POLICIES / "baron.toml"), "--start", "2016-12-31"
    )
    assert "backtest of baron" in text and "trim_to_cap" in text


def test_bad_dates_and_policy_files(baron: str, tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="after --end"):
        invoke(baron, "backtest", "--policy", str(POLICIES / "hold.toml"), "--start",
               "2022-01-01", "--end", "2021-01-01")  # fmt: skip
    with pytest.raises(FormatError, match="YYYY-MM-DD"):
        invoke(baron, "backtest", "--policy", str(POLICIES / "hold.toml"), "--end", "soon")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\nrule = "trim_to_cap"\ncap = 1.2\n')
    with pytest.raises(SpecError) as info:
        invoke(baron, "backtest", "--policy", str(bad))
    assert (info.value.file, info.value.line, info.value.field) == (str(bad), 3, "rules[0].cap")


MARKS = """date,company,price,kind,source
2024-01-02,a,10,close,test
2024-01-03,a,11,close,test
2024-01-04,a,12,close,test
2024-01-10,b,100,round,test
2024-01-22,a,13,close,test
2024-01-23,a,14,close,test
"""
TRANSACTIONS = """date,account,company,action,quantity,price,fees
2024-01-02,c1,,deposit,1000,,0
2024-01-02,c1,a,buy,50,10,0
2024-01-02,me,,deposit,1000,,0
2024-01-02,me,a,buy,100,10,0
2024-01-02,me,b,buy,1,100,0
"""


def test_gaps_are_filled_only_up_to_the_limit(write_book: Callable[..., Path]) -> None:
    toml = write_book(TRANSACTIONS, MARKS)
    url = f"sqlite:///{toml.parent / 'gap.db'}"
    invoke(url, "load", str(toml.parent))
    hold = str(POLICIES / "hold.toml")
    # The private company's round on 2024-01-10 is a step; 'a' was last marked on the 4th.
    with pytest.raises(DataError, match=r"no price for a on 2024-01-10: its last mark is 6 days"):
        invoke(url, "backtest", "--policy", hold, "--start", "2024-01-02", "--max-gap", "5")
    payload = invoke(url, "backtest", "--policy", hold, "--start", "2024-01-02", "--end",
                     "2024-01-23", "--max-gap", "6", "--json")  # fmt: skip
    # the policy decides on 6 steps (the marks and the round); the runs are valued on the
    # XNYS sessions, as conviction history values the book (no 2024-01-15: a holiday)
    assert payload["steps"] == 6 and payload["calendar"] == "XNYS"
    assert [s["date"] for s in payload["series"]] == xnys("2024-01-02", "2024-01-23")
    assert "2024-01-15" not in xnys("2024-01-02", "2024-01-23")
    me = by_account(payload)["me"]
    assert me["end_value"] == pytest.approx(1000 - 1000 - 100 + 100 * 14 + 100)
    with pytest.raises(DataError, match="no account holds anything on 2023-12-29"):
        invoke(url, "backtest", "--policy", hold, "--start", "2023-12-29")
    named = toml.parent / "named.toml"
    named.write_text('[[rules]]\nrule = "rebalance"\ntargets = { a = 0.5 }\n')
    with pytest.raises(DataError, match=r"no price for a on 2023-12-29 \(no mark on or before"):
        invoke(url, "backtest", "--policy", str(named), "--start", "2023-12-29", "--end",
               "2024-01-23")  # fmt: skip


def test_private_company_trades_only_at_its_round(write_book: Callable[..., Path]) -> None:
    toml = write_book(TRANSACTIONS, MARKS)
    url = f"sqlite:///{toml.parent / 'liq.db'}"
    invoke(url, "load", str(toml.parent))
    policy = toml.parent / "sell_all.toml"
    policy.write_text(
        '[[rules]]\nrule = "rebalance"\ntargets = { a = 0.0, b = 0.0 }\nevery = "day"\n'
    )
    payload = invoke(url, "backtest", "--policy", str(policy), "--start", "2024-01-02",
                     "--end", "2024-01-23", "--max-gap", "10", "--json")  # fmt: skip
    sold = {(t["company"], t["date"]) for t in payload["trades"]}
    assert sold == {("a", "2024-01-02"), ("b", "2024-01-10")}


def test_compare_hold_is_the_projected_book_plus_cash(baron: str) -> None:
    """Holding on the projected paths, recomputed by hand from the projection's own blocks."""
    import datetime as dt

    import numpy as np

    from conviction.io import read_book as read_book_files
    from conviction.io.projection_toml import Overrides, read_projection
    from conviction.ledger import cash, positions, price_history
    from conviction.projection import iter_paths

    config = str(EXAMPLE / "projection.toml")
    payload = invoke(
        baron, "compare", "--policy", str(POLICIES / "hold.toml"), "--policy",
        str(POLICIES / "baron.toml"), "--config", config, "--paths", "3000", "--json",
    )  # fmt: skip
    assert [p["policy"] for p in payload["policies"]] == ["hold", "baron"]
    book = read_book_files(EXAMPLE)
    day = dt.date.fromisoformat(payload["as_of"])
    spec = read_projection(config, book=book, overrides=Overrides(paths=3000))
    companies = list(spec.companies)
    quantity = positions(book, day)[companies].to_numpy().sum(axis=0)
    today = price_history(book, [day])[companies].to_numpy()[0]
    money = cash(book, day).sum()
    final = np.concatenate(
        [(b.multiples[:, -1, :] * today) @ quantity for b in iter_paths(spec)]
    )  # fmt: skip
    multiple = (final + money) / (today @ quantity + money)
    hold = payload["policies"][0]["book"]
    assert hold["median_multiple"] == pytest.approx(np.median(multiple), rel=1e-5)
    k = f"{spec.target_multiple:g}"
    assert hold["prob_target"][k] == pytest.approx((multiple >= spec.target_multiple).mean())
    assert hold["prob_loss"] == pytest.approx((multiple < 1).mean())
    assert payload["policies"][0]["median_trades"] == 0
    assert payload["policies"][1]["median_trades"] > 0


def test_compare_bad_input(baron: str, tmp_path: Path) -> None:
    hold = str(POLICIES / "hold.toml")
    with pytest.raises(FormatError, match="no projection file"):
        invoke(baron, "compare", "--policy", hold, "--config", str(tmp_path / "none.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rules]]\nrule = "trim_to_cap"\ncap = 0.3\nkinds = ["hedge"]\n')
    with pytest.raises(SpecError, match="unknown account kind 'hedge'"):
        invoke(baron, "compare", "--policy", hold, "--policy", str(bad), "--config",
               str(EXAMPLE / "projection.toml"))  # fmt: skip


def test_daily_backtest_statistics_agree_with_quantstats(
    write_book: Callable[..., Path],
) -> None:
    import numpy as np
    import pandas as pd
    import quantstats as qs

    days = pd.bdate_range("2024-01-02", periods=80)
    rng = np.random.default_rng(4)
    closes = 20 * np.exp(np.cumsum(rng.normal(0.001, 0.02, days.size)))
    marks = "date,company,price,kind,source\n" + "".join(
        f"{d.date()},a,{p:.6f},close,test\n" for d, p in zip(days, closes, strict=True)
    )
    tx = (
        "date,account,company,action,quantity,price,fees\n"
        f"2024-01-02,c1,,deposit,10000,,0\n2024-01-02,c1,a,buy,300,{closes[0]:.6f},0\n"
    )
    toml = write_book(tx, marks)
    url = f"sqlite:///{toml.parent / 'daily.db'}"
    invoke(url, "load", str(toml.parent))
    payload = invoke(url, "backtest", "--policy", str(POLICIES / "hold.toml"), "--start",
                     "2024-01-02", "--end", str(days[-1].date()), "--json")  # fmt: skip
    # marked on 80 weekdays, three of them NYSE holidays (2024-01-15, 2024-02-19, Good
    # Friday 2024-03-29): the policy decides on the 80 steps, the runs are valued on the 77
    # XNYS sessions, a holiday's
    # mark counting on the next session (as conviction history values the book)
    sessions = xnys(str(days[0].date()), str(days[-1].date()))
    assert len(sessions) == 77 and "2024-03-29" not in sessions
    assert payload["daily"] and payload["steps"] == days.size
    assert payload["sessions"] == 77 and payload["sessions_per_year"] == 252
    assert [s["date"] for s in payload["series"]] == sessions
    close = pd.Series(closes, index=days).reindex(pd.DatetimeIndex(sessions), method="ffill")
    cash = 10000 - 300 * float(f"{closes[0]:.6f}")
    expected = 300 * close.round(6) + cash  # the value by hand: 300 shares and the cash
    values = pd.Series([s["c1"] for s in payload["series"]], index=close.index)
    assert values.to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-12)
    returns = values.pct_change().dropna()
    c1 = by_account(payload)["c1"]
    assert c1["sharpe_sessions"] == pytest.approx(qs.stats.sharpe(returns), rel=1e-9)
    assert c1["cagr_sessions"] == pytest.approx(qs.stats.cagr(returns), rel=1e-9)
    assert c1["volatility_sessions"] == pytest.approx(qs.stats.volatility(returns), rel=1e-9)
    assert c1["max_drawdown"] == pytest.approx(qs.stats.max_drawdown(returns), rel=1e-9)
    # calendar time beside it: the same TWR over act/365.25
    growth = float(values.iloc[-1] / values.iloc[0])
    span = (days[-1] - days[0]).days
    assert c1["cagr_calendar"] == pytest.approx(growth ** (365.25 / span) - 1, rel=1e-12)
    assert "252 sessions a year (XNYS)" in invoke(
        url, "backtest", "--policy", str(POLICIES / "hold.toml"), "--start", "2024-01-02",
        "--end", str(days[-1].date()), "--no-flows",
    )  # fmt: skip


MONTHLY = """date,company,price,kind,source
2024-01-31,a,10,close,test
2024-02-29,a,11,close,test
2024-03-15,b,100,round,test
2024-03-28,a,12,close,test
2024-04-30,a,13,close,test
2024-06-28,a,14,close,test
2024-07-15,b,110,round,test
2024-07-31,a,15,close,test
"""


def test_a_monthly_marked_company_is_filled_up_to_its_cadence_plus_the_limit(
    write_book: Callable[..., Path],
) -> None:
    toml = write_book(TRANSACTIONS.replace("2024-01-02", "2024-01-31"), MONTHLY)
    url = f"sqlite:///{toml.parent / 'monthly.db'}"
    invoke(url, "load", str(toml.parent))
    hold = str(POLICIES / "hold.toml")
    # 'a' is marked about every 33 days (the median of 29, 28, 33, 59, 33): a step may use
    # a mark up to 33 - 1 + 7 = 39 days old. The round of 2024-03-15 (15 days) is fine ...
    payload = invoke(url, "backtest", "--policy", hold, "--start", "2024-01-31", "--end",
                     "2024-04-30", "--json")  # fmt: skip
    assert "2024-03-15" in [s["date"] for s in payload["series"]]
    # ... a step in the hole where May's mark is missing is not (58 days).
    with pytest.raises(DataError) as caught:
        invoke(url, "backtest", "--policy", hold, "--start", "2024-01-31", "--end", "2024-06-27")
    assert str(caught.value) == (
        "no price for a on 2024-06-27: its last mark is 58 days old; it is marked about "
        "every 33 days, and backtests forward-fill at most 39 days (add marks, or allow a "
        "longer gap)"
    )


def test_the_trim_episode_from_positions_gives_the_docs_figure(baron: str) -> None:
    """docs/policies.md: `conviction backtest --policy examples/baron/policies/trim_episode.toml
    --no-flows` on the bundled example: the trims cost the fund $2.30B (24.0% of the held
    account). (With the book's flows, the default: tests/policies/test_backtest_flows.py.)"""
    payload = invoke(baron, "backtest", "--policy", str(POLICIES / "trim_episode.toml"),
                     "--no-flows", "--json")  # fmt: skip
    partners = by_account(payload)["partners"]
    assert round(partners["vs_hold"] / 1e9, 2) == -2.30
    assert round(-partners["vs_hold"] / partners["end_value_if_held"], 3) == 0.240
    assert by_account(payload)["ron"]["trades"] == 0  # the last seller keeps every share
    trades = [(t["date"], t["company"], t["price"]) for t in payload["trades"]]
    # Tesla is marked monthly: the 2025 trim is on SpaceX's round of 2025-07-15, the first
    # step after 2025-07-01, at Tesla's last close before it (2025-06-30, $317.66)
    assert trades == [
        ("2021-03-31", "tesla", 222.643),
        ("2025-07-15", "spacex", 212.0),
        ("2025-07-15", "tesla", 317.66),
    ]
    # Against holding: the Tesla sold, at its 2025-11-14 close, less the cash it raised
    # (which stays cash) and the SpaceX bought (still at its 2025-07-15 round).
    sold = [t for t in payload["trades"] if t["company"] == "tesla"]
    tesla_end = 404.35
    cost = sum(-t["quantity"] * tesla_end + t["value"] for t in sold)
    assert partners["vs_hold"] == pytest.approx(-cost, rel=1e-9)
