"""Realised gains for tax (``gains``) and private-market measures (``private``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from conviction.cli.app import app, out, parse_date, print_json, settings
from conviction.cli.book_commands import _check_accounts, _money, _pct

if TYPE_CHECKING:
    from conviction.ledger.gains import GainsReport
    from conviction.ledger.private import PrivateLine, PrivateReport

__all__ = ["gains_payload", "private_payload"]

JSON = typer.Option(False, "--json", help="Print JSON for programs instead of tables.")


@app.command()
def gains(
    year: int | None = typer.Option(None, "--year", help="Tax year (default: every year)."),
    account: list[str] | None = typer.Option(None, "--account", help="Only these accounts."),
    as_json: bool = JSON,
) -> None:
    """Realised gains per sale, with the lots consumed and short/long term, by tax year."""
    from rich.table import Table

    from conviction.ledger.gains import realized_gains
    from conviction.store import connect
    from conviction.store import read_book as read_stored_book

    book = read_stored_book(connect(settings.db_url))
    _check_accounts(book.accounts, account)
    report = realized_gains(book, year=year, accounts=account or None)
    if as_json:
        print_json(gains_payload(report))
        return
    span = f"in {year}" if year is not None else "in every year"
    out.print(
        f"realised gains {span}, in each account's currency; long-term = held more than "
        f"{report.long_term_days} days"
    )
    t = Table(title="sales (a line per sale, then one per lot it consumed)")
    t.add_column("sale / lot (opened)", no_wrap=True)
    for col in ("days", "term", "quantity", "proceeds", "cost", "gain"):
        t.add_column(col, justify="left" if col == "term" else "right")
    for s in report.sales:
        t.add_row(
            f"{s.date} {s.account} {s.company}",
            "",
            "",
            _qty(s.quantity),
            _money(s.proceeds),
            _money(s.cost),
            _money(s.gain),
        )
        for lot in s.lots:
            t.add_row(
                f"  {lot.lot} ({lot.opened})",
                str(lot.holding_days),
                lot.term,
                _qty(lot.quantity),
                _money(lot.proceeds),
                _money(lot.cost),
                _money(lot.gain),
            )
    out.print(t)
    t = Table(title="totals by tax year")
    for col in ("year", "account", "currency", "sales", "proceeds", "cost", "short", "long"):
        t.add_column(col, justify="left" if col in ("account", "currency") else "right")
    t.add_column("total", justify="right")
    for y in report.totals:
        t.add_row(
            str(y.year),
            y.account,
            y.currency,
            str(y.sales),
            _money(y.proceeds),
            _money(y.cost),
            _money(y.short_term),
            _money(y.long_term),
            _money(y.gain),
        )
    out.print(t)


@app.command("private")
def private_command(
    as_of: str | None = typer.Option(None, "--as-of", help="Date YYYY-MM-DD (default: book's)."),
    account: list[str] | None = typer.Option(None, "--account", help="Only these accounts."),
    currency: str | None = typer.Option(None, "--currency", help="Report in this currency."),
    as_json: bool = JSON,
) -> None:
    """Private holdings: paid-in, distributed, residual, TVPI, DPI, RVPI, IRR, and the mark."""
    from rich.table import Table

    from conviction.ledger.private import private_measures
    from conviction.store import connect
    from conviction.store import read_book as read_stored_book

    book = read_stored_book(connect(settings.db_url))
    _check_accounts(book.accounts, account)
    report = private_measures(
        book,
        parse_date(as_of, "--as-of"),
        currency=currency.upper() if currency else None,
        accounts=account or None,
    )
    if as_json:
        print_json(private_payload(report))
        return
    if not report.holdings:
        out.print("no private holdings (a company is private with public = false)")
        return
    t = Table(title=f"private holdings on {report.as_of} ({report.currency}; IRR actual/365)")
    t.add_column("holding", no_wrap=True)
    for col in ("paid-in", "distributed", "residual", "TVPI", "DPI", "RVPI", "IRR"):
        t.add_column(col, justify="right")
    lines = (*report.holdings, *([report.total] if report.total else []))
    for line in lines:
        t.add_row(
            line.company,
            _money(line.paid_in),
            _money(line.distributed),
            _money(line.residual),
            _multiple(line.tvpi),
            _multiple(line.dpi),
            _multiple(line.rvpi),
            _pct(line.irr),
        )
    out.print(t)
    t = Table(title="the mark behind each residual value")
    for col in ("holding", "kind", "date", "grade", "age (days)", "source"):
        t.add_column(col, justify="right" if col == "age (days)" else "left")
    for line in report.holdings:
        if line.mark_date is not None:
            t.add_row(
                line.company,
                str(line.mark_kind),
                str(line.mark_date),
                str(line.mark_grade),
                str(line.mark_age_days),
                str(line.mark_source),
            )
    out.print(t)


def gains_payload(report: GainsReport) -> dict[str, Any]:
    """The JSON shape of ``conviction gains --json`` (docs/currencies.md)."""
    return {
        "long_term_days": report.long_term_days,
        "sales": [
            {
                "date": s.date,
                "account": s.account,
                "company": s.company,
                "currency": s.currency,
                "quantity": s.quantity,
                "proceeds": s.proceeds,
                "cost": s.cost,
                "gain": s.gain,
                "short_term": s.short_term,
                "long_term": s.long_term,
                "file": s.file,
                "line": s.line,
                "lots": [
                    {
                        "lot": lot.lot,
                        "opened": lot.opened,
                        "quantity": lot.quantity,
                        "cost": lot.cost,
                        "proceeds": lot.proceeds,
                        "gain": lot.gain,
                        "holding_days": lot.holding_days,
                        "term": lot.term,
                    }
                    for lot in s.lots
                ],
            }
            for s in report.sales
        ],
        "totals": [
            {
                "year": y.year,
                "account": y.account,
                "currency": y.currency,
                "sales": y.sales,
                "proceeds": y.proceeds,
                "cost": y.cost,
                "short_term": y.short_term,
                "long_term": y.long_term,
                "gain": y.gain,
            }
            for y in report.totals
        ],
    }


def private_payload(report: PrivateReport) -> dict[str, Any]:
    """The JSON shape of ``conviction private --json`` (docs/currencies.md)."""

    def one(line: PrivateLine) -> dict[str, Any]:
        return {
            "company": line.company,
            "paid_in": line.paid_in,
            "distributed": line.distributed,
            "residual": line.residual,
            "tvpi": line.tvpi,
            "dpi": line.dpi,
            "rvpi": line.rvpi,
            "irr": line.irr,
            "first_flow": line.first_flow,
            "mark": {
                "date": line.mark_date,
                "age_days": line.mark_age_days,
                "kind": line.mark_kind,
                "grade": line.mark_grade,
                "source": line.mark_source,
            },
        }

    return {
        "as_of": report.as_of,
        "currency": report.currency,
        "holdings": [one(line) for line in report.holdings],
        "total": None if report.total is None else one(report.total),
    }


def _qty(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.4f}"


def _multiple(x: float) -> str:
    return "n/a" if x != x else f"{x:.2f}x"
