"""The ledger: lots, valuation on any date, P&L, attribution and concentration (pure).

Every name is imported on first use, so that importing one submodule (a command needs
``book_status``, say) does not import the others.
No function here shares its name with a submodule (``status`` lives in ``book_status``,
``account_returns`` in ``returns_by_account``), so ``conviction.ledger.status`` is always
the function.
"""

from typing import TYPE_CHECKING

from conviction._lazy import lazy_exports

if TYPE_CHECKING:
    from conviction.ledger.book_status import (
        AccountLine,
        BookStatus,
        CompanyLine,
        ExposureLine,
        StaleMark,
        status,
    )
    from conviction.ledger.fx import FxRates
    from conviction.ledger.gains import GainsReport, LotGain, SaleGain, YearTotal, realized_gains
    from conviction.ledger.lots import Lot, LotMatch, Replay, Sale, replay
    from conviction.ledger.private import PrivateLine, PrivateReport, private_measures
    from conviction.ledger.returns_by_account import AccountReturn, AccountReturns, account_returns
    from conviction.ledger.valuation import (
        ValueHistory,
        business_days,
        cash,
        positions,
        price_history,
        value_history,
    )

__getattr__ = lazy_exports(
    __name__,
    {
        "conviction.ledger.book_status": (
            "AccountLine",
            "BookStatus",
            "CompanyLine",
            "ExposureLine",
            "StaleMark",
            "status",
        ),
        "conviction.ledger.fx": ("FxRates",),
        "conviction.ledger.returns_by_account": (
            "AccountReturn",
            "AccountReturns",
            "account_returns",
        ),
        "conviction.ledger.valuation": (
            "ValueHistory",
            "business_days",
            "cash",
            "positions",
            "price_history",
            "value_history",
        ),
        "conviction.ledger.gains": (
            "GainsReport",
            "LotGain",
            "SaleGain",
            "YearTotal",
            "realized_gains",
        ),
        "conviction.ledger.lots": ("Lot", "LotMatch", "Replay", "Sale", "replay"),
        "conviction.ledger.private": ("PrivateLine", "PrivateReport", "private_measures"),
    },
)

__all__ = [
    "AccountLine",
    "AccountReturn",
    "AccountReturns",
    "BookStatus",
    "CompanyLine",
    "ExposureLine",
    "FxRates",
    "GainsReport",
    "Lot",
    "LotGain",
    "LotMatch",
    "PrivateLine",
    "PrivateReport",
    "Replay",
    "Sale",
    "SaleGain",
    "StaleMark",
    "ValueHistory",
    "YearTotal",
    "account_returns",
    "business_days",
    "cash",
    "positions",
    "price_history",
    "private_measures",
    "realized_gains",
    "replay",
    "status",
    "value_history",
]
