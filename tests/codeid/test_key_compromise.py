"""The key compromise drill in the domain: mark, refuse, re-issue; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest
from sqlmodel import Session, col, select

from codeid.codes.issue import IssuedCode, issue_dynamic_code, issue_static_code
from codeid.codes.models import StaticCode
from codeid.codes.qr import render_png
from codeid.codes.reissue import (
    REVOCATION_REASON,
    live_code_count,
    reissue_batch,
    reissue_static_codes,
)
from codeid.codes.resolve import resolve_code
from codeid.entities.models import Entity, EntityStatus
from codeid.keys.jwks import jwks_document, public_key_set_from_jwks
from codeid.keys.keyring import KeyNotFound, KeyRing, KeyStateConflict, Signer
from codeid.keys.models import KeyStatus, SigningKey
from scanners.pipeline import scan_and_resolve

MASTER = bytes(range(100, 132))
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
YEAR = timedelta(days=365)
HUAWEI, TENCENT, ALIBABA = "914403001922038216", "91440300708461136T", "91330100799655058B"


def _entity(session: Session, uscc: str, status: EntityStatus = EntityStatus.ACTIVE) -> None:
    session.add(
        Entity(
            uscc=uscc,
            name=f"Entity {uscc[-4:]}",
            entity_type="company",
            status=status.value,
            created_at=NOW,
            updated_at=NOW,
        )
    )
    session.flush()


def _ring(session: Session) -> tuple[KeyRing, Signer]:
    ring = KeyRing(session, master_secret=MASTER)
    ring.ensure_active(NOW)
    return ring, ring.active_signer()


def _reason(session: Session, ring: KeyRing, code: IssuedCode, at: datetime = LATER) -> str:
    keys = ring.public_keys()
    result = resolve_code(
        session, code.payload, keys=keys, now=at, actor="t", location="", channel="api"
    )
    return result.reason


# --- marking a key ------------------------------------------------------------------------------


def test_compromising_the_active_key_rotates_first(session: Session) -> None:
    ring, old = _ring(session)
    key = ring.compromise(old.kid, NOW)
    assert key.status == KeyStatus.COMPROMISED.value
    assert key.compromised_at == NOW and key.rotated_at == NOW
    new = ring.active_key()
    assert new is not None and new.kid != old.kid
    assert ring.active_signer().kid == new.kid  # the cached signer is not the old one
    keys = ring.public_keys()
    assert list(keys) == [new.kid] and keys.compromised == {old.kid}
    published = jwks_document(keys)
    assert [entry["kid"] for entry in published["keys"]] == [new.kid]
    session.commit()
    stored = session.get(SigningKey, old.kid)
    assert stored is not None and stored.status == "compromised"


def test_a_verify_only_or_retired_key_is_marked_without_a_rotation(session: Session) -> None:
    ring, first = _ring(session)
    ring.rotate(NOW)
    second = ring.active_signer()
    ring.rotate(NOW)
    ring.retire(second.kid, NOW)
    active = ring.active_key()
    assert active is not None
    for kid in (first.kid, second.kid):  # verify-only, retired
        assert ring.compromise(kid, LATER).status == "compromised"
    assert ring.active_key() == active
    assert ring.public_keys().compromised == {first.kid, second.kid}
    assert list(ring.public_keys()) == [active.kid]


def test_marking_again_changes_nothing_and_a_compromised_key_stays_so(session: Session) -> None:
    ring, old = _ring(session)
    ring.compromise(old.kid, NOW)
    active = ring.active_key()
    again = ring.compromise(old.kid, LATER)
    assert again.compromised_at == NOW and ring.active_key() == active
    assert len(ring.list_keys()) == 2
    with pytest.raises(KeyStateConflict, match="compromised"):
        ring.retire(old.kid, LATER)


def test_an_unknown_kid_or_another_rings_kid_is_not_found(session: Session) -> None:
    ring, _ = _ring(session)
    with pytest.raises(KeyNotFound):
        ring.compromise("AAAAAAAAAAA", NOW)
    other = KeyRing(session, ring="auth", master_secret=MASTER)
    other.ensure_active(NOW)
    with pytest.raises(KeyNotFound):
        ring.compromise(other.active_signer().kid, NOW)


# --- refusing what the key signed ---------------------------------------------------------------


def test_codes_signed_by_a_compromised_key_are_refused_as_such(session: Session) -> None:
    _entity(session, HUAWEI)
    ring, old = _ring(session)
    static = issue_static_code(session, uscc=HUAWEI, signer=old, now=NOW, ttl=YEAR)
    dynamic = issue_dynamic_code(session, uscc=HUAWEI, signer=old, now=NOW)
    assert _reason(session, ring, static, NOW) == _reason(session, ring, dynamic, NOW) == "ok"
    ring.compromise(old.kid, NOW)
    for code in (static, dynamic):
        result = resolve_code(
            session,
            code.payload,
            keys=ring.public_keys(),
            now=NOW + timedelta(seconds=30),
            actor="clerk",
            location="window 1",
            channel="scan",
        )
        assert (result.ok, result.reason, result.claims) == (False, "key-compromised", None)
        assert code.kid in result.message
    # An offline verifier with the fresh JWK Set does not know the kid at all.
    offline = public_key_set_from_jwks(jwks_document(ring.public_keys()))
    assert old.kid not in offline and not offline.compromised
    result = resolve_code(
        session, static.payload, keys=offline, now=LATER, actor="", location="", channel="api"
    )
    assert result.reason == "unknown-key"


def test_a_scanned_qr_image_of_a_compromised_code_is_refused_as_such(session: Session) -> None:
    _entity(session, HUAWEI)
    ring, old = _ring(session)
    codes = [
        issue_static_code(session, uscc=HUAWEI, signer=old, now=NOW, ttl=YEAR),
        issue_dynamic_code(session, uscc=HUAWEI, signer=old, now=NOW),
    ]
    ring.compromise(old.kid, NOW)
    for code in codes:
        frame = cv2.imdecode(np.frombuffer(render_png(code.payload), np.uint8), cv2.IMREAD_COLOR)
        assert frame is not None
        outcome = scan_and_resolve(
            session,
            frame,
            keys=ring.public_keys(),
            now=NOW + timedelta(seconds=10),
            actor="clerk",
            location="window 1",
        )
        assert [found.text for found in outcome.codes] == [code.payload]
        assert outcome.codes[0].resolved.resolved.result.reason == "key-compromised"


# --- re-issuing the static codes ----------------------------------------------------------------


def _drill_world(session: Session) -> tuple[KeyRing, Signer, dict[str, list[IssuedCode]]]:
    """Three entities with live static codes from the key about to leak (one of them
    suspended), plus a revoked and an expired one that must be left alone."""
    for uscc in (HUAWEI, TENCENT, ALIBABA):
        _entity(session, uscc)
    ring, old = _ring(session)
    issued = {
        uscc: [issue_static_code(session, uscc=uscc, signer=old, now=NOW, ttl=YEAR)]
        for uscc in (HUAWEI, TENCENT, ALIBABA)
    }
    issued[HUAWEI].append(issue_static_code(session, uscc=HUAWEI, signer=old, now=NOW, ttl=YEAR))
    revoked = issue_static_code(session, uscc=TENCENT, signer=old, now=NOW, ttl=YEAR)
    record = session.get(StaticCode, revoked.code_id)
    assert record is not None
    record.revoked_at, record.revocation_reason = NOW, "lost"
    issue_static_code(session, uscc=TENCENT, signer=old, now=NOW - YEAR, ttl=timedelta(days=1))
    alibaba = session.exec(select(Entity).where(Entity.uscc == ALIBABA)).one()
    alibaba.status = EntityStatus.SUSPENDED.value
    session.commit()
    return ring, old, issued


def test_bulk_reissue_replaces_every_live_static_code_once(session: Session) -> None:
    ring, old, issued = _drill_world(session)
    assert live_code_count(session, kid=old.kid, now=LATER) == 4
    ring.compromise(old.kid, LATER)
    new = ring.active_signer()
    counts = reissue_static_codes(session, kid=old.kid, signer=new, now=LATER, ttl=YEAR, limit=1)
    session.commit()
    assert counts.as_dict() == {
        "entities": 3,
        "revoked": 4,
        "reissued": 2,
        "skipped": 1,  # suspended: revoked, not replaced
        "batches": 3,
    }
    assert live_code_count(session, kid=old.kid, now=LATER) == 0
    rows = session.exec(select(StaticCode).where(col(StaticCode.kid) == old.kid)).all()
    # The expired code and the one revoked earlier are left as they were.
    reasons = sorted(row.revocation_reason or "-" for row in rows)
    assert reasons == ["-", *[REVOCATION_REASON] * 4, "lost"]

    replacements = session.exec(select(StaticCode).where(col(StaticCode.kid) == new.kid)).all()
    assert sorted(row.uscc for row in replacements) == sorted([HUAWEI, TENCENT])
    for code in issued[HUAWEI] + issued[TENCENT]:
        assert _reason(session, ring, code) == "key-compromised"

    # The replacements verify and resolve; the drill is idempotent.
    again = reissue_static_codes(session, kid=old.kid, signer=new, now=LATER, ttl=YEAR)
    assert again.as_dict() == {
        "entities": 0,
        "revoked": 0,
        "reissued": 0,
        "skipped": 0,
        "batches": 0,
    }


def test_replacement_payloads_verify_and_an_interrupted_drill_carries_on(
    session: Session,
) -> None:
    ring, old, _ = _drill_world(session)
    ring.compromise(old.kid, LATER)
    new = ring.active_signer()
    first = reissue_batch(session, kid=old.kid, signer=new, now=LATER, ttl=YEAR, limit=2)
    session.commit()  # then the process dies
    assert [r.uscc for r in first.replacements] == [ALIBABA, HUAWEI]  # in USCC order
    suspended, huawei = first.replacements
    assert suspended.issued is None and len(huawei.revoked) == 2
    assert first.after == HUAWEI
    rest = reissue_static_codes(session, kid=old.kid, signer=new, now=LATER, ttl=YEAR)
    session.commit()
    assert (rest.entities, rest.revoked, rest.reissued) == (1, 1, 1)
    replacement = huawei.issued
    assert replacement is not None and replacement.kid == new.kid
    assert _reason(session, ring, replacement) == "ok"


def test_reissue_refuses_to_sign_with_the_key_it_replaces(session: Session) -> None:
    _, old = _ring(session)
    with pytest.raises(KeyStateConflict):
        reissue_batch(session, kid=old.kid, signer=old, now=NOW, ttl=YEAR)
