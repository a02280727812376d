"""The HTTP edge's protections, installed around the app in one place (docs/security-edge.md).

From the outside in: security headers (so every answer carries them, refusals included),
CORS (only when ``cors_origins`` names callers), the cross-origin guard for unsafe methods,
then the body limits, which must sit outside anything that buffers a body (the SQLite
replay middleware).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from api.edge.body_limit import BodyLimit, BodyLimits
from api.edge.origin_guard import OriginGuard
from api.edge.origins import cors_origins, is_https, trusted_origins
from api.security_headers import SecurityHeaders
from api.settings import Settings

CORS_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
CORS_REQUEST_HEADERS = ("Authorization", "Content-Type", "X-Request-ID")
CORS_EXPOSED_HEADERS = ("Retry-After", "Location", "X-Request-ID")
CORS_MAX_AGE_SECONDS = 600


def install_edge(app: FastAPI, settings: Settings) -> None:
    """Add the edge middlewares; call after any middleware that must run inside them."""
    app.add_middleware(BodyLimit, limits=BodyLimits.from_settings(settings))
    app.add_middleware(OriginGuard, trusted=trusted_origins(settings))
    callers = cors_origins(settings)
    if callers:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=callers,
            allow_credentials=False,  # bearer tokens, never cookies
            allow_methods=CORS_METHODS,
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=CORS_MAX_AGE_SECONDS,
        )
    app.add_middleware(SecurityHeaders, https=is_https(settings))
