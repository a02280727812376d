"""Database trouble leaves the API as 503 problem details with Retry-After, never a 500:
a refused or broken connection, no free connection in the pool, psycopg errors that reach
the edge unwrapped. A COMMIT whose answer was lost says so (the change may be stored)."""

from __future__ import annotations

import base64
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api.app import create_app
from api.problems import install_problem_handlers
from api.settings import Settings
from codeid.db import CommitOutcomeUnknown
from tests.conftest import _throwaway_postgres

PROBLEM = "urn:codeid:problem:"
JWKS = "/.well-known/jwks.json"  # public, and read from the database each time


class _Dbapi(Exception):
    """Stands in for the driver's exception inside SQLAlchemy's wrapper."""


RAISED: dict[str, Exception] = {
    "pool-timeout": PoolTimeout("QueuePool limit of size 1 overflow 0 reached"),
    "refused": OperationalError("SELECT 1", {}, _Dbapi("connection refused")),
    "raw-psycopg": psycopg.OperationalError("consuming input failed: server closed"),
    "raw-psycopg-closed": psycopg.InterfaceError("the connection is closed"),
    "invalidated": DBAPIError("COMMIT", {}, _Dbapi("lost"), connection_invalidated=True),
    "commit-unknown": CommitOutcomeUnknown("the connection was lost while committing"),
    "bug": ProgrammingError("SELECT nonsense", {}, _Dbapi("syntax error")),
}
EXPECTED = {
    "pool-timeout": (503, "database-unavailable"),
    "refused": (503, "database-unavailable"),
    "raw-psycopg": (503, "database-unavailable"),
    "raw-psycopg-closed": (503, "database-unavailable"),
    "invalidated": (503, "database-unavailable"),
    "commit-unknown": (503, "commit-outcome-unknown"),
    "bug": (500, "internal"),  # a statement the server refused is a bug, not an outage
}


@pytest.fixture(scope="module")
def raising_client() -> Iterator[TestClient]:
    """A tiny app whose one route raises what the path names."""
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/raise/{name}")
    def raise_(name: str) -> None:
        raise RAISED[name]

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("name", sorted(RAISED))
def test_database_errors_map_to_problems(raising_client: TestClient, name: str) -> None:
    response = raising_client.get(f"/raise/{name}")
    status, slug = EXPECTED[name]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEM + slug
    if status == 503:
        assert int(response.headers["retry-after"]) >= 1


def _settings(database_url: str, data_dir: Path, **extra: object) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        master_key=base64.b64encode(os.urandom(32)).decode(),
        webhook_worker=False,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[str]:
    yield from _throwaway_postgres()


def test_no_free_connection_is_503_then_served_again(own_postgres: str, tmp_path: Path) -> None:
    """The pool's one connection is taken: the request waits the pool timeout, not longer."""
    settings = _settings(
        own_postgres,
        tmp_path,
        db_pool_size=1,
        db_max_overflow=0,
        db_pool_timeout_seconds=0.5,
    )
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get(JWKS).status_code == 200
        with app.state.runtime.engine.connect():  # someone else holds the only connection
            started = time.monotonic()
            response = client.get(JWKS)
            waited = time.monotonic() - started
        assert response.status_code == 503, response.text
        assert response.json()["type"] == PROBLEM + "database-unavailable"
        assert response.headers["retry-after"] == "5"
        assert 0.4 < waited < 3
        assert client.get(JWKS).status_code == 200  # by itself, once it is free


def test_a_database_that_never_answers_is_503_within_seconds(
    tmp_path: Path, silent_port: int
) -> None:
    """A server that accepts the connection and says nothing (a hung host): the connect
    timeout ends the wait."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{silent_port}/x"
    settings = _settings(url, tmp_path, db_connect_timeout_seconds=2)
    app = create_app(settings, prepare=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        started = time.monotonic()
        response = client.get(JWKS)
        waited = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert response.json()["type"] == PROBLEM + "database-unavailable"
    assert waited < 5, f"waited {waited:.1f} s"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and then never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield int(server.getsockname()[1])
