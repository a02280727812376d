"""The wire format: published test vectors, interoperability, and the QR size budget.

Run ``python tests/codeid/test_code_payload.py`` to print the test-vector section of
docs/code-format.md after a deliberate format change.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pycose.algorithms import EdDSA
from pycose.headers import KID, Algorithm
from pycose.keys.okp import OKPKey
from pycose.messages.sign1message import Sign1Message

from codeid.codes.payload import (
    PREFIX,
    CodeKind,
    cose_bytes_from_text,
    parse_code,
    sign_code,
    sign_code_cbor,
)
from codeid.codes.qr import make_qr
from codeid.errors import InvalidInput
from codeid.keys.jwks import PublicKeySet, b64url_decode, jwks_document
from codeid.keys.keyring import Signer

DOC = Path(__file__).resolve().parents[2] / "docs" / "code-format.md"
BEGIN = "<!-- test-vectors:begin -->"
END = "<!-- test-vectors:end -->"

SEED = bytes(range(1, 33))
VECTOR_USCC = "91350100M000100Y43"
VECTOR_IAT = datetime(2026, 1, 1, tzinfo=UTC)
VECTORS = [
    (CodeKind.STATIC, bytes.fromhex("0011223344556677"), timedelta(days=3650)),
    (CodeKind.DYNAMIC, bytes.fromhex("8899aabbccddeeff00112233"), timedelta(seconds=120)),
]
QR_ALPHANUMERIC_CAPACITY_V10_Q = 221


def _signer() -> Signer:
    return Signer.from_private_key(Ed25519PrivateKey.from_private_bytes(SEED))


def _vector(kind: CodeKind, cti: bytes, ttl: timedelta) -> tuple[str, bytes]:
    fields = {
        "kind": kind,
        "uscc": VECTOR_USCC,
        "cti": cti,
        "issued_at": VECTOR_IAT,
        "expires_at": VECTOR_IAT + ttl,
        "signer": _signer(),
    }
    return sign_code(**fields), sign_code_cbor(**fields)  # type: ignore[arg-type]


def _fenced(language: str, body: str) -> str:
    return f"```{language}\n{body}\n```"


def render_vectors() -> str:
    """The test-vector section of docs/code-format.md, regenerated from the code."""
    signer = _signer()
    jwk = jwks_document(PublicKeySet([signer.public_key()]))["keys"][0]
    parts = [
        BEGIN,
        "Signing key: the Ed25519 private key whose 32-byte seed is `01 02 03 ... 20` (hex).",
        "Its public JWK:",
        _fenced("json", json.dumps(jwk, indent=2)),
    ]
    for kind, cti, ttl in VECTORS:
        text, message = _vector(kind, cti, ttl)
        claims = {
            "2 (sub)": VECTOR_USCC,
            "4 (exp)": int((VECTOR_IAT + ttl).timestamp()),
            "6 (iat)": int(VECTOR_IAT.timestamp()),
            "7 (cti)": f"h'{cti.hex()}'",
            "-65537 (kind)": 1 if kind is CodeKind.STATIC else 2,
        }
        parts += [
            f"### {kind.value.capitalize()} code",
            f"Issued {VECTOR_IAT.isoformat()}, expires {(VECTOR_IAT + ttl).isoformat()}; "
            f"{len(text)} characters, QR version {make_qr(text).version} at level Q.",
            "Payload text (note: Base45 text may contain spaces):",
            _fenced("text", text),
            f"COSE_Sign1 message, {len(message)} bytes of CBOR (hex, wrapped at 64):",
            _fenced("text", "\n".join(textwrap.wrap(message.hex(), 64))),
            "Claims:",
            _fenced("json", json.dumps(claims, indent=2)),
        ]
    parts.append(END)
    return "\n\n".join(parts)


def test_doc_test_vectors_match_the_code() -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert BEGIN in doc and END in doc, f"{DOC} lost its test-vector markers"
    published = doc[doc.index(BEGIN) : doc.index(END) + len(END)]
    assert published == render_vectors(), (
        "docs/code-format.md test vectors are stale; regenerate with "
        "`python tests/codeid/test_code_payload.py`"
    )


def test_encoding_is_deterministic_and_round_trips() -> None:
    for kind, cti, ttl in VECTORS:
        first, message = _vector(kind, cti, ttl)
        assert _vector(kind, cti, ttl)[0] == first
        assert first.startswith(PREFIX)
        assert cose_bytes_from_text(first) == message
        # Canonical CBOR: re-encoding what was decoded gives the same bytes.
        assert cbor2.dumps(cbor2.loads(message), canonical=True) == message
        claims = parse_code(first).claims
        assert (claims.kind, claims.uscc, claims.code_id) == (kind, VECTOR_USCC, cti.hex())
        assert (claims.issued_at, claims.expires_at) == (VECTOR_IAT, VECTOR_IAT + ttl)
        assert claims.kid == _signer().kid


def _pycose_sign1(data: bytes) -> Sign1Message:
    """pycose 1.1's ``Sign1Message.decode`` expects the list/dict that cbor2 < 6 returned; cbor2
    6 returns immutable containers inside a tag. Thaw them and hand the array to pycose."""
    tagged = cbor2.loads(data)
    assert isinstance(tagged, cbor2.CBORTag) and tagged.tag == Sign1Message.cbor_tag
    items = [dict(item) if isinstance(item, Mapping) else item for item in tagged.value]
    return Sign1Message.from_cose_obj(items, allow_unknown_attributes=False)


def test_pycose_verifies_a_code_with_only_the_jwk() -> None:
    """Interoperability: a generic COSE library, given just the published JWK, verifies."""
    vectors = DOC.read_text(encoding="utf-8").split(BEGIN, 1)[1]
    jwk = json.loads(vectors.split("```json\n", 1)[1].split("\n```", 1)[0])
    for kind, cti, ttl in VECTORS:
        text, _ = _vector(kind, cti, ttl)
        message = _pycose_sign1(base45.b45decode(text.removeprefix("CID1:")))
        # alg and kid are in the protected (signed) header
        assert message.phdr[Algorithm] is EdDSA
        assert message.phdr[KID] == b64url_decode(jwk["kid"])
        assert not message.uhdr
        message.key = OKPKey(crv="ED25519", x=b64url_decode(jwk["x"]))
        assert message.verify_signature()
        assert message.payload is not None
        claims = cbor2.loads(message.payload)
        assert claims[2] == VECTOR_USCC and claims[7] == cti

        message.payload = message.payload.replace(b"M000100Y43", b"M000100Y44")
        assert not message.verify_signature()


@pytest.mark.parametrize("kind", list(CodeKind))
def test_every_code_fits_qr_version_10_at_level_q(kind: CodeKind) -> None:
    """The largest code of each kind: uint32 times at their maximum, all-0xff ids."""
    cti = b"\xff" * (8 if kind is CodeKind.STATIC else 12)
    latest = datetime.fromtimestamp(0xFFFFFFFF, UTC)
    for uscc in ("91350100M000100Y43", "Y" * 18, "0" * 18):
        text = sign_code(
            kind=kind,
            uscc=uscc,
            cti=cti,
            issued_at=latest - timedelta(days=3650),
            expires_at=latest,
            signer=_signer(),
        )
        symbol = make_qr(text)
        assert int(symbol.version) <= 10
        assert symbol.mode == "alphanumeric"
        # Fixed size per kind; the rest of version 10 is headroom for future claims.
        assert len(text) == {CodeKind.STATIC: 206, CodeKind.DYNAMIC: 212}[kind]
        assert len(text) <= QR_ALPHANUMERIC_CAPACITY_V10_Q


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"uscc": "91350100m000100y43"}, "18 characters"),
        ({"uscc": "9135010"}, "18 characters"),
        ({"cti": b"\x00" * 12}, "8 bytes"),
        ({"expires_at": VECTOR_IAT}, "expire after"),
        ({"issued_at": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"issued_at": VECTOR_IAT + timedelta(microseconds=5)}, "whole second"),
        ({"expires_at": datetime(2200, 1, 1, tzinfo=UTC)}, "2106"),
    ],
)
def test_signing_refuses_what_the_format_cannot_carry(
    changes: dict[str, object], message: str
) -> None:
    fields: dict[str, object] = {
        "kind": CodeKind.STATIC,
        "uscc": VECTOR_USCC,
        "cti": bytes(8),
        "issued_at": VECTOR_IAT,
        "expires_at": VECTOR_IAT + timedelta(days=1),
        "signer": _signer(),
    } | changes
    with pytest.raises(InvalidInput, match=message):
        sign_code(**fields)  # type: ignore[arg-type]


if __name__ == "__main__":
    print(render_vectors())
