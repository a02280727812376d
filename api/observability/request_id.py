"""A request id for every request, and one access log line and one timing each.

A pure ASGI middleware (streams pass through untouched), outermost in the app so that it sees
the answer the client gets. It takes the caller's ``X-Request-ID`` when that is a short, safe
token (a proxy or a partner may already have named the request) and makes a new one otherwise,
keeps it in a context variable for every log record of the request (api.observability.logs),
in the ASGI scope for the 500 handler (which runs outside this middleware), and echoes it in
the response. The access line names the method, the path without its query string (the public
check page carries the scanned code there), the route template, the status, the duration and
the client address.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.observability.metrics import observe_request

HEADER = b"x-request-id"
SCOPE_KEY = "codeid.request_id"
# Letters, digits and . _ : - ; at most 64 characters (a UUID, a proxy's $request_id, ...).
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
UNMATCHED = "unmatched"

request_id_var: ContextVar[str | None] = ContextVar("codeid_request_id", default=None)
access_log = logging.getLogger("codeid.access")


def current_request_id() -> str | None:
    """The id of the request this code runs for, or None outside a request."""
    return request_id_var.get()


def request_id_of(scope: MutableMapping[str, Any]) -> str | None:
    """The request's id from its ASGI scope (also where the context variable is not set)."""
    found = scope.get(SCOPE_KEY)
    return found if isinstance(found, str) else current_request_id()


def accept_or_make(text: str | None) -> str:
    """The caller's id when it is a safe token, else a new random one."""
    if text is not None and SAFE_ID.fullmatch(text):
        return text
    return uuid.uuid4().hex


def route_template(scope: MutableMapping[str, Any]) -> str:
    """The matched route's path template (``/v1/entities/{uscc}``), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class RequestObserver:
    """Request id, access log line and request duration metric, for every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accept_or_make(Headers(scope=scope).get(HEADER.decode()))
        scope[SCOPE_KEY] = request_id
        token = request_id_var.set(request_id)
        status = 500  # unless the app answers: an exception is answered 500 further out
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message["headers"] = [*headers, (HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            request_id_var.reset(token)

    @staticmethod
    def _record(scope: Scope, status: int, seconds: float) -> None:
        method = str(scope.get("method", ""))
        path = str(scope.get("path", ""))  # the query string is never logged
        route = route_template(scope)
        observe_request(method, route, status, seconds)
        client = scope.get("client")
        duration_ms = round(seconds * 1000, 1)
        access_log.info(
            "%s %s %d %.1fms",
            method,
            path,
            status,
            duration_ms,
            extra={
                "http_method": method,
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": duration_ms,
                "client": client[0] if client else None,
            },
        )
