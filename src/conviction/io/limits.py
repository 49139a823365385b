"""The ranges every input is held to: one set, used by the file readers and the API.

* Numbers (quantities, prices, fees, amounts, FX rates) are finite and below
  :data:`MAX_MAGNITUDE` in magnitude. A float has 53 bits (about 15.9 decimal digits):
  values below 1e15 keep cents-level detail, and a sum of a million of them stays below
  1e21, far from overflow (1.8e308), so totals, values and the solvers never see ``inf``
  or ``nan``. Real books are many orders of magnitude smaller.
* Dates lie in :data:`MIN_DATE` .. :data:`MAX_DATE` (1900-01-01 .. 2199-12-31): every
  day in it is a valid ``datetime64[ns]`` (1677..2262), so date arithmetic, calendars and
  the return solvers never overflow; nothing in a ledger is older or further out.
* A split's ratio lies in 1/10,000 .. 10,000 (:data:`MAX_SPLIT`), and a company's
  splits together in 1e-8 .. 1e8: the ledger divides share counts by the running factor.
* Ids and names are no longer than the database columns that hold them
  (``conviction.store.tables``): PostgreSQL enforces those lengths, SQLite does not, so
  the readers refuse a longer one with a clear error rather than depend on the database.
"""

from __future__ import annotations

import datetime as dt

__all__ = [
    "MAX_DATE",
    "MAX_ID",
    "MAX_LOT",
    "MAX_MAGNITUDE",
    "MAX_NAME",
    "MAX_SPLIT",
    "MAX_TICKER",
    "MIN_DATE",
    "date_error",
]

#: The largest magnitude of a quantity, price, fee, amount or FX rate (exclusive).
MAX_MAGNITUDE = 1e15
#: A split's ratio lies in 1/MAX_SPLIT .. MAX_SPLIT, and a company's splits together in
#: the square of that range: a share count is divided by the running split factor, which
#: must never vanish (a ratio of 1e-320 made share counts infinite).
MAX_SPLIT = 1e4
#: The earliest date accepted anywhere (a transaction, a mark, a rate, ``as_of``).
MIN_DATE = dt.date(1900, 1, 1)
#: The latest date accepted anywhere.
MAX_DATE = dt.date(2199, 12, 31)
#: Ids of persons, companies and accounts: ``String(100)`` columns.
MAX_ID = 100
#: Names of the book, persons, companies and accounts: ``String(200)`` columns.
MAX_NAME = 200
#: A company's ticker: a ``String(40)`` column.
MAX_TICKER = 40
#: A transaction's lot label: a ``String(200)`` column.
MAX_LOT = 200


def date_error(value: dt.date) -> str | None:
    """Why ``value`` is out of range, or None when it is in range."""
    if MIN_DATE <= value <= MAX_DATE:
        return None
    return f"date {value.isoformat()} is outside {MIN_DATE.isoformat()}..{MAX_DATE.isoformat()}"
