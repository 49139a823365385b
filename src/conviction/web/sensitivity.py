"""Sensitivity and scenario runs on the web: background jobs, the tornado, scenarios.

``POST /api/v1/sensitivities`` (token) queues ``conviction sensitivity`` of a workspace
projection TOML on the stored book, ``POST /api/v1/scenarios`` (token) ``conviction project
--scenario NAME...``; both run in the app's job runner (the projections' one: heavy work
runs one job at a time), and the same request again is the same job. ``GET`` on a job gives
its progress and, once done, the CLI's ``--json`` answer (its model generated from the
answer class). The request is checked before anything is queued: an unknown scenario, a
``[[sensitivity]]`` range on an unknown input, a bad spec file are a 422 naming the field
and no job. ``/projection/sensitivity`` is the page: a form for each, the job's progress,
then the figures of the report (``report.sensitivity_figures``) and their tables.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from conviction.app.answers import answer, answer_model
from conviction.app.policy_answers import ComparisonReport
from conviction.app.scenario_runs import ScenarioReport
from conviction.app.sensitivity_runs import SensitivityAnswer
from conviction.errors import InputError
from conviction.web.api import AUTH_ERRORS, ERRORS, WRITE, Ctx, not_found
from conviction.web.api_writes import job_state
from conviction.web.context import AppContext
from conviction.web.jobs import Job, job_key
from conviction.web.paths import inside
from conviction.web.schemas import IsoDate, JobState, _In

if TYPE_CHECKING:
    from conviction.io.projection_toml import Overrides

__all__ = [
    "ComparisonIn",
    "ComparisonJobOut",
    "ScenarioJobOut",
    "ScenariosIn",
    "SensitivityIn",
    "SensitivityJobOut",
    "api",
    "pages",
    "policy_files",
    "scenario_names",
    "start_comparison",
    "start_scenarios",
    "start_sensitivity",
]

api = APIRouter(prefix="/api/v1", tags=["api"])
pages = APIRouter(include_in_schema=False)

#: The kinds these jobs' requests carry (the runner also holds projection and track jobs).
SENSITIVITY, SCENARIOS, COMPARE = "sensitivity", "scenarios", "compare"

KINDS = (SENSITIVITY, SCENARIOS, COMPARE)

Spec = Annotated[str, Field(strict=True, min_length=1, max_length=500)]
Paths = Annotated[int, Field(strict=True, ge=1, le=2_000_000)]
Seed = Annotated[int, Field(strict=True, ge=0)]
Target = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=1e6)]
Years = Annotated[int, Field(strict=True, ge=1, le=100)]
Name = Annotated[str, Field(strict=True, min_length=1, max_length=200)]


class SensitivityIn(_In):
    """A tornado and Sobol indices (``conviction sensitivity``) of a projection TOML of the
    workspace on the stored book (a background job)."""

    spec: Spec
    paths: Paths | None = None
    seed: Seed | None = None
    target_multiple: Target | None = None
    years: Years | None = None
    as_of: IsoDate | None = None


class ScenariosIn(_In):
    """The base and the named ``[[scenario]]`` tables of a projection TOML of the workspace
    side by side (``conviction project --scenario NAME...``), a background job."""

    spec: Spec
    scenarios: list[Name] = Field(min_length=1, max_length=20)
    paths: Paths | None = None
    seed: Seed | None = None
    target_multiple: Target | None = None
    years: Years | None = None
    as_of: IsoDate | None = None


class ComparisonIn(_In):
    """Policy TOMLs of the workspace run on the same projected paths of a projection TOML of
    the workspace (``conviction compare``), a background job."""

    spec: Spec
    policies: list[Spec] = Field(min_length=1, max_length=20)
    paths: Paths | None = None
    seed: Seed | None = None
    target_multiple: Target | None = None
    as_of: IsoDate | None = None


if TYPE_CHECKING:
    SensitivityOut = BaseModel
    ScenarioOut = BaseModel
    ComparisonOut = BaseModel
else:  # generated from the answer classes, as every answer (conviction.app.answers)
    SensitivityOut = answer_model(SensitivityAnswer)
    ScenarioOut = answer_model(ScenarioReport)
    ComparisonOut = answer_model(ComparisonReport)


class SensitivityJobOut(JobState):
    """A sensitivity job: its state, its progress (runs done of runs), its answer."""

    result: SensitivityOut | None = None


class ScenarioJobOut(JobState):
    """A scenario job: its state, its progress (paths of every case together), its answer."""

    result: ScenarioOut | None = None


class ComparisonJobOut(JobState):
    """A compare job: its state, its progress (paths), its answer."""

    result: ComparisonOut | None = None


def _refused(ctx: AppContext, exc: InputError, field: str | None = None) -> HTTPException:
    """A file's error found before queueing: a 422 naming the field, the file and line."""
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        {
            "message": exc.message,
            "field": field or exc.field,
            "line": exc.line,
            "file": ctx.relative(exc.file),
        },
    )


def _overrides(body: SensitivityIn | ScenariosIn) -> Overrides:
    from conviction.io.projection_toml import Overrides

    return Overrides(
        paths=body.paths, seed=body.seed, years=body.years, target_multiple=body.target_multiple
    )


def _key(ctx: AppContext, spec: Path, request: dict[str, Any]) -> str:
    return job_key(
        {
            **request,
            "spec_sha256": hashlib.sha256(spec.read_bytes()).hexdigest(),
            "book": ctx.fingerprint(theses=False),
        }
    )


def start_sensitivity(ctx: AppContext, body: SensitivityIn) -> tuple[Job, bool]:
    """Queue (or find) the sensitivity job for ``body``; the file's ranges checked first."""
    from conviction.app.sensitivity_runs import book_spec, sensitivity_answer, sensitivity_book
    from conviction.io.sensitivity_toml import read_sensitivity

    spec = inside(ctx.workspace, body.spec, suffix=".toml")
    book = ctx.book()
    try:
        read_sensitivity(
            spec, book_spec(book, spec, as_of=body.as_of, overrides=_overrides(body)).spec
        )
    except InputError as exc:
        raise _refused(ctx, exc) from None
    request = {"kind": SENSITIVITY, **body.model_dump(mode="json")}

    def work(progress: Any) -> Any:
        bs, res = sensitivity_book(
            book, spec, as_of=body.as_of, overrides=_overrides(body), progress=progress
        )
        return replace(sensitivity_answer(bs, res), config=body.spec)  # as the user named it

    return ctx.jobs.submit(_key(ctx, spec, request), request, work)


def start_scenarios(ctx: AppContext, body: ScenariosIn) -> tuple[Job, bool]:
    """Queue (or find) the scenario job for ``body``; every name checked against the file."""
    from conviction.app.scenario_runs import project_scenarios, scenario_report
    from conviction.app.sensitivity_runs import book_spec
    from conviction.io.scenario_toml import read_scenarios, select_scenarios

    spec = inside(ctx.workspace, body.spec, suffix=".toml")
    book = ctx.book()
    try:
        bs = book_spec(book, spec, as_of=body.as_of, overrides=_overrides(body))
        found = read_scenarios(spec, bs.spec, book=book)
    except InputError as exc:
        raise _refused(ctx, exc) from None
    try:
        select_scenarios(found, body.scenarios, spec)
    except InputError as exc:
        raise _refused(ctx, exc, "scenarios") from None
    request = {"kind": SCENARIOS, **body.model_dump(mode="json")}

    def work(progress: Any) -> Any:
        runs = project_scenarios(
            book,
            spec,
            body.scenarios,
            as_of=body.as_of,
            overrides=_overrides(body),
            progress=progress,
        )
        return replace(scenario_report(runs), config=body.spec)  # as the user named it

    return ctx.jobs.submit(_key(ctx, spec, request), request, work)


def start_comparison(ctx: AppContext, body: ComparisonIn) -> tuple[Job, bool]:
    """Queue (or find) the compare job for ``body``; every policy file read first."""
    from conviction.app.policy_answers import comparison_report
    from conviction.app.runs import compare_policies
    from conviction.io.policy_toml import read_policy
    from conviction.io.projection_toml import Overrides, read_projection

    spec = inside(ctx.workspace, body.spec, suffix=".toml")
    files = [inside(ctx.workspace, p, suffix=".toml") for p in body.policies]
    book = ctx.book()
    policies = []
    try:
        read_projection(spec, book=book)
        for f in files:
            policies.append(read_policy(f))
    except InputError as exc:
        raise _refused(ctx, exc) from None
    request = {"kind": COMPARE, **body.model_dump(mode="json")}
    key = job_key(
        {
            **request,
            "spec_sha256": hashlib.sha256(spec.read_bytes()).hexdigest(),
            "policies_sha256": [hashlib.sha256(f.read_bytes()).hexdigest() for f in files],
            "book": ctx.fingerprint(theses=False),
        }
    )
    overrides = Overrides(paths=body.paths, seed=body.seed, target_multiple=body.target_multiple)

    def work(progress: Any) -> Any:
        compared = compare_policies(
            book, spec, policies, as_of=body.as_of, overrides=overrides, progress=progress
        )
        return replace(comparison_report(compared), config=body.spec)  # as the user named it

    return ctx.jobs.submit(key, request, work)


def _job(ctx: AppContext, job_id: str, kind: str) -> Job | None:
    job = ctx.jobs.get(job_id)
    return job if job is not None and job.request.get("kind") == kind else None


def _known(ctx: AppContext, kind: str) -> list[str]:
    return [j.id for j in ctx.jobs.jobs() if j.request.get("kind") == kind]


def _links(kind: str, job: Job) -> dict[str, str]:
    plural = {SENSITIVITY: "sensitivities", SCENARIOS: "scenarios", COMPARE: "comparisons"}[kind]
    return {"self": f"/api/v1/{plural}/{job.id}", "page": f"/projection/sensitivity?job={job.id}"}


def sensitivity_job_out(
    ctx: AppContext, job: Job, *, cached: bool = False, result: bool = True
) -> SensitivityJobOut:
    return SensitivityJobOut(
        **job_state(ctx, job, cached=cached, links=_links(SENSITIVITY, job)),
        result=answer(job.result) if job.status == "done" and result else None,
    )


def scenario_job_out(
    ctx: AppContext, job: Job, *, cached: bool = False, result: bool = True
) -> ScenarioJobOut:
    return ScenarioJobOut(
        **job_state(ctx, job, cached=cached, links=_links(SCENARIOS, job)),
        result=answer(job.result) if job.status == "done" and result else None,
    )


def comparison_job_out(
    ctx: AppContext, job: Job, *, cached: bool = False, result: bool = True
) -> ComparisonJobOut:
    return ComparisonJobOut(
        **job_state(ctx, job, cached=cached, links=_links(COMPARE, job)),
        result=answer(job.result) if job.status == "done" and result else None,
    )


_ACCEPTED = {**AUTH_ERRORS, 200: {"description": "The same request again: the same job"}}


@api.post(
    "/sensitivities",
    response_model=SensitivityJobOut,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=WRITE,
    responses=_ACCEPTED,
)
def post_sensitivity(ctx: Ctx, body: SensitivityIn, response: Response) -> SensitivityJobOut:
    """Start a sensitivity run (``conviction sensitivity``) of the stored book as a background
    job, or get the identical one already run or running. Poll its ``links.self``."""
    job, cached = start_sensitivity(ctx, body)
    if cached:
        response.status_code = status.HTTP_200_OK
    return sensitivity_job_out(ctx, job, cached=cached, result=False)


@api.get("/sensitivities/{job_id}", response_model=SensitivityJobOut, responses=ERRORS)
def get_sensitivity(ctx: Ctx, job_id: str) -> SensitivityJobOut:
    """A sensitivity job's progress, and its answer (``conviction sensitivity --json``)."""
    job = _job(ctx, job_id, SENSITIVITY)
    if job is None:
        raise not_found("sensitivity job", job_id, _known(ctx, SENSITIVITY))
    return sensitivity_job_out(ctx, job)


@api.post(
    "/scenarios",
    response_model=ScenarioJobOut,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=WRITE,
    responses=_ACCEPTED,
)
def post_scenarios(ctx: Ctx, body: ScenariosIn, response: Response) -> ScenarioJobOut:
    """Start the base and the named scenarios (``conviction project --scenario``) as a
    background job, or get the identical one already run or running."""
    job, cached = start_scenarios(ctx, body)
    if cached:
        response.status_code = status.HTTP_200_OK
    return scenario_job_out(ctx, job, cached=cached, result=False)


@api.get("/scenarios/{job_id}", response_model=ScenarioJobOut, responses=ERRORS)
def get_scenarios(ctx: Ctx, job_id: str) -> ScenarioJobOut:
    """A scenario job's progress, and its answer (``conviction project --scenario --json``)."""
    job = _job(ctx, job_id, SCENARIOS)
    if job is None:
        raise not_found("scenario job", job_id, _known(ctx, SCENARIOS))
    return scenario_job_out(ctx, job)


@api.post(
    "/comparisons",
    response_model=ComparisonJobOut,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=WRITE,
    responses=_ACCEPTED,
)
def post_comparison(ctx: Ctx, body: ComparisonIn, response: Response) -> ComparisonJobOut:
    """Start policies on the same projected paths (``conviction compare``) as a background
    job, or get the identical one already run or running."""
    job, cached = start_comparison(ctx, body)
    if cached:
        response.status_code = status.HTTP_200_OK
    return comparison_job_out(ctx, job, cached=cached, result=False)


@api.get("/comparisons/{job_id}", response_model=ComparisonJobOut, responses=ERRORS)
def get_comparison(ctx: Ctx, job_id: str) -> ComparisonJobOut:
    """A compare job's progress, and its answer (``conviction compare --json``) when done."""
    job = _job(ctx, job_id, COMPARE)
    if job is None:
        raise not_found("compare job", job_id, _known(ctx, COMPARE))
    return comparison_job_out(ctx, job)


# --- the page ---------------------------------------------------------------------------------


def scenario_names(ctx: AppContext, spec: str) -> list[str]:
    """The names of the ``[[scenario]]`` tables of a workspace spec, for a form's choices
    (read as plain TOML: the run checks each one properly); none if it does not parse."""
    try:
        path = inside(ctx.workspace, spec, suffix=".toml")
        doc = tomllib.loads(path.read_text("utf-8"))
    except (HTTPException, OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return []
    rows = doc.get("scenario", [])
    if not isinstance(rows, list):
        return []
    return [str(r["name"]) for r in rows if isinstance(r, dict) and "name" in r][:50]


def policy_files(ctx: AppContext) -> list[str]:
    """Policy TOMLs the pages offer: the server's (``--policy``, ``--from``), then any in a
    ``policies`` folder of the workspace's top folder levels."""
    found = list(ctx.policies)
    for pattern in ("policies/*.toml", "*/policies/*.toml", "*/*/policies/*.toml"):
        for p in sorted(Path(ctx.workspace).glob(pattern)):
            found.append(str(p.relative_to(ctx.workspace)))
    return list(dict.fromkeys(found))[:40]


def spec_choices(ctx: AppContext) -> list[tuple[str, list[str]]]:
    """Each projection file the pages offer, with its scenarios' names."""
    from conviction.web.pages import _specs

    return [(s, scenario_names(ctx, s)) for s in _specs(ctx)]


@pages.get("/projection/sensitivity", response_class=HTMLResponse)
def sensitivity_page(
    request: Request,
    ctx: Ctx,
    job: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    from conviction.report import sensitivity_figures as sf
    from conviction.report.render import figure_html
    from conviction.web.pages import _missing, _nonce, _page

    found = None
    if job:
        found = next((j for k in KINDS if (j := _job(ctx, job, k)) is not None), None)
        if found is None:
            raise _missing("sensitivity or scenario job", job)
    figs: dict[str, Any] = {}
    sens: SensitivityAnswer | None = None
    scen: ScenarioReport | None = None
    comp: ComparisonReport | None = None
    if found is not None and found.status == "done":
        nonce = _nonce(request)
        if found.request["kind"] == SENSITIVITY:
            sens = found.result
            assert sens is not None
            figs["tornado"] = figure_html(sf.tornado_figure(sens), "fig-tornado", nonce=nonce)
            if sens.sobol.indices:
                figs["sobol"] = figure_html(sf.sobol_figure(sens), "fig-sobol", nonce=nonce)
        elif found.request["kind"] == SCENARIOS:
            scen = found.result
            assert scen is not None
            figs["scenarios"] = figure_html(sf.scenario_figure(scen), "fig-scenarios", nonce=nonce)
        else:
            comp = found.result
            assert comp is not None
            figs["compare"] = figure_html(sf.compare_figure(comp), "fig-compare", nonce=nonce)
    return _page(
        request,
        "sensitivity.html.j2",
        job=found,
        kind=None if found is None else found.request["kind"],
        sens=sens,
        scen=scen,
        comp=comp,
        figs=figs,
        choices=spec_choices(ctx),
    )
