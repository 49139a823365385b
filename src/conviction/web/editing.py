"""Enter and correct the book in the browser: transactions, marks, FX rates, uploads.

The API (``api``): the stored rows, paged and filtered; edit and delete a transaction, a
mark or an FX rate by its id, add FX rates; upload a CSV of transactions or marks (a
preview, then the same request applied, in one transaction); the recorded changes. The
pages (``pages``): ``/book/transactions``, ``/book/marks``, ``/book/fx``, a table of rows
with forms that call this API with the token of the page header (``static/edit.js``).

**The files are the book's truth.** A load replaces every row it took from the book's
files and keeps the rows entered through the web app (origin ``api``). So a row the web
app entered is edited in the database, and a row from a file is edited *in its file*:
the line rewritten (or removed), then the book loaded as ``conviction load`` loads it, in
the write's one transaction (``conviction.web.file_rows``; a change in the database alone
would be undone by the next load). A server that does not write the files
(``create_app(edit_files=False)``, the default outside ``conviction serve``) answers 409
for those rows, saying to correct the file and load again. Every write is checked as a
load checks the book (``conviction.web.writes``) and recorded with its time
(``conviction.store.appends``: ``book_change``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection

from conviction.book.model import Book
from conviction.store.appends import StoredRow, What, changes, list_rows, rows_as_recorded
from conviction.web.api import AUTH_ERRORS, ERRORS, WRITE, Ctx
from conviction.web.schemas import (
    ChangeOut,
    EditOut,
    FormRowIn,
    FxIn,
    FxRatesIn,
    MarkIn,
    RowsOut,
    StoredRowOut,
    TransactionIn,
    UploadOut,
    UploadRowOut,
    WriteOut,
)

__all__ = ["api", "pages"]

api = APIRouter(prefix="/api/v1", tags=["api"])
pages = APIRouter(include_in_schema=False)

Kind = Literal["transactions", "marks", "fx"]
_WHAT: dict[str, What] = {"transactions": "transaction", "marks": "mark", "fx": "fx"}
_EDIT_ERRORS: dict[int | str, dict[str, Any]] = {
    **AUTH_ERRORS,
    409: {
        "description": "The row's file changed since the last load, cannot be written "
        "(read-only, outside the workspace) or this server does not write the book's files"
    },
}
RowId = Annotated[int, Path(ge=1, le=2**62, description="The row's id (from GET /book/...)")]


def _row_out(row: StoredRow, *, files: bool = False) -> StoredRowOut:
    """``row`` as the API gives it; ``files``: the server writes the book's files (a row
    from one is editable)."""
    from conviction.web.file_rows import from_file
    from conviction.web.writes import editable

    values = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.values.items()}
    return StoredRowOut(
        id=row.id,
        values=values,
        origin=_shown(row.origin),
        line=row.line,
        editable=editable(row) or (files and from_file(row)),
    )


def _shown(origin: str) -> str:
    """A row's origin as the user knows it: a file's name (not its absolute path)."""
    from pathlib import PurePath

    return PurePath(origin).name if "/" in origin else origin


# --- reads ----------------------------------------------------------------------------------------


@api.get("/book/{kind}", response_model=RowsOut, responses=ERRORS)
def get_rows(
    ctx: Ctx,
    kind: Kind,
    company: Annotated[str | None, Query(max_length=200)] = None,
    account: Annotated[str | None, Query(max_length=200)] = None,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    recorded_at: Annotated[
        dt.datetime | None,
        Query(description="The rows as stored at this moment (UTC): later web writes undone"),
    ] = None,
) -> RowsOut:
    """The stored rows of ``kind`` (newest date first), each with its id, origin and
    whether the web app may change it; ``recorded_at`` gives them as they were stored
    then (the changes since, recorded in ``/changes``, taken back)."""
    what = _WHAT[kind]
    with ctx.engine.connect() as conn:
        if recorded_at is None:
            total, rows = list_rows(
                conn, what, company=company, account=account, offset=offset, limit=limit
            )
        else:
            at = (
                recorded_at.astimezone(dt.UTC).replace(tzinfo=None)
                if recorded_at.tzinfo
                else recorded_at
            )
            total, rows = _recorded_page(conn, what, at, company, account, offset, limit)
    files = ctx.edit_files and recorded_at is None
    return RowsOut(
        kind=kind,
        total=total,
        offset=offset,
        limit=limit,
        rows=[_row_out(r, files=files) for r in rows],
    )


def _recorded_page(
    conn: Connection,
    what: What,
    at: dt.datetime,
    company: str | None,
    account: str | None,
    offset: int,
    limit: int,
) -> tuple[int, list[StoredRow]]:
    names = ("id", "origin", "line")
    found = []
    for r in rows_as_recorded(conn, what, at):
        if company is not None and r.get("company", company) != company:
            continue
        if account is not None and r.get("account", account) != account:
            continue
        values = {k: v for k, v in r.items() if k not in names}
        found.append(StoredRow(id=r["id"], values=values, origin=r["origin"], line=r["line"]))
    found.sort(key=lambda s: (str(s.values["date"]), s.id), reverse=True)
    return len(found), found[offset : offset + limit]


@api.get("/changes", response_model=list[ChangeOut], responses=ERRORS)
def get_changes(
    ctx: Ctx,
    since: Annotated[dt.datetime | None, Query(description="Only changes after (UTC)")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> list[ChangeOut]:
    """The changes the web app made to the book's rows, newest first, each with the time
    it is recorded with (UTC) and the row it removed."""
    with ctx.engine.connect() as conn:
        found = changes(conn, since=since, limit=limit)
    return [
        ChangeOut(
            id=c.id,
            recorded=c.recorded,
            what=c.what,
            op=c.op,
            row_id=c.row_id,
            old_id=c.old_id,
            old=None if c.old is None else dict(c.old),
            origin=c.origin,
        )
        for c in found
    ]


# --- edits ----------------------------------------------------------------------------------------


def _edit(
    ctx: Any, op: Literal["edit", "delete"], change: Callable[[Connection, Book, list[int]], Book]
) -> tuple[EditOut, int | None]:
    """Run ``change`` as one write; map a missing or file row to 404 or 409."""
    from conviction.web.file_rows import FileConflict
    from conviction.web.writes import NotEditable, RowNotFound

    ids: list[int] = []
    when: list[dt.datetime] = []

    def run(conn: Connection, book: Book) -> Book:
        after = change(conn, book, ids)
        when.append(changes(conn, limit=1)[0].recorded)
        return after

    try:
        counts, state = ctx.write_rows(run)
    except RowNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, {"message": str(exc)}) from None
    except (NotEditable, FileConflict) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, {"message": str(exc)}) from None
    new = ids[0] if ids else None
    out = EditOut(op=op, id=new, replaced=None, recorded=when[0], database=counts, book_state=state)
    return out, new


def _edit_row(
    ctx: Any,
    what: What,
    row_id: int,
    model: Callable[[Book], Any] | None,
    theirs: Callable[[Connection, Book, list[int]], Book],
) -> EditOut:
    """Edit (``model`` gives the request's row, read against the stored book) or delete
    (``None``) the row ``row_id``: a row of the web app's by ``theirs``, a row from one of
    the book's files in that file, then the book loaded (``web.file_rows``). Either way
    one write, under the web app's write lock."""
    from conviction.store.appends import stored_row
    from conviction.web.file_rows import FileWrite, change_file_row, from_file, undo_all
    from conviction.web.writes import NotEditable, new_row

    writes: list[FileWrite] = []

    def change(conn: Connection, book: Book, ids: list[int]) -> Book:
        row = stored_row(conn, what, row_id)
        if row is None or not from_file(row):
            return theirs(conn, book, ids)
        if not ctx.edit_files:
            raise NotEditable(what, row)
        new = None if model is None else new_row(conn, book, what, row_id, model(book))
        after, new_id = change_file_row(
            conn, book, what, row, new, workspace=ctx.workspace, writes=writes
        )
        if new_id is not None:
            ids.append(new_id)
        return after

    try:
        out, _ = _edit(ctx, "edit" if model is not None else "delete", change)
    except BaseException:
        undo_all(writes)  # a file written, the transaction not committed: put it back
        raise
    return out.model_copy(update={"replaced": row_id})


@api.put(
    "/transactions/{row_id}", response_model=EditOut, dependencies=WRITE, responses=_EDIT_ERRORS
)
def put_transaction(ctx: Ctx, row_id: RowId, body: TransactionIn) -> EditOut:
    """Replace a transaction the web app entered (checked as a load checks the book). The
    new row gets a new id (the answer's ``id``); the old one is recorded in ``/changes``."""
    from conviction.web.writes import edit_transaction

    def theirs(c: Connection, b: Book, ids: list[int]) -> Book:
        return edit_transaction(c, b, row_id, body, ids)

    return _edit_row(ctx, "transaction", row_id, lambda b: body, theirs)


@api.delete(
    "/transactions/{row_id}", response_model=EditOut, dependencies=WRITE, responses=_EDIT_ERRORS
)
def delete_transaction(ctx: Ctx, row_id: RowId) -> EditOut:
    """Delete a transaction the web app entered; refused when the book would not load
    without it (a later sale of what it bought)."""
    from conviction.web.writes import delete_transaction as remove

    return _edit_row(ctx, "transaction", row_id, None, lambda c, b, ids: remove(c, b, row_id))


@api.put("/marks/{row_id}", response_model=EditOut, dependencies=WRITE, responses=_EDIT_ERRORS)
def put_mark(ctx: Ctx, row_id: RowId, body: MarkIn) -> EditOut:
    """Replace a mark the web app entered (a new id, as for transactions)."""
    from conviction.web.writes import edit_mark

    def theirs(c: Connection, b: Book, ids: list[int]) -> Book:
        return edit_mark(c, b, row_id, body, ids)

    return _edit_row(ctx, "mark", row_id, lambda b: body, theirs)


@api.delete("/marks/{row_id}", response_model=EditOut, dependencies=WRITE, responses=_EDIT_ERRORS)
def delete_mark(ctx: Ctx, row_id: RowId) -> EditOut:
    """Delete a mark the web app entered."""
    from conviction.web.writes import delete_mark as remove

    return _edit_row(ctx, "mark", row_id, None, lambda c, b, ids: remove(c, b, row_id))


@api.post(
    "/fx",
    response_model=WriteOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=WRITE,
    responses=AUTH_ERRORS,
)
def post_fx(ctx: Ctx, body: FxRatesIn) -> WriteOut:
    """Add FX rates (rows of ``fx.csv``): all or none, checked like a load."""
    from conviction.web.writes import add_fx

    ids: list[int] = []
    counts, state = ctx.write_rows(lambda conn, book: add_fx(conn, book, body.rates, ids))
    return WriteOut(added=len(body.rates), database=counts, book_state=state, ids=ids)


@api.put("/fx/{row_id}", response_model=EditOut, dependencies=WRITE, responses=_EDIT_ERRORS)
def put_fx(ctx: Ctx, row_id: RowId, body: FxIn) -> EditOut:
    """Replace an FX rate the web app entered."""
    from conviction.web.writes import edit_fx

    def theirs(c: Connection, b: Book, ids: list[int]) -> Book:
        return edit_fx(c, b, row_id, body, ids)

    return _edit_row(ctx, "fx", row_id, lambda b: body, theirs)


@api.delete("/fx/{row_id}", response_model=EditOut, dependencies=WRITE, responses=_EDIT_ERRORS)
def delete_fx(ctx: Ctx, row_id: RowId) -> EditOut:
    """Delete an FX rate the web app entered; refused when a transaction then has none."""
    from conviction.web.writes import delete_fx as remove

    return _edit_row(ctx, "fx", row_id, None, lambda c, b, ids: remove(c, b, row_id))


# --- the pages' forms: rows as text, read by load's reader ------------------------------------

_MODELS: dict[str, Any] = {"transactions": TransactionIn, "marks": MarkIn, "fx": FxIn}


def _form_model(kind: str, body: FormRowIn, book: Book) -> Any:
    """The form's row read as ``kind``'s file is read (load's messages), then as the
    request model (the API's ranges and rules; its message naming the field)."""
    from pydantic import ValidationError

    from conviction.errors import FormatError
    from conviction.web.writes import read_form_row

    typed = read_form_row(kind, dict(body.values), book)
    try:
        return _MODELS[kind].model_validate(typed)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first.get("loc", ())]
        message = str(first.get("msg", "")).removeprefix("Value error, ")
        field = loc[-1] if loc else None
        if field is None and ": " in message:
            field, message = message.split(": ", 1)
        raise FormatError(message, field=field) from None


@api.post(
    "/forms/{kind}",
    response_model=WriteOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=WRITE,
    responses=AUTH_ERRORS,
)
def post_form(ctx: Ctx, kind: Kind, body: FormRowIn) -> WriteOut:
    """Add one row from a page's form: its fields' text read as a row of the book's file
    by ``conviction load``'s reader (so a refusal is load's message, naming the field),
    then stored as ``POST /transactions``, ``/marks`` or ``/fx`` stores it."""
    from conviction.web.writes import Appended, add_fx, add_marks, add_transactions

    ids: list[int] = []

    def change(conn: Connection, book: Book) -> Book | Appended:
        row = _form_model(kind, body, book)
        if kind == "transactions":
            return add_transactions(conn, book, [row])
        if kind == "marks":
            return add_marks(conn, book, [row])
        return add_fx(conn, book, [row], ids)

    counts, state = ctx.write_rows(change)
    return WriteOut(added=1, database=counts, book_state=state)


@api.put(
    "/forms/{kind}/{row_id}", response_model=EditOut, dependencies=WRITE, responses=_EDIT_ERRORS
)
def put_form(ctx: Ctx, kind: Kind, row_id: RowId, body: FormRowIn) -> EditOut:
    """Replace a row the web app entered with a page form's row (read as ``POST
    /forms/{kind}`` reads it)."""
    from conviction.web.writes import edit_fx, edit_mark, edit_transaction

    edits: dict[str, Any] = {"transactions": edit_transaction, "marks": edit_mark, "fx": edit_fx}

    def theirs(conn: Connection, book: Book, ids: list[int]) -> Book:
        result: Book = edits[kind](conn, book, row_id, _form_model(kind, body, book), ids)
        return result

    return _edit_row(ctx, _WHAT[kind], row_id, lambda b: _form_model(kind, body, b), theirs)


# --- uploads --------------------------------------------------------------------------------------

UploadKind = Literal["transactions", "marks"]
_CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "The file's bytes, as the book's transactions.csv or marks.csv",
    }
}
FileName = Annotated[str, Query(max_length=200, description="The file's name, for messages")]


def _upload_out(plan: Any, *, applied: bool, counts: Any = None, state: Any = None) -> UploadOut:
    from dataclasses import asdict

    def values(new: Any) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(new).items()}

    return UploadOut(
        kind=plan.kind,
        file=plan.file,
        rows=plan.rows,
        add=[UploadRowOut(line=line, values=values(new)) for line, new in plan.add],
        change=[
            UploadRowOut(line=line, values=values(new), replaces=_row_out(old))
            for line, old, new in plan.change
        ],
        unchanged=list(plan.unchanged),
        applied=applied,
        database=counts,
        book_state=state,
    )


@api.post(
    "/uploads/{kind}/preview",
    response_model=UploadOut,
    dependencies=WRITE,
    responses=AUTH_ERRORS,
    openapi_extra=_CSV_BODY,
)
async def preview_upload(
    request: Request, ctx: Ctx, kind: UploadKind, name: FileName = "upload.csv"
) -> UploadOut:
    """What an upload would change (nothing is written): the rows it adds, the stored
    marks it replaces, the lines already stored; or the first error, with its line and
    field, as ``conviction load`` reports it."""
    from starlette.concurrency import run_in_threadpool

    from conviction.web.writes import plan_upload

    data = await request.body()

    def preview() -> UploadOut:
        book = ctx.book()
        with ctx.engine.connect() as conn:
            return _upload_out(plan_upload(conn, book, kind, name, data), applied=False)

    return await run_in_threadpool(preview)


@api.post(
    "/uploads/{kind}",
    response_model=UploadOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=WRITE,
    responses=AUTH_ERRORS,
    openapi_extra=_CSV_BODY,
)
async def apply_upload(
    request: Request, ctx: Ctx, kind: UploadKind, name: FileName = "upload.csv"
) -> UploadOut:
    """Apply an upload: the preview's changes in one transaction, all or nothing (checked
    again on the book as stored at that moment)."""
    from starlette.concurrency import run_in_threadpool

    from conviction.web.writes import apply_plan, plan_upload

    data = await request.body()
    plans: list[Any] = []

    def change(conn: Connection, book: Book) -> Book:
        plan = plan_upload(conn, book, kind, name, data)
        plans.append(plan)
        return apply_plan(conn, plan)

    def write() -> UploadOut:
        counts, state = ctx.write_rows(change)
        return _upload_out(plans[-1], applied=True, counts=counts, state=state)

    return await run_in_threadpool(write)


# --- pages ----------------------------------------------------------------------------------------

_PAGE = 50


@pages.get("/book", response_class=HTMLResponse)
def book_home() -> Response:
    return Response(status_code=status.HTTP_303_SEE_OTHER, headers={"Location": "/book/marks"})


@pages.get("/book/{kind}", response_class=HTMLResponse)
def book_page(
    request: Request,
    ctx: Ctx,
    kind: Kind,
    company: Annotated[str | None, Query(max_length=200)] = None,
    account: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=10**7)] = 1,
) -> HTMLResponse:
    """The stored rows of ``kind``, paged and filtered, with the forms that change them."""
    from conviction.web.pages import _missing, _page
    from conviction.web.views import read_view

    book = ctx.book()
    request.state.view = read_view(book, None)
    if company and company not in book.companies:
        raise _missing("company", company)
    if account and account not in book.accounts:
        raise _missing("account", account)
    with ctx.engine.connect() as conn:
        total, rows = list_rows(
            conn,
            _WHAT[kind],
            company=company or None,
            account=(account or None) if kind == "transactions" else None,
            offset=(page - 1) * _PAGE,
            limit=_PAGE,
        )
    pages_n = max(1, -(-total // _PAGE))
    prefill_kind = "close"
    if company and not book.companies[company].public:
        prefill_kind = "round"
    return _page(
        request,
        "book_edit.html.j2",
        kind=kind,
        rows=[_row_out(r, files=ctx.edit_files) for r in rows],
        total=total,
        page=page,
        pages=pages_n,
        company=company or "",
        account=account or "",
        companies=sorted(book.companies),
        accounts=sorted(book.accounts),
        prefill_kind=prefill_kind,
        today=dt.date.today().isoformat(),
    )
