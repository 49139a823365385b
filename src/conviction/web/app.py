"""The app factory: ``create_app(engine, token, workspace)`` builds one FastAPI app.

Nothing is created at import: no engine, no app, no settings. Guards, outermost first:

- the ``Host`` header must name an allowed host (``allowed_hosts``; by default
  127.0.0.1, localhost and ::1), else 400: a page on another site whose name was made to
  resolve to this machine (DNS rebinding) cannot read or write through the browser;
- security headers on every answer (a Content-Security-Policy that allows scripts and
  styles from this server only, so a page can load nothing from the network; inline
  scripts only with the answer's own nonce);
- writes (POST, PUT, PATCH, DELETE under ``/api/v1``) need the bearer token: checked
  before the body is read, so a write without it answers 401 and nothing happens;
- bodies larger than ``max_body`` bytes answer 413, whether announced by Content-Length
  or streamed;
- a POST under ``/api/v1`` with an ``Idempotency-Key`` header is done once: the same key
  with the same request answers the first (2xx) answer again, a different request 409
  (kept in memory, per app: see :class:`Idempotency`).

Errors become JSON: ``{"detail": {"message", "field", "line", "file"}}``. Bad input is
400 (malformed JSON, a path outside the workspace) or 422 (wrong types, values, ids in a
body), an unknown id in the path 404, data the book lacks 409, a database fault 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import inspect
import json
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from conviction.errors import ConvictionError, DataError, InputError, StoreError
from conviction.web.auth import Token
from conviction.web.context import AppContext

__all__ = ["DEFAULT_MAX_BODY", "LOCAL_HOSTS", "create_app"]

#: Largest request body accepted (bytes): ten thousand rows of JSON fit easily.
DEFAULT_MAX_BODY = 2_000_000

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: Hosts every app answers to (the ``Host`` header, port ignored).
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
#: The Content-Security-Policy; ``{nonce}`` is new for each answer (``csp_nonce`` in the
#: request's state): an inline script runs only if the server wrote that nonce on it.
CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


#: FastAPI's own OpenTelemetry (newer releases) looks for configured providers, through
#: ``os.environ``, on every request when none is configured: 7% of the server's time under
#: ``benchmarks/bench_web_load.py`` (py-spy). conviction configures none: it is turned off.
_NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI.__init__).parameters
    else {}
)


def create_app(
    engine: Engine,
    token: str | Token,
    workspace: str | Path,
    *,
    projection: str | None = None,
    policies: tuple[str, ...] = (),
    benchmark: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    allowed_hosts: tuple[str, ...] | list[str] | None = None,
    edit_files: bool = False,
) -> FastAPI:
    """A web app over the book in ``engine``.

    ``token`` guards every write (the token itself, or a :class:`Token` holding its
    hash). Files named in requests must lie in ``workspace``; ``projection``,
    ``policies`` and ``benchmark`` (paths relative to it) are what the pages show by
    default. A request whose ``Host`` (port ignored, any case) is not in
    ``allowed_hosts`` (default :data:`LOCAL_HOSTS`) answers 400. ``edit_files``: an edit
    of a row from the book's files writes it into that file and loads the book
    (``conviction serve`` does; refused with 409 otherwise).
    """
    from conviction.web import api, api_writes, editing, pages, sensitivity, tearsheet, tracks

    root = Path(workspace).resolve()
    if not root.is_dir():
        raise ValueError(f"workspace {root} is not a folder")
    ctx = AppContext(
        engine=engine,
        token=token if isinstance(token, Token) else Token.of(token),
        workspace=root,
        projection=projection,
        policies=policies,
        benchmark=benchmark,
        edit_files=edit_files,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        yield
        ctx.jobs.shutdown()

    app = FastAPI(
        **_NO_TELEMETRY,
        title="conviction",
        summary="Long-horizon, concentrated, founder-centric investing: the book over HTTP.",
        version="1",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI is a page of ours (pages.api_docs): no CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.include_router(api.router)
    app.include_router(api_writes.router)
    app.include_router(tracks.api)
    app.include_router(tracks.pages)
    app.include_router(sensitivity.api)
    app.include_router(sensitivity.pages)
    app.include_router(editing.api)
    app.include_router(editing.pages)
    app.include_router(tearsheet.api)
    app.include_router(tearsheet.pages)
    app.include_router(pages.router)
    _errors(app)
    # Added last = runs first: the host, headers around everything, then the token, then
    # the size, then the idempotency key (it reads the body, counted by BodyLimit).
    app.add_middleware(Idempotency)
    app.add_middleware(BodyLimit, limit=max_body)
    app.add_middleware(WriteGuard, token=ctx.token)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(OneStatePerRead)
    hosts = LOCAL_HOSTS if allowed_hosts is None else tuple(allowed_hosts)
    app.add_middleware(HostGuard, hosts=hosts)
    return app


# --- errors ---------------------------------------------------------------------------------------


def _detail(exc: InputError, ctx: AppContext) -> dict[str, Any]:
    return {
        "message": exc.message,
        "field": exc.field,
        "line": exc.line,
        "file": ctx.relative(exc.file) if exc.file and "/" in exc.file else exc.file,
    }


def _query_message(errors: Sequence[Any]) -> tuple[str, str]:
    """A page's refused query value as one sentence, and the field it names (the value
    itself is cut short: it may be kilobytes long)."""
    first = errors[0] if errors else {}
    loc = [str(part) for part in first.get("loc", ()) if part not in ("query", "path")]
    field = ".".join(loc) or "query"
    value = first.get("input")
    shown = "" if not isinstance(value, str) else f", got {_shortened(value)}"
    return f"{field}: {first.get('msg', 'not accepted')}{shown}", field


def _shortened(value: str, limit: int = 40) -> str:
    """``value`` quoted, cut to ``limit`` characters with its full length said."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}… ({len(value):,} characters)"


def _errors(app: FastAPI) -> None:
    from conviction.web.pages import page_error
    from conviction.web.views import PageError, read_view

    ctx: AppContext = app.state.ctx
    app.add_exception_handler(PageError, page_error)  # a page's date or account: a page

    def _with_view(request: Request) -> None:
        """The view of the book's own date, for a page refused before it read its own."""
        if getattr(request.state, "view", None) is None:
            with contextlib.suppress(ConvictionError):  # an empty book: no date picker
                request.state.view = read_view(ctx.book(), None)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if not request.url.path.startswith(("/api/", "/static/")):
            # a person who edited a page's address: the page frame with the message
            _with_view(request)
            return page_error(request, PageError(*_query_message(errors)))
        malformed = any(e.get("type") == "json_invalid" for e in errors)
        code = 400 if malformed else 422
        detail = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in errors
        ]
        return JSONResponse({"detail": detail}, status_code=code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """JSON for the API; a small page for a person who followed a link."""
        detail = exc.detail if isinstance(exc.detail, dict) else {"message": str(exc.detail)}
        if request.url.path.startswith("/api/") or request.url.path.startswith("/static/"):
            # every 4xx body in the published shape (ErrorResponse), also FastAPI's own
            # ("There was an error parsing the body" for a body that is not UTF-8)
            return JSONResponse(
                {"detail": detail}, status_code=exc.status_code, headers=exc.headers
            )
        if request.method in ("GET", "HEAD") and exc.status_code == 404:
            _with_view(request)  # the page frame, its date picker and menu, with the message
            framed = page_error(request, PageError(str(detail.get("message", "")), "path"))
            framed.status_code = 404
            return framed
        text = html.escape(str(detail.get("message", "")))
        page = (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{exc.status_code}</title></head><body><h1>{exc.status_code}</h1>"
            f"<p>{text}</p><p><a href='/'>dashboard</a></p></body></html>"
        )
        return HTMLResponse(page, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(InputError)
    async def bad_input(_: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": _detail(exc, ctx)}, status_code=422)

    @app.exception_handler(DataError)
    async def missing(_: Request, exc: DataError) -> JSONResponse:
        return JSONResponse({"detail": {"message": str(exc)}}, status_code=409)

    @app.exception_handler(StoreError)
    async def store(_: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"detail": {"message": str(exc)}}, status_code=503)

    @app.exception_handler(ConvictionError)
    async def other(_: Request, exc: ConvictionError) -> JSONResponse:
        return JSONResponse({"detail": {"message": str(exc)}}, status_code=422)


# --- middleware (plain ASGI, so they act before FastAPI reads the body) ---------------------------


async def _send_json(send: Send, code: int, body: dict[str, Any], headers: Any = ()) -> None:
    data = json.dumps(body).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


def host_name(value: str) -> str:
    """The host of a ``Host`` header without its port, lower case: ``[::1]:8000`` → ``::1``."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:
        return value.partition(":")[0]
    return value  # a bare IPv6 address, or a name without a port


class HostGuard:
    """400 for a request whose ``Host`` is not one of ``hosts`` (or has none)."""

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...]) -> None:
        self.app = app
        self.hosts = frozenset(host_name(h) for h in hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers", ())).get(b"host", b"").decode("latin-1")
            if host_name(given) not in self.hosts:
                shown = given[:100] if given else "none"
                message = (
                    f"host {shown!r} is not served here; start the server with "
                    "--allow-host NAME to answer to that name"
                )
                await _send_json(send, 400, {"detail": {"message": message}})
                return
        await self.app(scope, receive, send)


#: How many reads are answered at once; the others wait their turn, writes never do.
READ_SLOTS = 4


class OneStatePerRead:
    """A GET (or HEAD) request reads the book's state once and answers from it
    (``context.one_state_per_request``), and takes one of ``slots`` read slots first.

    Why the slots: answers are computed in Python threads, which share one interpreter
    lock fairly. With twenty reads in flight, a write got a twenty-first of the CPU and
    took seconds (measured in ``benchmarks/bench_web_load.py``). Reads waiting for a slot
    cost nothing, so a few slots keep the CPU as busy and let a write through at once.
    """

    def __init__(self, app: ASGIApp, slots: int = READ_SLOTS) -> None:
        self.app = app
        self.slots = slots
        self._free: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from conviction.web.context import answered_state, one_state_per_request

        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if self._free is None:
            self._free = asyncio.Semaphore(self.slots)
        must_be_current = any(
            name == b"cache-control" and b"no-cache" in value.lower()
            for name, value in scope.get("headers", ())
        )

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                tag = answered_state()
                if tag is not None:
                    headers = [*message.get("headers", ()), (b"x-book-state", tag.encode())]
                    message = {**message, "headers": headers}
            await send(message)

        async with self._free:
            with one_state_per_request(must_be_current=must_be_current):
                await self.app(scope, receive, tagged)


class BodyLimit:
    """413 for a body over ``limit`` bytes (announced, or counted as it streams in)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_big = {"detail": {"message": f"request body larger than {self.limit} bytes"}}
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and (not value.isdigit() or int(value) > self.limit):
                await _send_json(send, 413, too_big)
                return
        seen = 0
        started = refused = False

        async def counted() -> Message:
            # FastAPI turns any error while reading the body into a 400, so answer 413
            # here, then tell the app the client left and drop whatever it answers.
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request" and not refused:
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    refused = True
                    if not started:
                        await _send_json(send, 413, too_big)
                    return {"type": "http.disconnect"}
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted, watched)


class WriteGuard:
    """401 for a write under /api/v1 without the right bearer token; the body is not read."""

    def __init__(self, app: ASGIApp, token: Token) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in _WRITE_METHODS
            and str(scope["path"]).startswith("/api/")
        ):
            given = dict(scope.get("headers", ())).get(b"authorization", b"").decode("latin-1")
            scheme, _, value = given.partition(" ")
            if scheme.lower() != "bearer" or not self.token.verify(value.strip()):
                message = (
                    "wrong token"
                    if scheme.lower() == "bearer"
                    else "this request changes data: send Authorization: Bearer <token>"
                )
                await _send_json(
                    send,
                    401,
                    {"detail": {"message": message}},
                    [(b"www-authenticate", b"Bearer")],
                )
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Headers that keep pages to this server: CSP, no sniffing, no referrer, no framing.

    Each request gets a fresh nonce (``secrets.token_urlsafe``), put in the request's
    state as ``csp_nonce`` for the pages to write on their inline scripts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        csp = CSP.format(nonce=nonce).encode()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", csp),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class Idempotency:
    """``Idempotency-Key`` on POST under ``/api/v1``: a retried write is done once.

    The first request with a key runs; a 2xx answer is kept with a SHA-256 of the request
    (method, path, query, body). The same key and the same request again get that answer
    again (header ``Idempotent-Replayed: true``) and nothing is stored twice; the same key
    with another request answers 409, as does the same key while its first request still
    runs. An answer that is not 2xx is not kept (the key can be tried again). Keys are
    1-200 visible ASCII characters. Kept in memory for this app only: ``max_keys`` (the
    oldest go first) for ``ttl`` seconds, and lost when the server stops.
    """

    def __init__(self, app: ASGIApp, max_keys: int = 10_000, ttl: float = 86_400.0) -> None:
        self.app = app
        self.max_keys = max_keys
        self.ttl = ttl
        # key -> (request digest, stored-at, None while running or (status, headers, body))
        self.seen: OrderedDict[str, tuple[str, float, tuple[int, list[Any], bytes] | None]] = (
            OrderedDict()
        )

    def _forget_old(self, now: float) -> None:
        while self.seen:
            _, at, _ = next(iter(self.seen.values()))
            if len(self.seen) <= self.max_keys and now - at < self.ttl:
                break
            self.seen.popitem(last=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not str(scope["path"]).startswith("/api/v1/")
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        raw_key = headers.get(b"idempotency-key")
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not 0 < len(key) <= 200 or not all("!" <= c <= "~" for c in key):
            text = "Idempotency-Key must be 1-200 visible ASCII characters"
            await _send_json(send, 400, {"detail": {"message": text, "field": "Idempotency-Key"}})
            return
        chunks: list[bytes] = []
        while True:  # the whole body, to compare requests (BodyLimit counts it)
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left (or the body was too large: 413 already sent)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        digest = hashlib.sha256()
        for part in (scope["method"], scope["path"], scope.get("query_string", b"")):
            digest.update(part if isinstance(part, bytes) else str(part).encode())
            digest.update(b"\0")
        digest.update(body)
        fingerprint = digest.hexdigest()
        now = time.monotonic()
        self._forget_old(now)
        known = self.seen.get(key)
        if known is not None:
            if known[0] != fingerprint:
                text = (
                    "Idempotency-Key was already used for a different request: "
                    "use a new key for a new request"
                )
                await _send_json(
                    send, 409, {"detail": {"message": text, "field": "Idempotency-Key"}}
                )
                return
            if known[2] is None:
                text = "a request with this Idempotency-Key is still running: try again"
                await _send_json(
                    send, 409, {"detail": {"message": text, "field": "Idempotency-Key"}}
                )
                return
            code, kept, data = known[2]
            await send(
                {
                    "type": "http.response.start",
                    "status": code,
                    "headers": [*kept, (b"idempotent-replayed", b"true")],
                }
            )
            await send({"type": "http.response.body", "body": data})
            return
        self.seen[key] = (fingerprint, now, None)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        answer: dict[str, Any] = {"status": 500, "headers": [], "body": []}

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                answer["body"].append(message.get("body", b""))
            await send(message)

        stored = False
        try:
            await self.app(scope, replay, keep)
            if 200 <= answer["status"] < 300:
                done = (answer["status"], answer["headers"], b"".join(answer["body"]))
                self.seen[key] = (fingerprint, now, done)
                stored = True
        finally:
            if not stored:
                self.seen.pop(key, None)
