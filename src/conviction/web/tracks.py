"""The track on the web: ``conviction track`` as a background job and the theses' track page.

``POST /api/v1/tracks`` (token) queues a track of a workspace projection TOML through the
milestone effects of a workspace theses TOML, on the stored book, in the app's job runner
(the projections' one: heavy work runs one job at a time); ``GET /api/v1/tracks/{id}``
gives its progress and, once done, ``conviction track --json``'s answer. ``/theses/track``
is the page: a form to start one, the job's progress, then the chart of the report
(``report.figures.track_figure``) and its table, drawn from the same answer.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from conviction.app.answers import answer, answer_model
from conviction.app.track_runs import TrackAnswer
from conviction.web.api import AUTH_ERRORS, ERRORS, WRITE, Ctx, not_found
from conviction.web.api_writes import job_state
from conviction.web.context import AppContext
from conviction.web.jobs import Job, job_key
from conviction.web.paths import inside
from conviction.web.schemas import IsoDate, JobState, _In

__all__ = ["TrackIn", "TrackJobOut", "api", "pages", "start_track"]

api = APIRouter(prefix="/api/v1", tags=["api"])
pages = APIRouter(include_in_schema=False)

#: The kind a track job's request carries (the runner also holds projection jobs).
KIND = "track"


class TrackIn(_In):
    """Track a projection TOML of the workspace through the milestone effects of the stored
    theses, or of a theses TOML of the workspace, on the stored book (a background job)."""

    spec: Annotated[str, Field(strict=True, min_length=1, max_length=500)]
    theses: Annotated[str, Field(strict=True, min_length=1, max_length=500)] | None = None
    paths: Annotated[int, Field(strict=True, ge=1, le=2_000_000)] | None = None
    seed: Annotated[int, Field(strict=True, ge=0)] | None = None
    as_of: IsoDate | None = None


if TYPE_CHECKING:
    TrackOut = BaseModel
else:  # generated from the answer class, as every answer (conviction.app.answers)
    TrackOut = answer_model(TrackAnswer)


class TrackJobOut(JobState):
    """A track job: its state, its progress (paths of every run together), its answer."""

    result: TrackOut | None = None


def track_job_out(ctx: AppContext, job: Job, *, cached: bool = False) -> TrackJobOut:
    links = {"self": f"/api/v1/tracks/{job.id}", "page": f"/theses/track?job={job.id}"}
    return TrackJobOut(
        **job_state(ctx, job, cached=cached, links=links),
        result=answer(job.result) if job.status == "done" else None,
    )


def start_track(ctx: AppContext, body: TrackIn) -> tuple[Job, bool]:
    """Queue (or find) the track job for ``body``."""
    from conviction.app.track_runs import track_book
    from conviction.io.projection_toml import Overrides
    from conviction.io.theses_toml import read_theses_file

    spec = inside(ctx.workspace, body.spec, suffix=".toml")
    theses = None if body.theses is None else inside(ctx.workspace, body.theses, suffix=".toml")
    request = {
        "kind": KIND,
        "spec": body.spec,
        "theses": body.theses,
        "paths": body.paths,
        "seed": body.seed,
        "as_of": body.as_of,
    }
    key = job_key(
        {
            **request,
            "spec_sha256": hashlib.sha256(spec.read_bytes()).hexdigest(),
            "theses_sha256": None
            if theses is None
            else hashlib.sha256(theses.read_bytes()).hexdigest(),
            "book": ctx.fingerprint(theses=True),
        }
    )
    book = ctx.book()
    recorded = ctx.theses().theses  # with the updates made on the theses page

    def work(progress: Any) -> Any:
        from conviction.theses.effects import with_updates

        if theses is None:
            chosen, label = recorded, "the stored theses"
        else:
            found = read_theses_file(theses, book.companies, book.persons)
            chosen, label = with_updates(found.theses, recorded), str(body.theses)
        done = track_book(
            book,
            spec,
            chosen,
            theses_file=label,
            as_of=body.as_of,
            overrides=Overrides(paths=body.paths, seed=body.seed),
            progress=progress,
        )
        return replace(done, config=body.spec)  # the file as the user named it

    return ctx.jobs.submit(key, request, work)


def _track_job(ctx: AppContext, job_id: str) -> Job | None:
    job = ctx.jobs.get(job_id)
    return job if job is not None and job.request.get("kind") == KIND else None


@api.post(
    "/tracks",
    response_model=TrackJobOut,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=WRITE,
    responses={**AUTH_ERRORS, 200: {"description": "The same request again: the same job"}},
)
def post_track(ctx: Ctx, body: TrackIn, response: Response) -> TrackJobOut:
    """Start a track (``conviction track``) of the stored book as a background job, or get
    the identical one already run or running. Poll its ``links.self``."""
    job, cached = start_track(ctx, body)
    if cached:
        response.status_code = status.HTTP_200_OK
    out = track_job_out(ctx, job, cached=cached)
    return out.model_copy(update={"result": None})


@api.get("/tracks/{job_id}", response_model=TrackJobOut, responses=ERRORS)
def get_track(ctx: Ctx, job_id: str) -> TrackJobOut:
    """A track job's progress, and its answer (``conviction track --json``) when done."""
    job = _track_job(ctx, job_id)
    if job is None:
        known = [j.id for j in ctx.jobs.jobs() if j.request.get("kind") == KIND]
        raise not_found("track job", job_id, known)
    return track_job_out(ctx, job)


def _files(ctx: AppContext, word: str) -> list[str]:
    """Workspace TOMLs with ``word`` in their name, in the top folder levels."""
    found: list[str] = []
    for pattern in ("*.toml", "*/*.toml", "*/*/*.toml"):
        for p in sorted(Path(ctx.workspace).glob(pattern)):
            rel = str(p.relative_to(ctx.workspace))
            if word in p.name and rel not in found:
                found.append(rel)
    return found[:20]


@pages.get("/theses/track", response_class=HTMLResponse)
def track_page(
    request: Request,
    ctx: Ctx,
    job: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    from conviction.report import figures
    from conviction.report.render import figure_html
    from conviction.web.pages import _missing, _nonce, _page

    found = _track_job(ctx, job) if job else None
    if job and found is None:
        raise _missing("track job", job)
    fig = None
    result: TrackAnswer | None = None
    if found is not None and found.status == "done":
        result = found.result
        assert result is not None
        fig = figure_html(figures.track_figure(result), "fig-track", nonce=_nonce(request))
    specs = ([ctx.projection] if ctx.projection else []) + _files(ctx, "projection")
    return _page(
        request,
        "track.html.j2",
        job=found,
        result=result,
        fig=fig,
        specs=list(dict.fromkeys(specs)),
        theses_files=_files(ctx, "theses"),
    )
