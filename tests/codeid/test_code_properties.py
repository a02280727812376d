"""Property tests of the code parser and the offline verifier, against the format's rules.

Every property draws real codes (real Ed25519 keys, random claims), damages them in one way,
and states the exact reason docs/code-format.md gives for that damage, worked out from the
layout of the message (which the layout helper checks against every code it uses). Only
CodeRejected comes out of verify_code: any other exception fails the test. The runs are
bounded and derandomized (the same examples every run); the counts add up to about 11,000.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import base45
import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from codeid.codes.errors import CodeRejected
from codeid.codes.issue import issue_dynamic_code, issue_static_code
from codeid.codes.payload import MAX_PAYLOAD_CHARS, PREFIX, CodeKind, sign_code_cbor
from codeid.codes.verify import DEFAULT_LEEWAY, verify_code
from codeid.entities.models import Entity, EntityStatus
from codeid.keys.jwks import (
    PublicKeySet,
    b64url_encode,
    jwks_document,
    kid_to_bytes,
    public_key_set_from_jwks,
)
from codeid.keys.keyring import KeyRing, Signer


def _signer(seed: int) -> Signer:
    return Signer.from_private_key(Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32))


TRUSTED, SECOND, LEAKED = _signer(1), _signer(2), _signer(3)
SIGNERS = {signer.kid: signer for signer in (TRUSTED, SECOND, LEAKED)}
KEYS = PublicKeySet([TRUSTED.public_key(), SECOND.public_key()], compromised=[LEAKED.kid])
USCC_SHAPE = re.compile(r"[0-9A-Z]{18}")
BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BASE45 = BASE36 + " $%*+-./:"
FAMILY = re.compile(r"CID[0-9]{1,6}:")
MAX_DATE = 2**32 - 1
Y2001, Y2100 = 978_307_200, 4_102_444_800  # NumericDates of 4 bytes (uint32) both


def _run(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def _reason(text: str, *, keys: PublicKeySet = KEYS, now: datetime) -> str:
    """verify_code's verdict; anything but a CodeRejected propagates and fails the test."""
    try:
        verify_code(text, keys=keys, now=now)
    except CodeRejected as refused:
        reason: str = refused.reason
        assert refused.code == f"code-{reason}"
        return reason
    return "ok"


def _when(seconds: int, micro: int = 0) -> datetime:
    return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=micro)


def _text(message: bytes) -> str:
    body: str = base45.b45encode(message).decode("ascii")
    return PREFIX + body


# --- genuine codes and their layout --------------------------------------------------------


@dataclass(frozen=True)
class Code:
    kind: CodeKind
    uscc: str
    iat: int
    exp: int
    cti: bytes
    mandate: int | None
    signer: Signer
    message: bytes

    @property
    def text(self) -> str:
        return _text(self.message)

    @property
    def valid_at(self) -> datetime:
        return _when(self.iat)

    def layout(self) -> dict[str, range]:
        """Where each value sits in the message (fixed by the format for these sizes)."""
        size = len(self.message)
        payload = 19  # tag, array, protected bstr (1 + 13), unprotected {}, bstr header (2)
        cti_at = payload + 35
        kind_at = cti_at + len(self.cti) + 5
        regions = {
            "kid": range(8, 16),
            "sub": range(payload + 3, payload + 21),
            "exp": range(payload + 23, payload + 27),
            "iat": range(payload + 29, payload + 33),
            "cti": range(cti_at, cti_at + len(self.cti)),
            "signature": range(size - 64, size),
        }
        if self.mandate is not None:
            regions["mandate"] = range(kind_at + 7, kind_at + 11)
        m = self.message
        assert m[regions["kid"].start : regions["kid"].stop] == kid_to_bytes(self.signer.kid)
        assert m[payload + 3 : payload + 21] == self.uscc.encode()
        assert int.from_bytes(m[payload + 23 : payload + 27]) == self.exp
        assert int.from_bytes(m[payload + 29 : payload + 33]) == self.iat
        assert m[cti_at : cti_at + len(self.cti)] == self.cti
        assert m[kind_at] == (1 if self.kind is CodeKind.STATIC else 2)
        if self.mandate is not None:
            assert int.from_bytes(m[kind_at + 7 : kind_at + 11]) == self.mandate
        return regions


def _base36(number: int) -> str:
    digits = []
    for _ in range(18):
        number, digit = divmod(number, 36)
        digits.append(BASE36[digit])
    return "".join(digits)


@st.composite
def codes(draw: st.DrawFn, signers: tuple[Signer, ...] = (TRUSTED, SECOND)) -> Code:
    """A genuine code: any kind, subject, id and lifetime; a mandate id of 4 bytes or none."""
    kind = draw(st.sampled_from(CodeKind))
    mandate = None
    if kind is CodeKind.DYNAMIC:
        mandate = draw(st.none() | st.integers(2**16, MAX_DATE))
    iat = draw(st.integers(Y2001, Y2100))
    exp = draw(st.integers(iat + 1, min(iat + 20 * 365 * 86400, MAX_DATE)))
    cti_size = 8 if kind is CodeKind.STATIC or mandate is not None else 12
    # One integer each (cheaper to draw than a byte or a character at a time).
    cti = draw(st.integers(0, 2 ** (8 * cti_size) - 1)).to_bytes(cti_size)
    uscc = _base36(draw(st.integers(0, 36**18 - 1)))
    signer = draw(st.sampled_from(signers))
    message = sign_code_cbor(
        kind=kind,
        uscc=uscc,
        cti=cti,
        issued_at=_when(iat),
        expires_at=_when(exp),
        signer=signer,
        mandate_id=mandate,
    )
    return Code(kind, uscc, iat, exp, cti, mandate, signer, message)


# --- the rule for an edit that keeps the message's length -----------------------------------


def expected_for_bytes(code: Code, edited: bytes, *, keys: PublicKeySet = KEYS) -> str:
    """The reason for a message whose bytes changed in place (verified at a valid time).

    Values may change within their rules: the kid (any 8 bytes), the subject (characters
    0-9 A-Z), the times (exp > iat), the code id (any bytes), the mandate (1 or more), the
    signature (any 64 bytes). Every other byte is structure: tag, array and map headers,
    labels and keys, lengths, the algorithm, the kind; changing one is malformed.
    """
    assert len(edited) == len(code.message)
    changed = [i for i, (a, b) in enumerate(zip(code.message, edited, strict=True)) if a != b]
    regions = code.layout()
    region_of = {i: name for name, span in regions.items() for i in span}
    touched = {region_of.get(i, "structure") for i in changed}

    def value(name: str) -> int:
        span = regions[name]
        return int.from_bytes(edited[span.start : span.stop])

    sub = edited[regions["sub"].start : regions["sub"].stop]
    if (
        "structure" in touched
        or not USCC_SHAPE.fullmatch(sub.decode("latin-1"))
        or value("exp") <= value("iat")
        or ("mandate" in touched and value("mandate") == 0)
    ):
        return "malformed"
    kid = b64url_encode(edited[regions["kid"].start : regions["kid"].stop])
    if kid in keys.compromised:
        return "key-compromised"
    if kid not in keys:
        return "unknown-key"
    return "bad-signature" if changed else "ok"


def expected_for_text(code: Code, typed: str, *, keys: PublicKeySet = KEYS) -> str:
    """The reason for a text edited in place (same length), at a time the code is valid."""
    text = typed.strip().upper()  # what every verifier does first (scan-gun tolerance)
    if not text.startswith(PREFIX):
        return "unsupported-version" if FAMILY.match(text) else "not-codeid"
    body = text.removeprefix(PREFIX)
    if len(text) != len(code.text):
        return "malformed"  # characters lost at either end: a cut Base45 text
    try:
        message = base45.b45decode(body)
    except ValueError:
        return "malformed"
    return expected_for_bytes(code, message, keys=keys)


# --- properties: arbitrary input -----------------------------------------------------------


def _expected_for_junk(text: str) -> str:
    normal = text.strip().upper()
    if normal.startswith(PREFIX):
        return "malformed"  # no random body is a signed COSE_Sign1 of our shape
    return "unsupported-version" if FAMILY.match(normal) else "not-codeid"


PREFIXES = st.sampled_from(["", "CID1:", "cid1:", " \tCID1:", "CID", "CID2:", "CID10:", "CID01:"])
prefixed_text = st.builds(
    str.__add__, PREFIXES | st.from_regex(r"\s*[cC][iI][dD]\d{0,7}:?", fullmatch=True), st.text()
)


@_run(1500)
@given(text=st.text() | prefixed_text)
@example(text="CID١:")  # an Arabic-Indic digit one: not a version number of ours
@example(text="CID１:RRQT")  # a full-width digit
@example(text="cıd1:")  # dotless i upper-cases to I: this is our prefix, then nothing
def test_any_text_is_refused_by_its_prefix_rule(text: str) -> None:
    assert _reason(text, now=_when(Y2001)) == _expected_for_junk(text)


@_run(600)
@given(body=st.binary(max_size=400))
def test_any_bytes_behind_the_prefix_are_malformed(body: bytes) -> None:
    assert _reason(_text(body), now=_when(Y2001)) == "malformed"


# --- properties: real codes, damaged --------------------------------------------------------


@_run(600)
@given(code=codes(), data=st.data())
def test_a_changed_signature_byte_is_a_bad_signature(code: Code, data: st.DataObject) -> None:
    position = data.draw(st.integers(len(code.message) - 64, len(code.message) - 1))
    flip = data.draw(st.integers(1, 255))
    edited = bytearray(code.message)
    edited[position] ^= flip
    assert _reason(_text(bytes(edited)), now=code.valid_at) == "bad-signature"


Edits = list[tuple[int, int]]  # (position, new byte); positions wrap around the message
EDITS = st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255)), min_size=1, max_size=3)


def _edited_bytes(code: Code, edits: Edits) -> bytes:
    edited = bytearray(code.message)
    for position, byte in edits:
        edited[position % len(edited)] = byte
    return bytes(edited)


FIXED = Code(
    CodeKind.STATIC,
    "91350100M000100Y43",
    Y2001,
    Y2100,
    bytes(8),
    None,
    TRUSTED,
    sign_code_cbor(
        kind=CodeKind.STATIC,
        uscc="91350100M000100Y43",
        cti=bytes(8),
        issued_at=_when(Y2001),
        expires_at=_when(Y2100),
        signer=TRUSTED,
    ),
)


@_run(2200)
@given(code=codes(), edits=EDITS)
# Map keys equal to an int without being one were taken for it (a bug, fixed in the parser):
@example(code=FIXED, edits=[(4, 0xF5)])  # alg label 1 -> true
@example(code=FIXED, edits=[(4, 0xE1)])  # alg label 1 -> simple(1)
@example(code=FIXED, edits=[(6, 0xE4)])  # kid label 4 -> simple(4)
@example(code=FIXED, edits=[(20, 0xE2)])  # sub claim key 2 -> simple(2)
@example(code=FIXED, edits=[(52, 0xE7)])  # cti claim key 7 -> simple(7)
def test_bytes_changed_in_place_are_refused_by_the_rule_for_their_place(
    code: Code, edits: Edits
) -> None:
    edited = _edited_bytes(code, edits)
    assert _reason(_text(edited), now=code.valid_at) == expected_for_bytes(code, edited)


def _upper_keeps_length(ch: str) -> bool:
    return len(ch.upper()) == 1


@_run(1300)
@given(code=codes(), data=st.data())
def test_characters_changed_in_place_are_refused_by_the_rule_for_their_place(
    code: Code, data: st.DataObject
) -> None:
    text = list(code.text)
    replacement = st.sampled_from(BASE45 + "abcxyz\t") | st.characters().filter(_upper_keeps_length)
    for _ in range(data.draw(st.integers(1, 2))):
        text[data.draw(st.integers(0, len(text) - 1))] = data.draw(replacement)
    typed = "".join(text)
    assert _reason(typed, now=code.valid_at) == expected_for_text(code, typed)


@_run(500)
@given(code=codes(), data=st.data())
def test_a_cut_code_is_not_codeid_or_malformed(code: Code, data: st.DataObject) -> None:
    cut = code.text[: data.draw(st.integers(0, len(code.text) - 1))]
    expected = "not-codeid" if len(cut) < len(PREFIX) else "malformed"
    assert _reason(cut, now=code.valid_at) == expected


@_run(300)
@given(code=codes(), data=st.data())
def test_a_cut_message_is_malformed(code: Code, data: st.DataObject) -> None:
    cut = code.message[: data.draw(st.integers(0, len(code.message) - 1))]
    assert _reason(_text(cut), now=code.valid_at) == "malformed"


@_run(500)
@given(code=codes(), tail=st.text(min_size=1, max_size=40))
def test_text_after_a_code_is_malformed_unless_it_is_whitespace(code: Code, tail: str) -> None:
    typed = code.text + tail
    normal = typed.strip().upper()
    assert normal.startswith(code.text)
    expected = "ok" if normal == code.text else "malformed"
    assert _reason(typed, now=code.valid_at) == expected


@_run(250)
@given(code=codes(), lead=st.text(" \t\r\n", max_size=3), trail=st.text(" \t\r\n", max_size=3))
def test_scan_gun_case_and_surrounding_whitespace_are_tolerated(
    code: Code, lead: str, trail: str
) -> None:
    for typed in (code.text, code.text.lower(), code.text.swapcase()):
        assert _reason(lead + typed + trail, now=code.valid_at) == "ok"


# --- properties: keys and time ---------------------------------------------------------------


@_run(600)
@given(
    code=codes(),
    anchor=st.sampled_from(["iat", "exp"]),
    offset=st.integers(-10, 10) | st.integers(-(10**9), 10**9),
    micro=st.integers(0, 999_999),
)
def test_time_decides_between_not_yet_valid_ok_and_expired(
    code: Code, anchor: str, offset: int, micro: int
) -> None:
    now = _when(max(0, (code.iat if anchor == "iat" else code.exp) + offset), micro)
    if now + DEFAULT_LEEWAY < _when(code.iat):
        expected = "not-yet-valid"
    elif now - DEFAULT_LEEWAY >= _when(code.exp):
        expected = "expired"
    else:
        expected = "ok"
    assert _reason(code.text, now=now) == expected


@_run(250)
@given(seed=st.binary(min_size=32, max_size=32), data=st.data())
def test_a_key_outside_the_set_is_unknown_key_at_any_time(seed: bytes, data: st.DataObject) -> None:
    stranger = Signer.from_private_key(Ed25519PrivateKey.from_private_bytes(seed))
    if stranger.kid in SIGNERS:
        return  # one of our own seeds: not a stranger
    code = data.draw(codes(signers=(stranger,)))
    now = _when(data.draw(st.integers(0, MAX_DATE)))
    assert _reason(code.text, now=now) == "unknown-key"


@_run(250)
@given(code=codes(signers=(LEAKED,)), when=st.integers(0, MAX_DATE))
def test_a_compromised_key_is_refused_as_such_online_and_unknown_offline(
    code: Code, when: int
) -> None:
    assert _reason(code.text, now=_when(when)) == "key-compromised"
    published = public_key_set_from_jwks(jwks_document(KEYS))
    assert LEAKED.kid not in published and not published.compromised
    assert _reason(code.text, keys=published, now=_when(when)) == "unknown-key"


# --- properties: the structure, rebuilt from parts (a model of the format) --------------------

SCALARS = (
    st.integers(-(2**70), 2**70)
    | st.booleans()
    | st.none()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.binary(max_size=16)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.integers(-5, 5), inner, max_size=3)
    ),
    max_leaves=5,
)
# Keys equal to an int without being one: true == 1, 4.0 == 4, simple value 2 == 2.
LOOKALIKE_KEYS = {1: True, 2: cbor2.CBORSimpleValue(2), 4: 4.0, 6: 6.0, 7: cbor2.CBORSimpleValue(7)}


def _is_int(value: object, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def protected_ok(header: object) -> bool:
    return (
        isinstance(header, dict)
        and all(type(key) is int for key in header)
        and set(header) == {1, 4}
        and _is_int(header[1], -8, -8)
        and type(header[4]) is bytes
        and len(header[4]) == 8
    )


def claims_ok(claims: object) -> bool:
    """The claim rules of docs/code-format.md, written out again independently."""
    base = {2, 4, 6, 7, -65537}
    if not isinstance(claims, dict) or not all(type(key) is int for key in claims):
        return False
    if set(claims) not in (base, base | {-65538}):
        return False
    kind, mandate = claims[-65537], claims.get(-65538)
    if not _is_int(kind, 1, 2):
        return False
    if -65538 in claims and (kind != 2 or not _is_int(mandate, 1, MAX_DATE)):
        return False
    sub, cti, iat, exp = claims[2], claims[7], claims[6], claims[4]
    cti_size = 8 if kind == 1 or -65538 in claims else 12
    return (
        type(sub) is str
        and USCC_SHAPE.fullmatch(sub) is not None
        and type(cti) is bytes
        and len(cti) == cti_size
        and _is_int(iat, 0, MAX_DATE)
        and _is_int(exp, 0, MAX_DATE)
        and exp > iat
    )


def _edit_map(
    data: st.DataObject, original: dict[Any, Any], keys: list[int], label: str
) -> dict[Any, Any]:
    edited = dict(original)
    for _ in range(data.draw(st.integers(0, 2), label=f"{label} edits")):
        key = data.draw(st.sampled_from([*keys, -65538, 1, 3, -65539]), label=f"{label} key")
        action = data.draw(st.sampled_from(["set", "delete", "lookalike"]), label=label)
        if action == "delete":
            edited.pop(key, None)
        elif action == "lookalike" and key in LOOKALIKE_KEYS and key in edited:
            rebuilt: dict[Any, Any] = {}
            for k, v in edited.items():
                rebuilt[LOOKALIKE_KEYS[key] if k == key and type(k) is int else k] = v
            edited = rebuilt
        else:
            plausible = {
                2: st.from_regex(USCC_SHAPE, fullmatch=True),
                4: st.integers(-1, 2**32),
                6: st.integers(-1, 2**32),
                7: st.binary(min_size=7, max_size=13),
                -65537: st.integers(0, 3),
                -65538: st.integers(0, 2**32),
                1: st.sampled_from([-8, -7]),
            }.get(key, VALUES)
            edited[key] = data.draw(plausible | VALUES, label=f"{label} value")
    return edited


@_run(1800)
@given(code=codes(signers=(TRUSTED, SECOND, LEAKED)), data=st.data())
def test_rebuilt_messages_get_the_reason_of_the_first_rule_they_break(
    code: Code, data: st.DataObject
) -> None:
    tag, items = _decode(code.message)
    protected_map, claims = cbor2.loads(items[0]), cbor2.loads(items[2])
    header = _edit_map(data, protected_map, [1, 4], "header")
    if data.draw(st.booleans(), label="swap kid") and 4 in header:
        header[4] = data.draw(
            st.sampled_from([kid_to_bytes(k) for k in SIGNERS]) | st.binary(min_size=7, max_size=9)
        )
    new_claims = _edit_map(data, claims, [2, 4, 6, 7, -65537], "claims")
    canonical = data.draw(st.booleans(), label="canonical")
    protected = cbor2.dumps(header, canonical=canonical)
    payload = cbor2.dumps(new_claims, canonical=canonical)
    signing = data.draw(st.sampled_from(["keep", "resign", "random"]), label="signature")
    resigned_by = None
    if signing == "keep":
        signature = items[3]
    elif signing == "resign":
        resigned_by = data.draw(st.sampled_from(list(SIGNERS.values())), label="signer")
        signature = resigned_by.sign(cbor2.dumps(["Signature1", protected, b"", payload]))
    else:
        signature = data.draw(st.binary(min_size=64, max_size=64), label="random signature")
    message = cbor2.dumps(cbor2.CBORTag(tag, [protected, {}, payload, signature]))
    text = _text(message)

    now_at = data.draw(st.integers(Y2001, Y2100), label="now")
    if claims_ok(new_claims):
        now_at = data.draw(st.sampled_from([new_claims[6], new_claims[4], now_at]), label="at")
    now = _when(now_at)

    expected: str
    if len(text) - len(PREFIX) > MAX_PAYLOAD_CHARS or not (
        protected_ok(header) and claims_ok(new_claims)
    ):
        expected = "malformed"
    elif (kid := b64url_encode(header[4])) in KEYS.compromised:
        expected = "key-compromised"
    elif kid not in KEYS:
        expected = "unknown-key"
    elif not (
        (resigned_by is not None and resigned_by.kid == kid)
        or (signing == "keep" and (protected, payload) == (items[0], items[2]))
    ):
        expected = "bad-signature"
    elif now + DEFAULT_LEEWAY < _when(new_claims[6]):
        expected = "not-yet-valid"
    elif now - DEFAULT_LEEWAY >= _when(new_claims[4]):
        expected = "expired"
    else:
        expected = "ok"
    assert _reason(text, now=now) == expected


def _decode(message: bytes) -> tuple[int, list[Any]]:
    tagged = cbor2.loads(message)
    return tagged.tag, list(tagged.value)


# --- codes issued through the registry: KeyRing, issue_static_code, issue_dynamic_code -------

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
USCC = "91350100M000100Y43"


def test_issued_codes_obey_the_same_rules(session: Session) -> None:
    """Real codes from a real key ring, rotated, one key marked compromised: every in-place
    edit gets the reason of its place, on SQLite and PostgreSQL."""
    session.add(
        Entity(
            uscc=USCC,
            name="Property Ltd",
            entity_type="company",
            status=EntityStatus.ACTIVE.value,
            created_at=NOW,
            updated_at=NOW,
        )
    )
    ring = KeyRing(session, master_secret=bytes(range(32)))
    ring.ensure_active(NOW)
    old = ring.active_signer()
    leaked = [issue_static_code(session, uscc=USCC, signer=old, now=NOW, ttl=timedelta(days=9))]
    ring.compromise(old.kid, NOW)
    new = ring.active_signer()
    issued = [
        issue_static_code(session, uscc=USCC, signer=new, now=NOW, ttl=timedelta(days=9)),
        issue_dynamic_code(session, uscc=USCC, signer=new, now=NOW),
    ]
    session.commit()
    keys = ring.public_keys()
    assert old.kid in keys.compromised and old.kid not in keys and new.kid in keys
    real = [_as_code(code.payload, new if code in issued else old) for code in issued + leaked]

    @_run(150)
    @given(
        code=st.sampled_from(real), edits=st.lists(st.tuples(st.integers(), st.integers(0, 255)))
    )
    def edited_in_place(code: Code, edits: Edits) -> None:
        edited = _edited_bytes(code, edits)
        expected = expected_for_bytes(code, edited, keys=keys)
        assert _reason(_text(edited), keys=keys, now=NOW) == expected

    edited_in_place()


def _as_code(payload: str, signer: Signer) -> Code:
    message = base45.b45decode(payload.removeprefix(PREFIX))
    _, items = _decode(message)
    claims = cbor2.loads(items[2])
    kind = CodeKind.STATIC if claims[-65537] == 1 else CodeKind.DYNAMIC
    return Code(kind, claims[2], claims[6], claims[4], claims[7], None, signer, message)
