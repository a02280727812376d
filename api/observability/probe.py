"""Short, bounded database connections for /readyz and /metrics, apart from the app's pool.

A health check must answer quickly when the database is down or hanging, so it neither
waits for a slot in the request pool nor inherits its timeouts: each check opens one
connection of its own (no pool) with a connect timeout and a statement timeout, and closes
it. An SQLite file is opened read-write but never created (a readiness check must not make
an empty database where the real one is missing).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from api.runtime import Runtime
from codeid.accounts.tokens import AUTH_RING
from codeid.keys.keyring import KeyRing
from codeid.models import PLATFORM_RING

log = logging.getLogger("codeid.observe")
TIMEOUT_SECONDS = 2
OK = "ok"


@lru_cache(maxsize=8)
def probe_engine(url: str, timeout_seconds: int = TIMEOUT_SECONDS) -> Engine:
    """An engine without a pool whose connections give up after ``timeout_seconds``."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            parsed = parsed.set(
                database=f"file:{quote(database)}", query={"mode": "rw", "uri": "true"}
            )
        return create_engine(parsed, poolclass=NullPool, connect_args={"timeout": timeout_seconds})
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    options = f"-c statement_timeout={timeout_seconds * 1000}"
    return create_engine(
        parsed,
        poolclass=NullPool,
        connect_args={"connect_timeout": timeout_seconds, "options": options},
    )


@contextmanager
def probe_session(runtime: Runtime) -> Iterator[Session]:
    """A read-only session on a connection of its own (rolled back, then closed)."""
    with probe_engine(runtime.settings.database_url).connect() as conn, Session(bind=conn) as s:
        yield s


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return bool(self.checks) and all(value == OK for value in self.checks.values())

    def failed(self, name: str, exc: BaseException) -> None:
        # Only the error's class leaves the process (the endpoint is public); details go to
        # the log.
        self.checks[name] = f"error: {type(exc).__name__}"
        log.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)


RINGS = {"platform_keys": PLATFORM_RING, "auth_keys": AUTH_RING}


def readiness(runtime: Runtime) -> Readiness:
    """Does the database answer, and can the active key of each signing ring be unsealed?"""
    result = Readiness()
    try:
        with probe_session(runtime) as session:
            session.connection().execute(text("SELECT 1"))
            result.checks["database"] = OK
            for name, ring in RINGS.items():
                try:
                    KeyRing(session, ring=ring, master_secret=runtime.master_secret).active_signer()
                    result.checks[name] = OK
                except Exception as exc:  # no active key, wrong master key, unreadable row
                    result.failed(name, exc)
    except Exception as exc:  # any driver error, a timeout: not ready
        result.failed("database", exc)
        for name in RINGS:
            result.checks.setdefault(name, "unknown: database unavailable")
    return result
