"""Entities, business users and a code-signing key for mandate tests (real rows, no mocks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from codeid.accounts.models import Role, UserAccount
from codeid.accounts.users import create_user
from codeid.entities.models import Entity
from codeid.keys.jwks import PublicKeySet
from codeid.keys.keyring import KeyRing, Signer
from codeid.mandates.models import Mandate
from codeid.mandates.service import bind_legal_representative

MASTER = bytes(range(60, 92))
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
USCC = "91350100M000100Y43"
OTHER_USCC = "91110000600037341L"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def add_entity(session: Session, uscc: str = USCC) -> Entity:
    entity = Entity(
        uscc=uscc,
        name=f"示例公司{uscc[-4:]}",
        entity_type="company",
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(entity)
    session.commit()
    return entity


def add_user(session: Session, username: str, role: Role = Role.BUSINESS) -> UserAccount:
    user = create_user(
        session, username=username, role=role, display_name=f"{username} 先生", now=NOW
    )
    session.commit()
    return user


def with_legal_rep(session: Session, uscc: str = USCC) -> tuple[UserAccount, Mandate]:
    """An entity whose legal representative is bound by the operator (no administrator)."""
    add_entity(session, uscc)
    rep = add_user(session, f"rep-{uscc[-4:].lower()}")
    mandate = bind_legal_representative(session, uscc=uscc, user=rep, by=None, now=NOW)
    session.commit()
    return rep, mandate


def signing_key(session: Session) -> tuple[Signer, PublicKeySet]:
    ring = KeyRing(session, master_secret=MASTER)
    ring.ensure_active(NOW - DAY)
    session.commit()
    return ring.active_signer(), ring.public_keys()
