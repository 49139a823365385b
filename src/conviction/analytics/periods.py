"""Annualisation constants: how many observations make one year.

Every annualised figure in conviction counts *observations*, not calendar days: with
daily data a year is ``DAILY = 252`` observations, whatever the dates say. This is the
convention of quantstats (``periods=252``) and empyrical (``APPROX_BDAYS_PER_YEAR``), and
every result that holds an annualised figure states it (see ``year_convention``).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = [
    "DAILY",
    "MONTHLY",
    "PERIODS_PER_YEAR",
    "QUARTERLY",
    "WEEKLY",
    "YEARLY",
    "year_convention",
]

DAILY: Final = 252
WEEKLY: Final = 52
MONTHLY: Final = 12
QUARTERLY: Final = 4
YEARLY: Final = 1

#: The constants by name, read-only.
PERIODS_PER_YEAR: Final = MappingProxyType(
    {"daily": DAILY, "weekly": WEEKLY, "monthly": MONTHLY, "quarterly": QUARTERLY, "yearly": YEARLY}
)


def year_convention(periods: float, frequency: str | None = None) -> str:
    """The sentence every output prints next to an annualised figure; ``frequency`` (of
    the returns, when not daily) is said too."""
    n = int(periods) if float(periods).is_integer() else periods
    if frequency is not None and frequency != "daily":
        return f"{n} observations per year ({frequency} returns; observations, not calendar days)"
    return f"{n} observations per year (observations, not calendar days)"
