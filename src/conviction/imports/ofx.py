"""OFX and QFX statements (investment and bank), read through ``ofxtools``.

What becomes a row: ``BUYSTOCK``/``BUYMF`` and ``SELLSTOCK``/``SELLMF`` (commission, fees
and taxes as fees), ``INCOME`` (a dividend, ``TOTAL`` as its amount), ``SPLIT`` (the ratio
``NUMERATOR/DENOMINATOR``), ``INVBANKTRAN`` and a bank statement's ``STMTTRN`` (cash in or
out by the sign of ``TRNAMT``), ``INVEXPENSE`` (a fee: cash out). Securities are named by
``SECID`` (a CUSIP or ISIN, by ``UNIQUEIDTYPE``) and the ticker of the statement's
``SECLIST``. Each row's reference is ``ofx:<FITID>``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from conviction.errors import FormatError
from conviction.imports.records import BrokerRow, Security, Statement

__all__ = ["read_ofx"]


def read_ofx(path: Path) -> list[Statement]:
    """The statements of one OFX/QFX file."""
    from ofxtools.Parser import OFXTree

    tree = OFXTree()
    try:
        tree.parse(str(path))
        ofx = tree.convert()
    except OSError as exc:
        raise FormatError(f"cannot read the file ({exc.strerror})", file=path) from None
    except Exception as exc:  # ofxtools raises many kinds (ParseError, ValueError...)
        raise FormatError(f"not a complete OFX file ({exc})", file=path) from None
    securities: dict[str, Security] = {}
    for info in getattr(ofx, "securities", None) or ():
        secinfo = getattr(info, "secinfo", info)
        secid = secinfo.secid
        key = f"{secid.uniqueidtype}:{secid.uniqueid}"
        securities[key] = _security(secid.uniqueidtype, secid.uniqueid, secinfo)
    out = []
    for stmt in ofx.statements:
        account = getattr(stmt.account, "acctid", None)
        statement = Statement(path, "ofx", account)
        currency = getattr(stmt, "curdef", None) or ""
        for tx in stmt.transactions or ():
            _row(statement, tx, securities, currency)
        out.append(statement)
    return out


def _security(kind: str, uid: str, secinfo: object | None) -> Security:
    ticker = getattr(secinfo, "ticker", None) or ""
    name = getattr(secinfo, "secname", None) or ""
    kind = (kind or "").upper()
    return Security(
        symbol=ticker,
        isin=uid if kind == "ISIN" else "",
        cusip=uid if kind == "CUSIP" else "",
        description=name,
    )


def _day(value: dt.datetime | dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _row(statement: Statement, tx: Any, securities: dict[str, Security], currency: str) -> None:
    tag = type(tx).__name__
    ccy = getattr(getattr(tx, "currency", None), "cursym", None) or currency
    if tag in ("STMTTRN", "INVBANKTRAN"):
        trn = getattr(tx, "stmttrn", tx)
        where = f"{tag} FITID={trn.fitid}"
        amount = Decimal(trn.trnamt)
        if amount != 0:
            action = "deposit" if amount > 0 else "withdraw"
            statement.rows.append(
                BrokerRow(
                    _day(trn.dtposted), action, abs(amount), f"ofx:{trn.fitid}", where, currency=ccy
                )
            )
        return
    inner: Any = getattr(tx, "invbuy", None) or getattr(tx, "invsell", None) or tx
    invtran = getattr(inner, "invtran", None)
    if invtran is None:
        statement.skipped.append(f"{tag}: not imported")
        return
    where = f"{tag} FITID={invtran.fitid}"
    ref = f"ofx:{invtran.fitid}"
    day = _day(invtran.dttrade)
    secid = getattr(inner, "secid", None)
    security = None
    if secid is not None:
        key = f"{secid.uniqueidtype}:{secid.uniqueid}"
        security = securities.get(key) or _security(secid.uniqueidtype, secid.uniqueid, None)
    if tag in ("BUYSTOCK", "BUYMF", "BUYOTHER", "SELLSTOCK", "SELLMF", "SELLOTHER"):
        fees = sum(
            (abs(getattr(inner, n, None) or Decimal(0)) for n in ("commission", "fees", "taxes")),
            Decimal(0),
        )
        units = Decimal(inner.units)
        price = Decimal(inner.unitprice)
        if price <= 0:
            raise FormatError(
                f"a trade's unit price must be positive, got {price}",
                file=statement.file,
                field=f"{where}.UNITPRICE",
            )
        action = "buy" if tag.startswith("BUY") else "sell"
        statement.rows.append(
            BrokerRow(
                day,
                action,
                abs(units),
                ref,
                where,
                security=security,
                price=price,
                fees=fees,
                currency=ccy,
            )
        )
    elif tag == "INCOME":
        total = Decimal(inner.total)
        if total > 0:
            statement.rows.append(
                BrokerRow(
                    day,
                    "dividend",
                    Decimal(1),
                    ref,
                    where,
                    security=security,
                    price=total,
                    currency=ccy,
                )
            )
        elif total < 0:
            statement.rows.append(BrokerRow(day, "withdraw", -total, ref, where, currency=ccy))
    elif tag == "INVEXPENSE":
        total = abs(Decimal(inner.total))
        statement.rows.append(BrokerRow(day, "withdraw", total, ref, where, currency=ccy))
    elif tag == "SPLIT":
        ratio = Decimal(inner.numerator) / Decimal(inner.denominator)
        statement.rows.append(
            BrokerRow(day, "split", ratio, ref, where, security=security, account_wide=True)
        )
    else:
        statement.skipped.append(f"{where}: {tag} is not imported")
