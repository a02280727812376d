"""What only the registry knows about a genuine code: revoked, whose, already used.

Replay protection for dynamic codes is an ``INSERT ... ON CONFLICT (code_id) DO NOTHING`` into
code_use: the primary key decides, so two windows scanning the same code at once cannot both
win (PostgreSQL makes the second insert wait for the first transaction, then skip), and a
refused insert leaves the caller's transaction intact. A SAVEPOINT around a plain INSERT would
do the same on PostgreSQL, but with pysqlite's default transaction handling a SAVEPOINT opened
before any other write becomes the outer transaction and its RELEASE commits it, so the use
would outlive a rollback of the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from codeid.codes.errors import (
    AlreadyRevoked,
    AlreadyUsed,
    CodeRevoked,
    EntityNotActive,
    EntityUnknown,
    MandateHolderDisabled,
    MandateOutOfTerm,
    MandateRevoked,
    MandateUnknown,
    NotConsumable,
    StaticCodeNotFound,
)
from codeid.codes.models import CodeUse, StaticCode
from codeid.codes.payload import CodeClaims, CodeKind
from codeid.db import is_postgresql
from codeid.entities.models import Entity, EntityStatus
from codeid.errors import InvalidInput
from codeid.mandates.acting import (
    EXPIRED,
    HOLDER_DISABLED,
    NOT_YET_VALID,
    REVOKED,
    find_mandate,
    mandate_state,
)

# Uses are kept this long past a code's expiry: verify_code accepts a code for a few seconds
# after exp (clock leeway), and a pruned use must never let such a code be replayed.
DEFAULT_PRUNE_GRACE = timedelta(minutes=5)


def revoke_static_code(session: Session, serial: str, *, reason: str, now: datetime) -> StaticCode:
    """Revoke a printed code by its serial; scans from ``now`` on are refused as revoked."""
    reason = reason.strip()
    if not reason or len(reason) > 200:
        raise InvalidInput("a revocation needs a reason of 1 to 200 characters")
    serial = serial.strip().lower()
    code = session.get(StaticCode, serial)
    if code is None:
        raise StaticCodeNotFound(f"no static code with serial {serial!r}", serial=serial)
    if code.revoked_at is not None:
        raise AlreadyRevoked(
            f"static code {serial} was already revoked at {code.revoked_at.isoformat()}",
            serial=serial,
        )
    code.revoked_at = now
    code.revocation_reason = reason
    session.add(code)
    session.flush()
    return code


def check_code_state(session: Session, claims: CodeClaims, *, now: datetime) -> Entity:
    """The entity behind verified claims, or the registry's reason to refuse the code.

    Judged as of ``now``: a scan taken before a revocation (e.g. replayed from an offline
    scanner's queue) is judged by the state at that time. A code naming a mandate is refused
    once the mandate is revoked, out of its term, or its holder's account disabled.
    """
    if claims.kind is CodeKind.STATIC:
        record = session.get(StaticCode, claims.code_id)
        if record is None or record.uscc != claims.uscc:
            # Genuinely signed but not on record (issued elsewhere, or the record was lost):
            # its revocation status is unknowable, so it is refused.
            raise CodeRevoked(
                f"static code {claims.code_id} is not on record, so it cannot be honoured",
                claims=claims,
            )
        if record.revoked_at is not None and record.revoked_at <= now:
            raise CodeRevoked(
                f"static code {claims.code_id} was revoked at "
                f"{record.revoked_at.isoformat()}: {record.revocation_reason}",
                claims=claims,
            )
    entity = session.exec(select(Entity).where(Entity.uscc == claims.uscc)).first()
    if entity is None:
        raise EntityUnknown(
            f"the code is genuine but entity {claims.uscc} is not in the registry",
            claims=claims,
        )
    if entity.status != EntityStatus.ACTIVE.value:
        raise EntityNotActive(
            f"entity {claims.uscc} ({entity.name}) is {entity.status}",
            claims=claims,
            entity=entity,
        )
    if claims.mandate_id is not None:
        _check_mandate(session, claims, entity, now=now)
    return entity


_MANDATE_REFUSALS = {
    REVOKED: (MandateRevoked, "was revoked"),
    NOT_YET_VALID: (MandateOutOfTerm, "is not yet in force"),
    EXPIRED: (MandateOutOfTerm, "has ended"),
    HOLDER_DISABLED: (MandateHolderDisabled, "belongs to a disabled account"),
}


def _check_mandate(session: Session, claims: CodeClaims, entity: Entity, *, now: datetime) -> None:
    mandate = find_mandate(session, claims.mandate_id) if claims.mandate_id else None
    if mandate is None or mandate.uscc != claims.uscc:
        raise MandateUnknown(
            f"the code names mandate {claims.mandate_id}, which is not a mandate for {claims.uscc}",
            claims=claims,
            entity=entity,
        )
    refusal = _MANDATE_REFUSALS.get(mandate_state(session, mandate, now=now))
    if refusal is not None:
        error, why = refusal
        raise error(
            f"the code was issued to {mandate.role} mandate {mandate.id}, which {why}",
            claims=claims,
            entity=entity,
        )


def consume_dynamic_code(
    session: Session, claims: CodeClaims, *, purpose: str, now: datetime
) -> CodeUse:
    """Record the one use of a dynamic code; raises AlreadyUsed if it was used before."""
    if claims.kind is not CodeKind.DYNAMIC:
        raise NotConsumable(f"a {claims.kind} code cannot be consumed; only dynamic codes can")
    if not purpose or len(purpose) > 32:
        raise InvalidInput("a purpose is 1 to 32 characters")
    values: dict[str, Any] = {
        "code_id": claims.code_id,
        "uscc": claims.uscc,
        "purpose": purpose,
        "used_at": now,
        "expires_at": claims.expires_at,
    }
    dialect_insert = postgresql.insert if is_postgresql(session) else sqlite.insert
    statement = (
        dialect_insert(CodeUse)
        .values(values)
        .on_conflict_do_nothing(index_elements=["code_id"])
        .returning(col(CodeUse.code_id))
    )
    # RETURNING, not rowcount: the drivers do not all report a rowcount for INSERT.
    if session.exec(statement).first() is None:  # nothing inserted: the id was taken
        earlier = session.get(CodeUse, claims.code_id)
        when = f" at {earlier.used_at.isoformat()} for {earlier.purpose}" if earlier else ""
        raise AlreadyUsed(f"dynamic code {claims.code_id} was already used{when}", claims=claims)
    use = session.get(CodeUse, claims.code_id)
    assert use is not None
    return use


def prune_code_uses(
    session: Session, *, now: datetime, grace: timedelta = DEFAULT_PRUNE_GRACE
) -> int:
    """Delete uses of codes expired for longer than ``grace`` (they are refused anyway)."""
    statement = delete(CodeUse).where(col(CodeUse.expires_at) < now - grace)
    return session.exec(statement).rowcount
