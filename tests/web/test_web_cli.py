"""``conviction serve``: the token (from the environment, or generated once and kept only
as a hash), the default address, and a real server answering reads and a guarded write."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from conviction.cli import app as cli
from conviction.cli.web_commands import TOKEN_FILE, server_token
from conviction.errors import FormatError


def test_a_token_is_generated_once_and_kept_as_a_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONVICTION_TOKEN", raising=False)
    token, printable = server_token(tmp_path)
    assert printable is not None and len(printable) >= 32
    stored = (tmp_path / TOKEN_FILE).read_text("utf-8").strip()
    assert stored == hashlib.sha256(printable.encode()).hexdigest() == token.sha256
    assert printable not in (tmp_path / TOKEN_FILE).read_text("utf-8")
    assert (tmp_path / TOKEN_FILE).stat().st_mode & 0o777 == 0o600
    again, shown = server_token(tmp_path)
    assert shown is None and again.verify(printable)  # printed once only
    renewed, fresh = server_token(tmp_path, renew=True)
    assert fresh is not None and renewed.verify(fresh) and not renewed.verify(printable)


def test_the_environment_token_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVICTION_TOKEN", "from-the-environment-123")
    token, printable = server_token(tmp_path)
    assert printable is None and token.verify("from-the-environment-123")
    assert not (tmp_path / TOKEN_FILE).exists()
    monkeypatch.setenv("CONVICTION_TOKEN", "short")
    with pytest.raises(FormatError) as raised:
        server_token(tmp_path)
    assert raised.value.field == "CONVICTION_TOKEN"


def test_files_outside_the_workspace_are_refused_at_start(db_url: str, tmp_path: Path) -> None:
    outside = tmp_path / "prices.csv"
    outside.write_text("date,close\n2024-01-02,1\n", encoding="utf-8")
    (tmp_path / "ws").mkdir()
    result = CliRunner().invoke(
        cli,
        ["--db", db_url, "serve", "--workspace", str(tmp_path / "ws"), "--benchmark", str(outside)],
    )
    assert isinstance(result.exception, FormatError)
    assert result.exception.field == "--benchmark"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve(db_url: str, workspace: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """Start ``conviction serve``; return the process and what it printed to stderr."""
    env = {k: v for k, v in os.environ.items() if k != "CONVICTION_TOKEN"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from conviction.cli import main; main()",
            "--db",
            db_url,
            "serve",
            "--port",
            str(port),
            "--workspace",
            str(workspace),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**env, "COLUMNS": "200"},
    )
    assert proc.stderr is not None
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("serving"):
            break
    while time.monotonic() < deadline:  # until it answers
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/book", timeout=1)
            return proc, "".join(lines)
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    _stop(proc)
    raise AssertionError("".join(lines))


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=20)
    if proc.stderr is not None:
        proc.stderr.close()


def test_serve_prints_the_token_once_and_guards_writes(db_url: str, tmp_path: Path) -> None:
    port = _free_port()
    proc, printed = _serve(db_url, tmp_path, port)
    try:
        assert f"http://127.0.0.1:{port}/" in printed  # the default address: this machine
        token = printed.split("):", 1)[1].split()[0]
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(base + "/theses").status_code == 200  # the dashboard: test_browser*
        body = {"status": "hit", "evidence": "served", "date": "2026-01-02"}
        url = base + "/api/v1/theses/xai/milestones/grok-5"
        assert httpx.post(url, json=body).status_code == 401
        ok = httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 201, ok.text
    finally:
        _stop(proc)
    proc, printed_again = _serve(db_url, tmp_path, port)
    try:
        assert token not in printed_again and "token" in printed_again
        r = httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201  # the same token after a restart
    finally:
        _stop(proc)
