"""Issuing, registry state (revoke, consume) and resolution, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from codeid.codes.errors import (
    AlreadyRevoked,
    AlreadyUsed,
    CannotIssueInactiveEntity,
    CannotIssueUnknownEntity,
    EntityNotActive,
    EntityUnknown,
    NotConsumable,
    StaticCodeNotFound,
)
from codeid.codes.issue import IssuedCode, issue_dynamic_code, issue_static_code
from codeid.codes.models import CodeUse, Resolution, StaticCode
from codeid.codes.payload import CodeClaims, CodeKind, sign_code
from codeid.codes.resolve import ResolveResult, resolve_code
from codeid.codes.state import (
    check_code_state,
    consume_dynamic_code,
    prune_code_uses,
    revoke_static_code,
)
from codeid.codes.verify import verify_code
from codeid.entities.models import Entity, EntityStatus
from codeid.errors import InvalidInput
from codeid.keys.jwks import PublicKeySet
from codeid.keys.keyring import KeyRing, Signer

MASTER = bytes(range(100, 132))
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
USCC = "91350100M000100Y43"
OTHER_USCC = "91110000600037341L"
YEAR = timedelta(days=365)


def _entity(
    session: Session, uscc: str = USCC, status: EntityStatus = EntityStatus.ACTIVE
) -> Entity:
    entity = Entity(
        uscc=uscc,
        name=f"Entity {uscc[-4:]}",
        entity_type="company",
        status=status.value,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(entity)
    session.commit()
    return entity


def _ring(session: Session) -> tuple[Signer, PublicKeySet]:
    ring = KeyRing(session, master_secret=MASTER)
    ring.ensure_active(NOW)
    session.commit()
    return ring.active_signer(), ring.public_keys()


def _resolve(
    session: Session, code: IssuedCode | str, keys: PublicKeySet, **kwargs: object
) -> ResolveResult:
    payload = code.payload if isinstance(code, IssuedCode) else code
    arguments: dict[str, object] = {"now": NOW, "actor": "clerk-7", "location": "window 3"}
    arguments |= {"channel": "scan"} | kwargs
    return resolve_code(session, payload, keys=keys, **arguments)  # type: ignore[arg-type]


def _claims(code: IssuedCode, keys: PublicKeySet) -> CodeClaims:
    return verify_code(code.payload, keys=keys, now=NOW)


# --- issuing -------------------------------------------------------------------------------


def test_issue_static_code_records_its_serial(session: Session) -> None:
    _entity(session)
    signer, keys = _ring(session)
    issued = issue_static_code(
        session, uscc=USCC.lower(), signer=signer, now=NOW + timedelta(microseconds=700), ttl=YEAR
    )
    session.commit()
    assert (issued.kind, issued.uscc, issued.kid) == (CodeKind.STATIC, USCC, signer.kid)
    assert len(issued.code_id) == 16
    assert (issued.issued_at, issued.expires_at) == (NOW, NOW + YEAR)  # whole seconds
    record = session.get(StaticCode, issued.code_id)
    assert record is not None
    assert (record.uscc, record.kid, record.issued_at, record.expires_at) == (
        USCC,
        signer.kid,
        NOW,
        NOW + YEAR,
    )
    claims = _claims(issued, keys)
    assert (claims.code_id, claims.expires_at) == (issued.code_id, issued.expires_at)


def test_issue_dynamic_code_stores_nothing(session: Session) -> None:
    _entity(session)
    signer, keys = _ring(session)
    issued = issue_dynamic_code(session, uscc=USCC, signer=signer, now=NOW)
    assert issued.kind is CodeKind.DYNAMIC and len(issued.code_id) == 24
    assert issued.expires_at - issued.issued_at == timedelta(seconds=120)
    assert session.exec(select(StaticCode)).all() == []
    second = issue_dynamic_code(session, uscc=USCC, signer=signer, now=NOW)
    assert second.code_id != issued.code_id  # random ids
    assert _claims(issued, keys).kind is CodeKind.DYNAMIC


def test_issuing_refuses_unknown_and_inactive_entities(session: Session) -> None:
    _entity(session, OTHER_USCC, EntityStatus.SUSPENDED)
    signer, _ = _ring(session)
    with pytest.raises(CannotIssueUnknownEntity, match=USCC):
        issue_static_code(session, uscc=USCC, signer=signer, now=NOW, ttl=YEAR)
    with pytest.raises(CannotIssueInactiveEntity, match="suspended"):
        issue_dynamic_code(session, uscc=OTHER_USCC, signer=signer, now=NOW)
    _entity(session)
    with pytest.raises(InvalidInput, match="at least one second"):
        issue_dynamic_code(session, uscc=USCC, signer=signer, now=NOW, ttl=timedelta(0))


# --- rotation end to end -------------------------------------------------------------------


def test_rotation_keeps_old_codes_valid_until_the_key_is_retired(session: Session) -> None:
    _entity(session)
    ring = KeyRing(session, master_secret=MASTER)
    old_key = ring.ensure_active(NOW)
    old_code = issue_static_code(session, uscc=USCC, signer=ring.active_signer(), now=NOW, ttl=YEAR)
    new_key = ring.rotate(NOW + timedelta(hours=1))
    new_code = issue_static_code(session, uscc=USCC, signer=ring.active_signer(), now=NOW, ttl=YEAR)
    session.commit()
    assert (old_code.kid, new_code.kid) == (old_key.kid, new_key.kid)
    for code in (old_code, new_code):
        assert _resolve(session, code, ring.public_keys()).ok

    ring.retire(old_key.kid, NOW + timedelta(hours=2))
    session.commit()
    assert _resolve(session, new_code, ring.public_keys()).ok
    refused = _resolve(session, old_code, ring.public_keys())
    assert (refused.ok, refused.reason, refused.claims) == (False, "unknown-key", None)


# --- revocation and registry state ---------------------------------------------------------


def test_revoked_static_code_is_refused(session: Session) -> None:
    _entity(session)
    signer, keys = _ring(session)
    issued = issue_static_code(session, uscc=USCC, signer=signer, now=NOW, ttl=YEAR)
    session.commit()
    revoked_at = NOW + timedelta(days=2)
    record = revoke_static_code(
        session, issued.code_id.upper(), reason="sticker stolen", now=revoked_at
    )
    session.commit()
    assert (record.revoked_at, record.revocation_reason) == (revoked_at, "sticker stolen")

    result = _resolve(session, issued, keys, now=revoked_at)
    assert (result.ok, result.reason, result.entity) == (False, "revoked", None)
    assert "sticker stolen" in result.message
    assert result.claims is not None and result.claims.code_id == issued.code_id
    # A scan taken before the revocation (e.g. queued offline) is judged as of its time.
    assert _resolve(session, issued, keys, now=NOW + timedelta(days=1)).ok

    with pytest.raises(AlreadyRevoked):
        revoke_static_code(session, issued.code_id, reason="again", now=revoked_at)
    with pytest.raises(StaticCodeNotFound):
        revoke_static_code(session, "00" * 8, reason="typo", now=revoked_at)
    with pytest.raises(InvalidInput, match="reason"):
        revoke_static_code(session, issued.code_id, reason="  ", now=revoked_at)


def test_genuine_static_code_not_on_record_is_refused(session: Session) -> None:
    _entity(session)
    signer, keys = _ring(session)
    payload = sign_code(
        kind=CodeKind.STATIC,
        uscc=USCC,
        cti=bytes(8),
        issued_at=NOW,
        expires_at=NOW + YEAR,
        signer=signer,
    )
    assert _resolve(session, payload, keys).reason == "revoked"


def test_unknown_and_inactive_entities_are_refused(session: Session) -> None:
    entity = _entity(session)
    signer, keys = _ring(session)
    issued = issue_dynamic_code(session, uscc=USCC, signer=signer, now=NOW)
    entity.status = EntityStatus.SUSPENDED.value
    session.add(entity)
    session.commit()
    result = _resolve(session, issued, keys)
    assert (result.ok, result.reason) == (False, "entity-not-active")
    assert result.entity is not None and result.entity.uscc == USCC  # the window sees who
    with pytest.raises(EntityNotActive, match="suspended"):
        check_code_state(session, _claims(issued, keys), now=NOW)

    session.delete(entity)
    session.commit()
    result = _resolve(session, issued, keys)
    assert (result.ok, result.reason, result.entity) == (False, "unknown-entity", None)
    with pytest.raises(EntityUnknown):
        check_code_state(session, _claims(issued, keys), now=NOW)


# --- consuming dynamic codes ---------------------------------------------------------------


def test_replayed_dynamic_code_is_already_used(session: Session) -> None:
    _entity(session)
    signer, keys = _ring(session)
    issued = issue_dynamic_code(session, uscc=USCC, signer=signer, now=NOW)
    first = _resolve(session, issued, keys, consume_for="check-in")
    assert first.ok and first.entity is not None and first.entity.uscc == USCC
    session.commit()
    again = _resolve(session, issued, keys, consume_for="check-in")
    assert (again.ok, again.reason) == (False, "already-used")
    assert "check-in" in again.message
    # Without consuming, the same code still resolves (a lookup, not a use).
    assert _resolve(session, issued, keys).ok
    session.commit()
    use = session.get(CodeUse, issued.code_id)
    assert use is not None and (use.purpose, use.expires_at) == ("check-in", issued.expires_at)


def test_a_used_code_cannot_be_used_from_another_session(engine: Engine) -> None:
    with Session(engine) as setup:
        _entity(setup)
        signer, keys = _ring(setup)
        issued = issue_dynamic_code(setup, uscc=USCC, signer=signer, now=NOW)
    claims = _claims(issued, keys)
    with Session(engine) as first:
        consume_dynamic_code(first, claims, purpose="check-in", now=NOW)
        first.commit()
    with Session(engine) as second:
        second.add(Resolution(at=NOW, channel="api", outcome="before"))
        second.flush()
        with pytest.raises(AlreadyUsed):
            consume_dynamic_code(second, claims, purpose="check-in", now=NOW)
        # The refusal did not spoil the transaction: earlier and later work still commits.
        second.add(Resolution(at=NOW, channel="api", outcome="after"))
        second.commit()
    with Session(engine) as check:
        outcomes = check.exec(select(Resolution.outcome).order_by(col(Resolution.id))).all()
        assert outcomes == ["before", "after"]


def test_a_use_belongs_to_the_callers_transaction(engine: Engine) -> None:
    with Session(engine) as setup:
        _entity(setup)
        signer, keys = _ring(setup)
        claims = _claims(issue_dynamic_code(setup, uscc=USCC, signer=signer, now=NOW), keys)
    with Session(engine) as first:
        consume_dynamic_code(first, claims, purpose="check-in", now=NOW)
        first.rollback()  # e.g. the booking step after it failed
    with Session(engine) as second:
        assert consume_dynamic_code(second, claims, purpose="check-in", now=NOW).code_id
        second.commit()


def test_simultaneous_uses_admit_exactly_one(engine: Engine) -> None:
    with Session(engine) as setup:
        _entity(setup)
        signer, keys = _ring(setup)
        claims = _claims(issue_dynamic_code(setup, uscc=USCC, signer=signer, now=NOW), keys)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def window() -> None:
        with Session(engine) as session:
            start.wait()
            try:
                consume_dynamic_code(session, claims, purpose="check-in", now=NOW)
                session.commit()
                outcomes.append("ok")
            except AlreadyUsed:
                session.rollback()
                outcomes.append("already-used")

    threads = [threading.Thread(target=window) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["already-used", "ok"]


def test_static_codes_are_not_consumed(session: Session) -> None:
    _entity(session)
    signer, keys = _ring(session)
    issued = issue_static_code(session, uscc=USCC, signer=signer, now=NOW, ttl=YEAR)
    with pytest.raises(NotConsumable):
        consume_dynamic_code(session, _claims(issued, keys), purpose="check-in", now=NOW)
    for _ in range(2):
        assert _resolve(session, issued, keys, consume_for="check-in").ok
    assert session.exec(select(CodeUse)).all() == []


def test_prune_code_uses_keeps_recent_ones(session: Session) -> None:
    _entity(session)
    signer, keys = _ring(session)
    early = issue_dynamic_code(session, uscc=USCC, signer=signer, now=NOW)
    late = issue_dynamic_code(session, uscc=USCC, signer=signer, now=NOW + timedelta(minutes=10))
    consume_dynamic_code(session, _claims(early, keys), purpose="check-in", now=NOW)
    late_claims = verify_code(late.payload, keys=keys, now=NOW + timedelta(minutes=10))
    consume_dynamic_code(session, late_claims, purpose="check-in", now=NOW + timedelta(minutes=10))
    session.commit()
    # early expired at 09:02; with the 5-minute grace it may go after 09:07, late not yet.
    assert prune_code_uses(session, now=NOW + timedelta(minutes=7)) == 0
    assert prune_code_uses(session, now=NOW + timedelta(minutes=8)) == 1
    session.commit()
    assert [use.code_id for use in session.exec(select(CodeUse)).all()] == [late.code_id]


# --- the resolution log --------------------------------------------------------------------


def test_every_resolution_is_logged(session: Session) -> None:
    _entity(session)
    signer, keys = _ring(session)
    issued = issue_dynamic_code(session, uscc=USCC, signer=signer, now=NOW)
    assert _resolve(session, issued, keys).ok
    assert _resolve(session, "hello", keys, channel="text").reason == "not-codeid"
    tampered = issued.payload[:-3] + ("000" if issued.payload[-3:] != "000" else "111")
    assert _resolve(session, tampered, keys).reason in {"bad-signature", "malformed"}
    expired = _resolve(session, issued, keys, now=NOW + timedelta(hours=1))
    assert (expired.ok, expired.reason) == (False, "expired")
    session.commit()
    rows = session.exec(select(Resolution).order_by(col(Resolution.id))).all()
    assert [row.outcome for row in rows][:2] == ["ok", "not-codeid"]
    assert rows[0].uscc == USCC and rows[0].code_id == issued.code_id and rows[0].kind == "dynamic"
    assert (rows[0].actor, rows[0].location, rows[0].channel) == ("clerk-7", "window 3", "scan")
    assert rows[1].uscc is None and rows[1].channel == "text"
    assert rows[2].uscc is None  # nothing unverified is recorded as fact
    assert (rows[3].outcome, rows[3].uscc) == ("expired", USCC)  # verified, then too late
    with pytest.raises(InvalidInput, match="channel"):
        _resolve(session, issued, keys, channel="")
