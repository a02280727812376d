"""Who is calling: a department (issuer token), a clerk (clerk token) or an administrator.

Simple bearer tokens until users and roles arrive (issue 5); the domain decides what
an authenticated issuer may touch (its own licences only).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import RuntimeDep, SessionDep
from codeid.errors import CodeidError
from counter.hall import authenticate_clerk
from counter.models import Clerk
from credentials.issuers import authenticate_issuer
from credentials.models import Issuer

bearer = HTTPBearer(auto_error=False, description="An issuer's or the administrator's token")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


class Unauthenticated(CodeidError):
    code = "unauthenticated"


class Forbidden(CodeidError):
    code = "forbidden"


def current_issuer(credentials: Credentials, session: SessionDep) -> Issuer:
    if credentials is None:
        raise Unauthenticated("this call needs an issuer's bearer token")
    issuer = authenticate_issuer(session, credentials.credentials)
    if issuer is None:
        raise Unauthenticated("the bearer token is not a valid issuer token")
    return issuer


def require_admin(credentials: Credentials, runtime: RuntimeDep) -> None:
    expected = runtime.settings.admin_token
    if expected is None:
        raise Forbidden("administration over HTTP is off (CODEID_ADMIN_TOKEN is not set)")
    if credentials is None:
        raise Unauthenticated("this call needs the administrator's bearer token")
    if not hmac.compare_digest(credentials.credentials, expected.get_secret_value()):
        raise Forbidden("the bearer token is not the administrator's")


IssuerDep = Annotated[Issuer, Depends(current_issuer)]
AdminDep = Annotated[None, Depends(require_admin)]


def current_clerk(credentials: Credentials, session: SessionDep) -> Clerk:
    if credentials is None:
        raise Unauthenticated("this call needs a clerk's bearer token")
    clerk = authenticate_clerk(session, credentials.credentials)
    if clerk is None:
        raise Unauthenticated("the bearer token is not a valid clerk token")
    return clerk


ClerkDep = Annotated[Clerk, Depends(current_clerk)]


def require_window(clerk: Clerk, window_number: int) -> None:
    """Clerks act only at their own windows."""
    if window_number not in clerk.windows:
        raise Forbidden(f"clerk {clerk.name!r} does not work at window {window_number}")
