"""What is in a database, read the same way on both backends: tables, row counts, revision."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, func, inspect, select, table

from codeid.migrate import alembic_config

ALEMBIC_TABLE = "alembic_version"


def table_names(conn: Connection) -> list[str]:
    """Every table of the connection's default schema (Alembic's own included)."""
    return sorted(inspect(conn).get_table_names())


def row_counts(conn: Connection) -> dict[str, int]:
    """Rows in each table except Alembic's, by table name."""
    counts: dict[str, int] = {}
    for name in table_names(conn):
        if name != ALEMBIC_TABLE:
            counts[name] = int(conn.execute(select(func.count()).select_from(table(name))).one()[0])
    return counts


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # the migrations directory always has a head
    return head


def is_known_revision(revision: str) -> bool:
    """Whether this codeid's migrations know the revision (else the backup is from a newer one)."""
    try:
        found = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        return False
    return found is not None and found.revision == revision
