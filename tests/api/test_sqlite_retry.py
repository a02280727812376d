"""Requests that lose a write race on SQLite are run again; other answers pass untouched."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from api.sqlite_retry import ATTEMPTS, SQLiteRetry


def _app(busy_times: int) -> tuple[FastAPI, list[bytes]]:
    """An app whose POST is refused as SQLite-busy ``busy_times`` times, then succeeds."""
    app = FastAPI()
    seen: list[bytes] = []

    @app.post("/write")
    async def write(request: Request) -> JSONResponse:
        seen.append(await request.body())
        if len(seen) <= busy_times:
            return JSONResponse(
                {"type": "urn:codeid:problem:database-unavailable"},
                status_code=503,
                headers={"X-Codeid-Retry": "sqlite-busy", "Retry-After": "1"},
            )
        return JSONResponse({"stored": True}, status_code=201)

    @app.get("/read")
    def read() -> JSONResponse:
        seen.append(b"")
        return JSONResponse({}, status_code=503, headers={"X-Codeid-Retry": "sqlite-busy"})

    app.add_middleware(SQLiteRetry)
    return app, seen


def test_a_busy_write_is_replayed_with_its_body() -> None:
    app, seen = _app(busy_times=2)
    response = TestClient(app).post("/write", json={"n": 1})
    assert response.status_code == 201 and response.json() == {"stored": True}
    assert seen == [b'{"n":1}'] * 3  # the same body each time


def test_after_the_last_attempt_the_refusal_goes_out_without_the_inner_header() -> None:
    app, seen = _app(busy_times=99)
    response = TestClient(app).post("/write", content=b"x")
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert "x-codeid-retry" not in response.headers
    assert len(seen) == ATTEMPTS


def test_a_busy_get_is_replayed_too() -> None:
    """GETs write as well (the access log, a partner's rate counter)."""
    app, seen = _app(busy_times=0)
    response = TestClient(app).get("/read")
    assert response.status_code == 503 and "x-codeid-retry" not in response.headers
    assert len(seen) == ATTEMPTS
