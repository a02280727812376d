"""The entity registry: add, read, change, search market entities keyed by their USCC.

EntityData (what a registration says) lives in codeid.entities.data and is re-exported here.

Every change writes an EntityEvent (who, when, what, why). Functions only flush; the
caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from codeid.entities.data import (
    ENTITY_FIELDS,
    UPDATABLE_FIELDS,
    EntityData,
    clean_entity_data,
    entity_data_from_row,
)
from codeid.entities.errors import (
    DuplicateEntity,
    EntityDeregistered,
    EntityNotFound,
    InvalidEntityField,
    StatusUnchanged,
)
from codeid.entities.models import Entity, EntityEvent, EntityStatus
from codeid.errors import InvalidInput
from codeid.uscc import normalise_uscc, uscc_check_char

__all__ = [
    "EntityData",
    "add_entity",
    "count_entities",
    "deregister_entity",
    "entity_history",
    "get_entity",
    "search_entities",
    "set_entity_status",
    "update_entity",
]


def _event(
    session: Session, uscc: str, action: str, actor: str, now: datetime, **detail: Any
) -> None:
    session.add(EntityEvent(uscc=uscc, action=action, actor=actor, at=now, detail=detail))


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def add_entity(
    session: Session,
    *,
    data: EntityData,
    actor: str,
    now: datetime,
    override_check: bool = False,
) -> Entity:
    """Register a new entity. ``override_check`` accepts a USCC whose only fault is its
    final check character (early pilot codes); the override is recorded as an event."""
    data, parsed = clean_entity_data(data, today=now.date(), allow_check_override=override_check)
    if session.exec(select(Entity.id).where(Entity.uscc == data.uscc)).first() is not None:
        raise DuplicateEntity(f"an entity with USCC {data.uscc} already exists", uscc=data.uscc)
    entity = Entity(
        **asdict(data),
        status=EntityStatus.ACTIVE.value,
        check_override=parsed.check_overridden,
        created_at=now,
        updated_at=now,
    )
    session.add(entity)
    _event(session, data.uscc, "created", actor, now, name=data.name, entity_type=data.entity_type)
    if parsed.check_overridden:
        _event(
            session,
            data.uscc,
            "uscc-check-override",
            actor,
            now,
            check_char=parsed.check_char,
            expected=uscc_check_char(data.uscc[:17]),
        )
    session.flush()
    return entity


def get_entity(session: Session, uscc: str) -> Entity:
    code = normalise_uscc(uscc)
    entity = session.exec(select(Entity).where(Entity.uscc == code)).first()
    if entity is None:
        raise EntityNotFound(f"no entity with USCC {code}", uscc=code)
    return entity


def _changeable(session: Session, uscc: str) -> Entity:
    entity = get_entity(session, uscc)
    if entity.status == EntityStatus.DEREGISTERED:
        raise EntityDeregistered(
            f"entity {entity.uscc} is deregistered and can no longer be changed", uscc=entity.uscc
        )
    return entity


def update_entity(
    session: Session, uscc: str, *, changes: Mapping[str, Any], actor: str, now: datetime
) -> Entity:
    """Change registration fields (not the USCC, not the status). No-op changes write nothing."""
    not_allowed = sorted(set(changes) - UPDATABLE_FIELDS)
    if not_allowed:
        raise InvalidEntityField(
            f"cannot update {', '.join(not_allowed)}; "
            f"updatable: {', '.join(sorted(UPDATABLE_FIELDS))}"
            + (" (use set_entity_status for status)" if "status" in not_allowed else ""),
            fields=not_allowed,
        )
    entity = _changeable(session, uscc)
    current = {name: getattr(entity, name) for name in ENTITY_FIELDS}
    merged = entity_data_from_row({**current, **changes})
    # The stored USCC was accepted once (maybe with an override); do not re-judge it here.
    merged, _ = clean_entity_data(merged, today=now.date(), allow_check_override=True)
    changed = [name for name in ENTITY_FIELDS if getattr(merged, name) != current[name]]
    if not changed:
        return entity
    for name in changed:
        setattr(entity, name, getattr(merged, name))
    entity.updated_at = now
    _event(
        session,
        entity.uscc,
        "updated",
        actor,
        now,
        fields=changed,
        before={name: _jsonable(current[name]) for name in changed},
        after={name: _jsonable(getattr(merged, name)) for name in changed},
    )
    session.flush()
    return entity


def set_entity_status(
    session: Session,
    uscc: str,
    *,
    status: EntityStatus,
    reason: str,
    actor: str,
    now: datetime,
) -> Entity:
    """Move an entity between active and suspended, or deregister it (final)."""
    status = EntityStatus(status)
    if not reason.strip():
        raise InvalidInput("a status change needs a reason")
    entity = _changeable(session, uscc)
    if entity.status == status:
        raise StatusUnchanged(f"entity {entity.uscc} is already {status.value}", uscc=entity.uscc)
    previous = entity.status
    entity.status = status.value
    entity.updated_at = now
    _event(
        session,
        entity.uscc,
        "status-changed",
        actor,
        now,
        before=previous,
        after=status.value,
        reason=reason.strip(),
    )
    session.flush()
    return entity


def deregister_entity(
    session: Session, uscc: str, *, reason: str, actor: str, now: datetime
) -> Entity:
    return set_entity_status(
        session, uscc, status=EntityStatus.DEREGISTERED, reason=reason, actor=actor, now=now
    )


def _filtered(statement: Any, name: str | None, status: EntityStatus | None) -> Any:
    if name:
        statement = statement.where(col(Entity.name).icontains(name.strip(), autoescape=True))
    if status is not None:
        statement = statement.where(Entity.status == EntityStatus(status).value)
    return statement


def search_entities(
    session: Session,
    *,
    name: str | None = None,
    status: EntityStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Entity]:
    """Entities whose name contains ``name`` (case-insensitive), ordered by name then USCC."""
    if not 1 <= limit <= 1000:
        raise InvalidInput(f"limit must be between 1 and 1000, got {limit}")
    if offset < 0:
        raise InvalidInput(f"offset must not be negative, got {offset}")
    statement = _filtered(select(Entity), name, status)
    statement = statement.order_by(col(Entity.name), col(Entity.uscc)).limit(limit).offset(offset)
    return list(session.exec(statement).all())


def count_entities(
    session: Session, *, name: str | None = None, status: EntityStatus | None = None
) -> int:
    statement = _filtered(select(func.count()).select_from(Entity), name, status)
    return int(session.exec(statement).one())


def entity_history(session: Session, uscc: str) -> list[EntityEvent]:
    """The entity's own events, oldest first (batch import events are not per entity)."""
    entity = get_entity(session, uscc)
    statement = (
        select(EntityEvent)
        .where(EntityEvent.uscc == entity.uscc)
        .order_by(col(EntityEvent.at), col(EntityEvent.id))
    )
    return list(session.exec(statement).all())
