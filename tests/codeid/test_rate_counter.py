"""The fixed-window counter in the database: exact under concurrency, on both databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from codeid.errors import InvalidInput
from codeid.limits.counter import hit
from codeid.limits.models import RateCounter

START = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # a whole minute


def test_limit_then_retry_after_then_a_new_window(engine: Engine) -> None:
    moment = START + timedelta(seconds=15)
    decisions = [
        hit(engine, bucket="client:a", limit=3, window_seconds=60, now=moment) for _ in range(4)
    ]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.hits for d in decisions] == [1, 2, 3, 4]
    assert decisions[-1].retry_after == 45 and decisions[0].retry_after == 0
    # Another bucket is counted apart.
    assert hit(engine, bucket="client:b", limit=3, window_seconds=60, now=moment).allowed
    fresh = hit(
        engine, bucket="client:a", limit=3, window_seconds=60, now=START + timedelta(minutes=1)
    )
    assert fresh.allowed and fresh.hits == 1
    with Session(engine) as session:
        windows = session.exec(select(RateCounter).where(RateCounter.bucket == "client:a")).all()
    assert [w.window_start for w in windows] == [int(START.timestamp()) + 60]  # old one dropped


def test_a_session_hit_joins_its_transaction(engine: Engine) -> None:
    with Session(engine) as session:
        hit(session, bucket="client:s", limit=1, window_seconds=60, now=START)
        session.rollback()
    assert hit(engine, bucket="client:s", limit=1, window_seconds=60, now=START).allowed


def test_concurrent_hits_are_counted_exactly(engine: Engine) -> None:
    def one(_: int) -> int:
        return hit(engine, bucket="client:busy", limit=1000, window_seconds=60, now=START).hits

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(one, range(80)))
    assert sorted(counts) == list(range(1, 81))  # no two calls saw the same count


def test_bad_arguments(engine: Engine) -> None:
    for bucket, limit, window in (("", 1, 60), ("x" * 121, 1, 60), ("a", -1, 60), ("a", 1, 0)):
        with pytest.raises(InvalidInput):
            hit(engine, bucket=bucket, limit=limit, window_seconds=window, now=START)
