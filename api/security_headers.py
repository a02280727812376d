"""Security headers on every response (a pure ASGI middleware: streams pass through).

The pages load scripts and styles only from this origin (no inline script: the words table
is a JSON data block, which CSP does not execute), may not be framed, send no referrer, and
may use the camera (the window and the kiosk scan codes with it) but no other device. No
other site may load our answers as images or scripts, or keep a handle on our windows.
API answers under /auth, /oauth and /v1 hold personal data and tokens: ``no-store`` unless
the route chose its own caching (public keys, status lists). Strict-Transport-Security only
when the public URL is https, so a plain-http test or intranet install is not locked out.
A header the route set itself is never replaced.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    )
)
PERMISSIONS = ", ".join(
    (
        "camera=(self)",
        "microphone=()",
        "geolocation=()",
        "payment=()",
        "usb=()",
        "serial=()",
        "bluetooth=()",
        "display-capture=()",
    )
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", PERMISSIONS.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000")
# The API docs page loads its scripts from a CDN; it gets the other headers but no CSP.
NO_CSP_PATHS = ("/docs", "/redoc")
# Answers with personal data or tokens: never kept by a browser or a shared cache.
NO_STORE_PATHS = ("/auth/", "/oauth/", "/v1/")
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        fixed = [*HEADERS, HSTS] if self.https else list(HEADERS)
        if path.startswith(NO_STORE_PATHS):
            fixed.append(NO_STORE)
        if not path.startswith(NO_CSP_PATHS):
            fixed.append((b"content-security-policy", CSP.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in fixed if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
