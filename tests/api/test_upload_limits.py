"""Request bodies are limited before they are read, and hostile images are refused over HTTP
without decoding them: quickly, and without the process's memory growing.

Streamed (chunked) bodies and a huge declared Content-Length go through a real uvicorn
server on a loopback port with a raw socket, as the test client would read the whole body
into memory first. The server runs in this process, so its peak memory is ours to measure:
the peak (ru_maxrss) is reset before each upload through /proc/self/clear_refs.
"""

from __future__ import annotations

import resource
import select
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import httpx
import numpy as np
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.edge.body_limit import ENVELOPE
from api.settings import Settings
from tests.api.callers import Auth, Headers

MIB = 1024 * 1024
CHUNK = 64 * 1024
FAST_SECONDS = 3.0
MEMORY_GROWTH_LIMIT = 48 * MIB  # decoding any of these images would take hundreds of MB


@dataclass
class Peak:
    growth: int = 0  # bytes the peak resident size grew by


def _max_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


@contextmanager
def peak_memory() -> Iterator[Peak]:
    """How far the process's peak resident size rose inside the block."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # reset the peak to the current size (Linux 4.0+)
    except OSError:
        pass  # then a growth above an earlier peak still shows
    before, peak = _max_rss(), Peak()
    yield peak
    peak.growth = _max_rss() - before


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, idat: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A valid 20000x20000 all-black PNG of under 400 KB: 400 MB of pixels when inflated.
    Compressed block by block, so making it never holds the raster either."""
    squeeze, rows = zlib.compressobj(9), bytes(20001 * 500)  # filter byte + row, 500 rows
    data = b"".join([squeeze.compress(rows) for _ in range(40)] + [squeeze.flush()])
    return _png(20000, 20000, data)


def _scan(client: TestClient, headers: Headers, data: bytes) -> httpx.Response:
    files = {"image": ("photo", data, "application/octet-stream")}
    answer: httpx.Response = client.post("/v1/scans", files=files, headers=headers)
    return answer


def _refused_quickly_and_lightly(
    client: TestClient, headers: Headers, data: bytes, status: int, slug: str
) -> None:
    with peak_memory() as peak:
        began = time.perf_counter()
        answer = _scan(client, headers, data)
        seconds = time.perf_counter() - began
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["type"] == f"urn:codeid:problem:{slug}"
    assert seconds < FAST_SECONDS
    assert peak.growth < MEMORY_GROWTH_LIMIT, f"peak memory grew {peak.growth / MIB:.0f} MB"


def test_a_png_declaring_30000_square_is_refused_from_its_header(
    client: TestClient, auth: Auth
) -> None:
    declared = _png(30000, 30000, zlib.compress(b""))
    _refused_quickly_and_lightly(client, auth.admin(), declared, 413, "image-too-large")


def test_a_decompression_bomb_is_refused_without_inflating_it(
    client: TestClient, auth: Auth, bomb: bytes
) -> None:
    assert len(bomb) < 400_000
    _refused_quickly_and_lightly(client, auth.admin(), bomb, 413, "image-too-large")


def test_a_truncated_jpeg_is_refused(client: TestClient, auth: Auth) -> None:
    noise = np.random.default_rng(7).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    ok, encoded = cv2.imencode(".jpg", noise)
    assert ok
    data = encoded.tobytes()
    _refused_quickly_and_lightly(
        client, auth.admin(), data[: len(data) * 2 // 3], 422, "truncated-image"
    )


def test_json_routes_take_small_bodies_and_uploads_take_large_ones(
    client: TestClient, auth: Auth, settings: Settings
) -> None:
    admin = auth.admin()
    limit = settings.max_json_bytes
    padded = {"payload": "x" * (limit + 1), "purpose": "test"}
    big = client.post("/v1/codes/verify", json=padded, headers=admin)
    assert big.status_code == 413
    problem = big.json()
    assert problem["type"] == "urn:codeid:problem:upload-too-large" and problem["limit"] == limit
    assert big.headers["connection"] == "close"
    small = client.post("/v1/codes/verify", json={"payload": "x" * 3000}, headers=admin)
    assert small.status_code != 413
    # A photo of several hundred KB is a normal upload: the scan route answers it.
    noise = np.random.default_rng(1).integers(0, 256, (600, 800), dtype=np.uint8)
    photo = _png(800, 600, zlib.compress(b"".join(b"\x00" + row.tobytes() for row in noise)))
    assert len(photo) > 4 * limit
    scanned = _scan(client, admin, photo)
    assert scanned.status_code == 200 and scanned.json()["codes"] == []


def test_an_upload_over_the_limit_is_refused_by_its_declared_length(
    client: TestClient, auth: Auth, settings: Settings
) -> None:
    over = bytes(settings.max_upload_bytes + ENVELOPE + 1)
    answer = _scan(client, auth.admin(), over)
    assert answer.status_code == 413
    assert answer.json()["type"] == "urn:codeid:problem:upload-too-large"


# --- A real server, for bodies the test client cannot stream --------------------------------


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_import_bytes": 2 * MIB})


@pytest.fixture
def live(app: FastAPI) -> Iterator[int]:
    """The app served by uvicorn on a free loopback port; yields the port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(timeout=10)


@dataclass
class RawAnswer:
    status: int
    head: str
    body: bytes
    sent: int  # body bytes the client got to send before the answer came


BOUNDARY = "codeid-test-boundary"
FILE_PART = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="image"; filename="big.png"\r\n'
    "Content-Type: image/png\r\n\r\n"
).encode()


def _raw_post(
    port: int, path: str, headers: Headers, *, declared: int | None, stop_after: int
) -> RawAnswer:
    """POST a body (a multipart file part, or JSON, then zero bytes) in 64 KiB pieces,
    chunked unless a length is ``declared``; stop sending once more than ``stop_after``
    bytes are out or an answer has come, and read the answer. The rest is never sent."""
    multipart = headers["Content-Type"].startswith("multipart/")
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {declared}" if declared else "Transfer-Encoding: chunked")
    first = FILE_PART if multipart else b'{"payload": "'
    pieces = [first + bytes(CHUNK - len(first))]
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while sent <= stop_after and not select.select([sock], [], [], 0)[0]:
            piece = pieces.pop() if pieces else bytes(CHUNK)
            framed = piece if declared else f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
            try:
                sock.sendall(framed)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        received = _read_answer(sock)
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return RawAnswer(status, head.decode("latin-1").lower(), body, sent)


def _read_answer(sock: socket.socket) -> bytes:
    received = b""
    while True:
        try:
            more = sock.recv(65536)
        except ConnectionResetError:
            break
        if not more:
            break
        received += more
        head, found, body = received.partition(b"\r\n\r\n")
        length = [
            int(line.split(b":", 1)[1])
            for line in head.lower().split(b"\r\n")
            if line.startswith(b"content-length:")
        ]
        if found and length and len(body) >= length[0]:
            break
    return received


def test_a_huge_declared_length_is_refused_before_the_body_is_read(live: int, auth: Auth) -> None:
    headers = {**auth.admin(), "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    with peak_memory() as peak:
        began = time.perf_counter()
        answer = _raw_post(live, "/v1/scans", headers, declared=2**40, stop_after=CHUNK)
        seconds = time.perf_counter() - began
    assert answer.status == 413 and b"upload-too-large" in answer.body
    assert "connection: close" in answer.head
    assert answer.sent <= 2 * CHUNK  # a terabyte announced; refused before it came
    assert seconds < FAST_SECONDS and peak.growth < MEMORY_GROWTH_LIMIT


@pytest.mark.parametrize(
    ("path", "setting", "content_type"),
    [
        ("/v1/scans", "max_upload_bytes", f"multipart/form-data; boundary={BOUNDARY}"),
        ("/v1/entities/import", "max_import_bytes", f"multipart/form-data; boundary={BOUNDARY}"),
        ("/v1/codes/verify", "max_json_bytes", "application/json"),
    ],
)
def test_a_streamed_body_is_cut_off_at_its_routes_limit(
    live: int, auth: Auth, settings: Settings, path: str, setting: str, content_type: str
) -> None:
    limit = int(getattr(settings, setting)) + (ENVELOPE if setting == "max_upload_bytes" else 0)
    headers = {**auth.admin(), "Content-Type": content_type}
    with peak_memory() as peak:
        began = time.perf_counter()
        answer = _raw_post(live, path, headers, declared=None, stop_after=limit)
        seconds = time.perf_counter() - began
    assert answer.status == 413, answer.body
    assert b"upload-too-large" in answer.body
    assert limit < answer.sent <= limit + CHUNK  # read up to the limit, and no further
    assert seconds < FAST_SECONDS * 3  # up to 10 MB through a socket on a shared machine
    assert peak.growth < MEMORY_GROWTH_LIMIT + limit  # at most the body itself was held
