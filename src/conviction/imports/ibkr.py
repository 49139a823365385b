"""Interactive Brokers Flex XML statements, read through ``ibflex``.

What becomes a row: stock trades (``<Trade assetCategory="STK">``: buy or sell, the
commission as fees), currency trades (``assetCategory="CASH"``, e.g. ``EUR.USD``: an FX
conversion, a deposit in one currency and a withdrawal in the other), cash transactions
(deposits and withdrawals, dividends, withholding tax, interest and fees) and forward
splits (``<CorporateAction type="FS">``, the ratio read from the description's
``SPLIT 5 FOR 1``). Anything else is listed as skipped. Each row's reference is
``ibkr:<kind>:<IBKR id>`` (the trade's ``tradeID``, the cash line's ``transactionID``, the
action's ``actionID``), so a re-import of an overlapping statement adds nothing twice.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

from conviction.errors import FormatError
from conviction.imports.records import BrokerRow, Security, Statement

__all__ = ["read_ibkr"]

_SPLIT = re.compile(r"SPLIT\s+([0-9.]+)\s+FOR\s+([0-9.]+)", re.IGNORECASE)


def read_ibkr(path: Path) -> list[Statement]:
    """The statements of one Flex XML file (one per ``<FlexStatement>``)."""
    from ibflex import enums, parser

    try:
        ET.parse(path)  # a truncated file: the line ibflex's parser does not give
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise FormatError(f"not a complete XML file ({exc})", file=path, line=line) from None
    except OSError as exc:
        raise FormatError(f"cannot read the file ({exc.strerror})", file=path) from None
    try:
        response = parser.parse(str(path))
    except parser.FlexParserError as exc:
        element, _, detail = str(exc).partition(" - ")
        raise FormatError(
            f"not a Flex statement IBKR writes ({detail or exc})", file=path, field=element
        ) from None
    out = []
    for st in response.FlexStatements:
        statement = Statement(path, "ibkr", st.accountId, account_field="FlexStatement.accountId")
        for trade in st.Trades:
            _trade(statement, trade, enums)
        for cash in st.CashTransactions:
            _cash(statement, cash, enums)
        for action in st.CorporateActions:
            _corporate(statement, action, enums)
        out.append(statement)
    return out


def _security(x: object) -> Security:
    return Security(
        symbol=getattr(x, "symbol", None) or "",
        isin=getattr(x, "isin", None) or "",
        cusip=getattr(x, "cusip", None) or "",
        description=getattr(x, "description", None) or "",
    )


def _need(value: object, element: str, name: str, path: Path) -> object:
    if value is None:
        raise FormatError(f"{element} has no {name}", file=path, field=f"{element}.{name}")
    return value


def _trade(statement: Statement, t: object, enums: object) -> None:
    path = statement.file
    tid = getattr(t, "tradeID", None) or getattr(t, "transactionID", None)
    where = f"Trade tradeID={tid}"
    category = getattr(t, "assetCategory", None)
    tid = _need(tid, "Trade", "tradeID", path)
    day = _need(getattr(t, "tradeDate", None), where, "tradeDate", path)
    qty = _need(getattr(t, "quantity", None), where, "quantity", path)
    price = _need(getattr(t, "tradePrice", None), where, "tradePrice", path)
    currency = getattr(t, "currency", None) or ""
    fees = abs(getattr(t, "ibCommission", None) or Decimal(0))
    assert isinstance(qty, Decimal) and isinstance(price, Decimal)
    if category is not None and category.value == "CASH":
        base, _, quote = (getattr(t, "symbol", None) or "").partition(".")
        if not base or not quote:
            raise FormatError(
                f"a currency trade's symbol must read BASE.QUOTE, got {t.symbol!r}",  # type: ignore[attr-defined]
                file=path,
                field=f"{where}.symbol",
            )
        proceeds = abs(getattr(t, "proceeds", None) or qty * price)
        fee_ccy = getattr(t, "ibCommissionCurrency", None) or quote
        got, gave = (
            ((base, abs(qty)), (quote, proceeds))
            if qty > 0
            else ((quote, proceeds), (base, abs(qty)))
        )
        gave_amount = gave[1] + (fees if fee_ccy == gave[0] else Decimal(0))
        got_amount = got[1] - (fees if fee_ccy == got[0] else Decimal(0))
        statement.rows.append(
            BrokerRow(day, "withdraw", gave_amount, f"ibkr:fx:{tid}:out", where, currency=gave[0])  # type: ignore[arg-type]
        )
        statement.rows.append(
            BrokerRow(day, "deposit", got_amount, f"ibkr:fx:{tid}:in", where, currency=got[0])  # type: ignore[arg-type]
        )
        return
    if category is not None and category.value != "STK":
        statement.skipped.append(f"{where}: asset category {category.value} is not imported")
        return
    action = "buy" if qty > 0 else "sell"
    statement.rows.append(
        BrokerRow(
            day,  # type: ignore[arg-type]
            action,
            abs(qty),
            f"ibkr:trade:{tid}",
            where,
            security=_security(t),
            price=price,
            fees=fees,
            currency=currency,
        )
    )


_INCOME = {"DIVIDEND", "PAYMENTINLIEU"}


def _cash(statement: Statement, c: object, enums: object) -> None:
    path = statement.file
    cid = getattr(c, "transactionID", None)
    where = f"CashTransaction transactionID={cid}"
    cid = _need(cid, "CashTransaction", "transactionID", path)
    kind = getattr(c, "type", None)
    when = getattr(c, "dateTime", None) or getattr(c, "reportDate", None)
    when = _need(when, where, "dateTime", path)
    day = when.date() if hasattr(when, "date") and callable(when.date) else when
    amount = _need(getattr(c, "amount", None), where, "amount", path)
    assert isinstance(amount, Decimal)
    currency = getattr(c, "currency", None) or ""
    ref = f"ibkr:cash:{cid}"
    if amount == 0:
        return
    if kind is not None and kind.name in _INCOME and amount > 0:
        statement.rows.append(
            BrokerRow(
                day,  # type: ignore[arg-type]
                "dividend",
                Decimal(1),
                ref,
                where,
                security=_security(c),
                price=amount,
                currency=currency,
            )
        )
        return
    # deposits, withdrawals, withholding tax, interest, fees: cash in or out
    action = "deposit" if amount > 0 else "withdraw"
    statement.rows.append(BrokerRow(day, action, abs(amount), ref, where, currency=currency))  # type: ignore[arg-type]


def _corporate(statement: Statement, a: object, enums: object) -> None:
    path = statement.file
    aid = getattr(a, "actionID", None) or getattr(a, "transactionID", None)
    where = f"CorporateAction actionID={aid}"
    kind = getattr(a, "type", None)
    if kind is None or kind.name not in ("FORWARDSPLIT", "FORWARDSPLITISSUE"):
        label = kind.value if kind is not None else "?"
        statement.skipped.append(f"{where}: corporate action type {label} is not imported")
        return
    aid = _need(aid, "CorporateAction", "actionID", path)
    when = getattr(a, "dateTime", None) or getattr(a, "reportDate", None)
    when = _need(when, where, "dateTime", path)
    day = when.date() if hasattr(when, "date") and callable(when.date) else when
    found = _SPLIT.search(getattr(a, "description", None) or "")
    if not found:
        raise FormatError(
            "a split's description must say 'SPLIT <new> FOR <old>'",
            file=path,
            field=f"{where}.description",
        )
    ratio = Decimal(found.group(1)) / Decimal(found.group(2))
    statement.rows.append(
        BrokerRow(
            day,  # type: ignore[arg-type]
            "split",
            ratio,
            f"ibkr:split:{aid}",
            where,
            security=_security(a),
            account_wide=True,
        )
    )
