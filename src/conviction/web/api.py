"""The REST API under ``/api/v1``, its reads: book, status, history, stats, reviews,
theses, and companies, persons and accounts by id. Reads are open; the writes and the
projection jobs are in ``api_writes``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status

from conviction.analytics.summary import StatsResult
from conviction.app.answers import answer, answer_model
from conviction.app.book import (
    BookReference,
    OpenBook,
    UnknownId,
    as_of_date,
    book_reference,
    check_accounts,
)
from conviction.app.details import (
    AccountDetail,
    CompanyDetail,
    PersonDetail,
    account_detail,
    company_detail,
    person_detail,
)
from conviction.app.reads import book_history, book_reviews, book_status
from conviction.book.model import Book
from conviction.ledger.book_status import BookStatus
from conviction.ledger.history import HistoryReport
from conviction.report.payloads import thesis_payload
from conviction.theses.triggers import Review
from conviction.web.auth import require_token
from conviction.web.context import AppContext, context
from conviction.web.paths import inside
from conviction.web.schemas import ErrorResponse

__all__ = ["not_found", "router"]

router = APIRouter(prefix="/api/v1", tags=["api"])
Ctx = Annotated[AppContext, Depends(context)]
AsOf = Annotated[dt.date | None, Query(description="Date YYYY-MM-DD (default: the book's).")]
Accounts = Annotated[list[str] | None, Query(description="Only these accounts (repeat).")]
WRITE = [Depends(require_token)]
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "Malformed request (bad JSON, a path outside the workspace)",
        "model": ErrorResponse,
    },
    404: {"description": "Unknown id or file", "model": ErrorResponse},
    409: {"description": "The book lacks the data to answer", "model": ErrorResponse},
    413: {"description": "Body larger than the limit", "model": ErrorResponse},
    422: {"description": "Invalid input, with the field that is wrong", "model": ErrorResponse},
}
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"description": "Missing or wrong bearer token; nothing was changed"},
}


def not_found(what: str, key: str, known: Any) -> HTTPException:
    listed = ", ".join(sorted(known)) or "none"
    return HTTPException(
        status.HTTP_404_NOT_FOUND, {"message": f"no {what} {key!r} (known: {listed})"}
    )


def _accounts(book: Book, wanted: list[str] | None) -> tuple[str, ...] | None:
    try:
        return check_accounts(book, wanted)
    except UnknownId as exc:
        raise not_found(exc.what, exc.key, exc.known) from None


def _date_of(book: Book, as_of: dt.date | None) -> dt.date:
    return as_of_date(book, as_of)


def _status(ctx: AppContext, book: Book, on: dt.date) -> BookStatus:
    """The whole book's status on a date, once per book state."""
    st: BookStatus = ctx.cached(
        f"status:{on}:None:None", lambda: book_status(book, on), theses=False
    )
    return st


def _json(ctx: AppContext, key: str, make: Any) -> Response:
    """The answer ``make()`` gives, as JSON, computed and serialized once per book state:
    a repeated read sends the same bytes (validating and serializing a status again cost
    about 10 ms a request). While another request recomputes it for a new state, the
    answer of the state before is sent (``AppContext.cached_or_last``; its state is in
    the ``X-Book-State`` header)."""
    body: bytes = ctx.cached_or_last(
        f"json:{key}", lambda: answer(make()).model_dump_json().encode(), theses=False
    )
    return Response(body, media_type="application/json")


# --- reads ----------------------------------------------------------------------------------------


@router.get("/book", response_model=answer_model(BookReference), responses=ERRORS)
def get_book(ctx: Ctx) -> Any:
    """Reference data of the stored book: people, companies, accounts; row counts."""
    return answer(book_reference(OpenBook(ctx.book(), source=ctx.engine)))


@router.get("/status", response_model=answer_model(BookStatus), responses=ERRORS)
def get_status(
    ctx: Ctx,
    as_of: AsOf = None,
    account: Accounts = None,
    currency: Annotated[str | None, Query(max_length=3)] = None,
) -> Any:
    """Value, gains, attribution and concentration on a date (``conviction status``)."""
    checks = ctx.book_for_checks()
    accounts = _accounts(checks, account)
    on = _date_of(checks, as_of)
    return _json(
        ctx,
        f"status:{on}:{accounts}:{currency and currency.upper()}",
        lambda: book_status(ctx.book(), on, currency=currency, accounts=accounts),
    )


@router.get("/history", response_model=answer_model(HistoryReport), responses=ERRORS)
def get_history(
    ctx: Ctx,
    account: Accounts = None,
    start: Annotated[dt.date | None, Query()] = None,
    end: Annotated[dt.date | None, Query()] = None,
    freq: Annotated[str, Query(pattern="^[DMdm]$")] = "M",
    currency: Annotated[str | None, Query(max_length=3)] = None,
) -> Any:
    """Value of each account by day or month end, with TWR and IRR (``conviction history``)."""
    accounts = _accounts(ctx.book_for_checks(), account)
    key = f"history:{accounts}:{start}:{end}:{freq}:{currency}"
    return _json(
        ctx,
        key,
        lambda: book_history(
            ctx.book(), start=start, end=end, freq=freq, currency=currency, accounts=accounts
        ),
    )


@router.get("/stats", response_model=answer_model(StatsResult), responses=ERRORS)
def get_stats(
    ctx: Ctx,
    account: Accounts = None,
    benchmark: Annotated[
        str | None, Query(description="A price CSV in the workspace (relative path).")
    ] = None,
    frequency: Annotated[
        Literal["auto", "daily", "weekly", "monthly", "quarterly", "yearly"],
        Query(description="Returns of each: auto (the frequency of the book's marks)."),
    ] = "auto",
) -> Any:
    """Return statistics of the book's (or the accounts') time-weighted return, valued
    on the sessions of the book's calendar: CAGR, volatility, Sharpe, drawdowns, rolling
    1/3/5/10-year windows, and against a benchmark on the same dates when one is given; at
    the frequency of the marks by default (``frequency``), as the dashboard and the
    report show them (``conviction.app.stats.book_stats``)."""
    from conviction.app.stats import book_stats
    from conviction.io.prices import read_price_csv

    book = ctx.book()
    accounts = _accounts(book, account)
    bench = None
    if benchmark is not None:
        bench = read_price_csv(inside(ctx.workspace, benchmark, suffix=".csv"))
    return answer(book_stats(book, accounts=accounts, benchmark=bench, frequency=frequency))


@router.get("/reviews", response_model=list[answer_model(Review)], responses=ERRORS)  # type: ignore[misc]
def get_reviews(ctx: Ctx, as_of: AsOf = None, account: Accounts = None) -> Any:
    """Which theses, positions and people need a look on the date, and why."""
    book = ctx.book()
    accounts = _accounts(book, account)
    stored = ctx.theses()
    on = _date_of(book, as_of)
    found = ctx.cached(
        f"reviews:{on}:{accounts}",
        lambda: book_reviews(
            book,
            on,
            theses=stored.theses,
            scorecards=stored.scorecards,
            settings=stored.review,
            accounts=accounts,
        ),
    )
    return [answer(r) for r in found]


@router.get("/theses", responses=ERRORS)
def get_theses(ctx: Ctx, as_of: AsOf = None) -> list[dict[str, Any]]:
    """Every thesis with its milestones counted by status on the date."""
    on = _date_of(ctx.book(), as_of)
    return [thesis_payload(t, on, full=False) for t in ctx.theses().theses]


@router.get("/theses/{thesis_id:path}", responses=ERRORS)
def get_thesis(ctx: Ctx, thesis_id: str, as_of: AsOf = None) -> dict[str, Any]:
    """One thesis: statement, kill criteria, milestones with their full history."""
    theses = {t.id: t for t in ctx.theses().theses}
    if thesis_id not in theses:
        raise not_found("thesis", thesis_id, theses)
    return thesis_payload(theses[thesis_id], _date_of(ctx.book(), as_of), full=True)


@router.get(
    "/companies/{company_id:path}", response_model=answer_model(CompanyDetail), responses=ERRORS
)
def get_company(ctx: Ctx, company_id: str, as_of: AsOf = None) -> Any:
    """One company: its line of the status, who holds it, its marks, its theses."""
    book = ctx.book()
    if company_id not in book.companies:
        raise not_found("company", company_id, book.companies)
    st = _status(ctx, book, _date_of(book, as_of))
    return answer(company_detail(book, st, company_id, theses=ctx.theses().theses))


@router.get(
    "/persons/{person_id:path}", response_model=answer_model(PersonDetail), responses=ERRORS
)
def get_person(ctx: Ctx, person_id: str, as_of: AsOf = None) -> Any:
    """One key person: companies, weight in the book, four-pillar scores in force."""
    book = ctx.book()
    if person_id not in book.persons:
        raise not_found("person", person_id, book.persons)
    st = _status(ctx, book, _date_of(book, as_of))
    stored = ctx.theses()
    detail = person_detail(book, st, person_id, theses=stored.theses, scorecards=stored.scorecards)
    return answer(detail)


@router.get(
    "/accounts/{account_id:path}", response_model=answer_model(AccountDetail), responses=ERRORS
)
def get_account(ctx: Ctx, account_id: str, as_of: AsOf = None) -> Any:
    """One account: value, cash, gain, weights, and its transactions."""
    book = ctx.book()
    if account_id not in book.accounts:
        raise not_found("account", account_id, book.accounts)
    st = _status(ctx, book, _date_of(book, as_of))
    return answer(account_detail(book, st, account_id, relative=ctx.relative))
