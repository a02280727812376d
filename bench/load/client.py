"""The load generator: keep-alive HTTP/1.1 connections driven by asyncio, in a process of its own.

Requests are prepared as raw bytes beforehand, so the generator does little more than write
them and parse the answers (httptools, the parser uvicorn uses). Each of ``concurrency``
connections sends its next request as soon as the previous answer is in (a closed loop).
The run ends after ``seconds`` or ``limit`` requests, whichever comes first; with
``each_once`` every prepared request is sent at most once (single-use codes, one call per
ticket), otherwise they are sent round and round.

The generator's own CPU time is measured, so the report can say how many requests a second
it could drive on one core: it must be far above what the bare endpoint serves.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httptools

try:
    import uvloop
except ImportError:  # pragma: no cover (uvloop is a dependency on Linux and macOS)
    uvloop = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Request:
    raw: bytes
    # Answers that count as success; any other status (or a broken connection) is an error.
    ok: tuple[int, ...] = (200,)
    # A successful answer's body must contain this (e.g. b'"valid":true'), else an error.
    expect: bytes = b""
    # Counted apart when the body contains it (e.g. b'"ticket":null': an empty queue).
    note: bytes = b""


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    noted: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    elapsed: float = 0.0
    cpu: float = 0.0  # the generator's CPU seconds
    first_error: str = ""

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.body = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionResetError("the server closed the connection"))

    def _fail(self, exc: BaseException) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((self.parser.get_status_code(), bytes(self.body)))

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.body.clear()
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter


async def _drive(
    host: str,
    port: int,
    requests: list[Request],
    *,
    concurrency: int,
    seconds: float,
    limit: int,
    each_once: bool,
) -> Outcome:
    loop = asyncio.get_running_loop()
    outcome = Outcome()
    total = min(limit, len(requests)) if each_once else limit
    taken = 0
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal taken
        conn: _Connection | None = None
        while taken < total and time.perf_counter() < deadline:
            request = requests[taken % len(requests)]
            taken += 1
            try:
                if conn is None or conn.transport is None or conn.transport.is_closing():
                    transport, conn = await loop.create_connection(_Connection, host, port)
                    conn.transport = transport  # uvloop may call connection_made later
                started = time.perf_counter()
                status, body = await conn.send(request.raw)
                latency = time.perf_counter() - started
            except (OSError, httptools.HttpParserError) as exc:
                outcome.errors += 1
                outcome.first_error = outcome.first_error or f"{type(exc).__name__}: {exc}"
                conn = None
                continue
            outcome.statuses[status] += 1
            if status in request.ok and request.expect in body:
                outcome.latencies.append(latency)
                outcome.noted += bool(request.note) and request.note in body
            else:
                outcome.errors += 1
                outcome.first_error = outcome.first_error or f"{status}: {body[:300]!r}"
        if conn is not None and conn.transport is not None:
            conn.transport.close()

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    outcome.elapsed = time.perf_counter() - started
    outcome.cpu = time.process_time() - cpu
    return outcome


def _child(conn: Any, args: dict[str, Any]) -> None:
    if uvloop is not None:
        uvloop.install()
    conn.send(asyncio.run(_drive(**args)))
    conn.close()


def run_load(
    host: str,
    port: int,
    requests: list[Request],
    *,
    concurrency: int,
    seconds: float,
    limit: int,
    each_once: bool = False,
) -> Outcome:
    """Drive the server from a separate process (so it never shares a core with this one's
    Python); returns what it saw."""
    if not requests:
        return Outcome()
    args = {
        "host": host, "port": port, "requests": requests, "concurrency": concurrency,
        "seconds": seconds, "limit": limit, "each_once": each_once,
    }  # fmt: skip
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, args), daemon=True)
    process.start()
    sender.close()
    try:
        outcome: Outcome = receiver.recv()
    except EOFError:
        raise RuntimeError("the load generator process died") from None
    finally:
        process.join(timeout=10)
    return outcome


def http_request(
    method: str,
    port: int,
    path: str,
    *,
    body: bytes = b"",
    content_type: str = "application/json",
    token: str | None = None,
) -> bytes:
    """A complete HTTP/1.1 request as bytes (keep-alive)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "User-Agent: codeid-load"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def multipart(
    fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type."""
    boundary = "codeid-load-7d1f3a"
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, data, media_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {media_type}\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
