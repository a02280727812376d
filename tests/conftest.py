"""Every database test runs twice: on an SQLite file and on a throwaway PostgreSQL database.

Both are migrated with Alembic to head once per run; after each test the rows are deleted,
so domain code may commit for real (as the CLI and API do).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

import codeid.models  # noqa: F401
import counter.models  # noqa: F401
import credentials.models  # noqa: F401
from bench.throwaway import throwaway_database
from codeid.db import make_engine
from codeid.migrate import upgrade

POSTGRES_SERVER = os.environ.get(
    "CODEID_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _throwaway_postgres() -> Iterator[str]:
    """Create a database of our own on the server, drop it at the end."""
    with throwaway_database(POSTGRES_SERVER, prefix="codeid_test") as url:
        yield url


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    yield from _throwaway_postgres()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'codeid.db'}"


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture(scope="session")
def _migrated_engines() -> Iterator[dict[str, Engine]]:
    engines: dict[str, Engine] = {}
    yield engines
    for eng in engines.values():
        eng.dispose()


@pytest.fixture
def engine(database_url: str, _migrated_engines: dict[str, Engine]) -> Iterator[Engine]:
    if database_url not in _migrated_engines:
        eng = make_engine(database_url)
        upgrade(eng)
        _migrated_engines[database_url] = eng
    eng = _migrated_engines[database_url]
    yield eng
    _empty_tables(eng)


def _empty_tables(eng: Engine) -> None:
    with eng.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture(scope="session")
def qr_samples() -> Path:
    path = SHARED_DATA / "qr-samples"
    if not path.is_dir():
        pytest.fail(f"shared test data missing: {path}")
    return path
