"""How the yen-holder example's CSV files were derived (run once by hand; output committed).

It reads real USD/JPY rates (FRED DEXJPUS) from ../../../shared/data/fx/USDJPY.csv and
real Tesla closes from ../../../shared/data/prices/TSLA.csv, and writes transactions.csv,
marks.csv and fx.csv. The investor deposits ¥100,000 on the first day of each month that
has both a Tesla close and a Fed rate (January 2014 to November 2025) and buys as many
whole Tesla shares as the yen in the account buys at that day's close and rate. The
rest stays in yen. Not part of the package.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2] / "shared" / "data"

MONTHLY_YEN = 100_000
FIRST, AS_OF = "2014-01-01", "2025-11-14"
SPLITS = (("2020-08-31", 5), ("2022-08-25", 3))  # corporate_actions.csv
TSLA_SOURCE = "TSLA close (Stooq via shared/data/prices/TSLA.csv)"
FX_SOURCE = "FRED DEXJPUS, Fed H.10 noon buying rate (via shared/data/fx/USDJPY.csv)"

tsla = pd.read_csv(DATA / "prices" / "TSLA.csv", index_col=0, parse_dates=True)["close"]
usdjpy = pd.read_csv(DATA / "fx" / "USDJPY.csv", index_col=0, parse_dates=True)["rate"]
both = tsla.index.intersection(usdjpy.index)
both = both[(both >= FIRST) & (both <= AS_OF)]


def as_traded(day: pd.Timestamp) -> float:
    """The close as it traded that day (the file is split-adjusted by 15x in all)."""
    factor = 1
    for split_day, ratio in SPLITS:
        if day < pd.Timestamp(split_day):
            factor *= ratio
    return round(float(tsla.loc[day]) * factor, 4)


months = pd.Series(both, index=both).groupby(both.to_period("M")).first()
tx: list[dict[str, object]] = []
marks: list[dict[str, object]] = []
fx: list[dict[str, object]] = []
cash = 0.0
splits_left = list(SPLITS)
for day in months:
    d = day.strftime("%Y-%m-%d")
    while splits_left and splits_left[0][0] <= d:
        split_day, ratio = splits_left.pop(0)
        tx.append(dict(date=split_day, account="", company="tesla", action="split",
                       quantity=ratio, price="", fees=""))
    price, rate = as_traded(day), float(usdjpy.loc[day])
    cash += MONTHLY_YEN
    tx.append(dict(date=d, account="me", company="", action="deposit", quantity=MONTHLY_YEN,
                   price="", fees=""))
    shares = int(cash // (price * rate))
    if shares:
        tx.append(dict(date=d, account="me", company="tesla", action="buy", quantity=shares,
                       price=price, fees=""))
        cash -= shares * price * rate
    marks.append(dict(date=d, company="tesla", price=price, kind="close", source=TSLA_SOURCE))
    fx.append(dict(date=d, pair="USDJPY", rate=usdjpy.loc[day], source=FX_SOURCE))
as_of = pd.Timestamp(AS_OF)
marks.append(dict(date=AS_OF, company="tesla", price=as_traded(as_of), kind="close",
                  source=TSLA_SOURCE))
fx.append(dict(date=AS_OF, pair="USDJPY", rate=usdjpy.loc[as_of], source=FX_SOURCE))


def write(name: str, rows: list[dict[str, object]]) -> None:
    with (HERE / name).open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


write("transactions.csv", tx)
write("marks.csv", marks)
write("fx.csv", fx)
print(f"{len(tx)} transactions, {len(marks)} marks, {len(fx)} rates; yen left {cash:,.0f}")
