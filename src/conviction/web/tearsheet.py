"""The tear sheet on the web: heatmap, yearly returns, drawdowns, contributors, treemap.

``GET /api/v1/tearsheet`` answers the same :class:`~conviction.app.tearsheet.TearSheet`
the dashboard draws, for the same ``?as_of=&account=&range=&benchmark=`` (checked as the
pages check them: a bad one is a 422 naming the field); ``/static/tearsheet.js`` sorts and
filters the holdings table."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query

from conviction.app.answers import answer, answer_model
from conviction.app.book import only_accounts
from conviction.app.tearsheet import TearSheet
from conviction.web.context import AppContext, context
from conviction.web.schemas import ErrorResponse
from conviction.web.views import PageError, View, range_start, read_view, windowed

__all__ = ["api", "pages", "view_tearsheet"]

api = APIRouter(prefix="/api/v1", tags=["api"])
pages = APIRouter(include_in_schema=False)
Ctx = Annotated[AppContext, Depends(context)]


def view_tearsheet(ctx: AppContext, view: View) -> TearSheet:
    """The tear sheet of a page's view: its date, accounts, benchmark, over its range
    (cached per book state and view)."""
    from conviction.app.tearsheet import tear_sheet
    from conviction.web.pages import _data

    d = _data(ctx, view)
    whole = d.tearsheet
    assert whole is not None
    start = range_start(view.range, d.as_of)
    part = windowed(d.history, start)
    if part is d.history:
        return whole if view.range == whole.range else replace(whole, range=view.range)

    def make() -> TearSheet:
        book = only_accounts(ctx.book(), view.accounts)
        return tear_sheet(book, part, d.status, range_=view.range, whole=False)

    found: TearSheet = ctx.cached(f"tearsheet{view.query()}", make)
    return found


@api.get(
    "/tearsheet",
    response_model=answer_model(TearSheet),
    responses={
        422: {"description": "A bad date, account, range or benchmark", "model": ErrorResponse}
    },
)
def get_tearsheet(
    ctx: Ctx,
    as_of: Annotated[str | None, Query(max_length=40, description="YYYY-MM-DD")] = None,
    account: Annotated[list[str] | None, Query(max_length=200)] = None,
    range_: Annotated[
        str | None, Query(alias="range", max_length=16, description="YTD, 1Y, 3Y, 5Y, 10Y, Max")
    ] = None,
    benchmark: Annotated[str | None, Query(max_length=400)] = None,
) -> Any:
    """Monthly and yearly returns (with the benchmark's), the worst drawdowns, holdings,
    contributors over the range and the allocation: what the dashboard's tear sheet shows
    (as ``/?as_of=&account=&range=&benchmark=``)."""
    from conviction.web.pages import _benchmarks

    book = ctx.book()
    try:
        view = read_view(book, as_of, account, range_, benchmark, benchmarks=_benchmarks(ctx))
    except PageError as exc:
        raise HTTPException(422, {"message": exc.message, "field": exc.field}) from None
    return answer(view_tearsheet(ctx, view))
