"""Licence status in IETF Token Status Lists: allocation of slots, and the public face.

Each licence version gets a (list id, index) slot when issued; lists are "1", "2", ... of
``DEFAULT_LIST_SIZE`` entries, 2 bits each. The encoding lives in ``status_encoding`` (no
database, usable offline) and the signed token in ``status_token``; both are re-exported
here so callers import one module.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlmodel import Session

from codeid.db import is_postgresql
from codeid.errors import Conflict
from credentials.errors import InvalidStatusList
from credentials.models import Licence, StatusListRecord
from credentials.status_encoding import (
    LIST_BITS,
    STATUS_INVALID,
    STATUS_NAMES,
    STATUS_SUSPENDED,
    STATUS_VALID,
    StatusListView,
    decode_status_list,
    encode_status_list,
    pack_statuses,
    status_value_of,
)
from credentials.status_token import (
    MEDIA_TYPE,
    StatusListToken,
    build_status_list_token,
    get_status_list,
    issue_status_list_token,
    read_status_from_token,
    read_status_list_token,
)

__all__ = [
    "DEFAULT_LIST_SIZE",
    "MEDIA_TYPE",
    "STATUS_INVALID",
    "STATUS_NAMES",
    "STATUS_SUSPENDED",
    "STATUS_VALID",
    "StatusListToken",
    "StatusListView",
    "allocate_status_index",
    "build_status_list_token",
    "decode_status_list",
    "encode_status_list",
    "get_status_list",
    "issue_status_list_token",
    "pack_statuses",
    "read_status_from_token",
    "read_status_list_token",
    "status_list_ids",
    "status_value",
]

# 2**17 entries at 2 bits = 32 KiB before compression: large enough for herd privacy,
# small enough to fetch and keep offline at a window.
DEFAULT_LIST_SIZE = 131_072


def status_value(licence: Licence) -> int:
    """valid -> 0 (VALID), suspended -> 2 (SUSPENDED), revoked/superseded -> 1 (INVALID)."""
    return status_value_of(licence.status)


_LISTS = StatusListRecord.__table__  # type: ignore[attr-defined]
# Lists are numbered "1", "2", ...: ordering by (length, text) is numeric order on both DBs.
_NUMERIC_ORDER = (func.length(_LISTS.c.id), _LISTS.c.id)
# pg_advisory_xact_lock key that serialises allocation ("codeid" + 1).
_ALLOCATION_LOCK = 0x636F_6465_6964_0001


def allocate_status_index(
    session: Session, *, now: datetime, list_size: int = DEFAULT_LIST_SIZE
) -> tuple[str, int]:
    """Take the next free (list id, index); open list n+1 when list n is full. Flushes.

    Allocation is serial, and the lock lasts until the caller commits: on PostgreSQL a
    transaction advisory lock taken first (one lock, one order: no deadlock), on SQLite the
    write lock the first UPDATE takes. Only one list is open at a time, so issuers would
    queue on its row anyway; being serial keeps lists dense, which is what keeps them small,
    and a rolled-back issue gives its slot back. The slot is one
    ``UPDATE ... SET next_index = next_index + 1 WHERE next_index < size RETURNING``.
    ``list_size`` applies to a list this call opens.
    """
    if list_size < 1:
        raise InvalidStatusList(f"a status list holds at least one entry, not {list_size}")
    connection = session.connection()
    if is_postgresql(session):
        connection.execute(select(func.pg_advisory_xact_lock(_ALLOCATION_LOCK)))
    slot = _take_slot(session)
    if slot is not None:
        return slot
    count = connection.execute(select(func.count()).select_from(_LISTS)).scalar_one()
    connection.execute(
        insert(_LISTS).values(
            id=str(count + 1), bits=LIST_BITS, size=list_size, next_index=0, created_at=now
        )
    )
    slot = _take_slot(session)
    if slot is None:  # only if the list just inserted is gone: a bug, not contention
        raise Conflict(f"status list {count + 1} was opened but no slot could be taken from it")
    return slot


def _take_slot(session: Session) -> tuple[str, int] | None:
    open_list = (
        select(_LISTS.c.id)
        .where(_LISTS.c.next_index < _LISTS.c.size)
        .order_by(*_NUMERIC_ORDER)
        .limit(1)
        .scalar_subquery()
    )
    take = (
        update(_LISTS)
        .where(_LISTS.c.id == open_list, _LISTS.c.next_index < _LISTS.c.size)
        .values(next_index=_LISTS.c.next_index + 1)
        .returning(_LISTS.c.id, _LISTS.c.next_index)
    )
    row = session.connection().execute(take).first()
    return None if row is None else (str(row.id), int(row.next_index) - 1)


def status_list_ids(session: Session) -> list[str]:
    """Every list, in order (for a Status List Aggregation document)."""
    query = select(_LISTS.c.id).order_by(*_NUMERIC_ORDER)
    return [str(list_id) for list_id in session.connection().execute(query).scalars()]
