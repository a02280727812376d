"""Every verification outcome reached with real licences; an independent JOSE check; match."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import date, timedelta
from typing import Any

import jwt
import pytest
from jwcrypto import jwk as jose_jwk
from jwcrypto import jws as jose_jws
from jwcrypto import jwt as jose_jwt
from sqlmodel import Session

from credentials.catalogue import default_catalogue
from credentials.identifier import make_identifier
from credentials.issuers import issuer_jwks, issuer_keyring
from credentials.licence_jws import licence_claims, read_unverified, sign_licence_claims
from credentials.licence_verify import REASONS, LicenceVerdict, verify_licence
from credentials.licences import (
    amend_licence,
    resume_licence,
    revoke_licence,
    suspend_licence,
)
from credentials.models import Licence
from credentials.status_list import build_status_list_token
from credentials.trust import revoke_trust
from tests.credentials.licence_world import (
    FOOD_FIELDS,
    ISSUER,
    MASTER,
    NOW,
    OTHER_HOLDER,
    World,
    food_number,
    issue_food,
    make_world,
)

PUBLIC_IDENTIFIER = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S"


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


@pytest.fixture
def licence(session: Session, world: World) -> Licence:
    return issue_food(session, world)


def _verify(session: Session, text: str, **kwargs: Any) -> LicenceVerdict:
    verdict = verify_licence(session, text, now=kwargs.get("now", NOW))
    assert verdict.reason in REASONS
    assert verdict.valid is (verdict.reason == "ok")
    return verdict


def _both(session: Session, licence: Licence, **kwargs: Any) -> str:
    """Verify by JWS and by identifier; both must give the same reason."""
    by_jws = _verify(session, licence.jws, **kwargs)
    by_id = _verify(session, licence.identifier, **kwargs)
    assert by_jws.reason == by_id.reason
    return by_jws.reason


def _resign(claims: dict[str, Any], key: Any, kid: str, typ: str = "licence+jwt") -> str:
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid, "typ": typ})


def _claims_of(licence: Licence) -> dict[str, Any]:
    return dict(read_unverified(licence.jws).claims)


# --- ok and the independent JOSE library ------------------------------------------------


def test_a_fresh_licence_is_ok_by_jws_and_by_identifier(session: Session, licence: Licence) -> None:
    for text in (licence.jws, licence.identifier, f"  {licence.jws}\n"):
        verdict = _verify(session, text)
        assert verdict.reason == "ok" and verdict.valid
        assert verdict.licence is not None and verdict.licence.id == licence.id
        assert verdict.claims is not None and verdict.claims["jti"] == licence.identifier


def test_an_independent_jose_library_verifies_with_the_jwks_alone(
    session: Session, world: World, licence: Licence
) -> None:
    keyset = jose_jwk.JWKSet.from_json(json.dumps(issuer_jwks(session, ISSUER)))
    token = jose_jwt.JWT(jwt=licence.jws, key=keyset, algs=["EdDSA"], check_claims=False)
    header = json.loads(token.header)
    assert header == {"alg": "EdDSA", "kid": world.signer.kid, "typ": "licence+jwt"}
    claims = json.loads(token.claims)
    assert claims["iss"] == ISSUER and claims["jti"] == licence.identifier
    assert claims["licence"]["fields"] == FOOD_FIELDS

    head, _, signature = licence.jws.split(".")
    forged = dict(claims, sub=OTHER_HOLDER)
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    issuer_key = keyset.get_key(world.signer.kid)
    with pytest.raises(jose_jws.InvalidJWSSignature):
        jose_jwt.JWT(jwt=f"{head}.{forged_payload}.{signature}", key=issuer_key, check_claims=False)
    other = jose_jwk.JWKSet.from_json(json.dumps(issuer_jwks(session, world.other.uscc)))
    with pytest.raises(jose_jwt.JWTMissingKey):
        jose_jwt.JWT(jwt=licence.jws, key=other, algs=["EdDSA"], check_claims=False)


def test_status_is_read_from_the_status_list_with_an_independent_decoder(
    session: Session, world: World, licence: Licence
) -> None:
    uri = _claims_of(licence)["status"]["status_list"]["uri"]
    index = _claims_of(licence)["status"]["status_list"]["idx"]
    keyset = jose_jwk.JWKSet.from_json(json.dumps(issuer_jwks(session, ISSUER)))

    def status_now() -> int:
        token = build_status_list_token(
            session, licence.status_list, signer=world.signer, now=NOW, uri=uri
        )
        verified = jose_jwt.JWT(jwt=token, key=keyset, algs=["EdDSA"], check_claims=False)
        claims = json.loads(verified.claims)
        assert claims["sub"] == uri and claims["status_list"]["bits"] == 2
        lst = claims["status_list"]["lst"]
        packed = zlib.decompress(base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)))
        return int((packed[index // 4] >> (2 * (index % 4))) & 0b11)

    assert status_now() == 0
    common: dict[str, Any] = {"issuer": world.issuer, "actor": "a", "now": NOW}
    suspend_licence(session, licence.identifier, reason="check", **common)
    session.flush()
    assert status_now() == 2
    resume_licence(session, licence.identifier, reason="", **common)
    revoke_licence(session, licence.identifier, reason="closed", **common)
    session.flush()
    assert status_now() == 1


# --- refusals, in the order they are checked --------------------------------------------


@pytest.mark.parametrize("text", ["", "hello", "a.b.c", "eyJhbGciOiJFZERTQSJ9.e30.AAAA"])
def test_garbage_is_malformed(session: Session, text: str) -> None:
    assert _verify(session, text).reason == "malformed"


def test_wrong_header_or_missing_claims_are_malformed(
    session: Session, world: World, licence: Licence
) -> None:
    claims = _claims_of(licence)
    key = world.signer.private_key
    plain_jwt = _resign(claims, key, world.signer.kid, typ="JWT")
    verdict = _verify(session, plain_jwt)
    assert verdict.reason == "malformed" and "typ" in verdict.message
    no_status = _resign({k: v for k, v in claims.items() if k != "status"}, key, world.signer.kid)
    verdict = _verify(session, no_status)
    assert verdict.reason == "malformed" and "status" in verdict.message
    hmac_token = jwt.encode(claims, "secret" * 6, algorithm="HS256", headers={"kid": "x"})
    assert _verify(session, hmac_token).reason == "malformed"


def test_bad_identifiers_are_malformed_identifier(session: Session, licence: Licence) -> None:
    wrong = licence.identifier[:-1] + ("A" if licence.identifier[-1] != "A" else "B")
    verdict = _verify(session, wrong)
    assert verdict.reason == "malformed-identifier"
    assert "expected" in verdict.message and licence.identifier[-1] in verdict.message
    assert _verify(session, "1.2.156.3005.9.X").reason == "malformed-identifier"
    assert _verify(session, licence.identifier.lower()).reason == "malformed-identifier"


def test_well_formed_identifier_of_no_licence_is_unknown_licence(session: Session) -> None:
    verdict = _verify(session, PUBLIC_IDENTIFIER)
    assert verdict.reason == "unknown-licence" and verdict.licence is None


def test_signed_jws_of_no_stored_licence_is_unknown_licence(
    session: Session, world: World, licence: Licence
) -> None:
    missing = make_identifier(
        type_code=default_catalogue().get("food-business").id_type_code,
        issuer_code=ISSUER,
        serial="99",
        version=1,
    )
    token = sign_licence_claims(_claims_of(licence) | {"jti": missing}, world.signer)
    verdict = _verify(session, token)
    assert verdict.reason == "unknown-licence" and verdict.claims is not None


def test_unregistered_issuer_is_unknown_issuer(
    session: Session, world: World, licence: Licence
) -> None:
    token = sign_licence_claims(_claims_of(licence) | {"iss": OTHER_HOLDER}, world.signer)
    assert _verify(session, token).reason == "unknown-issuer"


def test_another_issuers_key_is_unknown_key_or_bad_signature(
    session: Session, world: World, licence: Licence
) -> None:
    claims = _claims_of(licence)
    other_key = world.other_signer.private_key
    # Signed by B under B's kid, but claiming to be from A: A has no such key.
    verdict = _verify(session, _resign(claims, other_key, world.other_signer.kid))
    assert verdict.reason == "unknown-key" and world.other_signer.kid in verdict.message
    # Signed by B, pretending to be A's key: the signature does not match A's key.
    verdict = _verify(session, _resign(claims, other_key, world.signer.kid))
    assert verdict.reason == "bad-signature" and verdict.claims is None


def test_a_tampered_jws_is_bad_signature(session: Session, licence: Licence) -> None:
    head, _, signature = licence.jws.split(".")
    claims = _claims_of(licence)
    claims["licence"]["fields"]["operator_name"] = "冒名顶替食品店"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    verdict = _verify(session, f"{head}.{forged}.{signature}")
    assert verdict.reason == "bad-signature" and verdict.licence is None


def test_retired_key_is_unknown_key_rotated_key_still_verifies(
    session: Session, world: World, licence: Licence
) -> None:
    ring = issuer_keyring(session, world.issuer, master_secret=MASTER)
    ring.rotate(NOW)
    session.commit()
    assert _both(session, licence) == "ok"  # verify-only keys still verify
    ring.retire(world.signer.kid, NOW)
    session.commit()
    assert _both(session, licence) == "unknown-key"


def test_untrusted_type_is_refused_even_with_a_good_signature(
    session: Session, world: World, licence: Licence
) -> None:
    revoke_trust(session, issuer_uscc=ISSUER, licence_type="food-business", actor="x", now=NOW)
    session.commit()
    later = NOW + timedelta(minutes=1)
    verdict = _verify(session, licence.jws, now=later)
    assert verdict.reason == "issuer-not-trusted"
    assert verdict.claims is not None  # the signature was good
    assert _both(session, licence, now=later) == "issuer-not-trusted"
    # Trust is judged at the time asked about: before the grant ended it was fine.
    assert _both(session, licence, now=NOW - timedelta(minutes=1)) == "ok"


def test_revoked_superseded_suspended(session: Session, world: World) -> None:
    common: dict[str, Any] = {"issuer": world.issuer, "actor": "a", "now": NOW}
    revoked = issue_food(session, world, food_number(1))
    revoke_licence(session, revoked.identifier, reason="closed", **common)
    suspended = issue_food(session, world, food_number(2))
    suspend_licence(session, suspended.identifier, reason="inspection", **common)
    old = issue_food(session, world, food_number(3))
    new = amend_licence(
        session,
        old.identifier,
        changes={"address": "新地址"},
        reason="moved",
        signer=world.signer,
        **common,
    )
    session.commit()
    assert _both(session, revoked) == "revoked"
    assert _both(session, suspended) == "suspended"
    verdict = _verify(session, old.jws)
    assert verdict.reason == "superseded" and "later version" in verdict.message
    assert verdict.licence is not None and verdict.licence.id == old.id
    assert _both(session, old) == "superseded"
    assert _both(session, new) == "ok"


def test_dates_not_yet_valid_and_expired(session: Session, world: World) -> None:
    licence = issue_food(
        session, world, valid_from=date(2026, 4, 1), valid_until=date(2026, 12, 31)
    )
    assert _both(session, licence) == "not-yet-valid"
    # 16:00 UTC on 31 March is midnight in China: valid from then on.
    assert _both(session, licence, now=NOW.replace(month=3, day=31, hour=15, minute=59)) == (
        "not-yet-valid"
    )
    assert _both(session, licence, now=NOW.replace(month=3, day=31, hour=16)) == "ok"
    assert _both(session, licence, now=NOW.replace(month=12, day=31, hour=15, minute=59)) == "ok"
    assert _both(session, licence, now=NOW.replace(month=12, day=31, hour=16)) == "expired"
    claims = _claims_of(licence)
    assert claims["exp"] == int(NOW.replace(month=12, day=31, hour=16).timestamp())


def test_the_first_failing_reason_is_named(session: Session, world: World) -> None:
    licence = issue_food(session, world, valid_until=date(2026, 6, 30))
    revoke_licence(session, licence.identifier, issuer=world.issuer, reason="r", actor="a", now=NOW)
    revoke_trust(session, issuer_uscc=ISSUER, licence_type="food-business", actor="x", now=NOW)
    session.commit()
    late = NOW + timedelta(days=365)
    assert _both(session, licence, now=late) == "issuer-not-trusted"  # before revoked, expired
    assert _both(session, licence, now=NOW - timedelta(seconds=1)) == "revoked"  # not expired


def test_claims_builder_and_verifier_agree(
    session: Session, world: World, licence: Licence
) -> None:
    rebuilt = licence_claims(licence, issuer_name=world.issuer.name, now=NOW)
    assert rebuilt == _claims_of(licence)
