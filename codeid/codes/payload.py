"""The business code on the wire: ``CID1:`` + Base45(COSE_Sign1(CWT claims)).

The format is specified, with test vectors, in docs/code-format.md.

Building is separate from rendering (codeid.codes.qr) and from trust decisions
(codeid.codes.verify): this module only encodes, and parses strictly, raising
not-codeid / unsupported-version / malformed for anything that is not exactly our format.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import base45
import cbor2

from codeid.codes.errors import MalformedCode, NotACodeidCode, UnsupportedVersion
from codeid.errors import InvalidInput
from codeid.keys.jwks import KID_BYTES, b64url_encode, kid_to_bytes
from codeid.keys.keyring import Signer

FORMAT_VERSION = 1
PREFIX = f"CID{FORMAT_VERSION}:"
# ASCII digits only: "\d" would also take other scripts' digits (Arabic-Indic, full-width).
_PREFIX_FAMILY = re.compile(r"CID([0-9]{1,6}):")
# Our codes are at most 221 characters; anything much longer is refused before decoding.
MAX_PAYLOAD_CHARS = 512

COSE_SIGN1_TAG = 18
HEADER_ALG = 1
HEADER_KID = 4
ALG_EDDSA = -8
CLAIM_SUB = 2
CLAIM_EXP = 4
CLAIM_IAT = 6
CLAIM_CTI = 7
CLAIM_KIND = -65537  # first private-use claim key (RFC 8392 §9.1: below -65536)
# The mandate (codeid.mandates) of the person a dynamic code was issued to: a uint32 id.
CLAIM_MANDATE = -65538
_CLAIM_KEYS = frozenset({CLAIM_SUB, CLAIM_EXP, CLAIM_IAT, CLAIM_CTI, CLAIM_KIND})
_MANDATE_CLAIM_KEYS = _CLAIM_KEYS | {CLAIM_MANDATE}
MAX_MANDATE_ID = 0xFFFFFFFF
SIGNATURE_BYTES = 64
# NumericDates are CBOR uint32 (until 2106-02-07): every code of a kind has the same size,
# measured against the QR budget in the tests.
MAX_NUMERIC_DATE = 0xFFFFFFFF
_USCC_SHAPE = re.compile(r"[0-9A-Z]{18}")


class CodeKind(StrEnum):
    STATIC = "static"  # printed, long-lived, revocable by serial
    DYNAMIC = "dynamic"  # on a phone screen, minutes, consumable once


_KIND_TO_WIRE = {CodeKind.STATIC: 1, CodeKind.DYNAMIC: 2}
_WIRE_TO_KIND = {wire: kind for kind, wire in _KIND_TO_WIRE.items()}
CTI_BYTES = {CodeKind.STATIC: 8, CodeKind.DYNAMIC: 12}
# A dynamic code naming a mandate gives up 4 bytes of its id to stay within QR version 10-Q
# (8 random bytes still make a collision among live two-minute codes negligible).
MANDATE_CTI_BYTES = 8


def cti_bytes(kind: CodeKind, *, mandate_id: int | None = None) -> int:
    """The length of a code id of ``kind``, with or without a mandate claim."""
    return MANDATE_CTI_BYTES if mandate_id is not None else CTI_BYTES[kind]


@dataclass(frozen=True, slots=True)
class CodeClaims:
    """What a code says, once parsed (and, from verify_code, once its signature checked out)."""

    kind: CodeKind
    uscc: str
    code_id: str  # hex of the cti: the static serial or the dynamic code's one-time id
    issued_at: datetime
    expires_at: datetime
    kid: str
    # The mandate of the person the dynamic code was issued to (None: the business itself).
    mandate_id: int | None = None


@dataclass(frozen=True, slots=True)
class ParsedCode:
    claims: CodeClaims
    to_be_signed: bytes  # the COSE Sig_structure the signature covers
    signature: bytes


def sign_code_cbor(
    *,
    kind: CodeKind,
    uscc: str,
    cti: bytes,
    issued_at: datetime,
    expires_at: datetime,
    signer: Signer,
    mandate_id: int | None = None,
) -> bytes:
    """The tagged COSE_Sign1 message, deterministically encoded (RFC 8949 §4.2)."""
    iat, exp = _numeric_date(issued_at, "issued_at"), _numeric_date(expires_at, "expires_at")
    if not _USCC_SHAPE.fullmatch(uscc):
        raise InvalidInput(f"a USCC is 18 characters 0-9 A-Z; got {uscc!r}")
    if mandate_id is not None:
        if kind is not CodeKind.DYNAMIC:
            raise InvalidInput("only a dynamic code names a mandate; a static code is the entity's")
        if type(mandate_id) is not int or not 1 <= mandate_id <= MAX_MANDATE_ID:
            raise InvalidInput(f"a mandate id is 1 to {MAX_MANDATE_ID}; got {mandate_id!r}")
    size = cti_bytes(kind, mandate_id=mandate_id)
    if len(cti) != size:
        raise InvalidInput(f"a {kind} code id is {size} bytes, not {len(cti)}")
    if exp <= iat:
        raise InvalidInput("a code must expire after it is issued")
    protected = _dumps({HEADER_ALG: ALG_EDDSA, HEADER_KID: kid_to_bytes(signer.kid)})
    claims = {
        CLAIM_SUB: uscc,
        CLAIM_EXP: exp,
        CLAIM_IAT: iat,
        CLAIM_CTI: cti,
        CLAIM_KIND: _KIND_TO_WIRE[kind],
    }
    if mandate_id is not None:
        claims[CLAIM_MANDATE] = mandate_id
    payload = _dumps(claims)
    signature = signer.sign(_sig_structure(protected, payload))
    return _dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


def sign_code(
    *,
    kind: CodeKind,
    uscc: str,
    cti: bytes,
    issued_at: datetime,
    expires_at: datetime,
    signer: Signer,
    mandate_id: int | None = None,
) -> str:
    """The payload text that goes into the QR code (alphanumeric mode)."""
    message = sign_code_cbor(
        kind=kind,
        uscc=uscc,
        cti=cti,
        issued_at=issued_at,
        expires_at=expires_at,
        signer=signer,
        mandate_id=mandate_id,
    )
    text: str = base45.b45encode(message).decode("ascii")
    return PREFIX + text


def normalize_text(text: str) -> str:
    """Undo what scanners do to the text: surrounding whitespace and case.

    Scan guns append CR/LF/Tab, and a keyboard-wedge scanner types letters inverted when Caps
    Lock is on. Neither loses information: the prefix and the Base45 alphabet have no lowercase
    letters, and a Base45 text never ends with a space (its last character encodes at most 32).
    """
    return text.strip().upper()


def cose_bytes_from_text(text: str) -> bytes:
    """Prefix check and Base45 decoding: the COSE_Sign1 bytes inside a payload text."""
    text = normalize_text(text)
    if not text.startswith(PREFIX):
        family = _PREFIX_FAMILY.match(text)
        if family:
            raise UnsupportedVersion(
                f"this is a version {int(family.group(1))} codeid code; "
                f"this verifier reads version {FORMAT_VERSION}",
                version=int(family.group(1)),
            )
        raise NotACodeidCode(f"not a codeid code: it does not start with {PREFIX!r}")
    body = text[len(PREFIX) :]
    if len(body) > MAX_PAYLOAD_CHARS:
        raise MalformedCode(f"the code is {len(body)} characters, longer than any codeid code")
    try:
        decoded: bytes = base45.b45decode(body)
    except ValueError:
        raise MalformedCode("the code is damaged: its body is not valid Base45") from None
    return decoded


def parse_code(text: str) -> ParsedCode:
    """Parse a payload strictly. Trust nothing yet: the signature is checked by verify_code."""
    message = _loads(cose_bytes_from_text(text), "the code")
    if not isinstance(message, cbor2.CBORTag) or message.tag != COSE_SIGN1_TAG:
        raise MalformedCode("the code is not a COSE_Sign1 message (CBOR tag 18)")
    parts = message.value
    if not isinstance(parts, list | tuple) or len(parts) != 4:
        raise MalformedCode("a COSE_Sign1 message is an array of 4 items")
    protected, unprotected, payload, signature = parts
    if not isinstance(protected, bytes) or not isinstance(payload, bytes):
        raise MalformedCode("the COSE protected header and payload must be byte strings")
    if not isinstance(unprotected, Mapping) or unprotected:
        raise MalformedCode("the COSE unprotected header must be empty")
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_BYTES:
        raise MalformedCode(f"an Ed25519 signature is {SIGNATURE_BYTES} bytes")
    kid = _protected_kid(_loads(protected, "the protected header"))
    claims = _claims(_loads(payload, "the claims"), kid)
    return ParsedCode(claims, _sig_structure(protected, payload), signature)


def _int_keyed(value: Any) -> bool:
    """A map whose keys are all integers: CBOR true, simple values and floats compare equal
    to small ints in Python (True == 1, 4.0 == 4), so a set comparison alone lets them in."""
    return isinstance(value, Mapping) and all(type(key) is int for key in value)


def _protected_kid(header: Any) -> str:
    if not _int_keyed(header) or set(header) != {HEADER_ALG, HEADER_KID}:
        raise MalformedCode("the protected header must hold exactly alg (1) and kid (4)")
    alg = header[HEADER_ALG]
    if type(alg) is not int or alg != ALG_EDDSA:
        raise MalformedCode(f"unsupported algorithm {alg!r}; codeid codes use EdDSA (-8)")
    kid = header[HEADER_KID]
    if not isinstance(kid, bytes) or len(kid) != KID_BYTES:
        raise MalformedCode(f"the kid header must be {KID_BYTES} bytes")
    return b64url_encode(kid)


def _claims(claims: Any, kid: str) -> CodeClaims:
    if not _int_keyed(claims) or set(claims) not in (_CLAIM_KEYS, _MANDATE_CLAIM_KEYS):
        raise MalformedCode(
            "the claims must be exactly sub, exp, iat, cti and kind (and, in a dynamic code, "
            "optionally the mandate)"
        )
    wire_kind = claims[CLAIM_KIND]
    kind = _WIRE_TO_KIND.get(wire_kind) if type(wire_kind) is int else None
    if kind is None:
        raise MalformedCode(f"unknown code kind {wire_kind!r}")
    mandate_id = None
    if CLAIM_MANDATE in claims:
        mandate_id = claims[CLAIM_MANDATE]
        if kind is not CodeKind.DYNAMIC:
            raise MalformedCode("a static code cannot name a mandate")
        if type(mandate_id) is not int or not 1 <= mandate_id <= MAX_MANDATE_ID:
            raise MalformedCode("the mandate claim must be a uint32 id of at least 1")
    uscc, cti = claims[CLAIM_SUB], claims[CLAIM_CTI]
    if not isinstance(uscc, str) or not _USCC_SHAPE.fullmatch(uscc):
        raise MalformedCode("the subject (sub) must be an 18-character USCC")
    size = cti_bytes(kind, mandate_id=mandate_id)
    if not isinstance(cti, bytes) or len(cti) != size:
        raise MalformedCode(f"a {kind} code id (cti) is {size} bytes")
    iat, exp = claims[CLAIM_IAT], claims[CLAIM_EXP]
    for name, value in (("iat", iat), ("exp", exp)):
        if type(value) is not int or not 0 <= value <= MAX_NUMERIC_DATE:
            raise MalformedCode(f"{name} must be a uint32 NumericDate (seconds since 1970)")
    if exp <= iat:
        raise MalformedCode("the code expires before it is issued")
    return CodeClaims(
        kind=kind,
        uscc=uscc,
        code_id=cti.hex(),
        issued_at=datetime.fromtimestamp(iat, UTC),
        expires_at=datetime.fromtimestamp(exp, UTC),
        kid=kid,
        mandate_id=mandate_id,
    )


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    # RFC 9052 §4.4: ["Signature1", body_protected, external_aad, payload]
    return _dumps(["Signature1", protected, b"", payload])


def _dumps(value: Any) -> bytes:
    encoded: bytes = cbor2.dumps(value, canonical=True)
    return encoded


def _loads(data: bytes, what: str) -> Any:
    stream = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(
        stream, max_depth=8, allow_indefinite=False, allow_duplicate_keys=False
    )
    try:
        value = decoder.decode()
    # Arbitrary bytes: the decoder may fail in any of these ways (all are "not CBOR").
    except (cbor2.CBORError, ValueError, TypeError, LookupError, OverflowError, RecursionError):
        raise MalformedCode(f"{what} is not valid CBOR") from None
    if stream.tell() != len(data):
        raise MalformedCode(f"{what} has trailing bytes after its CBOR value")
    return value


def _numeric_date(moment: datetime, name: str) -> int:
    if moment.tzinfo is None:
        raise InvalidInput(f"{name} must be timezone-aware (UTC)")
    if moment.microsecond:
        raise InvalidInput(f"{name} must be a whole second; codes carry NumericDates")
    seconds = int(moment.timestamp())
    if not 0 <= seconds <= MAX_NUMERIC_DATE:
        raise InvalidInput(f"{name} is outside 1970..2106, the range of a uint32 NumericDate")
    return seconds
