"""Taking calls back off a rate counter: forget a bucket, or give one call back.

A limit on *failures* (sign-in attempts) counts every attempt up front, atomically, with
``codeid.limits.counter.hit``, and takes the attempt back once it turns out to have
succeeded. Counting first closes the race a "check, then count the failure" scheme leaves
open: a burst of parallel guesses would all pass the check before any failure was counted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Delete, Engine, Update, delete, update
from sqlmodel import Session, col

from codeid.db import transaction
from codeid.limits.models import RateCounter


def forget(target: Session | Engine, *, bucket: str) -> None:
    """Drop every window of ``bucket`` (its count starts again from nothing)."""
    statement = delete(RateCounter).where(col(RateCounter.bucket) == bucket)
    _run(target, statement)


def give_back(target: Session | Engine, *, bucket: str, window_seconds: int, now: datetime) -> None:
    """Take one call off the window ``now`` falls in (never below zero)."""
    window_start = int(now.timestamp() // window_seconds) * window_seconds
    statement = (
        update(RateCounter)
        .where(
            col(RateCounter.bucket) == bucket,
            col(RateCounter.window_start) == window_start,
            col(RateCounter.count) > 0,
        )
        .values(count=col(RateCounter.count) - 1)
    )
    _run(target, statement)


def _run(target: Session | Engine, statement: Delete | Update) -> None:
    if isinstance(target, Engine):
        with transaction(target) as session:
            session.execute(statement)
        return
    target.execute(statement)
    target.flush()
