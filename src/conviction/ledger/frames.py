"""The answers as pandas DataFrames, and as HTML for a notebook (docs/notebook.md).

``BookStatus.to_frame()``, ``HistoryReport.to_frame()`` and ``GainsReport.to_frame()`` are
built here: one row per line of the answer, its columns the line's fields followed by its
computed figures (``gain``...), the order ``--json`` writes them in. Numbers stay numbers
(NaN where a figure does not exist), dates are ``datetime64`` columns, so a frame can be
filtered, plotted and joined as it is. ``_repr_html_`` of each answer is a line of totals
over its main table, which Jupyter shows when the answer is the last value of a cell; the
text it shows (ids, names) is escaped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from conviction.ledger.book_status import BookStatus
    from conviction.ledger.gains import GainsReport
    from conviction.ledger.history import HistoryReport

__all__ = [
    "gains_frame",
    "gains_html",
    "history_frame",
    "history_html",
    "lines_frame",
    "status_frame",
    "status_html",
]

#: What ``BookStatus.to_frame(by=...)`` can show, and the column that indexes it.
STATUS_TABLES = {
    "company": ("by_company", "company"),
    "person": ("by_person", "name"),
    "theme": ("by_theme", "name"),
    "account": ("by_account", "account"),
    "stale_marks": ("stale_marks", "company"),
}
GAINS_TABLES = ("sale", "lot", "year")
HISTORY_TABLES = ("series", "accounts")


def _columns(cls: type) -> list[str]:
    """A line class's fields, then its public properties (the order of ``--json``)."""
    names = [f.name for f in dataclasses.fields(cls)]
    names += [n for n, v in vars(cls).items() if not n.startswith("_") and isinstance(v, property)]
    return names


def lines_frame(
    lines: Sequence[Any], cls: type, index: str | None, *, skip: Sequence[str] = ()
) -> pd.DataFrame:
    """A DataFrame of dataclass ``lines`` of ``cls``: one row each, indexed by ``index``."""
    names = [n for n in _columns(cls) if n not in skip]
    frame = pd.DataFrame({n: [getattr(line, n) for line in lines] for n in names}, columns=names)
    for n in names:  # dates as datetime64 columns (None: NaT)
        values = frame[n].tolist()
        dates = all(v is None or isinstance(v, dt.date) for v in values)
        if dates and any(v is not None for v in values):
            frame[n] = pd.to_datetime(pd.Series(values, dtype=object))
    if index is not None:
        frame = frame.set_index(index)
    return frame


def _pick(by: str, known: Sequence[str]) -> str:
    if by not in known:
        raise ValueError(f"unknown table {by!r} (expected one of {', '.join(known)})")
    return by


def status_frame(status: BookStatus, by: str = "company") -> pd.DataFrame:
    """One row per company (``by="company"``), person, theme, account or stale mark."""
    from conviction.ledger import book_status as bs

    attr, index = STATUS_TABLES[_pick(by, list(STATUS_TABLES))]
    cls = {
        "by_company": bs.CompanyLine,
        "by_person": bs.ExposureLine,
        "by_theme": bs.ExposureLine,
        "by_account": bs.AccountLine,
        "stale_marks": bs.StaleMark,
    }[attr]
    return lines_frame(getattr(status, attr), cls, index)


def history_frame(report: HistoryReport, by: str = "series") -> pd.DataFrame:
    """``by="series"``: each account's value per sampled day (a ``DatetimeIndex``, one
    column per account); ``by="accounts"``: one row per account, its returns."""
    from conviction.ledger.history import HistoryLine

    if _pick(by, HISTORY_TABLES) == "accounts":
        return lines_frame(report.accounts, HistoryLine, "account", skip=("base",))
    names = [line.account for line in report.accounts]
    frame = pd.DataFrame(list(report.series), columns=["date", *names])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.set_index("date").astype(float)


def gains_frame(report: GainsReport, by: str = "sale") -> pd.DataFrame:
    """``by="sale"``: one row per sale; ``"lot"``: per lot a sale consumed (with its sale's
    date, account and company); ``"year"``: the totals by tax year and account."""
    from conviction.ledger.gains import LotGain, SaleGain, YearTotal

    which = _pick(by, GAINS_TABLES)
    if which == "sale":
        return lines_frame(report.sales, SaleGain, None, skip=("lots",))
    if which == "year":
        return lines_frame(report.totals, YearTotal, None)
    rows = []
    for sale in report.sales:
        lots = lines_frame(sale.lots, LotGain, None)
        lots.insert(0, "company", sale.company)
        lots.insert(0, "account", sale.account)
        lots.insert(0, "date", pd.Timestamp(sale.date))
        rows.append(lots)
    if not rows:
        names = ["date", "account", "company", *_columns(LotGain)]
        return pd.DataFrame(columns=names)
    return pd.concat(rows, ignore_index=True)


# -- HTML -------------------------------------------------------------------------------------


def _amount(value: float) -> str:
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "n/a"
    return f"{value:,.2f}"


def _table(frame: pd.DataFrame, percent: Sequence[str] = ()) -> str:
    shown = frame.copy()
    for name in shown.columns:
        column = shown[name]
        if name in percent:
            shown[name] = [
                f"{v:.1%}" if isinstance(v, float) and math.isfinite(v) else "" for v in column
            ]
        elif column.dtype.kind == "f":
            shown[name] = [_amount(v) if not math.isnan(v) else "" for v in column]
        elif column.dtype.kind == "M":
            shown[name] = [v.date().isoformat() if not pd.isna(v) else "" for v in column]
    return shown.to_html(escape=True, na_rep="", border=0)


def _header(*parts: str) -> str:
    return "<p>" + " &middot; ".join(html.escape(p) for p in parts) + "</p>"


def status_html(status: BookStatus) -> str:
    """The totals of a status over its table of companies."""
    frame = status_frame(status, "company")
    keep = ["quantity", "price", "value", "weight", "cost", "gain", "mark_date", "mark_kind"]
    head = _header(
        f"Status on {status.as_of} ({status.currency})",
        f"total value {_amount(status.total_value)}",
        f"cash {_amount(status.cash)}",
        f"total gain {_amount(status.total_gain)}",
        f"HHI {status.hhi:.3f}",
    )
    return head + _table(frame[keep], percent=("weight",))


def history_html(report: HistoryReport) -> str:
    """The period over each account's returns."""
    frame = history_frame(report, "accounts")
    head = _header(
        f"History {report.start} to {report.end} ({report.currency})",
        f"{report.days} business days",
        f"{len(report.series)} rows ({report.freq})",
    )
    return head + _table(frame, percent=("twr", "irr"))


def gains_html(report: GainsReport) -> str:
    """The totals by tax year and account (the sales are in ``to_frame()``)."""
    frame = gains_frame(report, "year")
    total = sum(s.gain for s in report.sales)
    head = _header(
        f"Realised gains: {len(report.sales)} sales",
        f"total {_amount(total)}",
        f"long-term after {report.long_term_days} days",
    )
    return head + _table(frame)
