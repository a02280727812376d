"""Deploy tests: real `codeid serve` processes, an nginx of our own, a private PostgreSQL.

Selected with ``pytest tests/deploy`` or ``-m deploy`` (left out with ``-m "not deploy"``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from codeid.db import make_engine
from tests.conftest import _throwaway_postgres
from tests.deploy.pg_instance import PgInstance, private_postgres


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "deploy: real processes (codeid serve, nginx, a private PostgreSQL)"
    )


@pytest.fixture
def main_server_database() -> Iterator[str]:
    """A throwaway database of this test's own on the main PostgreSQL server."""
    yield from _throwaway_postgres()


@pytest.fixture
def private_pg() -> Iterator[PgInstance]:
    """A private PostgreSQL server (stoppable at will) with an empty database "codeid"."""
    with private_postgres() as instance:
        admin = make_engine(instance.url()).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('CREATE DATABASE "codeid"'))
        admin.dispose()
        yield instance
