"""PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore``, run as argument lists (no shell).

The SQLAlchemy URL becomes a libpq connection string without the password; the password
travels in the child's ``PGPASSWORD``, never on a command line that ``ps`` would show.
The dump runs in a snapshot exported from our own REPEATABLE READ transaction, so the row
counts in the manifest are those of exactly the data dumped, however busy the service is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from psycopg import ProgrammingError
from psycopg.conninfo import make_conninfo
from sqlalchemy import URL, Engine, inspect, text

from codeid.backup.errors import BackupError, BackupToolFailed, BackupToolMissing
from codeid.backup.tables import current_revision, row_counts, table_names


def find_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupToolMissing(
            f"{name} is not on PATH: install the PostgreSQL client programs "
            "(Debian: apt-get install postgresql-client), of the server's major version or newer"
        )
    return found


def connection_params(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq connection string (no password) and the environment that carries it."""
    params: dict[str, str] = {}
    for key, value in url.query.items():
        params[key] = ",".join(value) if isinstance(value, tuple) else value
    password = params.pop("password", None) or url.password
    for key, part in (
        ("host", url.host),
        ("port", url.port),
        ("user", url.username),
        ("dbname", url.database),
    ):
        if part:
            params[key] = str(part)
    try:
        conninfo = make_conninfo(**params)
    except ProgrammingError as exc:
        raise BackupError(f"the database URL has options libpq does not know: {exc}") from None
    return conninfo, ({"PGPASSWORD": str(password)} if password else {})


def _run(args: list[str], env: dict[str, str]) -> str:
    # An argument list and no shell: nothing in the URL can become a command.
    done = subprocess.run(  # noqa: S603
        args, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        raise BackupToolFailed(f"{Path(args[0]).name} failed: {reason}")
    return done.stdout.strip()


def tool_version(tool: str) -> str:
    return _run([tool, "--version"], {})


def dump_database(engine: Engine, url: URL, dump: Path) -> tuple[str | None, dict[str, int], str]:
    """Dump into ``dump``; return the revision, row counts and pg_dump version of that dump."""
    pg_dump = find_tool("pg_dump")
    conninfo, env = connection_params(url)
    version = tool_version(pg_dump)
    with engine.connect() as base:
        conn = base.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            revision, counts = current_revision(conn), row_counts(conn)
            # The snapshot lives as long as this transaction: pg_dump must finish inside it.
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    f"--dbname={conninfo}",
                ],
                env,
            )
    return revision, counts, version


def drop_all(engine: Engine) -> None:
    """Drop every view, table and sequence of the default schema (``restore --force``)."""
    with engine.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        inspector = inspect(conn)
        for view in inspector.get_view_names():
            conn.execute(text(f"DROP VIEW IF EXISTS {quote(view)} CASCADE"))
        for name in table_names(conn):
            conn.execute(text(f"DROP TABLE IF EXISTS {quote(name)} CASCADE"))
        for sequence in inspector.get_sequence_names():
            conn.execute(text(f"DROP SEQUENCE IF EXISTS {quote(sequence)} CASCADE"))


def restore_database(dump: Path, url: URL) -> None:
    """pg_restore in one transaction: it all goes in, or nothing does."""
    pg_restore = find_tool("pg_restore")
    conninfo, env = connection_params(url)
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={conninfo}",
            str(dump),
        ],
        env,
    )
