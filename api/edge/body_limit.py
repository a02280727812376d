"""Request body limits, enforced before a route (or the SQLite replay buffer) reads a byte.

A declared ``Content-Length`` over the route's limit is answered 413 ``upload-too-large`` at
once, without reading the body; a body without one (chunked) is counted as it streams and
refused as soon as it passes the limit. Image uploads get ``max_upload_bytes`` (plus room
for the multipart envelope), whole-document uploads (entity and licence imports, the hall
set-up) ``max_import_bytes``, everything else (JSON, forms) ``max_json_bytes``.

Whatever the app makes of the interrupted body (FastAPI turns a failed read into a 400),
its answer is dropped and the 413 sent instead; the connection is closed afterwards, since
the rest of the body was never read.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem
from api.settings import Settings

# Room for the multipart boundary lines, part headers and small form fields of an upload.
ENVELOPE = 64 * 1024
UPLOAD_ROUTES = frozenset({("POST", "/v1/scans"), ("POST", "/v1/checkins/scan")})
DOCUMENT_ROUTES = frozenset(
    {("POST", "/v1/entities/import"), ("POST", "/v1/licences/import"), ("PUT", "/v1/hall")}
)


@dataclass(frozen=True)
class BodyLimits:
    json: int
    upload: int
    document: int

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyLimits:
        return cls(
            json=settings.max_json_bytes,
            upload=settings.max_upload_bytes + ENVELOPE,
            document=settings.max_import_bytes,
        )

    def for_route(self, method: str, path: str) -> int:
        route = (method, path.rstrip("/") or "/")
        if route in UPLOAD_ROUTES:
            return self.upload
        if route in DOCUMENT_ROUTES:
            return self.document
        return self.json


class BodyTooLarge(Exception):
    """Raised into the app from ``receive`` when a streamed body passes its limit."""


class BodyLimit:
    def __init__(self, app: ASGIApp, *, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, root = str(scope["path"]), str(scope.get("root_path", ""))
        route_path = path[len(root) :] if root and path.startswith(root) else path
        limit = self.limits.for_route(scope["method"], route_path)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, limit)
            return
        seen = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal seen, exceeded
            if exceeded:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded:  # the app's own answer to the broken read: ours goes instead
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _refuse(scope, receive, send, limit)


def _content_length(scope: Scope) -> int | None:
    declared = Headers(scope=scope).get("content-length")
    try:
        return int(declared) if declared is not None else None
    except ValueError:
        return None  # the server refuses a malformed length itself


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = problem(
        413,
        "upload-too-large",
        f"the request body is larger than this route's limit of {limit} bytes",
        instance=str(scope.get("path", "")),
        headers={"Connection": "close"},
        limit=limit,
    )
    await response(scope, receive, send)
