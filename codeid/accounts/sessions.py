"""Refresh tokens: opaque, stored as SHA-256, rotated on every use, revocable.

A login starts a family. Refreshing marks the presented token used and issues its successor
in the same family; presenting a used token again means it was copied, so the whole family is
revoked (OAuth 2.0 Security BCP, refresh token rotation). Logout revokes the family.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from codeid.accounts.errors import InvalidCredentials, RefreshTokenReused, TokenExpired
from codeid.accounts.models import RefreshToken, UserAccount, UserStatus

REFRESH_PREFIX = "rt_"
DEFAULT_REFRESH_TTL = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class IssuedRefresh:
    token: str
    family: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(
    session: Session,
    user: UserAccount,
    *,
    now: datetime,
    ttl: timedelta = DEFAULT_REFRESH_TTL,
) -> IssuedRefresh:
    return _issue(session, user, family=secrets.token_hex(16), now=now, ttl=ttl)


def rotate(
    session: Session, token: str, *, now: datetime, ttl: timedelta = DEFAULT_REFRESH_TTL
) -> tuple[UserAccount, IssuedRefresh]:
    """Spend a refresh token for a new one; reuse revokes the family."""
    row = _find(session, token)
    if row.revoked_at is not None:
        raise InvalidCredentials("this sign-in was ended; sign in again")
    if row.used_at is not None:
        revoke_family(session, row.family, now=now)
        raise RefreshTokenReused(
            "this refresh token was already used, so it may have been copied; "
            "every token of this sign-in is now revoked"
        )
    if now >= row.expires_at:
        raise TokenExpired("the refresh token has expired; sign in again")
    user = session.get(UserAccount, row.user_id)
    if user is None or user.status != UserStatus.ACTIVE.value:
        raise InvalidCredentials("the account is disabled")
    # Conditional update: of two concurrent refreshes with one token, only one wins.
    spent = session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.id) == row.id, col(RefreshToken.used_at).is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        revoke_family(session, row.family, now=now)
        raise RefreshTokenReused("this refresh token was used concurrently; sign in again")
    return user, _issue(session, user, family=row.family, now=now, ttl=ttl)


def end_session(session: Session, token: str, *, now: datetime) -> None:
    """Logout: revoke every token of the sign-in this token belongs to."""
    revoke_family(session, _find(session, token).family, now=now)


def revoke_family(session: Session, family: str, *, now: datetime) -> None:
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.family) == family, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    session.flush()


def revoke_user_sessions(session: Session, user_id: int, *, now: datetime) -> None:
    """Sign a user out everywhere (password change, account disabled)."""
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.user_id) == user_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    session.flush()


def _find(session: Session, token: str) -> RefreshToken:
    if not token.startswith(REFRESH_PREFIX) or len(token) > 200:
        raise InvalidCredentials("not a codeid refresh token")
    row = session.exec(
        select(RefreshToken).where(RefreshToken.token_hash == _digest(token))
    ).first()
    if row is None:
        raise InvalidCredentials("unknown refresh token")
    return row


def _issue(
    session: Session, user: UserAccount, *, family: str, now: datetime, ttl: timedelta
) -> IssuedRefresh:
    assert user.id is not None
    token = REFRESH_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + ttl
    session.add(
        RefreshToken(
            user_id=user.id,
            token_hash=_digest(token),
            family=family,
            issued_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return IssuedRefresh(token=token, family=family, expires_at=expires_at)
