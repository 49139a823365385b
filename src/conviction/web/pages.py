"""HTML pages: dashboard, company, person, account, projection, policies, theses, report.

Pages are drawn on the server from the same data and figures as the report; tables work
without JavaScript. plotly.js and the page script come from this server (``/static``),
never from the network. Writes from a page (milestone updates, projection jobs) go
through the REST API with the token the user types in.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from functools import lru_cache, partial
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape

from conviction.app.book import only_accounts
from conviction.report import figures
from conviction.report.data import PolicyLine, ReportData
from conviction.report.render import environment, figure_html, plotly_js, report_figures
from conviction.web.context import AppContext, context
from conviction.web.views import (
    RANGES,
    PageError,
    View,
    book_on,
    range_start,
    read_view,
    windowed,
)

__all__ = ["page_error", "router"]

router = APIRouter(include_in_schema=False)
Ctx = Annotated[AppContext, Depends(context)]


def _view(
    request: Request,
    ctx: Ctx,
    as_of: Annotated[str | None, Query(max_length=40)] = None,
    account: Annotated[list[str] | None, Query(max_length=200)] = None,
    range_: Annotated[str | None, Query(alias="range", max_length=16)] = None,
    benchmark: Annotated[str | None, Query(max_length=400)] = None,
) -> View:
    """The page's date, accounts, chart range and benchmark (``?as_of=&account=&range=
    &benchmark=``), checked; kept on the request for the date picker of ``base.html.j2``
    (against ``book_for_checks``: the rows of the latest writes may not be joined yet)."""
    book = ctx.book_for_checks()
    try:
        view = read_view(book, as_of, account, range_, benchmark, benchmarks=_benchmarks(ctx))
    except PageError:
        request.state.view = read_view(book, None)
        raise
    request.state.view = view
    return view


PageView = Annotated[View, Depends(_view)]


def page_error(request: Request, exc: Exception) -> HTMLResponse:
    """A page asked for a date, account or range it cannot show: the page frame (its date
    picker included) with the message, HTTP 422."""
    assert isinstance(exc, PageError)
    page = _page(request, "error.html.j2", message=exc.message, field=exc.field)
    page.status_code = 422
    return page


_STATIC = PackageLoader("conviction.web", "static")


def _env(request: Request) -> Environment:
    env = request.app.state.__dict__.get("jinja")
    if env is None:
        env = environment(PackageLoader("conviction.web", "templates"))
        env.filters["day"] = _np_date
        env.globals["ID_LINK"] = _ID_LINK
        env.globals["plotly_url"] = PLOTLY_URL
        request.app.state.jinja = env
    return env  # type: ignore[no-any-return]


def _nonce(request: Request) -> str:
    """This answer's CSP nonce (``SecurityHeaders`` makes one per request)."""
    nonce: str = request.scope.get("state", {}).get("csp_nonce", "")
    return nonce


#: Link prefixes for the report's tables (``_tables.html.j2`` writes ``{{ link }}{{ id |
#: id_url }}``).
_ID_LINK = {kind: f"/{kind}/" for kind in ("company", "person", "account")}


def _page(request: Request, name: str, *, nonce: str | None = None, **values: Any) -> HTMLResponse:
    """Render a page; ``nonce``: the scripts' CSP nonce (default: this answer's)."""
    ctx: AppContext = request.app.state.ctx
    template = _env(request).get_template(name)
    csp_nonce = _nonce(request) if nonce is None else nonce
    values.setdefault("view", getattr(request.state, "view", None))
    values.setdefault("RANGES", RANGES)
    page = template.render(request=request, ctx=ctx, csp_nonce=csp_nonce, **values)
    view = values["view"]
    if view is not None and view.as_of is not None:  # links to an id keep the date
        page = _ID_HREF.sub(rf'href="\1?as_of={view.as_of.isoformat()}"', page)
    return HTMLResponse(page)


#: A link to a company, person or account page (ids are URL-encoded, so no ``"?#``).
_ID_HREF = re.compile(r'href="(/(?:company|person|account)/[^"?#]+)"')


def _with_nonce(figure: Markup, nonce: str) -> Markup:
    """A figure drawn (and cached) without a nonce, with this answer's nonce on its script
    (as ``figure_html(..., nonce=...)`` writes it)."""
    tagged = str(figure).replace("<script", f'<script nonce="{escape(nonce)}"', 1)
    return Markup(tagged)  # (Markup.replace would escape the new text)


_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def _nonce_every_script(document: str, nonce: str) -> str:
    """The nonce on every script of a document the server wrote (the report): scanned left
    to right, each match starts at a real ``<script`` tag (text is escaped, figure data
    JSON-escaped) and runs to its ``</script>``."""
    tag = f' nonce="{escape(nonce)}"'
    return _SCRIPT.sub(lambda m: f"<script{tag}{m[1]}>{m[2]}</script>", document)


def _data(ctx: AppContext, view: View | None = None) -> ReportData:
    """The report's data for a page, without projection and policies (cached): on the
    view's date (default: the book's), of the view's accounts (default: all)."""
    from conviction.report.data import report_data

    as_of = view.as_of if view else None
    accounts = view.accounts if view else ()
    against = view.benchmark if view else None

    def make() -> ReportData:
        from conviction.app.book import report_date

        book = only_accounts(ctx.book(), accounts)
        stored = ctx.theses()
        return report_data(
            book,
            report_date(book, as_of),
            theses=stored.theses,
            scorecards=stored.scorecards,
            settings=stored.review,
            benchmark=_benchmark(ctx, against),
        )

    plain = as_of is None and not accounts and against is None
    key = "dashboard" if plain else f"dashboard:{as_of}:{accounts}:{against}"
    data: ReportData = ctx.cached(key, make)
    return data


def _benchmarks(ctx: AppContext) -> dict[str, str]:
    """The series a page may draw the book against, by the key ``?benchmark=`` takes: the
    server's ``--benchmark`` file, then each company with two marks or more (its marks,
    split-adjusted), with the names the picker shows."""
    choices = {ctx.benchmark: ctx.benchmark} if ctx.benchmark else {}

    book = ctx.book_for_checks()  # its marks and companies are the book's
    companies: dict[str, str] | None = book.memo.get("benchmarks")
    if companies is None:  # once per book (not per state: writes of transactions keep it)
        counts = book.marks["company"].value_counts()
        marked = {
            c.id: f"{c.name} (marks)" for c in book.companies.values() if counts.get(c.id, 0) > 1
        }
        companies = book.memo.setdefault("benchmarks", marked)
    return {**choices, **{k: v for k, v in companies.items() if k not in choices}}


def _benchmark(ctx: AppContext, choice: str | None = None) -> Any:
    """The price series ``choice`` names (default: the server's ``--benchmark``; ``none``:
    no benchmark)."""
    import pandas as pd

    if choice == "none" or (choice is None and ctx.benchmark is None):
        return None
    if choice is None or choice == ctx.benchmark:
        from conviction.io.prices import read_price_csv
        from conviction.web.paths import inside

        assert ctx.benchmark is not None
        series = read_price_csv(inside(ctx.workspace, ctx.benchmark, suffix=".csv"))
        series.name = ctx.benchmark.rsplit("/", 1)[-1].removesuffix(".csv")
        return series
    from conviction.ledger.valuation import price_history

    book = ctx.book()
    marks = book.marks[book.marks["company"] == choice]
    days = np.unique(marks["date"].to_numpy().astype("datetime64[D]"))
    prices = price_history(book, days)[choice].to_numpy()  # split-adjusted
    return pd.Series(prices, index=pd.DatetimeIndex(days), name=book.companies[choice].name)


def _missing(what: str, key: str) -> HTTPException:
    from conviction.app.book import quoted_id

    return HTTPException(status.HTTP_404_NOT_FOUND, {"message": f"no {what} {quoted_id(key)}"})


def _plotly_version() -> str:
    from plotly.offline import get_plotlyjs_version  # type: ignore[import-untyped]

    version: str = get_plotlyjs_version()
    return version


#: Where pages load plotly.js from: the version in the name, so the browser may keep it
#: for a year (a new plotly package is a new URL). Each page used to load the 4.8 MB
#: bundle afresh (1.3-3.0 s a page in Chromium; docs/benchmarks.md).
PLOTLY_URL = f"/static/plotly-{_plotly_version()}.min.js"


@lru_cache(maxsize=1)
def _plotly_bytes() -> bytes:
    return plotly_js().encode("utf-8")


@router.get(PLOTLY_URL)
def plotly_bundle() -> Response:
    return Response(
        _plotly_bytes(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


@router.get("/static/plotly.min.js")
def plotly_bundle_unversioned() -> Response:
    """The same bundle under its old name (cached for a day)."""
    return Response(
        _plotly_bytes(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


#: Swagger UI's files, from the ``fastapi-offline`` package (no CDN).
_SWAGGER = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css"}


@lru_cache(maxsize=len(_SWAGGER))
def _swagger_file(name: str) -> bytes:
    from importlib.resources import files

    return files("fastapi_offline").joinpath("static", name).read_bytes()


@router.get("/static/swagger/{name}")
def swagger_asset(name: str) -> Response:
    if name not in _SWAGGER:
        raise _missing("file", name)
    return Response(
        _swagger_file(name),
        media_type=_SWAGGER[name],
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/api/v1/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI over ``/api/v1/openapi.json``, its script and styles from this server."""
    from fastapi.openapi.docs import get_swagger_ui_html

    page = get_swagger_ui_html(
        openapi_url="/api/v1/openapi.json",
        title="conviction · API",
        swagger_js_url="/static/swagger/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger/swagger-ui.css",
        swagger_favicon_url="data:,",
    )
    return HTMLResponse(_nonce_every_script(bytes(page.body).decode(), _nonce(request)))


@router.get("/static/lazy-plots.js")
def lazy_plots_script() -> Response:
    from conviction.report.render import lazy_plots_js

    return Response(lazy_plots_js(), media_type="text/javascript")


#: The pages' scripts in ``web/static`` (served by name; any other name is a 404).
SCRIPTS = frozenset({"app", "edit", "sensitivity", "tearsheet", "track"})


@router.get("/static/{name}.js")
def page_script(name: str) -> Response:
    """One of the pages' own scripts (``SCRIPTS``)."""
    if name not in SCRIPTS:
        raise _missing("file", f"{name}.js")
    source, _, _ = _STATIC.get_source(Environment(), f"{name}.js")
    return Response(source, media_type="text/javascript")


#: Stands for the answer's CSP nonce in a page drawn once and cached for its book state.
_NONCE_MARK = "nonce-" + secrets.token_hex(16)


def _cached_page(
    request: Request, ctx: AppContext, key: str, draw: Any, *, last: bool = True
) -> HTMLResponse:
    """A page that depends on the book state only, drawn once per state (``draw(nonce)``
    with a stand-in nonce) and given this answer's nonce: a repeated read costs a string
    replacement, not a render (the dashboard's figures take about 0.4 s to draw). While
    it is drawn for a new state, other requests get the last one drawn at once (with
    ``last=False``, as for a page of a chosen date, they wait for it: the cache keeps a
    bounded number of those)."""
    cache = ctx.cached_or_last if last else ctx.cached
    page: str = cache(f"page:{key}", lambda: draw(_NONCE_MARK).body.decode())
    return HTMLResponse(page.replace(_NONCE_MARK, str(escape(_nonce(request)))))


def _view_page(request: Request, ctx: AppContext, name: str, view: View, draw: Any) -> HTMLResponse:
    """A page of ``view``, drawn once per book state by ``draw(nonce)``: the book's own
    view answers at once (the last drawn while a new state is drawn); a chosen date,
    account or range waits for its own (a bounded number are kept)."""
    query = view.query()
    return _cached_page(request, ctx, f"{name}{query}", draw, last=not query)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, ctx: Ctx, view: PageView) -> HTMLResponse:
    ranged = ("value", "growth", "drawdown")  # drawn over the view's range
    whole = ("concentration", "waterfall_company", "rolling")

    def draw(nonce: str) -> HTMLResponse:
        from dataclasses import replace

        from conviction.report.tearsheet_figures import tearsheet_figures as ts_figures
        from conviction.web.tearsheet import view_tearsheet

        d = _data(ctx, view)
        start = range_start(view.range, d.as_of)
        part = replace(d, history=windowed(d.history, start))
        figs = {**report_figures(part, only=ranged), **report_figures(d, only=whole)}
        fig = {k: figure_html(figs[k], f"fig-{k}", nonce=nonce) for k in (*ranged, *whole)}
        ts = view_tearsheet(ctx, view)  # the tear sheet over the view's range (web.tearsheet)
        fig.update(dict.fromkeys(("ts_months", "ts_years", "ts_allocation"), Markup("")))
        fig.update({k: figure_html(f, f"fig-{k}", nonce=nonce) for k, f in ts_figures(ts).items()})
        span = (_np_date(part.history.days[0]), _np_date(part.history.days[-1]))
        accounts = {a.id: a.name for a in ctx.book().accounts.values()}
        return _page(
            request,
            "dashboard.html.j2",
            d=d,
            fig=fig,
            nonce=nonce,
            span=span,
            accounts=accounts,
            benchmarks=_benchmarks(ctx),
            ts=ts,
        )

    return _view_page(request, ctx, "dashboard", view, draw)


@router.get("/company/{company_id:path}", response_class=HTMLResponse)
def company_page(request: Request, ctx: Ctx, company_id: str, view: PageView) -> HTMLResponse:
    if company_id not in ctx.book().companies:
        raise _missing("company", company_id)
    draw = partial(_company_page, request, ctx, company_id, view)
    return _view_page(request, ctx, f"company:{company_id}", view, draw)


def _company_page(
    request: Request, ctx: AppContext, company_id: str, view: View, nonce: str
) -> HTMLResponse:
    from conviction.ledger.valuation import price_history

    book = ctx.book()
    d = _data(ctx, view)
    company = book.companies[company_id]
    marks = book.marks[book.marks["company"] == company_id]
    marks = marks[marks["date"].to_numpy().astype("datetime64[D]") <= np.datetime64(d.as_of)]
    fig = None
    if len(marks):
        days = marks["date"].to_numpy().astype("datetime64[D]")
        prices = price_history(book, days)[company_id].to_numpy()
        fig = figure_html(
            figures.marks_figure(company.name, days, prices, list(marks["kind"]), company.currency),
            "fig-marks",
            nonce=nonce,
        )
    line = next((c for c in d.status.by_company if c.company == company_id), None)
    holders = {
        a.account: a.weights[company_id] for a in d.status.by_account if company_id in a.weights
    }
    theses = [t for t in d.theses if t.subject_kind == "company" and t.subject == company_id]
    return _page(
        request,
        "company.html.j2",
        d=d,
        company=company,
        line=line,
        holders=holders,
        marks=list(marks.itertuples()),
        theses=theses,
        fig=fig,
        nonce=nonce,
    )


@router.get("/person/{person_id:path}", response_class=HTMLResponse)
def person_page(request: Request, ctx: Ctx, person_id: str, view: PageView) -> HTMLResponse:
    if person_id not in ctx.book().persons:
        raise _missing("person", person_id)
    draw = partial(_person_page, request, ctx, person_id, view)
    return _view_page(request, ctx, f"person:{person_id}", view, draw)


def _person_page(
    request: Request, ctx: AppContext, person_id: str, view: View, nonce: str
) -> HTMLResponse:
    book = ctx.book()
    d = _data(ctx, view)
    companies = [c for c in book.companies.values() if person_id in c.key_people]
    weights = {
        c.company: c.weight for c in d.status.by_company if c.company in {x.id for x in companies}
    }
    line = next((p for p in d.status.by_person if p.name == person_id), None)
    card = next((c for c in d.scorecards if c.person == person_id), None)
    fig = figure_html(
        figures.concentration_figure(
            {d.company_names[c]: w for c, w in weights.items()},
            {book.persons[person_id].name: line.weight if line else 0.0},
            company_cap=d.settings.company_cap,
            person_cap=d.settings.person_cap,
        ),
        "fig-person",
        nonce=nonce,
    )
    theses = [t for t in d.theses if t.subject_kind == "person" and t.subject == person_id]
    return _page(
        request,
        "person.html.j2",
        d=d,
        person=book.persons[person_id],
        companies=companies,
        line=line,
        card=card,
        scores=card.on(d.as_of) if card else {},
        theses=theses,
        fig=fig,
        nonce=nonce,
    )


@router.get("/account/{account_id:path}", response_class=HTMLResponse)
def account_page(request: Request, ctx: Ctx, account_id: str, view: PageView) -> HTMLResponse:
    if account_id not in ctx.book().accounts:
        raise _missing("account", account_id)
    draw = partial(_account_page, request, ctx, account_id, view)
    return _view_page(request, ctx, f"account:{account_id}", view, draw)


def _account_page(
    request: Request, ctx: AppContext, account_id: str, view: View, nonce: str
) -> HTMLResponse:
    book = ctx.book()
    d = _data(ctx, View(view.as_of))
    j = d.history.accounts.index(account_id)
    fig = figure_html(
        figures.value_figure(d.history.days, {account_id: d.history.values[:, j]}, d.currency),
        "fig-account",
        nonce=nonce,
    )
    line = next(a for a in d.status.by_account if a.account == account_id)
    tx = book.transactions[book.transactions["account"] == account_id]
    tx = tx[tx["date"].to_numpy().astype("datetime64[D]") <= np.datetime64(d.as_of)]
    return _page(
        request,
        "account.html.j2",
        d=d,
        account=book.accounts[account_id],
        line=line,
        transactions=list(tx.itertuples())[::-1][:200],
        fig=fig,
        nonce=nonce,
    )


@router.get("/projection", response_class=HTMLResponse)
def projection_page(
    request: Request,
    ctx: Ctx,
    view: PageView,
    job: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    found = ctx.jobs.get(job) if job else None
    if found is not None and found.request.get("kind") is not None:
        found = None  # a track, sensitivity, scenario or compare job has its own page
    if job and found is None:
        raise _missing("projection job", job)
    fig = None
    result = None
    if found is not None and found.status == "done":
        result = found.result.result  # the job's ProjectedBook holds the engine's result
        d = _data(ctx, View(view.as_of))
        fig = figure_html(
            figures.fan_figure(
                list(range(result.years + 1)),
                [float(q) for q in result.percentiles],
                result.fan * result.start_value,
                start_value=result.start_value,
                target_multiple=result.target_multiple,
                prob_target=result.prob_target,
                prob_se=result.prob_target_se,
                currency=d.currency,
                start_year=d.as_of.year,
            ),
            "fig-fan",
            nonce=_nonce(request),
        )
    from conviction.web.sensitivity import spec_choices

    return _page(
        request,
        "projection.html.j2",
        job=found,
        result=result,
        fig=fig,
        specs=_specs(ctx),
        choices=spec_choices(ctx),  # each spec with its [[scenario]] names
        currency=ctx.book().currency,
    )


def _specs(ctx: AppContext) -> list[str]:
    """Projection files the page offers: the configured one, then any in the workspace's
    top two folder levels (no deep walk of a big folder)."""
    found = [ctx.projection] if ctx.projection else []
    for pattern in ("*.toml", "*/*.toml", "*/*/*.toml"):
        for p in sorted(ctx.workspace.glob(pattern)):
            rel = str(p.relative_to(ctx.workspace))
            if "projection" in p.name and rel not in found:
                found.append(rel)
    return found[:20]


@router.get("/policies", response_class=HTMLResponse)
def policies_page(request: Request, ctx: Ctx, view: PageView) -> HTMLResponse:
    lines = _policies(ctx, view.as_of)
    fig = None
    ran = [p for p in lines if p.error is None]
    if ran:
        fig = figure_html(
            figures.policies_figure(
                [(p.name, p.dates, p.total) for p in ran], currency=ctx.book().currency
            ),
            "fig-policies",
            nonce=_nonce(request),
        )
    from conviction.web.sensitivity import policy_files

    return _page(
        request,
        "policies.html.j2",
        lines=lines,
        fig=fig,
        files=ctx.policies,
        as_of=view.as_of,
        specs=_specs(ctx),  # the compare form: a projection and the policies to run on it
        policy_files=policy_files(ctx),
    )


def _policies(ctx: AppContext, as_of: dt.date | None) -> list[PolicyLine]:
    """The configured policies backtested (cached); to ``as_of``: on the book as it stood
    that day (nothing recorded after it)."""
    if as_of is None:
        lines: list[PolicyLine] = ctx.cached("policies", lambda: _policy_lines(ctx))
    else:
        lines = ctx.cached(f"policies:{as_of}", lambda: _policy_lines(ctx, as_of))
    return lines


def _policy_lines(ctx: AppContext, as_of: dt.date | None = None) -> list[PolicyLine]:
    from conviction.app.runs import backtest_lines
    from conviction.errors import InputError
    from conviction.web.paths import inside

    def resolve(name: str) -> Any:
        try:
            return inside(ctx.workspace, name, suffix=".toml")
        except HTTPException as exc:  # outside the workspace, or missing: a line says so
            detail = exc.detail if isinstance(exc.detail, dict) else {"message": exc.detail}
            raise InputError(str(detail.get("message", "")), file=name) from None

    book = ctx.book() if as_of is None else book_on(ctx.book(), as_of)
    return backtest_lines(book, ctx.policies, resolve=resolve)


@router.get("/theses", response_class=HTMLResponse)
def theses_page(request: Request, ctx: Ctx, view: PageView) -> HTMLResponse:
    from conviction.app.book import as_of_date
    from conviction.app.reads import book_reviews

    book = ctx.book()
    stored = ctx.theses()  # not cached: an update must show at once
    on = as_of_date(book, view.as_of)
    reviews = ctx.cached(
        f"reviews:{on}:None",
        lambda: book_reviews(
            book, on, theses=stored.theses, scorecards=stored.scorecards, settings=stored.review
        ),
    )

    def draw(nonce: str) -> HTMLResponse:
        fig = None
        if stored.theses:
            fig = figure_html(
                figures.milestones_figure(stored.theses, on), "fig-milestones", nonce=nonce
            )
        return _page(
            request,
            "theses.html.j2",
            theses=stored.theses,
            reviews=reviews,
            as_of=on,
            fig=fig,
            nonce=nonce,
        )

    # keyed by the theses too (an update must show at once: this waits, never the last)
    return _cached_page(request, ctx, f"theses{view.query()}", draw, last=False)


@router.get("/report", response_class=HTMLResponse)
def report_page(request: Request, ctx: Ctx, view: PageView) -> HTMLResponse:
    """The self-contained report (as ``conviction report`` writes it), with the configured
    policies and the configured projection when a job for it has finished; on the view's
    date, of its accounts."""
    from dataclasses import replace

    from conviction.report.render import render_report

    projection, job = None, ""
    if ctx.projection:
        done = [
            j for j in ctx.jobs.jobs() if j.status == "done" and j.request["spec"] == ctx.projection
        ]
        if done:
            projection, job = done[-1].result.result, done[-1].id

    def draw(nonce: str) -> HTMLResponse:
        d = _data(ctx, view)
        lines = _policies(ctx, view.as_of)
        full = replace(
            d, projection=projection, projection_name=ctx.projection, policies=tuple(lines)
        )
        page = render_report(full, inline_plotly=False, plotly_src=PLOTLY_URL)
        # the date picker of every page, in the report's top bar (the file report has none)
        picker = _env(request).get_template("_report_view.html.j2").render(view=view, d=d)
        page = page.replace("</nav></header>", f"</nav>{picker}</header>", 1)
        return HTMLResponse(_nonce_every_script(page, nonce))

    return _view_page(request, ctx, f"report:{job}", view, draw)


def _np_date(value: Any) -> str:
    return str(np.datetime64(value, "D"))
