"""The seed's trim episode on the real TSLA series: what did the client trims cost?

Setup (pure code, no book): two accounts from 2020-12-31 to 2025-11-14 on real closes.
- ``clients`` (kind client): the Partners Fund's mix on 2020-12-31, 47% Tesla and 53%
  "the rest", proxied by the S&P 500 index (GSPC, price only). Its size is set so that
  the March 2021 trim sells 1.8M pre-2022-split shares (5.4M today), the reported figure.
- ``ron`` (kind personal): 17.5M Tesla shares (his reported holding in 2023), kept.
The policy is ``examples/baron/policies/trim_episode.toml``. Run this file as a script to
print the report in docs/policies.md:  .venv/bin/python tests/policies/test_trim_episode.py
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from conviction.io.policy_toml import read_policy
from conviction.io.prices import read_price_csv
from conviction.policies import Hold, LastSeller, Policy, PolicyRun, TrimToCap, run_policy
from needs_data import need

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
EPISODE = ROOT / "examples" / "baron" / "policies" / "trim_episode.toml"
START, END = "2020-12-31", "2025-11-14"
SOLD_MARCH_2021 = 1.8e6 * 3  # pre-2022-split shares, in today's (3:1 later) shares
RON_SHARES = 17.5e6


@dataclass
class Episode:
    dates: np.ndarray
    prices: np.ndarray  # (1, time, 2): tesla, rest
    holdings: np.ndarray  # (2 accounts, 2 companies)

    def run(self, policy: Policy) -> PolicyRun:
        return run_policy(
            policy,
            self.prices,
            self.holdings,
            np.zeros(2),
            companies=("tesla", "rest"),
            accounts=("clients", "ron"),
            kinds=("client", "personal"),
            dates=self.dates,
        )

    def at(self, day: str) -> int:
        return int(np.searchsorted(self.dates, np.datetime64(day)))


def load(data: Path) -> Episode:
    tesla = read_price_csv(data / "prices" / "TSLA.csv")[START:END]
    rest = read_price_csv(data / "prices" / "GSPC.csv").reindex(tesla.index)
    if rest.isna().any():
        raise AssertionError("GSPC lacks a TSLA trading day")
    prices = np.stack([tesla.to_numpy(), rest.to_numpy()], axis=1)[None]
    unit = np.array([0.47 / prices[0, 0, 0], 0.53 / prices[0, 0, 1]])  # $1 on 2020-12-31
    episode = Episode(tesla.index.to_numpy().astype("datetime64[D]"), prices, np.zeros((2, 2)))
    # Size the client account so that the first trim sells the reported 5.4M shares.
    episode.holdings = np.array([unit, [0.0, 0.0]])
    probe = episode.run(read_policy(EPISODE))
    first = probe.trades.quantity[0] if probe.trades is not None else np.nan
    episode.holdings = np.array([unit * SOLD_MARCH_2021 / -first, [RON_SHARES, 0.0]])
    return episode


@pytest.fixture(scope="module")
def episode() -> Episode:
    return load(need(DATA))


def closed_form(e: Episode) -> dict[str, float]:
    """Both trims by hand from the prices alone: sell to the cap, put the proceeds in the
    rest (zero costs), and compare the client account on the last day with holding."""
    p = e.prices[0]
    tesla, rest = e.holdings[0]
    hold_end = tesla * p[-1, 0] + rest * p[-1, 1]
    out: dict[str, float] = {}
    trims = [r for r in read_policy(EPISODE).rules if isinstance(r, TrimToCap)]
    for name, rule in zip(("2021", "2025"), trims, strict=True):
        cap = rule.cap
        t = e.at(str(rule.start))
        value = tesla * p[t, 0] + rest * p[t, 1]
        sold = (tesla * p[t, 0] - cap * value) / p[t, 0]
        out[f"fraction_{name}"] = sold / tesla
        out[f"sold_{name}"] = sold
        tesla -= sold
        rest += sold * p[t, 0] / p[t, 1]
    out["trim_end"] = tesla * p[-1, 0] + rest * p[-1, 1]
    out["hold_end"] = hold_end
    return out


def test_trims_match_the_facts_and_a_closed_form(episode: Episode) -> None:
    policy = read_policy(EPISODE)
    trimmed = episode.run(policy)
    held = episode.run(Policy("hold", (Hold(),)))
    log = trimmed.trade_frame()
    sells = log[log["action"] == "sell"]
    assert [d.date() for d in sells["date"]] == [dt.date(2021, 3, 31), dt.date(2025, 7, 1)]
    assert set(log["account"]) == {"clients"}
    # March 2021: 1.8M pre-split shares at ~$223 take the client weight to exactly 41%.
    assert -sells["quantity"].iloc[0] == pytest.approx(SOLD_MARCH_2021, rel=1e-9)
    assert sells["price"].iloc[0] == pytest.approx(222.643)
    # 2025: the cap in the TOML exits 30.5% of what was left (to half a point).
    expected = closed_form(episode)
    assert expected["fraction_2025"] == pytest.approx(0.305, abs=0.005)
    assert -sells["quantity"].iloc[1] == pytest.approx(expected["sold_2025"], rel=1e-9)
    # The engine's client account on 2025-11-14 equals the hand computation.
    assert trimmed.final_values[0, 0] == pytest.approx(expected["trim_end"], rel=1e-9)
    assert held.final_values[0, 0] == pytest.approx(expected["hold_end"], rel=1e-9)
    # The personal account keeps every share, and is worth marks x 17.5M throughout.
    np.testing.assert_allclose(trimmed.holdings[0, 1], [RON_SHARES, 0.0])
    assert trimmed.values is not None
    np.testing.assert_allclose(trimmed.values[0, :, 1], RON_SHARES * episode.prices[0, :, 0])


def test_the_last_seller_rule_keeps_ron_whole_even_under_a_cap(episode: Episode) -> None:
    # The same trims applied to every account: the rule stops the personal account,
    # since the client account still holds Tesla after each trim.
    policy = read_policy(EPISODE)
    everyone = tuple(
        TrimToCap(
            kinds=("client", "fund", "personal"),
            companies=r.companies,
            cap=r.cap,
            reinvest=r.reinvest,
            start=r.start,
            end=r.end,
        )
        if isinstance(r, TrimToCap)
        else r
        for r in policy.rules
    )
    guarded = episode.run(Policy("all", everyone))
    np.testing.assert_allclose(guarded.holdings[0, 1], [RON_SHARES, 0.0])
    unguarded = episode.run(
        Policy("all", tuple(r for r in everyone if not isinstance(r, LastSeller)))
    )
    assert unguarded.holdings[0, 1, 0] < RON_SHARES


def report(e: Episode) -> str:
    policy = read_policy(EPISODE)
    trimmed, held = e.run(policy), e.run(Policy("hold", (Hold(),)))
    log = trimmed.trade_frame()
    end_price = e.prices[0, -1]
    lines = [
        f"client account on {START}: ${held.initial_values[0, 0] / 1e9:.2f}B "
        f"({e.holdings[0, 0] / 1e6:.1f}M Tesla shares, 47%)",
    ]
    position = e.holdings[0, 0]

    def rest_at(row: object) -> float:
        return float(e.prices[0, e.at(str(row["date"].date())), 1])  # type: ignore[index]

    for _, row in log[log["action"] == "sell"].iterrows():
        q = -row["quantity"]
        lines.append(
            f"{row['date'].date()}: sold {q / 1e6:.2f}M shares ({q / position:.1%} of the "
            f"position) at ${row['price']:.2f} = ${q * row['price'] / 1e9:.2f}B; worth "
            f"${q * end_price[0] / 1e9:.2f}B on {END} at ${end_price[0]:.2f}; the proceeds "
            f"in the S&P 500 are worth ${q * row['price'] * end_price[1] / rest_at(row) / 1e9:.2f}B"
        )
        position -= q
    sold = log[log["action"] == "sell"]
    cash_cost = float((-sold["quantity"] * (end_price[0] - sold["price"])).sum())
    diff = trimmed.final_values[0, 0] - held.final_values[0, 0]
    lines += [
        f"client account on {END}: held ${held.final_values[0, 0] / 1e9:.2f}B, "
        f"trimmed (proceeds in the S&P 500) ${trimmed.final_values[0, 0] / 1e9:.2f}B: "
        f"the trims {'cost' if diff < 0 else 'saved'} ${abs(diff) / 1e9:.2f}B "
        f"({diff / held.final_values[0, 0]:+.1%} of the held account)",
        f"had the proceeds stayed in cash, the trims would have cost ${cash_cost / 1e9:.2f}B "
        f"({-cash_cost / held.final_values[0, 0]:+.1%})",
        f"ron on {END}: {trimmed.holdings[0, 1, 0] / 1e6:.1f}M shares kept, "
        f"${trimmed.final_values[0, 1] / 1e9:.2f}B",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(load(DATA)))
