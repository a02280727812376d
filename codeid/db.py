"""Database plumbing shared by every domain package: naming convention, engine, session.

Domain code takes a ``Session`` and only flushes; the caller (CLI command or API
dependency) commits or rolls back in one place.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel, create_engine

from codeid.errors import CodeidError

# Stable constraint names from day one, so migrations can drop and alter them by name.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _sqlite_begin), so
    # SAVEPOINTs nest inside a real transaction instead of becoming it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers run while one writer commits; busy_timeout waits out a short lock
    # instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")


# TCP keepalives, so a connection to a server that vanished without closing it (a host
# down, a network cut) is noticed in about a minute rather than the kernel's two hours.
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10}


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int | None = None,
    pool_timeout: float = 5.0,
    connect_timeout: int = 5,
    statement_timeout_ms: int | None = None,
    echo: bool = False,
) -> Engine:
    """An engine for SQLite (file, WAL) or PostgreSQL (psycopg 3).

    PostgreSQL: ``pool_size`` connections kept, ``max_overflow`` more at peaks (default: as
    many as ``pool_size``); a checkout waits at most ``pool_timeout`` seconds (then
    ``sqlalchemy.exc.TimeoutError``), a new connection at most ``connect_timeout`` seconds,
    and the server cancels a statement after ``statement_timeout_ms`` (None or 0: never).
    Every checkout is pinged first, so connections broken by a server restart are replaced
    instead of failing a request; a connection broken mid-transaction fails that request
    (OperationalError) and makes the pool drop every connection older than the failure.
    SQLite ignores the pool settings.
    """
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 5}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(
        parsed,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_timeout=pool_timeout,
        pool_pre_ping=True,
        connect_args=_postgresql_connect_args(
            parsed.query, connect_timeout=connect_timeout, statement_timeout_ms=statement_timeout_ms
        ),
    )


def _postgresql_connect_args(
    query: Mapping[str, str | tuple[str, ...]],
    *,
    connect_timeout: int,
    statement_timeout_ms: int | None,
) -> dict[str, Any]:
    """libpq parameters for every new connection; those given in the URL's query win."""
    wanted: dict[str, Any] = {"connect_timeout": connect_timeout, **_KEEPALIVES}
    args = {key: value for key, value in wanted.items() if key not in query}
    if statement_timeout_ms:
        given = query.get("options", "")
        options = " ".join(given) if isinstance(given, tuple) else given
        args["options"] = f"{options} -c statement_timeout={statement_timeout_ms}".strip()
    return args


def is_postgresql(session_or_engine: Session | Engine) -> bool:
    bind = (
        session_or_engine.get_bind()
        if isinstance(session_or_engine, Session)
        else (session_or_engine)
    )
    return bind.dialect.name == "postgresql"


class CommitOutcomeUnknown(CodeidError):
    """The connection broke while committing: the change may or may not be stored.

    Any failure before the COMMIT (while reading or flushing) stores nothing; only a COMMIT
    whose answer never came back is ambiguous, so only it raises this. Read the state back
    before doing the change again.
    """

    code = "commit-outcome-unknown"


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    Everything is flushed before the COMMIT, so that a lost connection tells apart "nothing
    stored" (the error itself, e.g. OperationalError) from "perhaps stored"
    (CommitOutcomeUnknown).
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.flush()
        except CodeidError as exc:
            if exc.keeps_changes:
                _commit(session)
            else:
                session.rollback()
            raise
        except BaseException:
            session.rollback()
            raise
        _commit(session)


def _commit(session: Session) -> None:
    try:
        session.commit()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise  # the server answered and refused (a constraint, a lock): nothing stored
        raise CommitOutcomeUnknown(
            "the database connection was lost while committing; the change may or may not "
            "be stored: read it back before retrying"
        ) from exc
