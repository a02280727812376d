"""Signing keys: sealing at rest, the master secret, the key ring lifecycle, JWKS."""

from __future__ import annotations

import base64
import json
import logging
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from codeid.keys.jwks import (
    JwksError,
    PublicKeySet,
    b64url_decode,
    b64url_encode,
    jwks_document,
    kid_for,
    public_key_set_from_jwks,
    public_raw,
    thumbprint,
)
from codeid.keys.keyring import KeyNotFound, KeyRing, KeyStateConflict, NoActiveKey, Signer
from codeid.keys.models import KeyStatus, SigningKey
from codeid.keys.sealing import (
    KeySealer,
    KeyUnsealError,
    MasterSecretError,
    load_or_create_master_secret,
    master_secret_from_text,
)

MASTER = bytes(range(100, 132))
OTHER_MASTER = bytes(range(200, 232))
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _raw_private(signer: Signer) -> bytes:
    return signer.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


# --- sealing -------------------------------------------------------------------------------


def test_seal_round_trip_and_layout() -> None:
    sealer = KeySealer(MASTER)
    secret = bytes(range(32))
    blob = sealer.seal(secret, "kid-a")
    assert blob[0] == 1  # version byte
    assert len(blob) == 1 + 12 + 32 + 16  # version, nonce, ciphertext, GCM tag
    assert secret not in blob
    assert sealer.unseal(blob, "kid-a") == secret
    assert sealer.seal(secret, "kid-a") != blob  # fresh nonce every time


def test_unseal_with_wrong_master_secret_is_a_clear_error() -> None:
    blob = KeySealer(MASTER).seal(bytes(32), "kid-a")
    with pytest.raises(KeyUnsealError, match="master secret is not the one"):
        KeySealer(OTHER_MASTER).unseal(blob, "kid-a")


def test_sealed_blob_is_bound_to_its_kid() -> None:
    sealer = KeySealer(MASTER)
    blob = sealer.seal(bytes(32), "kid-a")
    with pytest.raises(KeyUnsealError):
        sealer.unseal(blob, "kid-b")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda blob: blob[:20], "truncated"),
        (lambda blob: b"\x02" + blob[1:], "sealing version 2"),
        (lambda blob: blob[:-1] + bytes([blob[-1] ^ 1]), "master secret is not the one"),
    ],
)
def test_damaged_blob_is_refused(mutate: Any, message: str) -> None:
    sealer = KeySealer(MASTER)
    with pytest.raises(KeyUnsealError, match=message):
        sealer.unseal(mutate(sealer.seal(bytes(32), "kid-a")), "kid-a")


def test_sealer_refuses_a_short_master_secret() -> None:
    with pytest.raises(MasterSecretError, match="at least 32"):
        KeySealer(bytes(16))


# --- master secret -------------------------------------------------------------------------


def test_master_secret_from_text_accepts_base64_variants() -> None:
    secret = bytes(range(250, 256)) + bytes(range(30))
    for text in (
        base64.b64encode(secret).decode(),
        base64.urlsafe_b64encode(secret).decode().rstrip("="),
        "  " + base64.b64encode(secret).decode() + "\n",
    ):
        assert master_secret_from_text(text) == secret


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (base64.b64encode(bytes(31)).decode(), "31 bytes; at least 32"),
        ("not base64 at all!", "not valid base64"),
        ("", "0 bytes"),
    ],
)
def test_master_secret_from_text_refuses(text: str, message: str) -> None:
    with pytest.raises(MasterSecretError, match=message):
        master_secret_from_text(text)


def test_master_key_file_is_created_private_and_reused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "data" / "master.key"
    with caplog.at_level(logging.WARNING, logger="codeid.keys.sealing"):
        secret = load_or_create_master_secret(path)
    assert len(secret) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert base64.b64decode(path.read_text()) == secret
    assert [p.name for p in path.parent.iterdir()] == ["master.key"]  # no temporary left
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and "CODEID_MASTER_KEY" in warnings[0].getMessage()
    encoded = base64.b64encode(secret).decode()
    assert all(encoded not in r.getMessage() for r in caplog.records)

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="codeid.keys.sealing"):
        assert load_or_create_master_secret(path) == secret
    assert any("CODEID_MASTER_KEY" in r.getMessage() for r in caplog.records)


def test_master_key_file_readable_by_others_is_flagged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "master.key"
    path.write_text(base64.b64encode(bytes(range(32))).decode())
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="codeid.keys.sealing"):
        load_or_create_master_secret(path)
    assert any("chmod 600" in r.getMessage() for r in caplog.records)


def test_master_key_file_with_a_short_secret_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    path.write_text(base64.b64encode(bytes(8)).decode())
    with pytest.raises(MasterSecretError, match=r"master\.key.*8 bytes"):
        load_or_create_master_secret(path)


# --- key ring (SQLite and PostgreSQL) ------------------------------------------------------


def test_ensure_active_creates_the_first_key_once(session: Session) -> None:
    ring = KeyRing(session, master_secret=MASTER)
    with pytest.raises(NoActiveKey):
        ring.active_signer()
    key = ring.ensure_active(NOW)
    session.commit()
    assert key.status == KeyStatus.ACTIVE.value
    assert len(key.kid) == 11
    assert KeyRing(session, master_secret=MASTER).ensure_active(NOW + timedelta(days=1)) == key
    assert [k.kid for k in ring.list_keys()] == [key.kid]


def test_private_keys_in_the_database_are_sealed(session: Session) -> None:
    key = KeyRing(session, master_secret=MASTER).ensure_active(NOW)
    session.commit()
    session.expire_all()
    stored = session.get(SigningKey, key.kid)
    assert stored is not None
    signer = KeyRing(session, master_secret=MASTER).active_signer()
    raw = _raw_private(signer)
    assert raw not in stored.private_key_sealed
    assert stored.private_key_sealed != raw
    assert stored.public_key == public_raw(signer.public_key())
    assert signer.kid == kid_for(signer.public_key()) == stored.kid


def test_wrong_master_secret_cannot_sign(session: Session) -> None:
    KeyRing(session, master_secret=MASTER).ensure_active(NOW)
    session.commit()
    with pytest.raises(KeyUnsealError, match="CODEID_MASTER_KEY"):
        KeyRing(session, master_secret=OTHER_MASTER).active_signer()


def test_sealed_key_moved_to_another_row_does_not_unseal(session: Session) -> None:
    ring = KeyRing(session, master_secret=MASTER)
    first = ring.ensure_active(NOW)
    second = ring.rotate(NOW + timedelta(days=1))
    second.private_key_sealed = first.private_key_sealed
    session.add(second)
    session.commit()
    with pytest.raises(KeyUnsealError):
        KeyRing(session, master_secret=MASTER).active_signer()


def test_rotate_and_retire(session: Session) -> None:
    ring = KeyRing(session, master_secret=MASTER)
    first = ring.ensure_active(NOW)
    first_signer = ring.active_signer()
    second = ring.rotate(NOW + timedelta(days=30))
    session.commit()
    assert first.status == KeyStatus.VERIFY_ONLY.value
    assert first.rotated_at == NOW + timedelta(days=30)
    assert ring.active_signer().kid == second.kid != first.kid
    assert list(ring.public_keys()) == [second.kid, first.kid]  # active first

    with pytest.raises(KeyStateConflict, match="rotate first"):
        ring.retire(second.kid, NOW)
    retired = ring.retire(first.kid, NOW + timedelta(days=60))
    session.commit()
    assert retired.status == KeyStatus.RETIRED.value
    assert list(ring.public_keys()) == [second.kid]
    assert first_signer.kid not in ring.public_keys()
    with pytest.raises(KeyStateConflict, match="already retired"):
        ring.retire(first.kid, NOW)
    with pytest.raises(KeyNotFound):
        ring.retire("AAAAAAAAAAA", NOW)
    assert [k.kid for k in ring.list_keys()] == [first.kid, second.kid]


def test_rings_are_separate(session: Session) -> None:
    platform = KeyRing(session, master_secret=MASTER).ensure_active(NOW)
    issuer = KeyRing(session, ring="issuer-1", master_secret=MASTER).ensure_active(NOW)
    session.commit()
    assert list(KeyRing(session, master_secret=MASTER).public_keys()) == [platform.kid]
    with pytest.raises(KeyNotFound):
        KeyRing(session, master_secret=MASTER).retire(issuer.kid, NOW)


def test_database_holds_one_active_key_per_ring(session: Session) -> None:
    KeyRing(session, master_secret=MASTER).ensure_active(NOW)
    session.commit()
    private_key = Ed25519PrivateKey.generate()
    session.add(
        SigningKey(
            kid=kid_for(private_key.public_key()),
            status=KeyStatus.ACTIVE.value,
            public_key=public_raw(private_key.public_key()),
            private_key_sealed=b"x",
            created_at=NOW,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


# --- kid and JWKS --------------------------------------------------------------------------


def test_kid_is_the_truncated_rfc7638_thumbprint() -> None:
    # RFC 8037 Appendix A.2/A.3: the Ed25519 example key and its JWK thumbprint.
    private_key = Ed25519PrivateKey.from_private_bytes(
        b64url_decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
    )
    public_key = private_key.public_key()
    assert b64url_encode(public_raw(public_key)) == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    expected = b64url_decode("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
    assert thumbprint(public_key) == expected
    assert kid_for(public_key) == b64url_encode(expected[:8]) == "kPrK_qmxVWY"


def test_jwks_round_trip(session: Session) -> None:
    ring = KeyRing(session, master_secret=MASTER)
    ring.ensure_active(NOW)
    ring.rotate(NOW + timedelta(days=1))
    session.commit()
    published = ring.public_keys()
    document = json.loads(json.dumps(jwks_document(published)))
    assert [entry["kid"] for entry in document["keys"]] == list(published)
    assert set(document["keys"][0]) == {"kty", "crv", "x", "kid", "use", "alg"}
    assert document["keys"][0]["kty"] == "OKP" and document["keys"][0]["alg"] == "EdDSA"
    restored = public_key_set_from_jwks(document)
    assert list(restored) == list(published)
    assert all(public_raw(restored[kid]) == public_raw(published[kid]) for kid in published)


def _good_jwk() -> dict[str, str]:
    document = jwks_document(PublicKeySet([Ed25519PrivateKey.generate().public_key()]))
    return document["keys"][0]


def _with(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = _good_jwk()
    for name, value in changes.items():
        if value is None:
            entry.pop(name)
        else:
            entry[name] = value
    return {"keys": [entry]}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], '"keys" array'),
        ({"keys": {}}, '"keys" array'),
        ({"keys": ["x"]}, r"keys\[0\] is not a JSON object"),
        ({"keys": []}, "no Ed25519"),
        ({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}, "no Ed25519"),
        (_with(x=None), "has no x"),
        (_with(x="AAAA"), "3 bytes"),
        (_with(x="not*base64url"), "not base64url"),
        (_with(kid="AAAAAAAAAAA"), "thumbprint kid"),
        (_with(kid=None), "thumbprint kid"),
        (_with(use="enc"), "use 'enc'"),
        (_with(alg="ES256"), "alg 'ES256'"),
        (_with(d="AAAA"), "private key"),
    ],
)
def test_malformed_jwks_is_refused(document: Any, message: str) -> None:
    with pytest.raises(JwksError, match=message):
        public_key_set_from_jwks(document)


def test_jwks_skips_other_key_types_and_refuses_duplicates() -> None:
    entry = _good_jwk()
    mixed = {"keys": [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}, entry]}
    assert list(public_key_set_from_jwks(mixed)) == [entry["kid"]]
    with pytest.raises(JwksError, match="same key twice"):
        public_key_set_from_jwks({"keys": [entry, dict(entry)]})
    assert isinstance(JwksError("x"), ValueError)  # callers may treat it like a JSON error
