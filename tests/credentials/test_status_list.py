"""Token Status List: encoding against the draft's vectors and an independent decoder, race-safe
slot allocation on SQLite and PostgreSQL, and the signed token checked with jwcrypto."""

from __future__ import annotations

import base64
import json
import random
import secrets
import threading
import zlib
from datetime import UTC, date, datetime, timedelta

import jwt
import pytest
from jwcrypto import jwk, jws
from sqlalchemy import Engine
from sqlmodel import Session

from codeid.db import transaction
from codeid.keys.jwks import PublicKeySet, jwks_document
from codeid.keys.keyring import KeyRing, Signer
from credentials.errors import (
    InvalidStatusList,
    StatusIndexOutOfRange,
    StatusListNotFound,
    StatusListTokenRejected,
)
from credentials.models import Licence, LicenceStatus
from credentials.status_list import (
    STATUS_INVALID,
    STATUS_SUSPENDED,
    STATUS_VALID,
    allocate_status_index,
    build_status_list_token,
    decode_status_list,
    encode_status_list,
    issue_status_list_token,
    read_status_from_token,
    status_list_ids,
    status_value,
)

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
URI = "https://codeid.example.cn/v1/status-lists/1"
HOLDER = "91350100M000100Y43"
ISSUER = "11100000000013338W"


def spec_decode(doc: dict[str, object]) -> list[int]:
    """Written from the draft, sharing nothing with credentials.status_encoding: base64url
    without padding -> ZLIB inflate -> each byte's bits read from bit 0 (least significant)
    upwards, ``bits`` at a time, each group least significant bit first."""
    bits, lst = doc["bits"], doc["lst"]
    assert isinstance(bits, int) and isinstance(lst, str)
    assert "=" not in lst
    raw = zlib.decompress(base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)))
    values = []
    for byte in raw:
        lsb_first = f"{byte:08b}"[::-1]  # character k is bit k
        for start in range(0, 8, bits):
            values.append(int(lsb_first[start : start + bits][::-1], 2))
    return values


# --- encoding -------------------------------------------------------------------------------

SPEC_1BIT = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
SPEC_2BIT = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]


def test_encoding_reproduces_the_drafts_examples() -> None:
    # draft-ietf-oauth-status-list, "Status List" and "Further Examples" (bytes b9 a3 / c9 44 f9)
    assert encode_status_list(SPEC_1BIT, bits=1) == {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}
    assert encode_status_list(SPEC_2BIT, bits=2) == {"bits": 2, "lst": "eNo76fITAAPfAgc"}
    assert zlib.decompress(base64.urlsafe_b64decode("eNo76fITAAPfAgc=")) == bytes.fromhex("c944f9")


def test_decoding_the_drafts_examples() -> None:
    view = decode_status_list({"bits": 1, "lst": "eNrbuRgAAhcBXQ"})
    assert [view.get(i) for i in range(16)] == SPEC_1BIT
    view = decode_status_list({"bits": 2, "lst": "eNo76fITAAPfAgc"})
    assert len(view) == 12
    assert [view.get(i) for i in range(12)] == SPEC_2BIT


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_round_trip_against_the_independent_decoder(bits: int) -> None:
    rng = random.Random(bits)
    for length in (1, 7, 1000, 131_072 + 3):
        values = [rng.randrange(1 << bits) for _ in range(length)]
        doc = encode_status_list(bytes(values), bits=bits)
        decoded = spec_decode(doc)
        per_byte = 8 // bits
        assert len(decoded) == length + (-length % per_byte)  # padded with VALID to a byte
        assert decoded[:length] == values and not any(decoded[length:])
        view = decode_status_list(doc)
        assert [view.get(i) for i in range(0, length, 97)] == values[::97]


def test_encoding_refuses_values_that_do_not_fit() -> None:
    with pytest.raises(InvalidStatusList, match="value 4 at index 2 does not fit in 2 bits"):
        encode_status_list([0, 1, 4, 0])
    with pytest.raises(InvalidStatusList, match="bits is 1, 2, 4 or 8, not 3"):
        encode_status_list([0, 1], bits=3)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "a JSON object"),
        ({"bits": 3, "lst": "eNrbuRgAAhcBXQ"}, "bits is 1, 2, 4 or 8"),
        ({"bits": True, "lst": "eNrbuRgAAhcBXQ"}, 'no integer "bits"'),
        ({"bits": 2}, 'no "lst"'),
        ({"bits": 2, "lst": "eNrbuRgAAhcBXQ=="}, "unpadded base64url"),
        ({"bits": 2, "lst": base64.urlsafe_b64encode(b"hello").decode().rstrip("=")}, "ZLIB"),
        ({"bits": 2, "lst": "eNrbuRgAAhcB"}, "truncated"),
        (
            {"bits": 2, "lst": base64.urlsafe_b64encode(zlib.compress(b"")).decode().rstrip("=")},
            "no entries",
        ),
    ],
)
def test_decoding_refuses_malformed_lists(doc: object, message: str) -> None:
    with pytest.raises(InvalidStatusList, match=message):
        decode_status_list(doc)


def test_decoding_refuses_a_decompression_bomb() -> None:
    bomb = zlib.compress(bytes(17 * 1024 * 1024), 9)
    lst = base64.urlsafe_b64encode(bomb).decode().rstrip("=")
    with pytest.raises(InvalidStatusList, match="inflates to more than"):
        decode_status_list({"bits": 2, "lst": lst})


def test_reading_outside_the_list_fails() -> None:
    view = decode_status_list(encode_status_list([0] * 8))
    with pytest.raises(StatusIndexOutOfRange, match="index 8 is outside the status list"):
        view.get(8)
    with pytest.raises(StatusIndexOutOfRange):
        view.get(-1)


@pytest.mark.parametrize(
    ("status", "value"),
    [
        (LicenceStatus.VALID, STATUS_VALID),
        (LicenceStatus.SUSPENDED, STATUS_SUSPENDED),
        (LicenceStatus.REVOKED, STATUS_INVALID),
        (LicenceStatus.SUPERSEDED, STATUS_INVALID),
    ],
)
def test_status_value(status: LicenceStatus, value: int) -> None:
    assert status_value(_licence(1, status=status.value, list_id="1", index=0)) == value


def test_status_value_refuses_an_unknown_status() -> None:
    with pytest.raises(InvalidStatusList, match="'expired' has no status list value"):
        status_value(_licence(1, status="expired", list_id="1", index=0))


# --- allocation -----------------------------------------------------------------------------


def test_allocation_fills_a_list_then_opens_the_next(session: Session) -> None:
    slots = [allocate_status_index(session, now=NOW, list_size=3) for _ in range(7)]
    session.commit()
    assert slots == [("1", 0), ("1", 1), ("1", 2), ("2", 0), ("2", 1), ("2", 2), ("3", 0)]
    assert status_list_ids(session) == ["1", "2", "3"]


def test_a_rolled_back_allocation_gives_its_slot_back(engine: Engine) -> None:
    with transaction(engine) as session:
        assert allocate_status_index(session, now=NOW, list_size=10) == ("1", 0)
    with Session(engine) as session:
        assert allocate_status_index(session, now=NOW) == ("1", 1)
        session.rollback()
    with transaction(engine) as session:
        assert allocate_status_index(session, now=NOW) == ("1", 1)


def test_concurrent_allocations_never_share_a_slot(engine: Engine) -> None:
    threads, per_thread, list_size = 8, 25, 30
    start = threading.Barrier(threads)
    taken: list[tuple[str, int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                # One transaction per slot, as issuing a licence does.
                with transaction(engine) as session:
                    slot = allocate_status_index(session, now=NOW, list_size=list_size)
                with lock:
                    taken.append(slot)
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    total = threads * per_thread
    assert len(taken) == total and len(set(taken)) == total
    # Nothing rolled back, so the lists are dense: 200 slots = 6 full lists of 30 + 20.
    expected = {(str(n + 1), i) for n in range(total // list_size) for i in range(list_size)}
    expected |= {(str(total // list_size + 1), i) for i in range(total % list_size)}
    assert set(taken) == expected


# --- the signed token -----------------------------------------------------------------------


def _licence(
    n: int, *, status: str, list_id: str, index: int, valid_until: date | None = None
) -> Licence:
    return Licence(
        identifier=f"1.2.156.3005.2.11100000000013338W011.{ISSUER}.{n:08d}.001.X",
        type_code="business-licence",
        holder_uscc=HOLDER,
        issuer_uscc=ISSUER,
        licence_number=f"N{n:06d}",
        serial=f"{n:08d}",
        version=1,
        fields={"name": f"entity {n}"},
        issue_date=date(2025, 1, 1),
        valid_from=date(2025, 1, 1),
        valid_until=valid_until,
        status=status,
        status_list=list_id,
        status_index=index,
        jws="not.signed.here",
        created_at=NOW,
        updated_at=NOW,
    )


def _signer(
    session: Session, ring_name: str = "platform"
) -> tuple[Signer, dict[str, list[dict[str, str]]], PublicKeySet]:
    ring = KeyRing(session, ring=ring_name, master_secret=secrets.token_bytes(32))
    ring.ensure_active(NOW)
    return ring.active_signer(), jwks_document(ring.public_keys()), ring.public_keys()


def _seed(session: Session, statuses: list[str], *, list_size: int = 64) -> list[Licence]:
    """One licence per status, each in the slot allocation gives it."""
    licences = []
    for n, status in enumerate(statuses):
        list_id, index = allocate_status_index(session, now=NOW, list_size=list_size)
        valid_until = date(2025, 12, 31) if status == "expired" else None
        stored = LicenceStatus.VALID.value if status == "expired" else status
        licence = _licence(n, status=stored, list_id=list_id, index=index, valid_until=valid_until)
        session.add(licence)
        licences.append(licence)
    session.commit()
    return licences


STATUSES = ["valid", "suspended", "revoked", "superseded", "expired", "valid", "revoked"]
EXPECTED = [0, 2, 1, 1, 0, 0, 1]  # the expired licence stays VALID: expiry is by date


def test_token_verifies_with_jwcrypto_and_decodes_independently(session: Session) -> None:
    _seed(session, STATUSES)
    signer, jwks, _ = _signer(session)
    token = build_status_list_token(
        session, "1", signer=signer, now=NOW, ttl=timedelta(minutes=5), uri=URI
    )

    # The verifier holds only the published JWKS, as JSON.
    keyset = jwk.JWKSet.from_json(json.dumps(jwks))
    checked = jws.JWS()
    checked.deserialize(token)
    checked.verify(keyset.get_key(signer.kid), alg="EdDSA")
    assert checked.jose_header == {"alg": "EdDSA", "kid": signer.kid, "typ": "statuslist+jwt"}
    claims = json.loads(checked.payload)
    assert claims["sub"] == URI
    assert claims["iat"] == int(NOW.timestamp())
    assert claims["ttl"] == 300
    assert claims["exp"] == int((NOW + timedelta(days=1)).timestamp())
    assert claims["status_list"]["bits"] == 2

    values = spec_decode(claims["status_list"])
    assert len(values) == 64  # the whole list, allocated or not (herd privacy)
    assert values[: len(EXPECTED)] == EXPECTED
    assert not any(values[len(EXPECTED) :])


def test_token_with_a_tampered_list_fails_jwcrypto(session: Session) -> None:
    _seed(session, ["revoked"])
    signer, jwks, _ = _signer(session)
    token = build_status_list_token(session, "1", signer=signer, now=NOW, uri=URI)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["status_list"] = encode_status_list([0] * 64)  # "nothing is revoked"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    checked = jws.JWS()
    checked.deserialize(f"{header}.{forged}.{signature}")
    with pytest.raises(jws.InvalidJWSSignature):
        checked.verify(jwk.JWKSet.from_json(json.dumps(jwks)).get_key(signer.kid))


def test_read_status_from_token(session: Session) -> None:
    _seed(session, STATUSES)
    signer, _, keys = _signer(session)
    token = build_status_list_token(session, "1", signer=signer, now=NOW, uri=URI)
    later = NOW + timedelta(hours=3)
    read = [read_status_from_token(token, keys=keys, index=i, now=later) for i in range(7)]
    assert read == EXPECTED
    assert read_status_from_token(token, keys=keys, index=63, now=later, uri=URI) == 0
    with pytest.raises(StatusIndexOutOfRange):
        read_status_from_token(token, keys=keys, index=64, now=later)


def test_a_status_change_shows_in_the_next_token_and_changes_the_etag(session: Session) -> None:
    licences = _seed(session, ["valid", "valid"])
    signer, _, keys = _signer(session)
    first = issue_status_list_token(session, "1", signer=signer, now=NOW, uri=URI)
    again = issue_status_list_token(session, "1", signer=signer, now=NOW, uri=URI)
    assert (again.token, again.etag) == (first.token, first.etag)  # Ed25519 is deterministic
    assert first.max_age == 900 and first.entries == 64
    assert first.expires_at == NOW + timedelta(days=1)

    licences[1].status = LicenceStatus.SUSPENDED.value
    session.add(licences[1])
    session.commit()
    changed = issue_status_list_token(session, "1", signer=signer, now=NOW, uri=URI)
    assert changed.etag != first.etag
    assert read_status_from_token(changed.token, keys=keys, index=1, now=NOW) == STATUS_SUSPENDED
    assert read_status_from_token(first.token, keys=keys, index=1, now=NOW) == STATUS_VALID


def test_a_token_covers_only_its_own_list(session: Session) -> None:
    _seed(session, ["revoked", "revoked", "suspended"], list_size=2)  # list 1: 0,1; list 2: 0
    signer, _, keys = _signer(session)
    token = build_status_list_token(session, "2", signer=signer, now=NOW, uri=URI)
    assert [read_status_from_token(token, keys=keys, index=i, now=NOW) for i in (0, 1)] == [2, 0]
    with pytest.raises(StatusListNotFound, match="no status list '9'"):
        build_status_list_token(session, "9", signer=signer, now=NOW, uri=URI)


def _rejection(token: str, keys: PublicKeySet, *, now: datetime = NOW, uri: str = URI) -> str:
    with pytest.raises(StatusListTokenRejected) as caught:
        read_status_from_token(token, keys=keys, index=0, now=now, uri=uri)
    reason: str = caught.value.details["reason"]
    return reason


def test_read_refuses_untrustworthy_tokens(session: Session) -> None:
    _seed(session, ["revoked"])
    signer, _, keys = _signer(session)
    token = build_status_list_token(session, "1", signer=signer, now=NOW, uri=URI)
    _, _, other_keys = _signer(session, "issuer:elsewhere")
    assert _rejection(token, other_keys) == "unknown-key"
    assert _rejection(token, keys, now=NOW + timedelta(days=1)) == "expired"
    assert _rejection(token, keys, now=NOW - timedelta(hours=1)) == "not-yet-valid"
    assert _rejection(token, keys, uri="https://elsewhere.example/2") == "wrong-subject"
    assert _rejection("not a token", keys) == "malformed"

    claims = jwt.decode(token, options={"verify_signature": False})
    plain = jwt.encode(claims, signer.private_key, algorithm="EdDSA", headers={"kid": signer.kid})
    assert _rejection(plain, keys) == "wrong-type"  # a JWT of another kind, same key

    claims["status_list"] = encode_status_list([0] * 64)
    header, _, signature = token.split(".")
    body = jwt.encode(claims, signer.private_key, algorithm="EdDSA").split(".")[1]
    assert _rejection(f"{header}.{body}.{signature}", keys) == "bad-signature"
