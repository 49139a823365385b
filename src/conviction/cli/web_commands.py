"""``conviction serve``: the web app and REST API, on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from conviction.cli.app import app, err, settings, styled
from conviction.errors import FormatError

if TYPE_CHECKING:
    from conviction.web.auth import Token

__all__ = ["TOKEN_FILE", "allowed_hosts", "serve_command", "server_token"]

#: Where the hash of a generated token is kept, inside the workspace (never the token).
TOKEN_FILE = Path(".conviction") / "token.sha256"


def server_token(workspace: Path, *, renew: bool = False) -> tuple[Token, str | None]:
    """The write token: ``$CONVICTION_TOKEN``, exactly as given (refused unless it passes
    :func:`conviction.web.auth.check_token`: 16+ visible ASCII characters, 8+ distinct,
    nothing around it); else the one generated at the first start
    (its hash kept in ``.conviction/token.sha256``); else a new one. Returns the token
    (or its hash holder) and, when it was just generated, the token to print once."""
    from conviction.web.auth import Token, new_token

    given = os.environ.get("CONVICTION_TOKEN")
    if given == "":
        raise FormatError(
            "is set but empty: give a token, or unset it to use the generated one",
            field="CONVICTION_TOKEN",
        )
    if given is not None:
        try:
            return Token.of(given), None
        except ValueError as exc:
            raise FormatError(str(exc), field="CONVICTION_TOKEN") from None
    file = workspace / TOKEN_FILE
    if file.is_file() and not renew:
        digest = file.read_text(encoding="utf-8").strip()
        if len(digest) == 64:
            return Token(digest), None
    fresh = new_token()
    token = Token.of(fresh)
    file.parent.mkdir(mode=0o700, exist_ok=True)
    file.write_text(token.sha256 + "\n", encoding="utf-8")
    file.chmod(0o600)
    return token, fresh


def allowed_hosts(host: str, extra: list[str]) -> tuple[str, ...]:
    """The names the server answers to: the local ones, the address it binds, and each
    ``--allow-host`` (a name, or an address; no port, no scheme, no spaces)."""
    from conviction.web.app import LOCAL_HOSTS, host_name

    names = [*LOCAL_HOSTS, host]
    for given in extra:
        name = host_name(given)
        if not name or any(c in name for c in " /\\@?#,") or name != given.strip().lower():
            raise FormatError(
                f"expected a host name or address without port or scheme, got {given!r}",
                field="--allow-host",
            )
        names.append(name)
    return tuple(dict.fromkeys(host_name(n) for n in names))


@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workspace: Path = typer.Option(
        Path("."), "--workspace", help="The only folder requests may name files in."
    ),
    source: Path | None = typer.Option(
        None, "--from", help="A book folder in the workspace: its projection and policies."
    ),
    benchmark: Path | None = typer.Option(
        None, "--benchmark", help="Price CSV in the workspace shown against the book."
    ),
    new_token: bool = typer.Option(
        False, "--new-token", help="Generate a new write token (the old one stops working)."
    ),
    allow_host: list[str] = typer.Option(
        [],
        "--allow-host",
        help="Also answer requests whose Host header names NAME (repeatable); "
        "127.0.0.1, localhost, ::1 and --host are always allowed.",
        metavar="NAME",
    ),
) -> None:
    """Serve the dashboard and the REST API (/api/v1, OpenAPI at /api/v1/openapi.json)."""
    root = workspace.resolve()
    if not root.is_dir():
        raise FormatError("not a folder", file=workspace, field="--workspace")
    if not 0 < port < 65536:
        raise FormatError(f"--port must be 1-65535, got {port}", field="--port")
    if "CONVICTION_TOKEN" in os.environ:
        server_token(root)  # a bad $CONVICTION_TOKEN is refused before seconds of imports

    import uvicorn

    from conviction.app.report import folder_inputs
    from conviction.store import connect_for_writing
    from conviction.web import create_app

    def rel(path: Path | None, option: str) -> str | None:
        if path is None:
            return None
        full = path.resolve()
        if not full.is_relative_to(root):
            raise FormatError(f"is outside the workspace {root}", file=path, field=option)
        return str(full.relative_to(root))

    projection: str | None = None
    policies: tuple[str, ...] = ()
    if source is not None:
        found, files = folder_inputs(source)
        projection = rel(found, "--from")
        policies = tuple(str(rel(p, "--from")) for p in files)
    engine = connect_for_writing(settings.db_url)
    token, printable = server_token(root, renew=new_token)
    web = create_app(
        engine,
        token,
        root,
        projection=projection,
        policies=policies,
        benchmark=rel(benchmark, "--benchmark"),
        allowed_hosts=allowed_hosts(host, allow_host),
        edit_files=True,  # an edit of a row from the book's files is written there
    )
    if printable is not None:
        heading = f"write token (shown once; its hash is kept in {root / TOKEN_FILE}):"
        err.print(styled((heading, "bold"), "\n", printable), highlight=False, soft_wrap=True)
    elif "CONVICTION_TOKEN" not in os.environ:
        line = f"write token: the one generated at the first start ({root / TOKEN_FILE})"
        err.print(styled(line), highlight=False)
    if host not in ("127.0.0.1", "localhost", "::1"):
        warning = f"listening on {host}: other machines can reach this server"
        err.print(styled((warning, "yellow")), highlight=False)
        names = ", ".join(allowed_hosts(host, allow_host))
        line = f"answering requests whose Host is one of: {names} (add more: --allow-host)"
        err.print(styled(line), highlight=False)
    line = f"serving {settings.db_url} on http://{host}:{port}/ (workspace {root})"
    err.print(styled(line), highlight=False)
    uvicorn.run(web, host=host, port=port, log_level="warning")
