"""Sign-in throttling: failed attempts counted per username and per client address.

Every attempt is counted against both buckets before the password is checked (one atomic
statement each, in the database, so every process shares the count and a burst of parallel
guesses cannot slip past); a success then forgets the username's failures and gives the
address its attempt back, and an attempt refused unchecked is given back to both. So both
counters hold checked failures only, and a success never clears the address's count: an
attacker holding one good account cannot reset it by signing in.

Unknown and known usernames are counted alike, so a refusal says nothing about whether an
account exists. The username is stored hashed: people type passwords into the wrong field.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from codeid.db import transaction
from codeid.limits.adjust import forget, give_back
from codeid.limits.counter import RateLimited, hit


@dataclass(frozen=True)
class LoginLimits:
    per_username: int = 5
    per_address: int = 50
    window_seconds: int = 900


class LoginThrottled(RateLimited):
    """Too many failed sign-ins for this username or from this address (HTTP 429).

    Keeps the ``rate-limited`` code of its parent, so clients need no new case."""


def _buckets(username: str, address: str) -> tuple[str, str]:
    name = username.strip().lower()[:64]
    digest = hashlib.sha256(name.encode()).hexdigest()[:40]
    return f"login-user:{digest}", f"login-addr:{address}"[:120]


def count_attempt(
    engine: Engine, *, username: str, address: str, limits: LoginLimits, now: datetime
) -> None:
    """Count one attempt for the username and the address, committed at once (a failure
    must stay counted after the request rolls back); raises LoginThrottled past a limit."""
    user_bucket, address_bucket = _buckets(username, address)
    with transaction(engine) as session:
        by_name = hit(
            session,
            bucket=user_bucket,
            limit=limits.per_username,
            window_seconds=limits.window_seconds,
            now=now,
        )
        by_address = hit(
            session,
            bucket=address_bucket,
            limit=limits.per_address,
            window_seconds=limits.window_seconds,
            now=now,
        )
        if not (by_name.allowed and by_address.allowed):  # refused unchecked: not a failure
            for bucket in (user_bucket, address_bucket):
                give_back(session, bucket=bucket, window_seconds=limits.window_seconds, now=now)
    minutes = limits.window_seconds // 60
    if not by_address.allowed:
        raise LoginThrottled(
            f"more than {limits.per_address} failed sign-ins from this address in "
            f"{minutes} minutes; try again later",
            retry_after=by_address.retry_after,
            limited="address",
        )
    if not by_name.allowed:
        raise LoginThrottled(
            f"more than {limits.per_username} failed sign-ins for this username in "
            f"{minutes} minutes; try again later",
            retry_after=by_name.retry_after,
            limited="username",
        )


def attempt_succeeded(
    session: Session, *, username: str, address: str, limits: LoginLimits, now: datetime
) -> None:
    """The attempt counted by ``count_attempt`` signed in: forget the username's failures,
    give the address back this one attempt (in the caller's transaction)."""
    user_bucket, address_bucket = _buckets(username, address)
    forget(session, bucket=user_bucket)
    give_back(session, bucket=address_bucket, window_seconds=limits.window_seconds, now=now)
