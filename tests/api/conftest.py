"""An API client over a real database (SQLite and PostgreSQL), real keys, the real app."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.deps import get_now
from api.settings import Settings
from codeid.clock import utcnow
from tests.api.callers import Auth


class Clock:
    """The API's notion of now, movable by a test (through FastAPI's dependency override)."""

    def __init__(self) -> None:
        self.now: datetime | None = None

    def __call__(self) -> datetime:
        return self.now or utcnow()


@pytest.fixture
def settings(engine: Engine, database_url: str, tmp_path: Path) -> Settings:
    secret = base64.b64encode(os.urandom(32)).decode()
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        master_key=secret,
        public_url="http://testserver",
        webhook_worker=False,  # tests that need the delivery thread turn it on
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings: Settings, clock: Clock) -> FastAPI:
    app = create_app(settings)
    app.dependency_overrides[get_now] = clock
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An anonymous client: pass ``headers=auth.admin()`` (etc.) to call as someone."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def auth(app: FastAPI, clock: Clock) -> Auth:
    """Signed-in callers of every kind, as Authorization headers (see tests/api/callers.py)."""
    return Auth(app.state.runtime, clock)
