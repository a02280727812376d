"""Reading mandates: an entity's record of who could act when, what a viewer may see of it,
and the entities a user acts for."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from codeid.accounts.errors import Forbidden
from codeid.accounts.models import Role, UserAccount
from codeid.entities.models import Entity
from codeid.entities.service import get_entity
from codeid.mandates.lookup import live_mandates
from codeid.mandates.models import Mandate, MandateRole

MANAGERS = (MandateRole.LEGAL_REPRESENTATIVE.value, MandateRole.LICENCE_ADMINISTRATOR.value)


def list_mandates(session: Session, uscc: str) -> list[Mandate]:
    """Every mandate of the entity, ended ones too (the record of who could act when)."""
    code = get_entity(session, uscc).uscc
    query = select(Mandate).where(Mandate.uscc == code).order_by(col(Mandate.id))
    return list(session.exec(query).all())


def visible_mandates(
    session: Session, uscc: str, *, viewer: UserAccount, now: datetime
) -> list[Mandate]:
    """What ``viewer`` may see: staff and the entity's legal representative and licence
    administrators see all its mandates; an agent sees only its own."""
    code = get_entity(session, uscc).uscc
    everything = list_mandates(session, code)
    if viewer.role in (Role.ADMIN.value, Role.CLERK.value):
        return everything
    mine = live_mandates(session, user_id=viewer.id or 0, uscc=code, now=now)
    if not mine:
        raise Forbidden(f"you hold no mandate to act for {uscc}")
    if any(m.role in MANAGERS for m in mine):
        return everything
    return [m for m in everything if m.user_id == viewer.id]


def entities_of(session: Session, *, user_id: int, now: datetime) -> list[tuple[Entity, Mandate]]:
    """The entities a user acts for now, each with the mandate it acts under."""
    rows = []
    for mandate in live_mandates(session, user_id=user_id, now=now):
        entity = session.exec(select(Entity).where(Entity.uscc == mandate.uscc)).first()
        if entity is not None:
            rows.append((entity, mandate))
    return rows
