"""The REST API's writes and jobs under ``/api/v1``; every POST needs the bearer token.

Writes: transactions, marks, milestone updates (checked like ``conviction load``, one
transaction each). Jobs: projections run in the background (they take the machine, so
starting one needs the token too); their progress and results are open reads.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Response, status

from conviction.app.answers import answer
from conviction.app.projection_answers import projection_report
from conviction.report.payloads import milestone_entry_payload
from conviction.web.api import AUTH_ERRORS, ERRORS, WRITE, Ctx, not_found
from conviction.web.context import AppContext
from conviction.web.jobs import Job, job_key
from conviction.web.paths import inside
from conviction.web.schemas import (
    ErrorOut,
    JobOut,
    MarksIn,
    MilestoneEntryOut,
    MilestoneUpdateIn,
    ProjectionIn,
    TransactionsIn,
    WriteOut,
)

__all__ = ["job_out", "job_state", "router", "start_projection"]

router = APIRouter(prefix="/api/v1", tags=["api"])


# --- projections ----------------------------------------------------------------------------------


def job_state(ctx: AppContext, job: Job, *, cached: bool, links: dict[str, str]) -> dict[str, Any]:
    """The fields of ``JobState`` for ``job``, any kind (its file named as the user knows it)."""
    error = job.error
    return {
        "id": job.id,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "fraction": job.fraction,
        "cached": cached,
        "error": None
        if error is None
        else ErrorOut.model_validate({**error, "file": ctx.relative(error.get("file"))}),
        "request": job.request,
        "links": links,
    }


def job_out(ctx: AppContext, job: Job, *, cached: bool = False, result: bool = True) -> JobOut:
    links = {"self": f"/api/v1/projections/{job.id}", "page": f"/projection?job={job.id}"}
    return JobOut(
        **job_state(ctx, job, cached=cached, links=links),
        result=answer(projection_report(job.result)) if (job.status == "done" and result) else None,
    )


def start_projection(ctx: AppContext, body: ProjectionIn) -> tuple[Job, bool]:
    """Queue (or find) the projection job for ``body``; the shared path of API and pages.
    With scenarios it is the scenario job of ``web.sensitivity`` (the base beside each)."""
    import hashlib

    from conviction.app.runs import project_book
    from conviction.io.projection_toml import Overrides

    if body.scenarios:
        from conviction.web.sensitivity import ScenariosIn, start_scenarios

        return start_scenarios(ctx, ScenariosIn.model_validate(body.model_dump()))
    spec = inside(ctx.workspace, body.spec, suffix=".toml")
    request: dict[str, Any] = {
        "spec": body.spec,
        "paths": body.paths,
        "seed": body.seed,
        "as_of": body.as_of,
    }
    if body.years is not None or body.target_multiple is not None:  # old jobs keep their keys
        request |= {"years": body.years, "target_multiple": body.target_multiple}
    key = job_key(
        {
            **request,
            "spec_sha256": hashlib.sha256(spec.read_bytes()).hexdigest(),
            "book": ctx.fingerprint(theses=False),
        }
    )
    book = ctx.book()

    def work(progress: Any) -> Any:
        overrides = Overrides(
            paths=body.paths, seed=body.seed, years=body.years, target_multiple=body.target_multiple
        )
        return project_book(book, spec, as_of=body.as_of, overrides=overrides, progress=progress)

    return ctx.jobs.submit(key, request, work)


@router.post(
    "/projections",
    response_model=JobOut,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=WRITE,
    responses={**AUTH_ERRORS, 200: {"description": "The same request again: the same job"}},
)
def post_projection(ctx: Ctx, body: ProjectionIn, response: Response) -> JobOut:
    """Start a projection of the stored book as a background job (or get the identical
    one already run or running). Poll its ``links.self`` for progress and the result:
    with ``scenarios``, the scenario job (``/api/v1/scenarios/{id}``)."""
    job, cached = start_projection(ctx, body)
    if cached:
        response.status_code = status.HTTP_200_OK
    if _is_track(job):  # with scenarios: the scenario job, polled at its own links
        from conviction.web.sensitivity import scenario_job_out

        links = scenario_job_out(ctx, job, result=False).links
        return JobOut(**job_state(ctx, job, cached=cached, links=links), result=None)
    return job_out(ctx, job, cached=cached, result=False)


@router.get("/projections", response_model=list[JobOut])
def list_projections(ctx: Ctx) -> list[JobOut]:
    """Every remembered job, without results."""
    return [job_out(ctx, j, result=False) for j in ctx.jobs.jobs() if not _is_track(j)]


def _is_track(job: Job) -> bool:
    """A track, sensitivity, scenario or compare job (``web.tracks``, ``web.sensitivity``)
    shares the runner: a request with a kind is not a projection."""
    return job.request.get("kind") is not None


@router.get("/projections/{job_id}", response_model=JobOut, responses=ERRORS)
def get_projection(ctx: Ctx, job_id: str) -> JobOut:
    """A job's progress, and its result (``conviction project --json``'s shape) when done."""
    job = ctx.jobs.get(job_id)
    if job is None or _is_track(job):
        known = [j.id for j in ctx.jobs.jobs() if not _is_track(j)]
        raise not_found("projection job", job_id, known)
    return job_out(ctx, job)


# --- writes -------------------------------------------------------------------------------------


@router.post(
    "/transactions",
    response_model=WriteOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=WRITE,
    responses=AUTH_ERRORS,
)
def post_transactions(ctx: Ctx, body: TransactionsIn) -> WriteOut:
    """Add transactions (rows of ``transactions.csv``): all or none, checked like a load."""
    from conviction.web.writes import add_transactions

    counts, state = ctx.write_rows(
        lambda conn, book: add_transactions(conn, book, body.transactions), appends=True
    )
    return WriteOut(added=len(body.transactions), database=counts, book_state=state)


@router.post(
    "/marks",
    response_model=WriteOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=WRITE,
    responses=AUTH_ERRORS,
)
def post_marks(ctx: Ctx, body: MarksIn) -> WriteOut:
    """Add marks (rows of ``marks.csv``): all or none."""
    from conviction.web.writes import add_marks

    counts, state = ctx.write_rows(lambda conn, book: add_marks(conn, book, body.marks))
    return WriteOut(added=len(body.marks), database=counts, book_state=state)


@router.post(
    "/theses/{thesis_id:path}/milestones/{milestone_id:path}",
    response_model=MilestoneEntryOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=WRITE,
    responses=AUTH_ERRORS,
)
def post_milestone(
    ctx: Ctx, thesis_id: str, milestone_id: str, body: MilestoneUpdateIn
) -> MilestoneEntryOut:
    """Record a new dated state of a milestone (``conviction thesis update``); the
    earlier states are kept."""
    from conviction.store.theses_tables import update_thesis

    theses = {t.id: t for t in ctx.theses().theses}
    if thesis_id not in theses:
        raise not_found("thesis", thesis_id, theses)
    known = [m.id for m in theses[thesis_id].milestones]
    if milestone_id not in known:
        raise not_found(f"milestone of {thesis_id}", milestone_id, known)
    with ctx.write_lock, ctx.engine.begin() as conn:
        entry = update_thesis(
            conn,
            thesis_id,
            milestone_id,
            status=body.status,
            evidence=body.evidence,
            on=body.date or dt.date.today(),
            source=body.source,
            due=body.due,
            value=body.value,
        )
    return MilestoneEntryOut(
        thesis=thesis_id, milestone=milestone_id, **milestone_entry_payload(entry)
    )
