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

from sqlalchemy import Engine, update
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
    it ends: keep it short, see ``record``). Flushes only."""
    head = _lock_head(session)
    written: list[AccessEvent] = []
    for access in accesses:
        event = AccessEvent(
            id=head.last_id + 1,
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
            prev_hash=head.last_hash,
            entry_hash="",
        )
        event.entry_hash = entry_hash(event, head.last_hash)
        session.add(event)
        head.last_id, head.last_hash = event.id or 0, event.entry_hash
        written.append(event)
    session.add(head)
    session.flush()
    return written


def record(engine: Engine, accesses: Iterable[Access], *, now: datetime) -> None:
    """Append in a transaction of its own, committed at once: a read that was answered is
    logged even if the caller's transaction later rolls back, and the head lock is brief."""
    batch = list(accesses)
    if not batch:
        return
    with transaction(engine) as session:
        append(session, batch, now=now)


def _lock_head(session: Session) -> AccessChainHead:
    # A no-op UPDATE first: it takes PostgreSQL's row lock and SQLite's write lock before the
    # head is read, so two appenders never read the same head.
    touch = (
        update(AccessChainHead)
        .where(col(AccessChainHead.id) == 1)
        .values(last_id=AccessChainHead.last_id)
    )
    if session.execute(touch).rowcount == 0:  # type: ignore[attr-defined]
        try:
            with session.begin_nested():
                session.add(AccessChainHead(id=1, last_id=0, last_hash=GENESIS))
                session.flush()
        except IntegrityError:  # another process created it first
            session.execute(touch)
    head = session.get(AccessChainHead, 1, populate_existing=True)
    assert head is not None
    return head


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
