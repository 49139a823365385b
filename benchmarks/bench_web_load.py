"""Reads and writes at once against a real server: does the app stay fast while it is
written to, and is every acknowledged write stored exactly once?

Bars (issue 12), on the bundled example served by ``conviction serve`` on 127.0.0.1:
reads at concurrency 20 alone, then the same reads with writes at concurrency 5 beside
them. Reads under writes keep at least half their read-only throughput; the median write
takes under 100 ms; no request fails; afterwards every acknowledged write is in the
database exactly once (checked with SQL).

Reads cycle through ``GET /api/v1/status``, ``/history`` and the dashboard page; a write
is ``POST /api/v1/transactions`` of one deposit with an ``Idempotency-Key``.

    python benchmarks/bench_web_load.py            # 20 s per phase
    python benchmarks/bench_web_load.py --quick    # 5 s per phase
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "baron"
CONVICTION = str(Path(sys.executable).with_name("conviction"))
READS = tuple(os.environ.get("BENCH_READS", "/api/v1/status,/api/v1/history,/").split(","))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def reader(
    client: httpx.AsyncClient, until: float, out: list[float], errors: list[str]
) -> None:
    i = 0
    while time.perf_counter() < until:
        path = READS[i % len(READS)]
        i += 1
        started = time.perf_counter()
        try:
            r = await client.get(path)
        except httpx.TransportError as exc:
            errors.append(
                f"GET {path}: {type(exc).__name__} after {time.perf_counter() - started:.2f} s"
            )
            continue
        if r.status_code != 200:
            errors.append(f"GET {path}: {r.status_code} {r.text[:200]}")
        else:
            out.append(time.perf_counter() - started)


async def writer(
    client: httpx.AsyncClient,
    until: float,
    token: str,
    out: list[float],
    acked: list[float],
    errors: list[str],
    counter: list[int],
) -> None:
    while time.perf_counter() < until:
        counter[0] += 1
        amount = 1000.0 + counter[0]  # a distinct deposit per write
        body = {
            "transactions": [
                {"date": "2025-11-14", "account": "ron", "action": "deposit", "quantity": amount}
            ]
        }
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
        started = time.perf_counter()
        try:
            r = await client.post("/api/v1/transactions", json=body, headers=headers)
        except httpx.TransportError as exc:
            took = time.perf_counter() - started
            errors.append(f"POST: {type(exc).__name__} after {took:.2f} s")
            continue
        if r.status_code != 201:
            errors.append(f"POST: {r.status_code} {r.text[:200]}")
        else:
            out.append(time.perf_counter() - started)
            acked.append(amount)


async def phase(
    base: str, seconds: float, token: str, writers: int, readers: int = 20
) -> dict[str, object]:
    reads: list[float] = []
    writes: list[float] = []
    acked: list[float] = []
    errors: list[str] = []
    # below the server's 5 s keep-alive (httpx's default is also 5 s: a request sent on a
    # connection the server is closing that moment fails with ReadError, about 1 in 10^4)
    limits = httpx.Limits(max_connections=40, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        for path in READS:  # the first read of each builds its cache: not timed
            await client.get(path)
        until = time.perf_counter() + seconds
        tasks = [reader(client, until, reads, errors) for _ in range(readers)]
        tasks += [
            writer(client, until, token, writes, acked, errors, [k * 1_000_000])
            for k in range(writers)
        ]
        started = time.perf_counter()
        await asyncio.gather(*tasks)
        took = time.perf_counter() - started
    return {
        "reads_per_s": len(reads) / took,
        "read_p50_ms": 1000 * statistics.median(reads) if reads else None,
        "writes": len(writes),
        "write_p50_ms": 1000 * statistics.median(writes) if writes else None,
        "write_p95_ms": 1000 * statistics.quantiles(writes, n=20)[-1] if len(writes) > 1 else None,
        "errors": errors[:5],
        "error_count": len(errors),
        "acked": acked,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 s per phase instead of 20")
    args = parser.parse_args()
    seconds = 5.0 if args.quick else 20.0
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "baron.db"
        url = f"sqlite:///{db}"
        subprocess.run(
            [CONVICTION, "--db", url, "load", str(EXAMPLE)], check=True, capture_output=True
        )
        token = secrets.token_urlsafe(24)
        port = free_port()
        env = {**os.environ, "CONVICTION_TOKEN": token}
        command = [CONVICTION, "--db", url, "serve", "--workspace", tmp, "--port", str(port)]
        if os.environ.get("BENCH_SERVER"):  # another server command (debugging)
            command = [sys.executable, os.environ["BENCH_SERVER"], url, tmp, str(port), token]
        server = subprocess.Popen(
            command,
            env=env,
            stderr=subprocess.PIPE,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    httpx.get(f"{base}/api/v1/book", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            if os.environ.get("BENCH_SERVER_PID"):  # for a profiler to attach to
                Path(os.environ["BENCH_SERVER_PID"]).write_text(str(server.pid))
            alone = asyncio.run(phase(base, seconds, token, writers=0))
            mixed = asyncio.run(phase(base, seconds, token, writers=5))
            if os.environ.get("BENCH_WRITES_ALONE"):
                only = asyncio.run(phase(base, seconds, token, writers=5, readers=0))
                print("writes alone: p50", only["write_p50_ms"], "writes", only["writes"])
        finally:
            if server.poll() is not None:
                print(f"the server exited during the run: {server.returncode}", file=sys.stderr)
            server.terminate()
            _, log = server.communicate(timeout=30)
            if log.strip():
                print(log.decode()[-3000:], file=sys.stderr)
        with sqlite3.connect(db) as conn:
            # amounts are stored as exact decimal text (schema 0007)
            query = "SELECT quantity FROM transactions WHERE source = 'api'"
            stored = [float(r[0]) for r in conn.execute(query)]
    acked = mixed.pop("acked")
    alone.pop("acked")
    assert isinstance(acked, list)
    once = sorted(stored) == sorted(acked)
    ratio = mixed["reads_per_s"] / alone["reads_per_s"]  # type: ignore[operator]
    print(
        json.dumps(
            {
                "seconds_per_phase": seconds,
                "reads_alone": alone,
                "reads_with_writes": mixed,
                "read_throughput_kept": ratio,
                "acknowledged": len(acked),
                "stored_exactly_once": once,
            },
            indent=2,
        )
    )
    print(
        f"reads alone {alone['reads_per_s']:.1f}/s, with writes {mixed['reads_per_s']:.1f}/s "
        f"({ratio:.2f}x kept; bar 0.5); write p50 {mixed['write_p50_ms']:.0f} ms (bar 100); "
        f"errors {alone['error_count']} + {mixed['error_count']}; "
        f"{len(acked)} acknowledged writes stored exactly once: {once}"
    )


if __name__ == "__main__":
    main()
