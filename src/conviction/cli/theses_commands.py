"""People and theses commands: people, thesis list|show|update, review."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

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
from conviction.cli.tables import fit, natural_width, width_of
from conviction.errors import DataError, UnknownIdError
from conviction.report.payloads import (
    MILESTONE_STATUSES,
    milestone_entry_payload,
    scores_payload,
    thesis_payload,
)
from conviction.theses.model import PILLARS, Scorecard, Thesis

if TYPE_CHECKING:
    from conviction.book.model import Book
    from conviction.theses.triggers import Review

# The store, the ledger and rich tables are imported inside the commands, so that
# `conviction thesis --help` imports neither pandas nor SQLAlchemy.

__all__ = ["thesis_app"]

AS_OF = typer.Option(None, "--as-of", help="Date YYYY-MM-DD (default: the book's as_of).")

thesis_app = typer.Typer(
    help="Theses: list, show, update milestones.", no_args_is_help=True, cls=HelpGroup
)
app.add_typer(thesis_app, name="thesis")


def _as_of(value: str | None, book: Book | None) -> dt.date:
    book_date = book.meta.as_of if book is not None else None
    return parse_date(value, "--as-of") or book_date or dt.date.today()


# --- payloads (JSON shapes; tables are drawn from the same dicts) ----------------------------


_STATUS_ORDER = MILESTONE_STATUSES
_SHORT = {"execution": "exec", "long_term": "long", "integration": "integ", "resilience": "resil"}


def _person(
    book: Book, card: Scorecard | None, pid: str, on: dt.date, weight: float | None
) -> dict[str, Any]:
    return {
        "id": pid,
        "name": book.persons[pid].name if pid in book.persons else pid,
        "companies": [c.id for c in book.companies.values() if pid in c.key_people],
        "weight": weight,
        "scores": scores_payload(card, on),
        "history": [
            {"pillar": e.pillar, "score": e.score, "date": e.date}
            for e in (card.entries if card is not None else ())
            if e.date <= on
        ],
    }


# --- commands -------------------------------------------------------------------------------


@app.command()
def people(
    as_of: str | None = AS_OF,
    evidence: bool = typer.Option(False, "--evidence", help="List the evidence behind each score."),
    as_json: bool = JSON,
) -> None:
    """Key people: their companies, their weight in the book, their four-pillar scores."""
    from rich.table import Table

    from conviction.ledger.book_status import status
    from conviction.store import connect
    from conviction.store import read_book as read_stored_book
    from conviction.store.theses_tables import read_theses

    engine = connect(settings.db_url)
    book = read_stored_book(engine)
    on = _as_of(as_of, book)
    with engine.connect() as conn:
        stored = read_theses(conn)
    cards = {c.person: c for c in stored.scorecards}
    weights = {line.name: float(line.weight) for line in status(book, on).by_person}
    ids = list(book.persons) + [p for p in cards if p not in book.persons]
    rows = [_person(book, cards.get(p), p, on, weights.get(p)) for p in ids]
    if as_json:
        print_json(rows)
        return
    table = Table(
        title=f"people on {on}: scores 0-5, the latest on or before the date",
        caption="exec = execution, long = long_term, integ = integration, resil = resilience",
    )
    table.add_column("person")
    table.add_column("companies")
    table.add_column("weight", justify="right")
    for p in PILLARS:
        table.add_column(_SHORT[p], justify="right")
    table.add_column("scored on")
    for r in rows:
        scores = r["scores"]
        dates = sorted({s["date"] for s in scores.values()})
        table.add_row(
            f"{r['id']}\n{r['name']}",
            ", ".join(r["companies"]),
            "" if r["weight"] is None else f"{r['weight']:.1%}",
            *[f"{scores[p]['score']:g}" if p in scores else "-" for p in PILLARS],
            "\n".join(str(d) for d in dates) or "-",
        )
    out.print(fit(table, wrap=("companies",)))
    if evidence:
        for r in rows:
            for p, s in r["scores"].items():
                line = styled((f"{r['id']} · {p} {s['score']:g}", "bold"), f" ({s['date']})")
                out.print(line)
                for e in s["evidence"]:
                    out.print(
                        styled(f"  - {e['text']} ", (f"({e['date']}; {e['source']})", "dim")),
                        highlight=False,
                    )


@thesis_app.command("list")
def thesis_list(as_of: str | None = AS_OF, as_json: bool = JSON) -> None:
    """Every thesis with its milestones counted by status on the date."""
    from rich.table import Table

    from conviction.store import connect
    from conviction.store.theses_tables import read_theses

    engine = connect(settings.db_url)
    with engine.connect() as conn:
        stored = read_theses(conn)
    on = _as_of(as_of, _maybe_book(engine))
    rows = [thesis_payload(t, on, full=False) for t in stored.theses]
    if as_json:
        print_json(rows)
        return

    def listing(compact: bool) -> Table:
        # compact (a narrow terminal): the four counts in one column, the zeros left out
        counts = ("milestones",) if compact else _STATUS_ORDER
        table = Table(title=f"theses on {on}")
        for col in ("thesis", "subject", "opened", "horizon", *counts, "next due"):
            table.add_column(col, justify="right" if col in _STATUS_ORDER else "left")
        for t, r in zip(stored.theses, rows, strict=True):
            by_status = r["milestones_by_status"]
            if compact:
                cells = [", ".join(f"{n} {s}" for s, n in by_status.items() if n) or "none"]
            else:
                cells = [str(by_status[s]) for s in _STATUS_ORDER]
            table.add_row(
                t.id,
                t.subject if t.subject_kind == "company" else f"{t.subject} (person)",
                str(t.opened),
                str(t.horizon),
                *cells,
                str(r["next_due"] or "-"),
            )
        return table

    table = listing(compact=False)
    if natural_width(table) > width_of():
        table = listing(compact=True)
    out.print(fit(table, wrap=("subject", "milestones")))


@thesis_app.command("show")
def thesis_show(
    thesis_id: str = typer.Argument(..., metavar="ID", help="The thesis id."),
    as_of: str | None = AS_OF,
    as_json: bool = JSON,
) -> None:
    """One thesis: statement, kill criteria, milestones with their full history."""
    from rich.table import Table

    from conviction.store import connect
    from conviction.store.theses_tables import read_theses

    engine = connect(settings.db_url)
    with engine.connect() as conn:
        stored = read_theses(conn)
    thesis = _find(stored.theses, thesis_id)
    on = _as_of(as_of, _maybe_book(engine))
    payload = thesis_payload(thesis, on, full=True)
    if as_json:
        print_json(payload)
        return
    out.print(
        styled(
            (thesis.id, "bold"),
            f" · {thesis.subject_kind} {thesis.subject} · "
            f"opened {thesis.opened} · horizon {thesis.horizon} · as of {on}",
        )
    )
    out.print(thesis.statement, highlight=False)
    if thesis.kill_criteria:
        out.print(styled(("kill criteria", "bold")))
        for k in thesis.kill_criteria:
            out.print(f"  - {k}", highlight=False)
    for m in payload["milestones"]:
        target = (f" target {m['target']}", "dim") if m["target"] else ""
        out.print(styled("\n", (m["id"], "bold"), f": {m['title']}", target), highlight=False)
        table = Table(show_header=True, box=None, padding=(0, 1))
        for col in ("date", "status", "due", "value", "evidence", "origin"):
            table.add_column(col)
        for e in m["history"]:
            mark = "" if e["date"] <= on else " (later)"
            table.add_row(
                f"{e['date']}{mark}",
                e["status"],
                str(e["due"]),
                "" if e["value"] is None else f"{e['value']:g}",
                e["evidence"],
                "update" if e["origin"] == "update" else "file",
            )
        out.print(table)


@thesis_app.command("update")
def thesis_update(
    thesis_id: str = typer.Argument(..., metavar="ID", help="The thesis id."),
    milestone: str = typer.Option(..., "--milestone", help="The milestone id."),
    new_status: str = typer.Option(..., "--status", help="pending, hit, slipped or missed."),
    evidence: str = typer.Option(..., "--evidence", help="What happened, in words."),
    date: str | None = typer.Option(None, "--date", help="When (YYYY-MM-DD; default today)."),
    due: str | None = typer.Option(None, "--due", help="A new due date (a slip usually sets one)."),
    source: str = typer.Option("", "--source", help="Where the evidence comes from."),
    value: float | None = typer.Option(None, "--value", help="An observed value of the metric."),
    as_json: bool = JSON,
) -> None:
    """Record a new dated state of a milestone (earlier states are kept)."""
    from conviction.store.engine import writing
    from conviction.store.theses_tables import update_thesis

    on = parse_date(date, "--date") or dt.date.today()
    new_due = parse_date(due, "--due")
    with writing(settings.db_url) as engine, engine.begin() as conn:
        entry = update_thesis(
            conn,
            thesis_id,
            milestone,
            status=new_status,
            evidence=evidence,
            on=on,
            source=source,
            due=new_due,
            value=value,
        )
    if as_json:
        print_json({"thesis": thesis_id, "milestone": milestone, **milestone_entry_payload(entry)})
        return
    out.print(f"{thesis_id}/{milestone}: {entry.status} on {entry.date}, due {entry.due}")


@app.command("review")
def review_command(
    as_of: str | None = AS_OF,
    account: list[str] | None = typer.Option(
        None, "--account", help="Weights of these accounts only (default: the whole book)."
    ),
    as_json: bool = JSON,
) -> None:
    """Which theses, positions and people need a look on the date, and why."""
    from conviction.app.book import LOTS, open_book
    from conviction.app.reads import book_reviews
    from conviction.store import connect
    from conviction.store.theses_tables import read_theses

    # the book by its URL: a plain SQLite file is read without SQLAlchemy, as status does
    book = open_book(settings.db_url, kernels=LOTS).book
    on = _as_of(as_of, book)
    with connect(settings.db_url).connect() as conn:
        stored = read_theses(conn)
    found = book_reviews(
        book,
        on,
        theses=stored.theses,
        scorecards=stored.scorecards,
        settings=stored.review,
        accounts=account,
        field="--account",
    )
    if as_json:
        from conviction.app.answers import to_json

        print_json(to_json(found))
        return
    _print_reviews(found, on)


def _print_reviews(found: tuple[Review, ...], on: dt.date) -> None:
    from rich.table import Table

    if not found:
        out.print(f"nothing to review on {on}")
        return
    table = Table(title=f"review on {on}: {len(found)} to look at")
    for col in ("trigger", "subject", "detail"):
        table.add_column(col)
    for r in found:
        table.add_row(r.trigger, r.subject, r.detail)
    out.print(fit(table, wrap=("detail",)))


def _find(theses: tuple[Thesis, ...], thesis_id: str) -> Thesis:
    for t in theses:
        if t.id == thesis_id:
            return t
    known = ", ".join(t.id for t in theses) or "none"
    raise UnknownIdError(f"no thesis {thesis_id!r} (known: {known})", field="ID")


def _maybe_book(engine: Any) -> Book | None:
    """The stored book, or None when none is loaded (theses alone still list)."""
    from conviction.store import read_book as read_stored_book

    try:
        return read_stored_book(engine)
    except DataError:
        err.print(styled(("no book loaded; dates default to today", "yellow")))
        return None
