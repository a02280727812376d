"""Signing in and out: username and password for a token pair, refresh, logout, who am I."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from sqlmodel import Session

from api.auth import PrincipalDep, Unauthenticated, allow
from api.auth_schemas import LoginIn, RefreshIn, TokenPair, UserOut
from api.deps import NowDep, RuntimeDep, SessionDep
from api.edge.throttle import client_address, login_limits
from api.runtime import Runtime
from codeid.accounts.models import Role, UserAccount
from codeid.accounts.sessions import end_session, rotate, start_session
from codeid.accounts.throttle import attempt_succeeded, count_attempt
from codeid.accounts.users import authenticate, get_user

router = APIRouter(prefix="/auth", tags=["auth"])


def _pair(
    runtime: Runtime,
    session: Session,
    user: UserAccount,
    now: datetime,
    refresh: str,
    until: datetime,
) -> TokenPair:
    return TokenPair(
        access_token=runtime.mint_user_token(session, user, now=now),
        expires_in=runtime.settings.access_token_ttl_seconds,
        refresh_token=refresh,
        refresh_expires_at=until,
        user=UserOut.model_validate(user),
    )


@router.post("/login", response_model=TokenPair, dependencies=[allow(public=True)])
def login(
    body: LoginIn, request: Request, session: SessionDep, runtime: RuntimeDep, now: NowDep
) -> TokenPair:
    """Exchange a username and password for a short-lived access token and a refresh token.

    Failed attempts are limited per username and per address (429 with Retry-After)."""
    limits, address = login_limits(runtime.settings), client_address(request)
    # Counted (and committed) before the password is checked: see codeid.accounts.throttle.
    count_attempt(runtime.engine, username=body.username, address=address, limits=limits, now=now)
    user = authenticate(session, username=body.username, password=body.password)
    attempt_succeeded(session, username=body.username, address=address, limits=limits, now=now)
    issued = start_session(session, user, now=now, ttl=runtime.refresh_token_ttl)
    return _pair(runtime, session, user, now, issued.token, issued.expires_at)


@router.post("/refresh", response_model=TokenPair, dependencies=[allow(public=True)])
def refresh(body: RefreshIn, session: SessionDep, runtime: RuntimeDep, now: NowDep) -> TokenPair:
    """Spend a refresh token for a new pair; a token spent twice ends the whole sign-in."""
    user, issued = rotate(session, body.refresh_token, now=now, ttl=runtime.refresh_token_ttl)
    return _pair(runtime, session, user, now, issued.token, issued.expires_at)


@router.post("/logout", status_code=204, dependencies=[allow(public=True)])
def logout(body: RefreshIn, session: SessionDep, now: NowDep) -> None:
    """End the sign-in the refresh token belongs to (its access tokens lapse within minutes)."""
    end_session(session, body.refresh_token, now=now)


ANY_USER = allow(Role.ADMIN, Role.ISSUER, Role.CLERK, Role.BUSINESS)


@router.get("/me", response_model=UserOut, dependencies=[ANY_USER])
def me(principal: PrincipalDep, session: SessionDep) -> UserOut:
    """The signed-in user."""
    if principal.user_id is None:
        raise Unauthenticated("this call needs a user's access token")
    return UserOut.model_validate(get_user(session, principal.user_id))
