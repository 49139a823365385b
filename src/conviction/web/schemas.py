"""The REST API's models: what goes over the wire, apart from the database tables.

Request models are strict about types (a quantity is a JSON number, not the text "5"; a
date is the text ``YYYY-MM-DD``) and forbid unknown keys, so a typo is an error rather
than a silently ignored field. Their ranges are those of ``conviction.io.limits``, the
same constants the file readers use: numbers finite and below 1e15 in magnitude, dates
1900-01-01..2199-12-31, ids and names no longer than their database columns (the OpenAPI
schema shows each bound). The rules of a row are those of the CSV readers in
``conviction.io.csv_tables``: a write through the API is accepted exactly when the same
row in a file would load.

The answers of the reads (status, history, reviews...) have no model here: their models
are generated from the core's result classes by ``conviction.app.answers``, the same
serializer that writes the CLI's ``--json``. What stays here: the request bodies, and the
responses that belong to the web app alone (errors, writes, jobs).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from conviction._typing import ACTIONS, MARK_GRADES, MARK_KINDS
from conviction.app.answers import answer_model
from conviction.app.projection_answers import ProjectionReport
from conviction.book.currencies import ISO_4217
from conviction.io.limits import (
    MAX_DATE,
    MAX_ID,
    MAX_LOT,
    MAX_MAGNITUDE,
    MAX_NAME,
    MIN_DATE,
    date_error,
)
from conviction.theses.model import STATUSES

__all__ = [
    "MAX_ROWS",
    "ChangeOut",
    "EditOut",
    "ErrorOut",
    "ErrorResponse",
    "FormRowIn",
    "FxIn",
    "FxRatesIn",
    "IssueOut",
    "JobOut",
    "JobState",
    "MarkIn",
    "MarksIn",
    "MilestoneEntryOut",
    "MilestoneUpdateIn",
    "ProjectionIn",
    "RowsOut",
    "StoredRowOut",
    "TransactionIn",
    "TransactionsIn",
    "UploadOut",
    "UploadRowOut",
    "WriteOut",
]

#: The most rows one write may carry (bigger loads belong in files: ``conviction load``).
MAX_ROWS = 10_000


def _iso_date(value: Any) -> Any:
    """Dates are the text YYYY-MM-DD: not numbers (which pydantic reads as timestamps)."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a date as text YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}") from None


def _in_range(value: dt.date) -> dt.date:
    if (why := date_error(value)) is not None:
        raise ValueError(why)
    return value


IsoDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    AfterValidator(_in_range),
    Field(
        description=f"a date YYYY-MM-DD from {MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}",
        json_schema_extra={"x-minimum": MIN_DATE.isoformat(), "x-maximum": MAX_DATE.isoformat()},
    ),
]
Number = Annotated[
    float, Field(strict=True, allow_inf_nan=False, gt=-MAX_MAGNITUDE, lt=MAX_MAGNITUDE)
]
Positive = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, lt=MAX_MAGNITUDE)]
NonNegative = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, lt=MAX_MAGNITUDE)]
Text = Annotated[str, Field(strict=True, max_length=MAX_NAME)]
Id = Annotated[str, Field(strict=True, max_length=MAX_ID)]
LongText = Annotated[str, Field(strict=True, max_length=4000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _currency(value: str) -> str:
    code = value.strip().upper()
    if code and code not in ISO_4217:
        raise ValueError(f"unknown currency code {value!r} (expected an ISO 4217 code)")
    return code


Currency = Annotated[Text, BeforeValidator(lambda v: _currency(v) if isinstance(v, str) else v)]


class TransactionIn(_In):
    """One row of ``transactions.csv``."""

    date: IsoDate
    account: Id = ""
    company: Id = ""
    action: Literal[ACTIONS]  # type: ignore[valid-type]
    quantity: Positive
    price: Positive | None = None
    fees: NonNegative | None = None  # none given: stored empty, read as no fee (0)
    currency: Annotated[
        Text, BeforeValidator(lambda v: _currency(v) if isinstance(v, str) else v)
    ] = ""
    fx_rate: Positive | None = None
    lot: Annotated[str, Field(strict=True, max_length=MAX_LOT)] = ""

    @model_validator(mode="after")
    def _rules(self) -> TransactionIn:
        trade = self.action in ("buy", "sell", "dividend", "split")
        if not self.account and self.action != "split":
            raise ValueError("account: an account is required for this action")
        if trade and not self.company:
            raise ValueError("company: a company is required for this action")
        if not trade and self.company:
            raise ValueError(f"company: {self.action} rows take no company")
        if self.action in ("buy", "sell", "dividend") and self.price is None:
            raise ValueError("price: a number is required here")
        return self


class TransactionsIn(_In):
    transactions: list[TransactionIn] = Field(min_length=1, max_length=MAX_ROWS)


class MarkIn(_In):
    """One row of ``marks.csv``: a price of one company on one date, with its source."""

    date: IsoDate
    company: Id
    price: Positive
    kind: Literal[MARK_KINDS]  # type: ignore[valid-type]
    source: LongText = ""
    grade: Literal[MARK_GRADES] | None = None  # type: ignore[valid-type]


class MarksIn(_In):
    marks: list[MarkIn] = Field(min_length=1, max_length=MAX_ROWS)


class MilestoneUpdateIn(_In):
    """A new dated state of a milestone (``conviction thesis update``)."""

    status: Literal[STATUSES]  # type: ignore[valid-type]
    evidence: LongText = Field(min_length=1)
    date: IsoDate | None = None
    due: IsoDate | None = None
    source: LongText = ""
    value: Number | None = None


class ProjectionIn(_In):
    """Run a projection TOML of the workspace on the stored book (a background job); every
    value left out is the file's. With ``scenarios`` (names of the file's ``[[scenario]]``
    tables) the base and each of them run side by side (``project --scenario``)."""

    spec: Annotated[str, Field(strict=True, min_length=1, max_length=500)]
    paths: Annotated[int, Field(strict=True, ge=1, le=2_000_000)] | None = None
    seed: Annotated[int, Field(strict=True, ge=0)] | None = None
    as_of: IsoDate | None = None
    years: Annotated[int, Field(strict=True, ge=1, le=100)] | None = None
    target_multiple: (
        Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=1e6)] | None
    ) = None
    scenarios: list[Annotated[str, Field(strict=True, min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=20
    )


# --- responses --------------------------------------------------------------------------------


class _Out(BaseModel):
    """Responses document their fields and pass on any the shared payload adds."""

    model_config = ConfigDict(extra="allow")


class ErrorOut(_Out):
    """Why a request was refused: a message, and where in the input when known."""

    message: str
    field: str | None = None
    line: int | None = None
    file: str | None = None


class IssueOut(_Out):
    """One invalid input of a request (the web app's form of pydantic's errors)."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(_Out):
    """The body of every 4xx answer: ``detail`` is one error, or (for query and body
    parameters that do not parse) the list of the invalid inputs."""

    detail: ErrorOut | list[IssueOut]


class WriteOut(_Out):
    added: int
    database: dict[str, int]
    #: The ``X-Book-State`` of the book after this write: an answer with this tag has it.
    book_state: str


class MilestoneEntryOut(_Out):
    thesis: str
    milestone: str
    date: dt.date
    status: str
    due: dt.date
    evidence: str
    source: str
    value: float | None
    origin: str


if TYPE_CHECKING:
    ProjectionOut = BaseModel
else:  # generated from the result class, as every answer (conviction.app.answers)
    ProjectionOut = answer_model(ProjectionReport)


class JobState(_Out):
    """What every background job answers: its state and progress (``result`` per kind)."""

    id: str
    status: Literal["queued", "running", "done", "failed"]
    done: int
    total: int
    fraction: float
    cached: bool = False
    error: ErrorOut | None = None
    request: dict[str, Any]
    links: dict[str, str]


class JobOut(JobState):
    """A projection job: its state, its progress, and its result once done."""

    result: ProjectionOut | None = None


# --- editing the book (conviction.web.editing) ------------------------------------------------


def _pair(value: Any) -> Any:
    """A pair as ``fx.csv`` takes it: six letters, any case, ``USD/JPY`` too."""
    return value.strip().upper().replace("/", "") if isinstance(value, str) else value


class FxIn(_In):
    """One row of ``fx.csv``: ``USDJPY`` is yen per dollar."""

    date: IsoDate
    pair: Annotated[str, Field(strict=True, max_length=7), BeforeValidator(_pair)]
    rate: Positive
    source: LongText = ""

    @model_validator(mode="after")
    def _codes(self) -> FxIn:
        base, quote = self.pair[:3], self.pair[3:]
        if len(self.pair) != 6 or base not in ISO_4217 or quote not in ISO_4217 or base == quote:
            raise ValueError(f"pair: pair {self.pair!r} is not two ISO 4217 codes like USDJPY")
        return self


class FxRatesIn(_In):
    rates: list[FxIn] = Field(min_length=1, max_length=MAX_ROWS)


class StoredRowOut(_Out):
    """A stored row of the book: its id (stable until the row is edited or deleted),
    its values, where it came from, and whether the web app may change it (rows from
    the book's files are corrected in the files, then ``conviction load``)."""

    id: int
    values: dict[str, Any]
    origin: str
    line: int | None
    editable: bool


class RowsOut(_Out):
    """A page of stored rows (newest date first) and how many match the filter."""

    kind: Literal["transactions", "marks", "fx"]
    total: int
    offset: int
    limit: int
    rows: list[StoredRowOut]


class EditOut(_Out):
    """What an edit or delete did: the row's new id (``None`` for a delete; an edit
    stores a new row), the id it replaced, the time it is recorded with (UTC)."""

    op: Literal["add", "edit", "delete"]
    id: int | None
    replaced: int | None
    recorded: dt.datetime
    database: dict[str, int]
    book_state: str


class ChangeOut(_Out):
    """One recorded change of the book's rows (``book_change``)."""

    id: int
    recorded: dt.datetime
    what: str
    op: str
    row_id: int | None
    old_id: int | None
    old: dict[str, Any] | None
    origin: str


class UploadRowOut(_Out):
    """One row of an uploaded CSV: its line in the file, its values, and for a change the
    stored row it replaces."""

    line: int
    values: dict[str, Any]
    replaces: StoredRowOut | None = None


class UploadOut(_Out):
    """An upload's preview (``applied`` false) or its result: the rows it adds, the
    stored rows it changes, the lines already stored as they are (left alone)."""

    kind: Literal["transactions", "marks"]
    file: str
    rows: int
    add: list[UploadRowOut]
    change: list[UploadRowOut]
    unchanged: list[int]
    applied: bool
    database: dict[str, int] | None = None
    book_state: str | None = None


class FormRowIn(_In):
    """A page form's row: each field's text as a row of the book's CSV file would hold
    it (``{"date": "2025-11-10", "price": "55"}``), read by ``conviction load``'s reader."""

    values: dict[
        Annotated[str, Field(strict=True, max_length=40)],
        Annotated[str, Field(strict=True, max_length=4000)],
    ] = Field(max_length=16)
