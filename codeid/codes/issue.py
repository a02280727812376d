"""Issuing business codes for active entities.

A static code (printed on a licence or a door sticker) is recorded by its serial so it can be
revoked; a dynamic code (on a phone, refreshed every couple of minutes) is not stored: it
expires on its own, and a counter that must not accept it twice consumes its id. A dynamic
code issued to a person acting for the business names that person's mandate, so revoking the
mandate stops the code at once (codeid.codes.state).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from codeid.codes.errors import CannotIssueInactiveEntity, CannotIssueUnknownEntity
from codeid.codes.models import StaticCode
from codeid.codes.payload import CodeKind, cti_bytes, sign_code
from codeid.entities.models import Entity, EntityStatus
from codeid.errors import InvalidInput
from codeid.keys.keyring import Signer
from codeid.mandates.acting import IN_FORCE, get_mandate, mandate_state
from codeid.mandates.errors import MandateNotInForce

DEFAULT_DYNAMIC_TTL = timedelta(seconds=120)


@dataclass(frozen=True, slots=True)
class IssuedCode:
    payload: str  # the text to put in the QR code
    kind: CodeKind
    code_id: str  # hex; the static serial or the dynamic code's one-time id
    uscc: str
    issued_at: datetime
    expires_at: datetime
    kid: str
    mandate_id: int | None = None  # the person's mandate, for a code issued to one


def issue_static_code(
    session: Session, *, uscc: str, signer: Signer, now: datetime, ttl: timedelta
) -> IssuedCode:
    """Sign a long-lived code and record its serial (for revocation). Flushes only."""
    issued = _issue(session, CodeKind.STATIC, uscc=uscc, signer=signer, now=now, ttl=ttl)
    session.add(
        StaticCode(
            serial=issued.code_id,
            uscc=issued.uscc,
            kid=issued.kid,
            issued_at=issued.issued_at,
            expires_at=issued.expires_at,
        )
    )
    session.flush()
    return issued


def issue_dynamic_code(
    session: Session,
    *,
    uscc: str,
    signer: Signer,
    now: datetime,
    ttl: timedelta = DEFAULT_DYNAMIC_TTL,
    mandate_id: int | None = None,
) -> IssuedCode:
    """Sign a short-lived code; nothing is stored. With ``mandate_id`` the code names the
    person acting for the business: the mandate must be in force for this entity."""
    if mandate_id is not None:
        mandate = get_mandate(session, mandate_id)
        state = mandate_state(session, mandate, now=now)
        if mandate.uscc != uscc.strip().upper() or state != IN_FORCE:
            raise MandateNotInForce(
                f"mandate {mandate_id} is not in force for {uscc} ({state})",
                mandate_id=mandate_id,
            )
    return _issue(
        session,
        CodeKind.DYNAMIC,
        uscc=uscc,
        signer=signer,
        now=now,
        ttl=ttl,
        mandate_id=mandate_id,
    )


def _issue(
    session: Session,
    kind: CodeKind,
    *,
    uscc: str,
    signer: Signer,
    now: datetime,
    ttl: timedelta,
    mandate_id: int | None = None,
) -> IssuedCode:
    if now.tzinfo is None:
        raise InvalidInput("now must be timezone-aware (UTC)")
    if ttl < timedelta(seconds=1):
        raise InvalidInput(f"a code must live at least one second; ttl is {ttl}")
    entity = _issuable_entity(session, uscc.strip().upper())
    # Codes carry whole seconds; truncate so the record and the claims agree exactly.
    issued_at = datetime.fromtimestamp(int(now.timestamp()), UTC)
    expires_at = issued_at + timedelta(seconds=int(ttl.total_seconds()))
    cti = secrets.token_bytes(cti_bytes(kind, mandate_id=mandate_id))
    payload = sign_code(
        kind=kind,
        uscc=entity.uscc,
        cti=cti,
        issued_at=issued_at,
        expires_at=expires_at,
        signer=signer,
        mandate_id=mandate_id,
    )
    return IssuedCode(
        payload=payload,
        kind=kind,
        code_id=cti.hex(),
        uscc=entity.uscc,
        issued_at=issued_at,
        expires_at=expires_at,
        kid=signer.kid,
        mandate_id=mandate_id,
    )


def _issuable_entity(session: Session, uscc: str) -> Entity:
    entity = session.exec(select(Entity).where(Entity.uscc == uscc)).first()
    if entity is None:
        raise CannotIssueUnknownEntity(
            f"cannot issue a code: no entity with USCC {uscc} is registered", uscc=uscc
        )
    if entity.status != EntityStatus.ACTIVE.value:
        raise CannotIssueInactiveEntity(
            f"cannot issue a code: entity {uscc} is {entity.status}, not active",
            uscc=uscc,
            status=entity.status,
        )
    return entity
