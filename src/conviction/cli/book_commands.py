"""Book commands: init, load, status, history, prices."""

from __future__ import annotations

import datetime as dt
import math
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from conviction.cli.app import (
    JSON,
    HelpGroup,
    app,
    err,
    out,
    parse_date,
    print_json,
    settings,
    styled,
)
from conviction.errors import FormatError

if TYPE_CHECKING:
    from conviction.ledger.book_status import BookStatus

# The store, the readers and rich tables are imported inside the commands, so that
# `conviction load --help` imports neither pandas nor SQLAlchemy.


@app.command()
def init(
    folder: Path | None = typer.Argument(
        None, help="Also write a starter book (book.toml and empty CSVs) into this folder."
    ),
) -> None:
    """Create the database (or bring its schema up to date)."""
    from conviction.store.engine import writing

    with writing(settings.db_url):
        pass
    err.print(styled(f"database ready: {settings.db_url}"))
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        files = {
            "book.toml": _STARTER_TOML,
            "transactions.csv": "date,account,company,action,quantity,price,fees\n",
            "marks.csv": "date,company,price,kind,source\n",
        }
        for name in files:
            if (folder / name).exists():
                raise FormatError("already exists; init does not overwrite", file=folder / name)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        err.print(styled(f"starter book written to {folder}/"))


@app.command()
def load(
    path: Path = typer.Argument(..., help="The book's TOML file, or the folder holding it."),
    replace: bool = typer.Option(
        False, "--replace", help="Replace a book of another name stored in the database."
    ),
    as_json: bool = JSON,
) -> None:
    """Load a book into the database, in one transaction (all or nothing).

    The database then holds exactly what the book's files say; rows entered through the
    API and fetched prices are kept. A database holds one book.
    """
    from conviction.io.book_reader import find_book_toml, read_book
    from conviction.store.engine import writing
    from conviction.store.loading import load_book

    toml = find_book_toml(path)
    book = read_book(path)
    # a spinner on stderr, only on a terminal: stdout stays clean for --json
    busy = err.status("writing to the database (one transaction)")
    with writing(settings.db_url) as engine, busy if err.is_terminal else nullcontext():
        written = load_book(engine, toml, book, replace=replace)
    if as_json:
        print_json(written)
        return
    parts = ", ".join(f"{v} {k}" for k, v in written["book"].items() if k != "book")
    out.print(f"loaded {toml}: {parts}")
    total = written["database"]
    out.print("database now holds " + ", ".join(f"{v} {k}" for k, v in total.items()))


@app.command("status")
def status_command(
    as_of: str | None = typer.Option(None, "--as-of", help="Date YYYY-MM-DD (default: book's)."),
    account: list[str] | None = typer.Option(None, "--account", help="Only these accounts."),
    currency: str | None = typer.Option(None, "--currency", help="Report in this currency."),
    as_json: bool = JSON,
) -> None:
    """Value, gains, attribution and concentration on a date."""
    from conviction.app.book import LOTS, open_book
    from conviction.app.reads import book_status

    book = open_book(settings.db_url, kernels=LOTS).book

    result = book_status(
        book,
        parse_date(as_of, "--as-of"),
        currency=currency,
        accounts=account,
        fields=("--account", "--currency"),
    )
    if as_json:
        from conviction.app.answers import to_json

        print_json(to_json(result))
    else:
        _print_status(result, book.meta.name)


@app.command()
def history(
    account: list[str] | None = typer.Option(None, "--account", help="Only these accounts."),
    start: str | None = typer.Option(None, "--start", help="First date (default: first trade)."),
    end: str | None = typer.Option(None, "--end", help="Last date (default: book's as_of)."),
    freq: str = typer.Option("M", "--freq", help="Rows: D daily (sessions), M month ends."),
    currency: str | None = typer.Option(None, "--currency", help="Report in this currency."),
    as_json: bool = JSON,
) -> None:
    """Daily value of each account with time- and money-weighted returns."""
    from rich.table import Table

    from conviction.app.book import HOLDINGS, open_book
    from conviction.app.reads import book_history
    from conviction.cli.tables import fit

    book = open_book(settings.db_url, kernels=HOLDINGS).book

    report = book_history(
        book,
        start=parse_date(start, "--start"),
        end=parse_date(end, "--end"),
        freq=freq,
        currency=currency,
        accounts=account,
        fields=("--start", "--end", "--freq", "--account", "--currency"),
    )
    if as_json:
        from conviction.app.answers import to_json

        print_json(to_json(report))
        return
    ccy = report.currency
    table = Table(title=f"history in {ccy} ({report.start} to {report.end}; IRR actual/365)")
    table.add_column("account")
    for col in ("start", "end", "net flows", "TWR", "CAGR¹", "CAGR²", "IRR"):
        table.add_column(col, justify="right")
    foreign = [s for s in report.accounts if s.base.currency != ccy]
    if foreign:  # the same returns in each account's own currency
        for col in ("base", "TWR base", "IRR base"):
            table.add_column(col, justify="right")
    lines = list(report.accounts)
    if len(lines) > ACCOUNT_ROWS:  # as in status: the largest, and where the rest are
        lines = sorted(lines, key=lambda s: -s.end_value)[:ACCOUNT_ROWS]
        table.title = f"{table.title}: the {len(lines)} largest of {len(report.accounts)}"
    for s in lines:
        base = s.base
        extra = [base.currency, _pct(base.twr), _pct(base.irr)] if foreign else []
        table.add_row(
            s.account,
            _money(s.start_value),
            _money(s.end_value),
            _money(s.net_flows),
            _pct(s.twr),
            _pct(s.cagr_sessions),
            _pct(s.cagr_calendar),
            _pct(s.irr),
            *extra,
        )
    out.print(fit(table, drop=("base", "net flows", "start")))
    out.print(
        f"CAGR: the TWR a year; ¹ {report.sessions_per_year} sessions a year "
        f"({report.calendar}), ² calendar time, 365.25 days",
        highlight=False,
    )
    if report.stale_fx_days:
        err.print(
            styled(
                ("note:", "yellow"),
                f" on {report.stale_fx_days} of {report.days} days no exchange rate was "
                "stored; the last earlier rate was used",
            )
        )
    if len(lines) < len(report.accounts):
        out.print("every account and day: --json or --account ID", highlight=False)
    t2 = Table(title="value at month ends" if report.freq == "M" else "value by day")
    t2.add_column("date")
    names = [s.account for s in lines][:SERIES_COLUMNS]
    for a in names:
        t2.add_column(a, justify="right")
    everyone = [s.account for s in report.accounts]
    if len(names) < len(everyone):
        t2.add_column("total", justify="right")
    for row in report.series[-24:]:
        cells = [_money(float(row[a])) for a in names]
        if len(names) < len(everyone):
            cells.append(_money(sum(float(row[a]) for a in everyone)))
        t2.add_row(str(row["date"]), *cells)
    out.print(fit(t2, drop=names[:0:-1]))


prices_app = typer.Typer(
    help="Price data: fetch from Yahoo Finance (yfinance extra).", cls=HelpGroup
)
app.add_typer(prices_app, name="prices")


@prices_app.command("fetch")
def prices_fetch(
    tickers: list[str] = typer.Argument(..., help="Tickers, e.g. TSLA or USDJPY=X."),
    start: str | None = typer.Option(None, "--start", help="First date (default: 2000-01-01)."),
) -> None:
    """Fetch daily closes and cache them in the database as marks (or FX rates)."""
    from conviction.io.yahoo import YahooSource
    from conviction.store import read_book as read_stored_book
    from conviction.store.engine import writing
    from conviction.store.prices import store_fetched

    with writing(settings.db_url) as engine:
        book = read_stored_book(engine)
        source = YahooSource()
        since = parse_date(start, "--start") or dt.date(2000, 1, 1)
        fetched = {t: source.history(t, since) for t in tickers}
        with engine.begin() as conn:
            counts = store_fetched(conn, book, fetched)
    for ticker, n in counts.items():
        out.print(f"{ticker}: {n} closes stored")


# --- printing ---------------------------------------------------------------------------


def _print_status(result: BookStatus, name: str) -> None:
    from rich.table import Table

    from conviction.cli.tables import fit

    ccy = result.currency
    out.print(
        styled(
            (name, "bold"),
            f" on {result.as_of} ({ccy}): total value {_money(result.total_value)}, cash "
            f"{_money(result.cash)}, total gain {_money(result.total_gain)}, "
            f"HHI {result.hhi:.3f}",
        )
    )
    # the price/currency split matters only where some holding trades in another currency
    foreign = any(c.local_currency != ccy for c in result.by_company)
    if foreign:
        out.print(
            f"of the gain: price effect {_money(result.price_effect)}, currency effect "
            f"{_money(result.currency_effect)}"
        )
    t = Table(title="by company")
    cols = ["company", "value", "weight", "cost", "unrealized", "realized"]
    cols += ["price eff.", "ccy eff.", "mark"] if foreign else ["mark"]
    for col in cols:
        t.add_column(col, justify="left" if col in ("company", "mark") else "right")
    for c in result.by_company:
        mark = f"{c.mark_kind} {c.mark_date} {c.mark_grade} {c.mark_age_days}d"
        effects = [_money(c.price_effect), _money(c.currency_effect)] if foreign else []
        t.add_row(
            c.company,
            _money(c.value),
            _pct(c.weight),
            _money(c.cost),
            _money(c.unrealized_gain),
            _money(c.realized_gain),
            *effects,
            mark,
        )
    # the gain's split into price and currency is in the line above, in total
    out.print(fit(t, wrap=("mark",), drop=("ccy eff.", "price eff.")))
    t = Table(title="by key person")
    for col in ("person", "value", "weight", "gain"):
        t.add_column(col, justify="left" if col == "person" else "right")
    for p in result.by_person:
        t.add_row(p.name, _money(p.value), _pct(p.weight), _money(p.gain))
    out.print(fit(t))
    # A fund's thousand accounts make a table nobody reads (and rich takes seconds to lay
    # it out): the largest ones, and how to see the rest.
    shown = list(result.by_account)
    if len(shown) > ACCOUNT_ROWS:
        shown = sorted(shown, key=lambda a: -a.value)[:ACCOUNT_ROWS]
    hidden = len(result.by_account) - len(shown)
    title = "by account" if not hidden else f"by account (the {len(shown)} largest)"
    t = Table(title=title)
    for col in ("account", "kind", "value", "cash", "gain", "largest weights"):
        t.add_column(
            col, justify="left" if col in ("account", "kind", "largest weights") else "right"
        )
    for a in shown:
        weights = ", ".join(f"{c} {_pct(w)}" for c, w in list(a.weights.items())[:3])
        t.add_row(a.account, a.kind, _money(a.value), _money(a.cash), _money(a.gain), weights)
    out.print(fit(t, wrap=("largest weights",)))
    if hidden:
        out.print(f"{hidden} more accounts: see them with --account ID or --json", highlight=False)
    if result.stale_marks:
        t = Table(title="stale marks (valued at the last earlier mark)")
        for col in ("company", "last mark", "age (days)", "kind", "grade"):
            t.add_column(col)
        for s in result.stale_marks:
            t.add_row(s.company, str(s.last_mark_date), str(s.age_days), s.kind, s.grade)
        out.print(fit(t))
    if result.stale_rates:
        t = Table(title="stale exchange rates (the last earlier rate is used)")
        for col in ("pair", "last rate", "age (days)", "rate", "source"):
            t.add_column(col)
        for r in result.stale_rates:
            t.add_row(r.pair, str(r.last_rate_date), str(r.age_days), f"{r.rate:g}", r.source)
        out.print(fit(t, wrap=("source",)))


#: Accounts listed in the status and history tables (all of them are in --json), and
#: accounts given a column of their own in history's value table.
ACCOUNT_ROWS = 20
SERIES_COLUMNS = 6


def _money(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    for unit, scale in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:,.2f}{unit}"
    return f"{x:,.2f}"


def _pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{100 * x:.1f}%"


_STARTER_TOML = """\
[book]
name = "My book"
currency = "USD"
transactions = "transactions.csv"
marks = "marks.csv"

[[person]]
id = "founder"
name = "A Founder"

[[company]]
id = "acme"
name = "Acme"
public = true
ticker = "ACME"
key_people = ["founder"]

[[account]]
id = "me"
name = "My account"
kind = "personal"
"""

__all__ = ["prices_app"]
