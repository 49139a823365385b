"""Realised gains for tax (``gains``) and private-market measures (``private``)."""

from __future__ import annotations

import typer

from conviction.cli.app import app, out, parse_date, print_json, settings
from conviction.cli.book_commands import _money, _pct
from conviction.cli.tables import fit

__all__ = ["gains", "private_command"]

JSON = typer.Option(False, "--json", help="Print JSON for programs instead of tables.")


@app.command()
def gains(
    year: int | None = typer.Option(None, "--year", help="Tax year (default: every year)."),
    account: list[str] | None = typer.Option(None, "--account", help="Only these accounts."),
    as_json: bool = JSON,
) -> None:
    """Realised gains per sale, with the lots consumed and short/long term, by tax year."""
    from rich.table import Table

    from conviction.app.book import LOTS, open_book
    from conviction.app.reads import book_gains

    book = open_book(settings.db_url, kernels=LOTS).book
    report = book_gains(book, year=year, accounts=account, field="--account")
    if as_json:
        from conviction.app.answers import to_json

        print_json(to_json(report))
        return
    span = f"in {year}" if year is not None else "in every year"
    out.print(
        f"realised gains {span}, in each account's currency; long-term = held more than "
        f"{report.long_term_days} days"
    )
    # A fund's year can hold tens of thousands of sales: a terminal shows the largest
    # gains and losses (rich lays a table out in seconds per thousand rows); --json has all.
    sales = list(report.sales)
    if len(sales) > SALE_ROWS:
        sales = sorted(sales, key=lambda s: -abs(s.gain))[:SALE_ROWS]
    title = "sales (a line per sale, then one per lot it consumed)"
    if len(sales) < len(report.sales):
        title = f"the {len(sales)} sales with the largest gains or losses, of {len(report.sales)}"
    t = Table(title=title)
    t.add_column("sale / lot (opened)", no_wrap=True)
    for col in ("days", "term", "quantity", "proceeds", "cost", "gain"):
        t.add_column(col, justify="left" if col == "term" else "right")
    for s in sales:
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
    # 80 columns: the term follows from the days (long = more than long_term_days)
    out.print(fit(t, drop=("term", "days")))
    if len(sales) < len(report.sales):
        out.print(f"every sale and lot: --json ({len(report.sales)} sales)", highlight=False)
    totals = list(report.totals)
    if len(totals) > SALE_ROWS:
        totals = sorted(totals, key=lambda y: -abs(y.gain))[:SALE_ROWS]
    title = "totals by tax year"
    if len(totals) < len(report.totals):
        title += f" (the {len(totals)} largest of {len(report.totals)} account-years)"
    t = Table(title=title)
    for col in ("year", "account", "currency", "sales", "proceeds", "cost", "short", "long"):
        t.add_column(col, justify="left" if col in ("account", "currency") else "right")
    t.add_column("total", justify="right")
    for y in totals:
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
    out.print(fit(t, drop=("sales", "proceeds")))


#: Rows of the sales and totals tables (every one of them is in --json).
SALE_ROWS = 30


@app.command("private")
def private_command(
    as_of: str | None = typer.Option(None, "--as-of", help="Date YYYY-MM-DD (default: book's)."),
    account: list[str] | None = typer.Option(None, "--account", help="Only these accounts."),
    currency: str | None = typer.Option(None, "--currency", help="Report in this currency."),
    as_json: bool = JSON,
) -> None:
    """Private holdings: paid-in, distributed, residual, TVPI, DPI, RVPI, IRR, and the mark."""
    from rich.table import Table

    from conviction.app.book import open_book
    from conviction.app.reads import book_private

    book = open_book(settings.db_url).book
    report = book_private(
        book,
        parse_date(as_of, "--as-of"),
        currency=currency,
        accounts=account,
        fields=("--account", "--currency"),
    )
    if as_json:
        from conviction.app.answers import to_json

        print_json(to_json(report))
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
    out.print(fit(t, drop=("RVPI", "DPI")))  # RVPI = TVPI - DPI
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
    out.print(fit(t, wrap=("source",)))


def _qty(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.4f}"


def _multiple(x: float) -> str:
    return "n/a" if x != x else f"{x:.2f}x"
