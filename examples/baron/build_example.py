"""How the Baron example's CSV files were derived (run once by hand; its output is committed).

It reads real Tesla closes from ../../../shared/data/prices/TSLA.csv and the private
rounds from ../../../shared/data/private_marks.csv, then writes transactions.csv and
marks.csv. Quantities are chosen (see README.md, "Assumptions") so that the status on
2025-11-14 reproduces the article's headline figures. Not part of the package.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2] / "shared" / "data"

tsla = pd.read_csv(DATA / "prices" / "TSLA.csv", index_col=0, parse_dates=True)["close"]


def traded(day: str) -> tuple[str, float]:
    """The TSLA close on (or just before) a day, as it traded then (undoing later splits)."""
    ts = tsla.index[tsla.index <= pd.Timestamp(day)][-1]
    adj = float(tsla.loc[ts])
    factor = 15 if ts < pd.Timestamp("2020-08-31") else 3 if ts < pd.Timestamp("2022-08-25") else 1
    return ts.strftime("%Y-%m-%d"), round(adj * factor, 4)


AS_OF = "2025-11-14"
P_T = traded(AS_OF)[1]
XAI_SHARES = 250e9 / 75.46  # shares implied by the 2026 merger price; held constant (illustrative)
SPACEX_SHARES_2021 = 74e9 / 419.99  # shares implied by the Feb 2021 round (pre 10:1 split)

tx: list[dict[str, object]] = []
marks: list[dict[str, object]] = []


def row(date: str, account: str, company: str, action: str, qty: float, price: object = "",
        fees: float = 0.0) -> None:
    tx.append(dict(date=date, account=account, company=company, action=action,
                   quantity=round(qty, 4) if isinstance(qty, float) else qty,
                   price=price, fees=fees))


def mark(date: str, company: str, price: float, kind: str, source: str, grade: str = "") -> None:
    marks.append(dict(date=date, company=company, price=round(price, 4), kind=kind,
                      source=source, grade=grade))


# --- Tesla: bought 2014-06 .. 2016-12: each quarter 40% at the quarter's lowest close
# ("buy when criticised") and 60% at the quarter end --------------------------------------
window = tsla["2014-06-01":"2016-12-31"]
quarters = window.groupby(pd.Grouper(freq="QE"))
buy_plan = [(q.idxmin().strftime("%Y-%m-%d"), 0.4) for _, q in quarters] + [
    (q.index[-1].strftime("%Y-%m-%d"), 0.6) for _, q in quarters
]
buy_plan.sort()
PERSONAL_TSLA_POST2022 = 5_940_000  # shares after both splits (illustrative)
FUND_TSLA_POST2022 = 19_900_000
n_quarters = len(buy_plan) // 2
for day, part in buy_plan:
    d, p = traded(day)
    for account, total in (("partners", FUND_TSLA_POST2022), ("ron", PERSONAL_TSLA_POST2022)):
        shares = round(total / 15 / n_quarters * part)  # pre-2020 shares
        tx.append(dict(date=d, account=account, company="", action="deposit",
                       quantity=round(shares * p, 2), price="", fees=0.0))
        row(d, account, "tesla", "buy", float(shares), p)
    mark(d, "tesla", p, "close", "TSLA close (Stooq via shared/data/prices/TSLA.csv)")

row("2020-08-31", "", "tesla", "split", 5)
row("2022-08-25", "", "tesla", "split", 3)

# Fund trims (client-first selling); the personal account never sells.
trims = [("2021-03-31", 1_800_000 * 3), ("2024-06-28", 3_200_000), ("2025-03-31", 800_000),
         ("2025-06-30", 3_340_000)]
for day, shares_post2022 in trims:
    d, p = traded(day)
    factor = 3 if d < "2022-08-25" else 1
    row(d, "partners", "tesla", "sell", float(shares_post2022 / factor), p)
    mark(d, "tesla", p, "close", "TSLA close (Stooq via shared/data/prices/TSLA.csv)")
# Month-end closes from the first purchase on, so history, drawdowns and backtests have a
# price every month (a book keeps a mark per statement date).
month_ends = tsla["2014-06-01":AS_OF].groupby(pd.Grouper(freq="ME")).tail(1).index
extra = {ts.strftime("%Y-%m-%d") for ts in month_ends}
extra |= {"2020-08-28", "2020-12-31", "2022-08-24", "2023-09-13", "2024-12-31", AS_OF}
extra -= {str(m["date"]) for m in marks if m["company"] == "tesla"}
for day in sorted(extra):
    d, p = traded(day)
    mark(d, "tesla", p, "close", "TSLA close (Stooq via shared/data/prices/TSLA.csv)")

# --- SpaceX: rounds from 2017; per-share prices before Feb 2021 derived from post-money ----
pm = pd.read_csv(DATA / "private_marks.csv")
spacex_rounds = {
    "2017-07-31": ("round", None),
    "2017-11-30": ("round", None),
    "2018-04-05": ("round", None),
    "2019-12-31": ("model", None),
    "2020-08-04": ("round", None),
    "2021-02-16": ("round", 419.99),
    "2021-10-08": ("tender", 560.0),
    "2022-06-30": ("model", None),
    "2023-01-04": ("round", None),
    "2023-06-30": ("tender", 81.0),
    "2023-12-31": ("tender", None),
    "2024-06-30": ("tender", 112.0),
    "2024-12-11": ("tender", 185.0),
    "2025-07-15": ("round", 212.0),
}
spacex_price: dict[str, float] = {}
for day, (kind, per_share) in spacex_rounds.items():
    r = pm[(pm.company == "SpaceX") & (pm.date == day)].iloc[0]
    if per_share is None:
        shares = SPACEX_SHARES_2021 if day < "2022-02-17" else SPACEX_SHARES_2021 * 10
        per_share = float(r.post_money_usd) / shares
    spacex_price[day] = per_share
    mark(day, "spacex", per_share, kind, f"{r.event} (post-money ${r.post_money_usd / 1e9:g}B); "
         f"{r.source_note}")
row("2022-02-17", "", "spacex", "split", 10)

spacex_buys = [("2017-07-31", 60e6), ("2020-08-04", 140e6), ("2021-02-16", 350e6),
               ("2023-06-30", 300e6)]
PERSONAL_SPACEX_SHARE = 0.30  # of each round's purchase (illustrative)
for day, dollars in spacex_buys:
    p = spacex_price[day]
    for account, share in (("partners", 1 - PERSONAL_SPACEX_SHARE), ("ron", PERSONAL_SPACEX_SHARE)):
        qty = round(dollars * share / p)
        tx.append(dict(date=day, account=account, company="", action="deposit",
                       quantity=round(qty * p, 2), price="", fees=0.0))
        row(day, account, "spacex", "buy", float(qty), p)
# 2022-08: "added $100M to SpaceX" (teslarati 2022-08-25), at the mid-2022 mark
p22 = spacex_price["2022-06-30"]
q22 = round(100e6 / p22)
tx.append(dict(date="2022-08-25", account="partners", company="", action="deposit",
               quantity=round(q22 * p22, 2), price="", fees=0.0))
row("2022-08-25", "partners", "spacex", "buy", float(q22), round(p22, 4))

# --- xAI: $130M in the May 2024 Series B ($24B post), fund only ----------------------------
for day in ["2024-05-26", "2024-12-23", "2025-03-28"]:
    r = pm[(pm.company == "xAI") & (pm.date == day)].iloc[0]
    mark(day, "xai", float(r.post_money_usd) / XAI_SHARES, "round",
         f"{r.event} (post-money ${r.post_money_usd / 1e9:g}B); {r.source_note}")
pxai = 24e9 / XAI_SHARES
qx = round(130e6 / pxai)
tx.append(dict(date="2024-05-31", account="partners", company="", action="deposit",
               quantity=round(qx * round(pxai, 4), 2), price="", fees=0.0))
row("2024-05-31", "partners", "xai", "buy", float(qx), round(pxai, 4))

# --- Personal cash so that Tesla ≈ 40% and SpaceX ≈ 25% of the personal account -----------
personal_tsla_value = PERSONAL_TSLA_POST2022 * P_T
total_personal = personal_tsla_value / 0.40
row("2025-07-31", "ron", "", "deposit", round(total_personal * 0.35, -6))

# --- Carried forward past the article's day: the documented 2026 events -------------------
# (every row below is dated after 2025-11-14, so that day's figures stay as they were)
AS_OF_2026 = "2026-09-30"


def private_mark(day: str, company: str, name: str, per_share: float, kind: str,
                 grade: str = "") -> None:
    r = pm[(pm.company == name) & (pm.date == day)].iloc[0]
    post = "" if pd.isna(r.post_money_usd) else f" (post-money ${r.post_money_usd / 1e9:g}B)"
    mark(day, company, per_share, kind, f"{r.event}{post}; {r.source_note}", grade)


private_mark("2025-12-12", "spacex", "SpaceX", 421.0, "tender")
# xAI's Series E ($230B, "pre/post ambiguous"): per share on the held-constant count, B
private_mark("2026-01-06", "xai", "xAI", 230e9 / XAI_SHARES, "round", "B")
# the exchange: xAI at $75.46, SpaceX at $526.59, 0.1433 SpaceX per xAI share
private_mark("2026-02-02", "xai", "xAI", 75.46, "round")
private_mark("2026-02-02", "spacex", "SpaceX", 526.59, "round")
tx.append(dict(date="2026-02-02", account="", company="xai", action="exchange",
               quantity=0.1433, price="", fees="", into="spacex"))
row("2026-06-01", "", "spacex", "split", 5)  # before the IPO; exact date unknown
# the IPO: priced 2026-06-11 at $135 (after the split), trading as SPCX from 2026-06-12;
# no closing price after it is in the sources, so the IPO price is its last mark
private_mark("2026-06-11", "spacex", "SpaceX", 135.0, "round")
tx.append(dict(date="2026-06-12", account="", company="spacex", action="listing",
               quantity="", price="", fees="", into=""))
later = tsla[pd.Timestamp(AS_OF) + pd.Timedelta(days=1) : AS_OF_2026]
days_2026 = {ts.strftime("%Y-%m-%d") for ts in later.groupby(pd.Grouper(freq="ME")).tail(1).index}
days_2026 |= {traded(d)[0] for d in ("2026-01-06", "2026-02-02", "2026-06-12")}
for day in sorted(days_2026):
    d, p = traded(day)
    mark(d, "tesla", p, "close", "TSLA close (Stooq via shared/data/prices/TSLA.csv)")

tx.sort(key=lambda r: str(r["date"]))
marks.sort(key=lambda r: (str(r["date"]), str(r["company"])))
for name, rows, cols in (
    ("transactions.csv", tx,
     ["date", "account", "company", "action", "quantity", "price", "fees", "into"]),
    ("marks.csv", marks, ["date", "company", "price", "kind", "source", "grade"]),
):
    with open(HERE / name, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n", restval="")
        w.writeheader()
        w.writerows(rows)
print(f"wrote {len(tx)} transactions and {len(marks)} marks; TSLA {AS_OF} = {P_T}")
