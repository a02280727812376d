"""Per-address limits at the edge: who the caller is (its address) and the configured limits.

The address is the TCP peer, as the server saw it. Behind a reverse proxy that is the
proxy, so every caller would share one count: run the server with the proxy's forwarded
headers trusted (uvicorn ``--proxy-headers --forwarded-allow-ips``) so it is the client's.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from sqlmodel import Session

from api.settings import Settings
from codeid.accounts.throttle import LoginLimits
from codeid.limits.counter import RateLimited, hit

PUBLIC_CHECK_WINDOW_SECONDS = 60


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def login_limits(settings: Settings) -> LoginLimits:
    return LoginLimits(
        per_username=settings.login_failures_per_username,
        per_address=settings.login_failures_per_address,
        window_seconds=settings.login_window_seconds,
    )


def limit_public_checks(
    session: Session, request: Request, settings: Settings, *, now: datetime
) -> None:
    """Count one anonymous code check from the caller's address; RateLimited past the limit.

    Counted in the request's transaction (which writes the access log anyway): a refused
    call rolls back its own count, and SQLite sees one writer per request, not two."""
    limit = settings.public_checks_per_minute
    decision = hit(
        session,
        bucket=f"public-check:{client_address(request)}"[:120],
        limit=limit,
        window_seconds=PUBLIC_CHECK_WINDOW_SECONDS,
        now=now,
    )
    if not decision.allowed:
        raise RateLimited(
            f"more than {limit} code checks a minute from this address",
            retry_after=decision.retry_after,
        )
