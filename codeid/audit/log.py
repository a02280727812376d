"""Appending to and checking the access log's hash chain.

Each entry's hash covers its own fields and the previous entry's hash, so changing, removing
or reordering any entry breaks every hash after it. Appenders lock the single chain-head row,
which orders entries the same way in every process (PostgreSQL row lock; SQLite's one writer).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from codeid.audit.models import AccessChainHead, AccessEvent
from codeid.db import transaction

GENESIS = "0" * 64
_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Access:
    """One access to record; the chain fields are added on append."""

    actor_kind: str
    actor: str
    action: str
    outcome: str
    actor_role: str = ""
    on_behalf_of: str = ""
    purpose: str = ""
    subject_uscc: str | None = None
    resource: str = ""
    fields: tuple[str, ...] = field(default_factory=tuple)


def _text(value: str, limit: int) -> str:
    # Caller-supplied text (a purpose, a resource) must never be what makes logging fail:
    # NUL cannot be stored in PostgreSQL text, so it is replaced before hashing.
    return value.replace("\x00", "\ufffd")[:limit]


def entry_hash(event: AccessEvent, prev_hash: str) -> str:
    """SHA-256 over a canonical JSON of the entry and the previous hash."""
    body = {
        "id": event.id,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor_kind": event.actor_kind,
        "actor": event.actor,
        "actor_role": event.actor_role,
        "on_behalf_of": event.on_behalf_of,
        "purpose": event.purpose,
        "action": event.action,
        "subject_uscc": event.subject_uscc,
        "resource": event.resource,
        "fields": list(event.fields),
        "outcome": event.outcome,
        "prev": prev_hash,
    }
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(session: Session, accesses: Iterable[Access], *, now: datetime) -> list[AccessEvent]:
    """Chain and insert entries in the caller's transaction (which holds the head lock until
    it ends: keep it short, see ``record``). Flushes only.

    Every audited request runs this while holding the one lock all of them queue on, so it
    is three Core statements (lock and read the head, insert, move the head) rather than
    the ORM's read, unit of work and flush: the lock is held for less time. The entries
    returned are not in the session (read them back with a query if needed)."""
    session.flush()  # the caller's pending changes go first, before the lock is taken
    batch = list(accesses)
    if not batch:
        return []
    last_id, last_hash = _lock_head(session)
    written: list[AccessEvent] = []
    for access in batch:
        event = AccessEvent(
            id=last_id + 1,
            at=now,
            actor_kind=access.actor_kind,
            actor=_text(access.actor, 100),
            actor_role=_text(access.actor_role, 24),
            on_behalf_of=_text(access.on_behalf_of, 100),
            purpose=_text(access.purpose, 300),
            action=_text(access.action, 40),
            subject_uscc=access.subject_uscc,
            resource=_text(access.resource, 120),
            fields=sorted({_text(name, 200) for name in access.fields}),
            outcome=_text(access.outcome, 40),
            prev_hash=last_hash,
            entry_hash="",
        )
        event.entry_hash = entry_hash(event, last_hash)
        last_id, last_hash = last_id + 1, event.entry_hash
        written.append(event)
    rows = [{name: getattr(event, name) for name in _COLUMNS} for event in written]
    session.execute(insert(_EVENTS), rows)
    session.execute(_MOVE, {"new_id": last_id, "new_hash": last_hash})
    return written


def record(engine: Engine, accesses: Iterable[Access], *, now: datetime) -> None:
    """Append in a transaction of its own, committed at once: a read that was answered is
    logged even if the caller's transaction later rolls back, and the head lock is brief."""
    batch = list(accesses)
    if not batch:
        return
    with transaction(engine) as session:
        append(session, batch, now=now)


_EVENTS = AccessEvent.__table__  # type: ignore[attr-defined]
_HEAD = AccessChainHead.__table__  # type: ignore[attr-defined]
_COLUMNS = tuple(column.name for column in _EVENTS.columns)
# A no-op UPDATE that returns the head: one statement takes PostgreSQL's row lock (SQLite's
# write lock) and reads the head under it, so two appenders never read the same head.
_TOUCH = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_id=_HEAD.c.last_id)
    .returning(_HEAD.c.last_id, _HEAD.c.last_hash)
)
_MOVE = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_id=bindparam("new_id"), last_hash=bindparam("new_hash"))
)


def _lock_head(session: Session) -> tuple[int, str]:
    """(last id, last hash) of the chain, its head row locked until the transaction ends."""
    row = session.execute(_TOUCH).first()
    if row is None:  # the first entry ever: create the head
        try:
            with session.begin_nested():
                session.execute(insert(_HEAD).values(id=1, last_id=0, last_hash=GENESIS))
        except IntegrityError:  # another process created it first
            pass
        row = session.execute(_TOUCH).one()
    return int(row.last_id), str(row.last_hash)


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    first_broken_id: int | None  # None: the chain is intact
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def verify_chain(session: Session) -> ChainReport:
    """Walk the log in order; name the first entry whose hash or link does not hold."""
    prev, expected_id, checked = GENESIS, 1, 0
    for event in _in_order(session):
        if event.id != expected_id:
            return ChainReport(checked, expected_id, f"entry {expected_id} is missing")
        if event.prev_hash != prev:
            return ChainReport(checked, event.id, "its link to the previous entry is broken")
        if entry_hash(event, prev) != event.entry_hash:
            return ChainReport(checked, event.id, "its content does not match its hash")
        prev, expected_id, checked = event.entry_hash, expected_id + 1, checked + 1
    head = session.get(AccessChainHead, 1)
    if head is not None and (head.last_id != checked or head.last_hash != prev):
        return ChainReport(checked, checked + 1, "entries after it were removed from the end")
    return ChainReport(checked, None)


def _in_order(session: Session) -> Iterator[AccessEvent]:
    last = 0
    while True:
        rows = session.exec(
            select(AccessEvent)
            .where(col(AccessEvent.id) > last)
            .order_by(col(AccessEvent.id))
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id or last
