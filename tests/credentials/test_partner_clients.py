"""Partner clients, client assertions (private_key_jwt) and consents, in the domain."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from sqlmodel import Session, select

from codeid.entities.models import Entity
from codeid.errors import InvalidInput
from credentials.partners.assertions import authenticate_assertion, check_client_jwks
from credentials.partners.clients import (
    authenticate_secret,
    disable_client,
    granted_scopes,
    register_client,
    secret_hash,
)
from credentials.partners.consent import (
    consent_state,
    consents_of,
    grant_consent,
    revoke_consent,
)
from credentials.partners.consent_lookup import consented_types
from credentials.partners.errors import (
    ConsentAlreadyRevoked,
    ConsentNotFound,
    InvalidClient,
    InvalidClientKeys,
    InvalidConsent,
    InvalidScope,
)
from credentials.partners.models import AssertionUse, PartnerClient

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
ISSUER = "https://codeid.example"
TOKEN_URL = ISSUER + "/oauth/token"
HOLDER = "91350100M000100Y43"
OTHER = "91110000600037341L"


def _ed25519() -> tuple[ed25519.Ed25519PrivateKey, dict[str, Any]]:
    key = ed25519.Ed25519PrivateKey.generate()
    return key, OKPAlgorithm.to_jwk(key.public_key(), as_dict=True) | {"kid": "ed-1"}


def _p256() -> tuple[ec.EllipticCurvePrivateKey, dict[str, Any]]:
    key = ec.generate_private_key(ec.SECP256R1())
    return key, ECAlgorithm.to_jwk(key.public_key(), as_dict=True) | {"kid": "ec-1"}


def _assertion(key: Any, client_id: str, *, alg: str, kid: str | None = None, **claims: Any) -> str:
    now = int(NOW.timestamp())
    body: dict[str, Any] = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_urlsafe(16),
    }
    body.update(claims)
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid} if kid else None)


def _authenticate(session: Session, assertion: str, **kwargs: Any) -> PartnerClient:
    arguments: dict[str, Any] = {"audiences": [TOKEN_URL, ISSUER], "now": NOW} | kwargs
    return authenticate_assertion(session, assertion=assertion, **arguments)


def test_secret_is_shown_once_and_only_its_hash_is_stored(session: Session) -> None:
    registered = register_client(
        session, name=" Bank of Test ", scopes=["codes:verify", "codes:verify"], now=NOW
    )
    session.commit()
    client, secret = registered.client, registered.secret
    assert secret is not None and secret.startswith("cs_") and len(secret) > 40
    assert client.client_id.startswith("cid_") and client.name == "Bank of Test"
    assert client.scopes == ["codes:verify"]
    stored = session.exec(select(PartnerClient)).one()
    assert stored.secret_hash == secret_hash(secret) and secret not in str(stored.model_dump())
    assert authenticate_secret(session, client_id=client.client_id, secret=secret).id == client.id
    for client_id, wrong in ((client.client_id, secret + "x"), ("cid_nobody", secret)):
        with pytest.raises(InvalidClient):
            authenticate_secret(session, client_id=client_id, secret=wrong)
    disable_client(session, client.client_id, now=NOW)
    with pytest.raises(InvalidClient, match="disabled"):
        authenticate_secret(session, client_id=client.client_id, secret=secret)


def test_scopes_are_checked_at_registration_and_at_the_token(session: Session) -> None:
    with pytest.raises(InvalidScope, match="licences:wrte"):
        register_client(session, name="X", scopes=["licences:wrte"], now=NOW)
    with pytest.raises(InvalidScope):
        register_client(session, name="X", scopes=[], now=NOW)
    with pytest.raises(InvalidInput):
        register_client(session, name="X", scopes=["codes:verify"], with_secret=False, now=NOW)
    client = register_client(
        session, name="X", scopes=["codes:verify", "licences:read"], now=NOW
    ).client
    assert granted_scopes(client, None) == {"codes:verify", "licences:read"}
    assert granted_scopes(client, "licences:read") == {"licences:read"}
    with pytest.raises(InvalidScope, match="licences:verify"):
        granted_scopes(client, "codes:verify licences:verify")


def test_client_key_sets_must_be_public_signing_keys() -> None:
    key, public = _ed25519()
    assert check_client_jwks({"keys": [public]}) == {"keys": [public]}
    private = OKPAlgorithm.to_jwk(key, as_dict=True)
    small_rsa = RSAAlgorithm.to_jwk(
        rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key(), as_dict=True
    )
    _, other = _p256()
    for bad, why in (
        ({"keys": [private]}, "private"),
        ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "private or symmetric"),
        ({"keys": [public | {"use": "enc"}]}, "signing"),
        ({"keys": [public | {"alg": "RS256"}]}, "supported keys"),
        ({"keys": [small_rsa]}, "2048"),
        ({"keys": [public, other | {"kid": "ed-1"}]}, "own kid"),
        ({"keys": []}, "1 to"),
        ([public], "JSON object"),
    ):
        with pytest.raises(InvalidClientKeys, match=why):
            check_client_jwks(bad)


@pytest.mark.parametrize("make_key,alg", [(_ed25519, "EdDSA"), (_p256, "ES256")])
def test_private_key_jwt_once_only(session: Session, make_key: Any, alg: str) -> None:
    key, public = make_key()
    client = register_client(
        session, name="Keys", scopes=["codes:verify"], jwks={"keys": [public]}, now=NOW
    ).client
    assertion = _assertion(key, client.client_id, alg=alg, kid=public["kid"])
    assert _authenticate(session, assertion).client_id == client.client_id
    session.commit()
    with pytest.raises(InvalidClient, match="replay"):
        _authenticate(session, assertion)
    # No kid: each of the client's keys of that type is tried.
    assert _authenticate(session, _assertion(key, client.client_id, alg=alg)).id == client.id
    # The issuer URL is accepted as the audience too.
    assert _authenticate(session, _assertion(key, client.client_id, alg=alg, aud=ISSUER))


def test_bad_assertions_are_refused_with_the_reason(session: Session) -> None:
    key, public = _ed25519()
    stranger, _ = _ed25519()
    client = register_client(
        session, name="Keys", scopes=["codes:verify"], jwks={"keys": [public]}, now=NOW
    ).client
    cid, now = client.client_id, int(NOW.timestamp())
    cases: list[tuple[str, str]] = [
        (_assertion(stranger, cid, alg="EdDSA"), "signature"),
        (_assertion(key, cid, alg="EdDSA", aud="https://elsewhere/token"), "(?i)audience"),
        (_assertion(key, cid, alg="EdDSA", exp=now + 3600), "within 300"),
        (_assertion(key, cid, alg="EdDSA", exp=now - 60), "expired"),
        (_assertion(key, cid, alg="EdDSA", iat=now + 600), "future"),
        (_assertion(key, cid, alg="EdDSA", iss="cid_other"), "iss and sub"),
        (_assertion(key, "cid_unknown", alg="EdDSA"), "unknown"),
        (_assertion(key, cid, alg="EdDSA", kid="nope"), "registered no EdDSA key"),
        (jwt.encode({"sub": cid, "iss": cid}, "k" * 32, algorithm="HS256"), "signed with"),
        ("not-a-jwt", "not a JWT"),
    ]
    for assertion, why in cases:
        with pytest.raises(InvalidClient, match=why):
            _authenticate(session, assertion)
    with pytest.raises(InvalidClient, match="client_id"):
        _authenticate(session, _assertion(key, cid, alg="EdDSA"), client_id="cid_other")


def test_spent_jtis_are_forgotten_once_expired(session: Session) -> None:
    key, public = _ed25519()
    client = register_client(
        session, name="Keys", scopes=["codes:verify"], jwks={"keys": [public]}, now=NOW
    ).client
    _authenticate(session, _assertion(key, client.client_id, alg="EdDSA"))
    assert len(session.exec(select(AssertionUse)).all()) == 1
    later = NOW + timedelta(minutes=10)
    fresh = _assertion(key, client.client_id, alg="EdDSA", exp=int(later.timestamp()) + 60)
    _authenticate(session, fresh, now=later)
    assert len(session.exec(select(AssertionUse)).all()) == 1  # the old jti was purged


def _entities(session: Session) -> None:
    for uscc in (HOLDER, OTHER):
        session.add(
            Entity(
                uscc=uscc,
                name=f"Entity {uscc[-4:]}",
                entity_type="company",
                created_at=NOW,
                updated_at=NOW,
            )
        )
    session.flush()


def test_consent_granted_expired_revoked(session: Session) -> None:
    _entities(session)
    client = register_client(session, name="Bank", scopes=["licences:read"], now=NOW).client
    assert client.id is not None
    consent = grant_consent(
        session,
        uscc=HOLDER.lower(),
        client_id=client.client_id,
        licence_types=["food-business", "business-licence", "food-business"],
        expires_at=NOW + timedelta(days=30),
        purpose="loan application",
        granted_by=None,
        now=NOW,
    )
    assert consent.uscc == HOLDER and consent.licence_types == ["business-licence", "food-business"]
    types = consented_types(session, client_pk=client.id, uscc=HOLDER, now=NOW)
    assert types == {"business-licence", "food-business"}
    assert consented_types(session, client_pk=client.id, uscc=OTHER, now=NOW) == set()
    expired_at = NOW + timedelta(days=30)
    assert consented_types(session, client_pk=client.id, uscc=HOLDER, now=expired_at) == set()
    assert consent_state(consent, now=expired_at) == "expired"
    assert consent.id is not None
    with pytest.raises(ConsentNotFound):
        revoke_consent(session, consent.id, uscc=OTHER, revoked_by=None, now=NOW)
    revoke_consent(session, consent.id, uscc=HOLDER, revoked_by=None, now=NOW + timedelta(hours=1))
    later = NOW + timedelta(hours=2)
    assert consented_types(session, client_pk=client.id, uscc=HOLDER, now=later) == set()
    assert consent_state(consent, now=later) == "revoked"
    with pytest.raises(ConsentAlreadyRevoked):
        revoke_consent(session, consent.id, uscc=HOLDER, revoked_by=None, now=later)
    listed = consents_of(session, HOLDER, now=later)
    assert [(c.id, p.name) for c, p in listed] == [(consent.id, "Bank")]
    assert consents_of(session, HOLDER, include_ended=False, now=later) == []


def test_consent_rules(session: Session) -> None:
    _entities(session)
    client = register_client(session, name="Bank", scopes=["licences:read"], now=NOW).client

    def grant(**kwargs: Any) -> None:
        arguments: dict[str, Any] = {
            "uscc": HOLDER,
            "client_id": client.client_id,
            "licence_types": ["food-business"],
            "expires_at": NOW + timedelta(days=1),
            "granted_by": None,
            "now": NOW,
        } | kwargs
        grant_consent(session, **arguments)

    for kwargs, why in (
        ({"licence_types": ["no-such-type"]}, "unknown licence type"),
        ({"licence_types": [" "]}, "at least one"),
        ({"expires_at": NOW}, "future"),
        ({"expires_at": NOW + timedelta(days=4000)}, "at most"),
    ):
        with pytest.raises(InvalidConsent, match=why):
            grant(**kwargs)
    disable_client(session, client.client_id, now=NOW)
    with pytest.raises(InvalidConsent, match="disabled"):
        grant()
