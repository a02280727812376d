"""A fixed-window request counter kept in the database, so every process shares the count.

One statement counts a hit and reads the new count: ``INSERT ... ON CONFLICT DO UPDATE SET
count = count + 1 RETURNING count`` (PostgreSQL, and SQLite since 3.35), so two processes
hitting the same bucket at once never both see the same count. Fixed windows let a caller make
up to twice the limit across a window boundary; that is the accepted price of one row per
bucket and window.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Engine, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from codeid.db import is_postgresql, transaction
from codeid.errors import CodeidError, InvalidInput
from codeid.limits.models import RateCounter

MAX_BUCKET = 120


class RateLimited(CodeidError):
    """Too many calls in the current window (HTTP 429 with Retry-After)."""

    code = "rate-limited"


class RateDecision(NamedTuple):
    allowed: bool
    retry_after: int  # seconds until the window ends (0 when allowed)
    hits: int  # calls in the current window, this one included


def hit(
    target: Session | Engine, *, bucket: str, limit: int, window_seconds: int, now: datetime
) -> RateDecision:
    """Count one call against ``bucket``. With a Session the count joins its transaction
    (flushes only); with an Engine it is committed at once in a transaction of its own, which
    keeps PostgreSQL's row lock on the counter brief (the usual choice at the edge)."""
    if not bucket or len(bucket) > MAX_BUCKET:
        raise InvalidInput(f"a rate bucket is 1 to {MAX_BUCKET} characters")
    if limit < 0 or window_seconds < 1:
        raise InvalidInput("a rate limit needs limit >= 0 and a window of at least a second")
    if isinstance(target, Engine):
        with transaction(target) as session:
            return _hit(session, bucket, limit, window_seconds, now)
    return _hit(target, bucket, limit, window_seconds, now)


def _hit(
    session: Session, bucket: str, limit: int, window_seconds: int, now: datetime
) -> RateDecision:
    stamp = now.timestamp()
    window_start = int(stamp // window_seconds) * window_seconds
    insert: Any = pg_insert if is_postgresql(session) else sqlite_insert
    statement = (
        insert(RateCounter)
        .values(bucket=bucket, window_start=window_start, count=1)
        .on_conflict_do_update(
            index_elements=["bucket", "window_start"],
            set_={"count": col(RateCounter.count) + 1},
        )
        .returning(col(RateCounter.count))
    )
    count = int(session.execute(statement).scalar_one())
    if count == 1:  # first call of a new window: drop the bucket's finished windows
        session.execute(
            delete(RateCounter).where(
                col(RateCounter.bucket) == bucket, col(RateCounter.window_start) < window_start
            )
        )
    session.flush()
    if count <= limit:
        return RateDecision(True, 0, count)
    retry_after = max(1, math.ceil(window_start + window_seconds - stamp))
    return RateDecision(False, retry_after, count)
