"""Every error leaves the API as RFC 9457 problem details with a stable ``type``.

One table maps domain error classes to HTTP statuses, looked up along the class's MRO,
so a new domain error inherits the status of its family. Unexpected errors become a
generic 500 problem with a request-scoped id and no stack trace.
"""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from codeid.accounts.errors import Forbidden, Unauthenticated
from codeid.db import CommitOutcomeUnknown
from codeid.errors import CodeidError, Conflict, InvalidInput, NotFound
from codeid.keys.sealing import KeyUnsealError

log = logging.getLogger("codeid.api")

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:codeid:problem:"
OUTAGE_RETRY_AFTER = 5  # seconds: a PostgreSQL restart takes about as long

STATUS_BY_ERROR: dict[type[Exception], int] = {
    CodeidError: 400,
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    Unauthenticated: 401,
    Forbidden: 403,
    KeyUnsealError: 503,  # wrong or missing master secret: the service cannot sign
}
# Errors whose slug alone decides the status (size limits are 413 whatever their family).
STATUS_BY_CODE: dict[str, int] = {
    "image-too-large": 413,
    "upload-too-large": 413,
    "forbidden-issuer": 403,  # a department touching another department's licence
    "rate-limited": 429,  # a partner client over its calls a minute (with Retry-After)
}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = dict(headers or {})
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_for(error: CodeidError) -> int:
    if error.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[error.code]
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


# Members of a problem document that error details must not overwrite.
RESERVED = frozenset({"type", "title", "status", "detail", "instance", "code", "headers"})


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    """Error details as extension members: plain values, renamed where they would clash."""
    return {
        (f"{key}_value" if key in RESERVED else key): (
            value if isinstance(value, str | int | float | bool | None) else str(value)
        )
        for key, value in details.items()
    }


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CodeidError)
    return problem(
        status_for(exc), exc.code, exc.message, instance=request.url.path, **_jsonable(exc.details)
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(part) for part in err.get("loc", ())], "msg": err.get("msg", "")}
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    detail = f"{'.'.join(first['loc'])}: {first['msg']}" if first["loc"] else str(first["msg"])
    return problem(422, "validation", detail, instance=request.url.path, errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not-found", 405: "method-not-allowed", 413: "upload-too-large"}.get(
        exc.status_code, f"http-{exc.status_code}"
    )
    return problem(exc.status_code, code, str(exc.detail), instance=request.url.path)


async def _integrity(request: Request, exc: Exception) -> JSONResponse:
    # A uniqueness or foreign-key clash the domain did not foresee: almost always two
    # requests racing. Nothing was written (the session rolled back).
    log.warning(
        "integrity error on %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    return problem(
        409, "conflict", "the change conflicts with another one; retry", instance=request.url.path
    )


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    # Text the database cannot hold (PostgreSQL refuses NUL characters), a number out of a
    # column's range: bad input the validators let through. Nothing was written.
    log.warning("data error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return problem(
        422,
        "unstorable-input",
        "the input holds characters or numbers that cannot be stored (e.g. NUL)",
        instance=request.url.path,
    )


async def _database_down(request: Request, exc: Exception) -> JSONResponse:
    """The database is down, restarting, unreachable or out of free connections: 503 with
    Retry-After, never a 500. Nothing was stored (the failure came before the COMMIT;
    CommitOutcomeUnknown is the one ambiguous case, below)."""
    reason = _outage_reason(exc)
    if reason is None:  # a DBAPIError that is no outage (a bug): the generic 500
        return await _unexpected(request, exc)
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, reason)
    # SQLite refusing a lock upgrade ("database is locked"): the request may simply be run
    # again (api.sqlite_retry does so); anything else is an outage.
    busy = "database is locked" in str(getattr(exc, "orig", exc))
    return problem(
        503,
        "database-unavailable",
        "the database is not answering; retry shortly",
        instance=request.url.path,
        retry_after=1 if busy else OUTAGE_RETRY_AFTER,
        headers={"X-Codeid-Retry": "sqlite-busy"} if busy else None,
    )


def _outage_reason(exc: Exception) -> str | None:
    """Why ``exc`` means the database cannot be used now, or None when it means a bug."""
    if isinstance(exc, PoolTimeout):
        return "no free connection in the pool"
    if isinstance(exc, OperationalError | InterfaceError | psycopg.OperationalError):
        return type(getattr(exc, "orig", None) or exc).__name__
    if isinstance(exc, psycopg.InterfaceError):  # e.g. a connection psycopg already closed
        return type(exc).__name__
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return f"connection lost ({type(exc.orig).__name__})"
    return None


async def _commit_unknown(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CommitOutcomeUnknown)
    log.warning("commit outcome unknown on %s %s", request.method, request.url.path)
    return problem(
        503,
        exc.code,
        exc.message,
        instance=request.url.path,
        retry_after=OUTAGE_RETRY_AFTER,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # This handler runs outside the request observer (api.observability), so the request id
    # comes from the scope, and the answer carries the X-Request-ID header itself.
    from api.observability.request_id import request_id_of

    incident = uuid.uuid4().hex[:12]
    request_id = request_id_of(request.scope)
    log.exception(
        "unhandled error, incident %s, request %s on %s %s",
        incident,
        request_id,
        request.method,
        request.url.path,
        extra={"request_id": request_id, "incident": incident},
    )
    return problem(
        500,
        "internal",
        f"internal error; incident {incident}",
        instance=request.url.path,
        headers={"X-Request-ID": request_id} if request_id else None,
        request_id=request_id,
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CodeidError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(CommitOutcomeUnknown, _commit_unknown)
    # Outages: a refused or broken connection, a pool with no free connection, psycopg
    # errors that reach us unwrapped. Other DBAPIErrors go to _unexpected (via the same check).
    for outage in (DBAPIError, PoolTimeout, psycopg.OperationalError, psycopg.InterfaceError):
        app.add_exception_handler(outage, _database_down)
    app.add_exception_handler(Exception, _unexpected)
