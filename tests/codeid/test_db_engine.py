"""The PostgreSQL engine under trouble: timeouts, a full pool, connections the server killed,
and a COMMIT whose answer is lost (the one case where the outcome is unknown)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from codeid.db import CommitOutcomeUnknown, make_engine, transaction


@pytest.fixture
def admin(postgresql_url: str) -> Iterator[Engine]:
    engine = make_engine(postgresql_url).execution_options(isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def _kill(admin: Engine, *pids: int) -> None:
    """The server ends these backends, as a restart or an administrator would."""
    with admin.connect() as conn:
        for pid in pids:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def _pid(conn: Connection) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_statement_timeout_cancels_a_long_statement(postgresql_url: str) -> None:
    engine = make_engine(postgresql_url, statement_timeout_ms=200)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "200ms"
            started = time.monotonic()
            with pytest.raises(OperationalError) as refused:
                conn.execute(text("SELECT pg_sleep(5)"))
            assert time.monotonic() - started < 2
            assert isinstance(refused.value.orig, psycopg.errors.QueryCanceled)
        with engine.connect() as conn:  # the connection is fine afterwards
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_no_statement_timeout_unless_asked(postgresql_url: str) -> None:
    engine = make_engine(postgresql_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "0"
    finally:
        engine.dispose()


def test_parameters_in_the_url_win(postgresql_url: str) -> None:
    url = f"{postgresql_url}?connect_timeout=9&options=-c%20lock_timeout%3D1500"
    engine = make_engine(url, connect_timeout=3, statement_timeout_ms=700)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW lock_timeout")).scalar_one() == "1500ms"
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "700ms"
            raw = conn.connection.dbapi_connection
            assert isinstance(raw, psycopg.Connection)
            assert raw.info.get_parameters()["connect_timeout"] == "9"
    finally:
        engine.dispose()


def test_a_full_pool_times_out_quickly(postgresql_url: str) -> None:
    engine = make_engine(postgresql_url, pool_size=1, max_overflow=0, pool_timeout=0.3)
    try:
        with engine.connect():
            started = time.monotonic()
            with pytest.raises(PoolTimeout):
                engine.connect()
            assert time.monotonic() - started < 1.5
        with engine.connect() as conn:  # free again
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_the_pool_replaces_connections_the_server_ended(postgresql_url: str, admin: Engine) -> None:
    engine = make_engine(postgresql_url, pool_size=2)
    try:
        with engine.connect() as first, engine.connect() as second:
            pids = [
                c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in (first, second)
            ]
        _kill(admin, *pids)  # both idle in the pool now, and dead
        for _ in range(3):  # the ping on checkout finds them dead: no request fails
            with transaction(engine) as session:
                pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
                assert pid not in pids
    finally:
        engine.dispose()


def test_a_lost_commit_is_an_unknown_outcome(postgresql_url: str, admin: Engine) -> None:
    engine = make_engine(postgresql_url)
    try:
        with pytest.raises(CommitOutcomeUnknown), transaction(engine) as session:
            session.execute(text("CREATE TEMP TABLE lost (x int)"))
            session.execute(text("INSERT INTO lost VALUES (1)"))
            _kill(admin, session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        with transaction(engine) as session:  # and the engine carries on
            assert session.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_a_connection_lost_before_the_commit_stores_nothing(
    postgresql_url: str, admin: Engine
) -> None:
    """Not CommitOutcomeUnknown: the failure came before the COMMIT, so nothing is stored."""
    engine = make_engine(postgresql_url)
    try:
        with pytest.raises(OperationalError), transaction(engine) as session:
            _kill(admin, session.execute(text("SELECT pg_backend_pid()")).scalar_one())
            session.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def test_a_commit_the_server_refuses_is_no_unknown_outcome(postgresql_url: str) -> None:
    """A deferred constraint fails at COMMIT, but the server answered: nothing stored."""
    engine = make_engine(postgresql_url)
    try:
        with pytest.raises(IntegrityError), transaction(engine) as session:
            session.execute(
                text("CREATE TEMP TABLE once (x int UNIQUE DEFERRABLE INITIALLY DEFERRED)")
            )
            session.execute(text("INSERT INTO once VALUES (1), (1)"))
    finally:
        engine.dispose()
