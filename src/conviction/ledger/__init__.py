"""The ledger: lots, valuation on any date, P&L, attribution and concentration (pure)."""

from conviction.ledger.fx import FxRates
from conviction.ledger.lots import Lot, LotMatch, Replay, Sale, replay
from conviction.ledger.status import (
    AccountLine,
    BookStatus,
    CompanyLine,
    ExposureLine,
    StaleMark,
    status,
)
from conviction.ledger.valuation import (
    ValueHistory,
    business_days,
    cash,
    positions,
    price_history,
    value_history,
)

__all__ = [
    "AccountLine",
    "BookStatus",
    "CompanyLine",
    "ExposureLine",
    "FxRates",
    "Lot",
    "LotMatch",
    "Replay",
    "Sale",
    "StaleMark",
    "ValueHistory",
    "business_days",
    "cash",
    "positions",
    "price_history",
    "replay",
    "status",
    "value_history",
]
