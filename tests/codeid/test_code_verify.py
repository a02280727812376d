"""Offline verification: every refusal reason from a real code, in order, and no crash on
any damaged input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from codeid.codes.errors import (
    BadSignature,
    CodeExpired,
    CodeRejected,
    MalformedCode,
    NotACodeidCode,
    NotYetValid,
    UnknownKey,
    UnsupportedVersion,
)
from codeid.codes.payload import PREFIX, CodeKind, sign_code
from codeid.codes.verify import verify_code
from codeid.errors import InvalidInput
from codeid.keys.jwks import PublicKeySet, jwks_document, public_key_set_from_jwks
from codeid.keys.keyring import Signer

ISSUED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
USCC = "91110000600037341L"
BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

SIGNER = Signer.from_private_key(Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))
ATTACKER = Signer.from_private_key(Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34))))
KEYS = PublicKeySet([SIGNER.public_key()])


def _code(
    kind: CodeKind = CodeKind.DYNAMIC,
    *,
    signer: Signer = SIGNER,
    ttl: timedelta = timedelta(seconds=120),
    uscc: str = USCC,
) -> str:
    return sign_code(
        kind=kind,
        uscc=uscc,
        cti=bytes(range(8 if kind is CodeKind.STATIC else 12)),
        issued_at=ISSUED,
        expires_at=ISSUED + ttl,
        signer=signer,
    )


def _reencode(text: str, edit: object) -> str:
    """Decode a real code, let ``edit`` change its COSE array, re-encode (not re-signed)."""
    tagged = cbor2.loads(base45.b45decode(text.removeprefix(PREFIX)))
    items = list(tagged.value)
    result = edit(items)  # type: ignore[operator]
    message = cbor2.dumps(result if result is not None else cbor2.CBORTag(18, items))
    body: str = base45.b45encode(message).decode()
    return PREFIX + body


@pytest.mark.parametrize("kind", list(CodeKind))
def test_a_genuine_code_verifies(kind: CodeKind) -> None:
    claims = verify_code(_code(kind), keys=KEYS, now=ISSUED + timedelta(seconds=30))
    assert claims.kind is kind
    assert claims.uscc == USCC
    assert claims.kid == SIGNER.kid
    assert claims.code_id == bytes(range(8 if kind is CodeKind.STATIC else 12)).hex()
    assert claims.issued_at == ISSUED


def test_offline_verification_needs_only_the_jwks_document() -> None:
    published = json.dumps(jwks_document(KEYS))
    keys = public_key_set_from_jwks(json.loads(published))
    assert verify_code(_code(), keys=keys, now=ISSUED).uscc == USCC


def test_scan_gun_text_is_accepted() -> None:
    code = _code()
    for typed in (code + "\r\n", "\t" + code + " ", code.lower(), code.swapcase() + "\n"):
        assert verify_code(typed, keys=KEYS, now=ISSUED).uscc == USCC


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", NotACodeidCode),
        ("HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH", NotACodeidCode),
        ("https://example.com/CID1:", NotACodeidCode),
        ("CID:ABC", NotACodeidCode),
        ("CID2:RRQT 9P60GO0", UnsupportedVersion),
        ("cid10:anything", UnsupportedVersion),
        ("CID1:", MalformedCode),
        ("CID1:A", MalformedCode),  # Base45 length
        ("CID1:GGW", MalformedCode),  # Base45 triple above 65535
        ("CID1:Ä€", MalformedCode),  # outside the alphabet
        ("CID1:" + base45.b45encode(b"\xff\x00").decode(), MalformedCode),  # not CBOR
        ("CID1:" + base45.b45encode(cbor2.dumps([1, 2, 3, 4])).decode(), MalformedCode),
        ("CID1:" + "0" * 600, MalformedCode),  # longer than any code
    ],
)
def test_refusals_before_the_signature(text: str, error: type[CodeRejected]) -> None:
    with pytest.raises(error) as caught:
        verify_code(text, keys=KEYS, now=ISSUED)
    assert caught.value.reason == error.reason
    assert caught.value.code == f"code-{error.reason}"


def _untagged(items: list[object]) -> object:
    return items


def _extra_header(items: list[object]) -> None:
    header = cbor2.loads(items[0])  # type: ignore[arg-type]
    items[0] = cbor2.dumps(header | {3: 0})


def _es256(items: list[object]) -> None:
    header = cbor2.loads(items[0])  # type: ignore[arg-type]
    items[0] = cbor2.dumps(header | {1: -7})


def _kid_in_unprotected(items: list[object]) -> None:
    items[1] = {4: b"12345678"}


def _extra_claim(items: list[object]) -> None:
    claims = cbor2.loads(items[2])  # type: ignore[arg-type]
    items[2] = cbor2.dumps(claims | {1: "codeid"})


def _unknown_kind(items: list[object]) -> None:
    claims = cbor2.loads(items[2])  # type: ignore[arg-type]
    items[2] = cbor2.dumps(claims | {-65537: 3})


def _boolean_iat(items: list[object]) -> None:
    claims = cbor2.loads(items[2])  # type: ignore[arg-type]
    items[2] = cbor2.dumps(claims | {6: True})


def _short_signature(items: list[object]) -> None:
    items[3] = items[3][:63]  # type: ignore[index]


def _trailing_byte(items: list[object]) -> None:
    items[2] = items[2] + b"\x00"  # type: ignore[operator]


@pytest.mark.parametrize(
    "edit",
    [
        _untagged,
        _extra_header,
        _es256,
        _kid_in_unprotected,
        _extra_claim,
        _unknown_kind,
        _boolean_iat,
        _short_signature,
        _trailing_byte,
    ],
)
def test_structural_damage_is_malformed(edit: object) -> None:
    with pytest.raises(MalformedCode):
        verify_code(_reencode(_code(), edit), keys=KEYS, now=ISSUED)


def test_a_code_from_another_key_is_unknown_key() -> None:
    with pytest.raises(UnknownKey, match=ATTACKER.kid):
        verify_code(_code(signer=ATTACKER), keys=KEYS, now=ISSUED)


def test_a_forgery_claiming_our_kid_is_a_bad_signature() -> None:
    spoofed = Signer(kid=SIGNER.kid, private_key=ATTACKER.private_key)
    with pytest.raises(BadSignature):
        verify_code(_code(signer=spoofed), keys=KEYS, now=ISSUED)


def test_changed_claims_under_a_genuine_signature_are_a_bad_signature() -> None:
    other_uscc = _code(uscc="91350100M000100Y43")

    def swap_claims(items: list[object]) -> None:
        tagged = cbor2.loads(base45.b45decode(other_uscc.removeprefix(PREFIX)))
        items[2] = tagged.value[2]

    with pytest.raises(BadSignature):
        verify_code(_reencode(_code(), swap_claims), keys=KEYS, now=ISSUED)


def test_validity_window_with_leeway() -> None:
    code = _code(ttl=timedelta(seconds=120))
    leeway = timedelta(seconds=5)
    verify_code(code, keys=KEYS, now=ISSUED - leeway)
    with pytest.raises(NotYetValid) as early:
        verify_code(code, keys=KEYS, now=ISSUED - leeway - timedelta(seconds=1))
    assert early.value.claims is not None and early.value.claims.uscc == USCC
    verify_code(code, keys=KEYS, now=ISSUED + timedelta(seconds=124, microseconds=999999))
    with pytest.raises(CodeExpired) as late:
        verify_code(code, keys=KEYS, now=ISSUED + timedelta(seconds=125))
    assert late.value.claims is not None
    with pytest.raises(CodeExpired):
        verify_code(code, keys=KEYS, now=ISSUED + timedelta(seconds=121), leeway=timedelta(0))


def test_reasons_come_in_order() -> None:
    expired_foreign = _code(signer=ATTACKER, ttl=timedelta(seconds=1))
    later = ISSUED + timedelta(days=1)
    with pytest.raises(UnknownKey):  # unknown key is decided before expiry
        verify_code(expired_foreign, keys=KEYS, now=later)
    spoofed = Signer(kid=SIGNER.kid, private_key=ATTACKER.private_key)
    with pytest.raises(BadSignature):  # and the signature before the time window
        verify_code(_code(signer=spoofed, ttl=timedelta(seconds=1)), keys=KEYS, now=later)
    with pytest.raises(UnsupportedVersion):
        verify_code("CID2:" + expired_foreign.removeprefix(PREFIX), keys=KEYS, now=later)


def test_naive_now_is_refused() -> None:
    with pytest.raises(InvalidInput, match="timezone-aware"):
        verify_code(_code(), keys=KEYS, now=datetime(2026, 3, 1))


@pytest.mark.parametrize("kind", list(CodeKind))
def test_every_single_character_edit_is_refused_cleanly(kind: CodeKind) -> None:
    """Replace, delete or insert one character anywhere: refused with a reason, never a
    crash, never accepted."""
    code = _code(kind)
    body_reasons = {"bad-signature", "malformed", "unknown-key"}
    seen: set[str] = set()
    edits = 0
    for position in range(len(code)):
        variants = [code[:position] + code[position + 1 :]]
        variants += [code[:position] + ch + code[position:] for ch in "0Z:"]
        variants += [
            code[:position] + ch + code[position + 1 :]
            for ch in BASE45_ALPHABET
            if ch != code[position]
        ]
        for variant in variants:
            if variant.strip().upper() == code:
                continue  # whitespace or case around the code: the same code
            edits += 1
            with pytest.raises(CodeRejected) as caught:
                verify_code(variant, keys=KEYS, now=ISSUED)
            reason = caught.value.reason
            if position >= len(PREFIX):
                assert reason in body_reasons, (position, variant, reason)
            else:
                assert reason in body_reasons | {"not-codeid", "unsupported-version"}
            seen.add(reason)
    assert edits > 9000
    assert {"bad-signature", "malformed"} <= seen
