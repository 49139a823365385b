"""OFX and QFX statements (investment and bank), read through ``ofxtools``.

What becomes a row: ``BUYSTOCK``/``BUYMF`` and ``SELLSTOCK``/``SELLMF`` (commission, fees
and taxes as fees), ``INCOME`` (a dividend, ``TOTAL`` as its amount), ``SPLIT`` (the ratio
``NUMERATOR/DENOMINATOR``), ``INVBANKTRAN`` and a bank statement's ``STMTTRN`` (cash in or
out by the sign of ``TRNAMT``), ``INVEXPENSE`` (a fee: cash out). Securities are named by
``SECID`` (a CUSIP or ISIN, by ``UNIQUEIDTYPE``) and the ticker of the statement's
``SECLIST``. Each row's reference is ``ofx:<FITID>``.

A file that does not end with ``</OFX>`` is refused as truncated (ofxtools would read
what is there and drop the rest); ofxtools' own errors are given with the element, the
field and the line that holds it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from conviction.errors import FormatError
from conviction.imports.records import BrokerRow, Security, Statement

__all__ = ["read_ofx"]


def read_ofx(path: Path) -> list[Statement]:
    """The statements of one OFX/QFX file."""
    from ofxtools.Parser import OFXTree

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read the file ({exc.strerror})", file=path) from None
    text = raw.decode("latin-1")  # OFX 1 is often cp1252; only tags and numbers are read here
    if not _ENDS_WITH_OFX.search(text):
        lines = text.count("\n") + (0 if text.endswith("\n") else 1)
        raise FormatError(
            "the file ends before </OFX> (truncated, or not an OFX file)",
            file=path,
            line=max(lines, 1),
            field="OFX",
        )
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(raw))
        ofx = tree.convert()
    except Exception as exc:  # ofxtools raises many kinds (ParseError, ValueError...)
        raise _located(exc, text, path) from None
    securities: dict[str, Security] = {}
    for info in getattr(ofx, "securities", None) or ():
        secinfo = getattr(info, "secinfo", info)
        secid = secinfo.secid
        key = f"{secid.uniqueidtype}:{secid.uniqueid}"
        securities[key] = _security(secid.uniqueidtype, secid.uniqueid, secinfo)
    out = []
    for stmt in ofx.statements:
        account = getattr(stmt.account, "acctid", None)
        statement = Statement(path, "ofx", account, account_field=_account_field(stmt))
        at = re.search(r"<ACCTID>", text, re.IGNORECASE)
        statement.account_line = _line_of(text, at.start()) if at else None
        currency = getattr(stmt, "curdef", None) or ""
        for tx in stmt.transactions or ():
            _row(statement, tx, securities, currency)
        out.append(statement)
    return out


_ENDS_WITH_OFX = re.compile(r"</OFX>\s*\Z", re.IGNORECASE)
_CANT_SET = re.compile(r"Can't set (\w+)\.(\w+) to (.*?): (.*)", re.DOTALL)
_NUMBERS = (
    "UNITS",
    "UNITPRICE",
    "TOTAL",
    "COMMISSION",
    "FEES",
    "TAXES",
    "TRNAMT",
    "NUMERATOR",
    "DENOMINATOR",
    "CURRATE",
)
_NUMBER = re.compile(r"<(" + "|".join(_NUMBERS) + r")>([^<\r\n]*)", re.IGNORECASE)


def _account_field(stmt: Any) -> str:
    tag = type(getattr(stmt, "account", None)).__name__ or "ACCTFROM"
    return f"{tag}.ACCTID"


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _located(exc: Exception, text: str, path: Path) -> FormatError:
    """ofxtools' error as a FormatError naming the element, its field and the line."""
    if isinstance(exc, InvalidOperation):  # a number ofxtools could not read: find it
        for found in _NUMBER.finditer(text):
            value = found.group(2).strip()
            try:
                Decimal(value)
            except InvalidOperation:
                return FormatError(
                    f"expected a number, got {value!r}",
                    file=path,
                    line=_line_of(text, found.start()),
                    field=found.group(1).upper(),
                )
        return FormatError("a number OFX cannot read", file=path)
    message = str(exc).strip() or type(exc).__name__
    got = _CANT_SET.match(message)
    if got is None:  # ofxtools' header errors quote the file: keep their first line
        first = message.splitlines()[0].rstrip(":")[:200]
        return FormatError(f"not an OFX file ofxtools can read ({first})", file=path)
    element, name, value, why = got.group(1), got.group(2).upper(), got.group(3), got.group(4)
    line = None
    if value != "None":  # a bad value: the line that holds it
        at = re.search(rf"<{name}>\s*{re.escape(value)}", text, re.IGNORECASE)
        line = _line_of(text, at.start()) if at else None
        if "datetime" in why or "date" in why:
            detail = f"expected an OFX date like 20250131 (YYYYMMDD[HHMMSS]), got {value!r}"
        else:
            detail = f"bad value {value!r} ({why.strip()})"
    else:  # a missing field: the first such element without it
        detail = "missing (required here)"
        for block in re.finditer(rf"<{element}>(.*?)(</{element}>|\Z)", text, re.I | re.S):
            if not re.search(rf"<{name}>", block.group(1), re.IGNORECASE):
                line = _line_of(text, block.start())
                break
    return FormatError(detail, file=path, line=line, field=f"{element}.{name}")


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
