"""Set-based SQL for the bulk importer: look up a chunk of USCCs, upsert a chunk of rows.

Both are SQLAlchemy Core, ``INSERT ... ON CONFLICT (uscc) DO UPDATE``, one round trip per
chunk, with a dialect-specific shape where it pays:
- SQLite: executemany of the single-row statement; sqlite3 loops in C, that is fast.
- PostgreSQL: psycopg 3 runs executemany as one pipelined statement per row, so instead
  the chunk travels as one array per column, ``INSERT ... SELECT unnest(...)`` (measured
  about 2-3x faster at 2000 rows per chunk). The lookup uses ``= ANY(array)`` rather than
  2000 expanded IN placeholders, which psycopg would re-parse for every chunk.
The conflict update never touches a deregistered entity, nor status, check_override or
created_at.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, any_, bindparam, false, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from codeid.entities.data import ENTITY_FIELDS, EntityData
from codeid.entities.models import Entity, EntityStatus
from codeid.types import UTCDateTime

TABLE: Table = Entity.metadata.tables[Entity.__tablename__]
DATA_COLUMNS = ENTITY_FIELDS[1:]  # all but the uscc key
_INSERTED = ("uscc", *DATA_COLUMNS)
_ACTIVE = EntityStatus.ACTIVE.value
_DEREGISTERED = EntityStatus.DEREGISTERED.value

Values = tuple[str, str, str, str, str, date | None]  # DATA_COLUMNS of one row


def data_values(data: EntityData) -> Values:
    return (
        data.name,
        data.entity_type,
        data.legal_representative,
        data.registered_address,
        data.registration_authority,
        data.date_established,
    )


def existing(conn: Connection, usccs: Sequence[str]) -> dict[str, tuple[Values, str]]:
    """Stored data values and status of those of ``usccs`` that are registered."""
    statement = select(TABLE.c.uscc, TABLE.c.status, *(TABLE.c[name] for name in DATA_COLUMNS))
    if conn.dialect.name == "postgresql":
        keys = bindparam("usccs", list(usccs), type_=postgresql.ARRAY(TABLE.c.uscc.type))
        statement = statement.where(TABLE.c.uscc == any_(keys))
    else:
        statement = statement.where(TABLE.c.uscc.in_(usccs))
    return {row[0]: (cast(Values, tuple(row[2:])), row[1]) for row in conn.execute(statement)}


class Upserter:
    """Writes chunks of rows with distinct USCCs (a statement may not hit a row twice)."""

    def __init__(self, conn: Connection) -> None:
        self.dialect = conn.dialect.name
        if self.dialect == "postgresql":
            self.statement = _postgresql_upsert()
        elif self.dialect == "sqlite":
            self.statement = _on_conflict(sqlite.insert(TABLE))
        else:
            raise NotImplementedError(
                f"bulk import supports PostgreSQL and SQLite, not {self.dialect}"
            )

    def write(self, conn: Connection, rows: Sequence[EntityData], *, now: datetime) -> None:
        if not rows:
            return
        if self.dialect == "postgresql":
            arrays: dict[str, Any] = {name: [getattr(r, name) for r in rows] for name in _INSERTED}
            conn.execute(self.statement, {**arrays, "now": now})
            return
        constant = {
            "status": _ACTIVE,
            "check_override": False,
            "created_at": now,
            "updated_at": now,
        }
        conn.execute(
            self.statement,
            [
                {
                    "uscc": r.uscc,
                    "name": r.name,
                    "entity_type": r.entity_type,
                    "legal_representative": r.legal_representative,
                    "registered_address": r.registered_address,
                    "registration_authority": r.registration_authority,
                    "date_established": r.date_established,
                    **constant,
                }
                for r in rows
            ],
        )


def _on_conflict(statement: postgresql.Insert | sqlite.Insert) -> Insert:
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[TABLE.c.uscc],
        set_={name: excluded[name] for name in (*DATA_COLUMNS, "updated_at")},
        where=TABLE.c.status != _DEREGISTERED,
    )


def _postgresql_upsert() -> Insert:
    now = bindparam("now", type_=UTCDateTime())
    source = select(
        *(
            func.unnest(bindparam(name, type_=postgresql.ARRAY(TABLE.c[name].type))).label(name)
            for name in _INSERTED
        ),
        literal(_ACTIVE).label("status"),
        false().label("check_override"),
        now.label("created_at"),
        now.label("updated_at"),
    )
    columns = [*_INSERTED, "status", "check_override", "created_at", "updated_at"]
    return _on_conflict(postgresql.insert(TABLE).from_select(columns, source))
