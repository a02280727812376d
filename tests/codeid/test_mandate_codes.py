"""Dynamic codes naming a mandate: the wire format, its size, and the registry's refusals.

Run ``python tests/codeid/test_mandate_codes.py`` to print the mandate-vector section of
docs/code-format.md after a deliberate format change.
"""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta
from typing import Any

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pycose.keys.okp import OKPKey
from sqlmodel import Session

from codeid.accounts.models import UserAccount, UserStatus
from codeid.codes.errors import (
    MalformedCode,
    MandateHolderDisabled,
    MandateOutOfTerm,
    MandateRevoked,
    MandateUnknown,
)
from codeid.codes.issue import issue_dynamic_code
from codeid.codes.payload import (
    CLAIM_MANDATE,
    MAX_MANDATE_ID,
    PREFIX,
    CodeKind,
    parse_code,
    sign_code,
    sign_code_cbor,
)
from codeid.codes.qr import make_qr
from codeid.codes.resolve import resolve_code
from codeid.codes.state import check_code_state
from codeid.codes.verify import verify_code
from codeid.errors import InvalidInput
from codeid.keys.jwks import kid_to_bytes
from codeid.keys.keyring import Signer
from codeid.mandates.acting import get_mandate
from codeid.mandates.errors import MandateNotInForce
from codeid.mandates.service import authorise_agent, revoke_mandate
from tests.codeid.mandate_world import (
    DAY,
    HOUR,
    NOW,
    OTHER_USCC,
    USCC,
    add_user,
    signing_key,
    with_legal_rep,
)
from tests.codeid.test_code_payload import (
    DOC,
    QR_ALPHANUMERIC_CAPACITY_V10_Q,
    SEED,
    VECTOR_USCC,
    _pycose_sign1,
)

BEGIN = "<!-- mandate-vector:begin -->"
END = "<!-- mandate-vector:end -->"
VECTOR_IAT = datetime(2026, 1, 1, tzinfo=UTC)
VECTOR_CTI = bytes.fromhex("8899aabbccddeeff")
VECTOR_MANDATE = 70_000  # above 65,535: the 5-byte encoding, as every id from there on


def _signer() -> Signer:
    return Signer.from_private_key(Ed25519PrivateKey.from_private_bytes(SEED))


def _vector() -> tuple[str, bytes]:
    fields: dict[str, Any] = {
        "kind": CodeKind.DYNAMIC,
        "uscc": VECTOR_USCC,
        "cti": VECTOR_CTI,
        "issued_at": VECTOR_IAT,
        "expires_at": VECTOR_IAT + timedelta(seconds=120),
        "signer": _signer(),
        "mandate_id": VECTOR_MANDATE,
    }
    return sign_code(**fields), sign_code_cbor(**fields)


def render_mandate_vector() -> str:
    """The mandate-vector section of docs/code-format.md, regenerated from the code."""
    text, message = _vector()
    claims = {
        "2 (sub)": VECTOR_USCC,
        "4 (exp)": int(VECTOR_IAT.timestamp()) + 120,
        "6 (iat)": int(VECTOR_IAT.timestamp()),
        "7 (cti)": f"h'{VECTOR_CTI.hex()}'",
        "-65537 (kind)": 2,
        "-65538 (mandate)": VECTOR_MANDATE,
    }
    parts = [
        BEGIN,
        "The key, times and subject of the dynamic code above; an 8-byte code id and mandate "
        f"{VECTOR_MANDATE}. {len(text)} characters, QR version {make_qr(text).version} at level Q.",
        "```text\n" + text + "\n```",
        f"COSE_Sign1 message, {len(message)} bytes of CBOR (hex, wrapped at 64):",
        "```text\n" + "\n".join(textwrap.wrap(message.hex(), 64)) + "\n```",
        "Claims:",
        "```json\n" + json.dumps(claims, indent=2) + "\n```",
        END,
    ]
    return "\n\n".join(parts)


def test_doc_mandate_vector_matches_the_code() -> None:
    doc = DOC.read_text(encoding="utf-8")
    assert BEGIN in doc and END in doc, f"{DOC} lost its mandate-vector markers"
    published = doc[doc.index(BEGIN) : doc.index(END) + len(END)]
    assert published == render_mandate_vector(), (
        "docs/code-format.md mandate vector is stale; regenerate with "
        "`python tests/codeid/test_mandate_codes.py`"
    )


def test_pycose_verifies_a_mandate_code() -> None:
    text, message = _vector()
    cose = _pycose_sign1(message)
    cose.key = OKPKey(crv="ED25519", x=_signer().public_key().public_bytes_raw())
    assert cose.verify_signature() and cose.payload is not None
    assert cbor2.loads(cose.payload)[CLAIM_MANDATE] == VECTOR_MANDATE
    assert base45.b45decode(text.removeprefix(PREFIX)) == message


def test_the_largest_mandate_id_still_fits_qr_version_10_at_level_q() -> None:
    latest = datetime.fromtimestamp(0xFFFFFFFF, UTC)
    for uscc in ("91350100M000100Y43", "Y" * 18, "0" * 18):
        text = sign_code(
            kind=CodeKind.DYNAMIC,
            uscc=uscc,
            cti=b"\xff" * 8,
            issued_at=latest - timedelta(seconds=120),
            expires_at=latest,
            signer=_signer(),
            mandate_id=MAX_MANDATE_ID,
        )
        symbol = make_qr(text)
        assert int(symbol.version) <= 10 and symbol.mode == "alphanumeric"
        assert len(text) == QR_ALPHANUMERIC_CAPACITY_V10_Q  # exactly full: no headroom left


def test_a_mandate_code_round_trips() -> None:
    text, _ = _vector()
    claims = parse_code(text).claims
    assert (claims.kind, claims.mandate_id, claims.code_id) == (
        CodeKind.DYNAMIC,
        VECTOR_MANDATE,
        VECTOR_CTI.hex(),
    )
    plain = sign_code(
        kind=CodeKind.DYNAMIC,
        uscc=VECTOR_USCC,
        cti=bytes(12),
        issued_at=VECTOR_IAT,
        expires_at=VECTOR_IAT + timedelta(seconds=120),
        signer=_signer(),
    )
    assert parse_code(plain).claims.mandate_id is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": CodeKind.STATIC}, "only a dynamic code"),
        ({"mandate_id": 0}, "mandate id"),
        ({"mandate_id": MAX_MANDATE_ID + 1}, "mandate id"),
        ({"mandate_id": True}, "mandate id"),
        ({"cti": bytes(12)}, "8 bytes"),
    ],
)
def test_signing_refuses_a_mandate_the_format_cannot_carry(
    changes: dict[str, object], message: str
) -> None:
    fields: dict[str, Any] = {
        "kind": CodeKind.DYNAMIC,
        "uscc": VECTOR_USCC,
        "cti": bytes(8),
        "issued_at": VECTOR_IAT,
        "expires_at": VECTOR_IAT + timedelta(days=1),
        "signer": _signer(),
        "mandate_id": 7,
    } | changes
    with pytest.raises(InvalidInput, match=message):
        sign_code(**fields)


def _forged(claims: dict[int, Any]) -> str:
    """A correctly signed message with arbitrary claims: only the parse can refuse it."""
    signer = _signer()
    protected = cbor2.dumps({1: -8, 4: kid_to_bytes(signer.kid)}, canonical=True)
    payload = cbor2.dumps(claims, canonical=True)
    signature = signer.sign(cbor2.dumps(["Signature1", protected, b"", payload], canonical=True))
    message = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]), canonical=True)
    body: str = base45.b45encode(message).decode("ascii")
    return PREFIX + body


def _claims(**changes: Any) -> dict[int, Any]:
    iat = int(VECTOR_IAT.timestamp())
    base: dict[int, Any] = {2: VECTOR_USCC, 4: iat + 120, 6: iat, 7: bytes(8), -65537: 2}
    base[CLAIM_MANDATE] = 7
    for key, value in changes.items():
        claim = {"kind": -65537, "cti": 7, "mandate": CLAIM_MANDATE, "extra": -65539}[key]
        if value is None:
            base.pop(claim)
        else:
            base[claim] = value
    return base


def test_a_well_formed_forgery_parses_so_the_refusals_below_are_the_parsers() -> None:
    assert parse_code(_forged(_claims())).claims.mandate_id == 7


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": 1},  # a static code naming a mandate
        {"cti": bytes(12)},  # a mandate code keeps an 8-byte id
        {"mandate": None, "cti": bytes(8)},  # ... and a plain dynamic code a 12-byte one
        {"mandate": 0},
        {"mandate": -1},
        {"mandate": MAX_MANDATE_ID + 1},
        {"mandate": True},
        {"mandate": "7"},
        {"mandate": 7.0},
        {"mandate": b"\x07"},
        {"extra": 1},  # no other claims
    ],
)
def test_parsing_is_strict_about_the_mandate_claim(changes: dict[str, Any]) -> None:
    with pytest.raises(MalformedCode):
        parse_code(_forged(_claims(**changes)))


def test_a_null_mandate_claim_is_not_an_absent_one() -> None:
    claims = _claims()
    claims[CLAIM_MANDATE] = None
    with pytest.raises(MalformedCode):
        parse_code(_forged(claims))


# ---- the registry: the mandate must be in force for the code's entity ----


def _agent_code(session: Session) -> tuple[str, int, Any]:
    rep, _ = with_legal_rep(session)
    signer, keys = signing_key(session)
    agent = authorise_agent(
        session, uscc=USCC, user=add_user(session, "agent"), by=rep, scope=["address-change"],
        valid_from=NOW, valid_until=NOW + DAY, now=NOW,
    )  # fmt: skip
    session.commit()
    assert agent.id is not None
    issued = issue_dynamic_code(session, uscc=USCC, signer=signer, now=NOW, mandate_id=agent.id)
    assert issued.mandate_id == agent.id and len(issued.code_id) == 16
    return issued.payload, agent.id, keys


def test_a_code_naming_a_live_mandate_is_accepted(session: Session) -> None:
    payload, mandate_id, keys = _agent_code(session)
    claims = verify_code(payload, keys=keys, now=NOW)
    assert claims.mandate_id == mandate_id
    assert check_code_state(session, claims, now=NOW).uscc == USCC


def test_revoking_the_mandate_refuses_its_code_at_once(session: Session) -> None:
    payload, mandate_id, keys = _agent_code(session)
    revoke_mandate(session, mandate_id, by=None, now=NOW + timedelta(seconds=10))
    claims = verify_code(payload, keys=keys, now=NOW + timedelta(seconds=20))
    with pytest.raises(MandateRevoked) as refused:
        check_code_state(session, claims, now=NOW + timedelta(seconds=20))
    assert refused.value.reason == "mandate-revoked" and refused.value.claims == claims
    # A scan taken before the revocation is judged as of then.
    check_code_state(session, claims, now=NOW + timedelta(seconds=5))
    result = resolve_code(
        session, payload, keys=keys, now=NOW + timedelta(seconds=20), actor="t", location="",
        channel="api",
    )  # fmt: skip
    assert (result.ok, result.reason) == (False, "mandate-revoked")


def test_a_code_outside_the_mandate_term_is_refused(session: Session) -> None:
    rep, _ = with_legal_rep(session)
    signer, keys = signing_key(session)
    agent = authorise_agent(
        session, uscc=USCC, user=add_user(session, "agent"), by=rep, scope=[],
        valid_from=NOW, valid_until=NOW + HOUR, now=NOW,
    )  # fmt: skip
    assert agent.id is not None
    late = NOW + HOUR - timedelta(seconds=30)
    issued = issue_dynamic_code(session, uscc=USCC, signer=signer, now=late, mandate_id=agent.id)
    after = NOW + HOUR + timedelta(seconds=30)  # the code lives on; the mandate has ended
    claims = verify_code(issued.payload, keys=keys, now=after)
    with pytest.raises(MandateOutOfTerm) as refused:
        check_code_state(session, claims, now=after)
    assert refused.value.reason == "mandate-out-of-term"


def test_a_disabled_holder_or_another_entitys_mandate_is_refused(session: Session) -> None:
    payload, mandate_id, keys = _agent_code(session)
    with_legal_rep(session, OTHER_USCC)
    signer, _ = signing_key(session)
    # A code for another entity naming this entity's mandate (signed by us, so genuine).
    foreign = sign_code(
        kind=CodeKind.DYNAMIC, uscc=OTHER_USCC, cti=bytes(8), issued_at=NOW,
        expires_at=NOW + timedelta(seconds=120), signer=signer, mandate_id=mandate_id,
    )  # fmt: skip
    with pytest.raises(MandateUnknown):
        check_code_state(session, verify_code(foreign, keys=keys, now=NOW), now=NOW)
    unknown = sign_code(
        kind=CodeKind.DYNAMIC, uscc=USCC, cti=bytes(8), issued_at=NOW,
        expires_at=NOW + timedelta(seconds=120), signer=signer, mandate_id=MAX_MANDATE_ID,
    )  # fmt: skip
    with pytest.raises(MandateUnknown):
        check_code_state(session, verify_code(unknown, keys=keys, now=NOW), now=NOW)

    holder = session.get(UserAccount, get_mandate(session, mandate_id).user_id)
    assert holder is not None
    holder.status = UserStatus.DISABLED.value
    session.add(holder)
    session.flush()
    with pytest.raises(MandateHolderDisabled):
        check_code_state(session, verify_code(payload, keys=keys, now=NOW), now=NOW)


def test_no_code_is_issued_for_a_mandate_not_in_force(session: Session) -> None:
    _, mandate_id, _ = _agent_code(session)
    signer, _ = signing_key(session)
    with pytest.raises(MandateNotInForce):  # the mandate is for USCC, not OTHER_USCC
        issue_dynamic_code(session, uscc=OTHER_USCC, signer=signer, now=NOW, mandate_id=mandate_id)
    revoke_mandate(session, mandate_id, by=None, now=NOW)
    with pytest.raises(MandateNotInForce):
        issue_dynamic_code(session, uscc=USCC, signer=signer, now=NOW, mandate_id=mandate_id)


if __name__ == "__main__":
    print(render_mandate_vector())
