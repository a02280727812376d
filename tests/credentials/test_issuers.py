"""Issuers: registration with their own USCC, key ring and JWKS, one-time API tokens."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from sqlmodel import Session, select

from codeid.errors import InvalidInput
from codeid.keys.jwks import public_key_set_from_jwks
from codeid.keys.models import SigningKey
from codeid.uscc import InvalidUscc, random_uscc
from credentials.errors import IssuerExists, IssuerNotFound
from credentials.issuers import (
    get_issuer,
    issuer_jwks,
    issuer_keyring,
    issuer_ring,
    list_issuers,
    register_issuer,
)
from credentials.models import Issuer

MASTER = bytes(range(100, 132))
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RNG = random.Random(5)
AMR = random_uscc(RNG, authority="1", category="1", division="330106")  # a district AMR
HEALTH = random_uscc(RNG, authority="1", category="1", division="330100")


def _register(
    session: Session, uscc: str = AMR, name: str = "杭州市西湖区市场监督管理局"
) -> Issuer:
    return register_issuer(
        session,
        uscc=uscc,
        name=name,
        authority_kind="market-regulation",
        master_secret=MASTER,
        actor="admin",
        now=NOW,
    )


def test_register_creates_issuer_with_active_key(session: Session) -> None:
    issuer = _register(session)
    session.commit()
    assert (issuer.uscc, issuer.ring, issuer.status) == (AMR, f"issuer:{AMR}", "active")
    assert issuer_ring(AMR) == issuer.ring
    keys = session.exec(select(SigningKey).where(SigningKey.ring == issuer.ring)).all()
    assert [k.status for k in keys] == ["active"]


def test_two_departments_get_their_own_rings(session: Session) -> None:
    first = _register(session)
    second = _register(session, HEALTH, "杭州市卫生健康委员会")
    assert first.ring != second.ring
    assert [i.uscc for i in list_issuers(session)] == sorted([AMR, HEALTH])


def test_duplicate_registration_is_refused(session: Session) -> None:
    _register(session)
    session.commit()
    with pytest.raises(IssuerExists, match=AMR):
        _register(session, AMR.lower(), "another name")
    assert len(list_issuers(session)) == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"uscc": AMR[:-1] + ("0" if AMR[-1] != "0" else "1")}, InvalidUscc, "check character"),
        ({"uscc": "123"}, InvalidUscc, "18 characters"),
        ({"name": "  "}, InvalidInput, "issuer name"),
        ({"name": "局" * 201}, InvalidInput, "issuer name"),
        ({"authority_kind": "Market Regulation"}, InvalidInput, "slug"),
    ],
)
def test_bad_registrations_are_refused(
    session: Session, kwargs: dict[str, str], error: type[Exception], message: str
) -> None:
    args = {
        "uscc": AMR,
        "name": "杭州市西湖区市场监督管理局",
        "authority_kind": "market-regulation",
    }
    with pytest.raises(error, match=message):
        register_issuer(session, **(args | kwargs), master_secret=MASTER, actor="admin", now=NOW)
    assert list_issuers(session) == []


def test_get_issuer(session: Session) -> None:
    _register(session)
    assert get_issuer(session, f" {AMR.lower()} ").uscc == AMR
    with pytest.raises(IssuerNotFound, match=HEALTH):
        get_issuer(session, HEALTH)


def test_jwks_publishes_the_issuers_keys_through_rotation(session: Session) -> None:
    issuer = _register(session)
    ring = issuer_keyring(session, issuer, master_secret=MASTER)
    first = ring.active_signer()
    claims = {"iss": AMR, "sub": "licence"}
    token = jwt.encode(claims, first.private_key, algorithm="EdDSA", headers={"kid": first.kid})

    jwks = issuer_jwks(session, AMR)
    assert [k["kid"] for k in jwks["keys"]] == [first.kid]
    keys = public_key_set_from_jwks(jwks)
    assert jwt.decode(token, keys[first.kid], algorithms=["EdDSA"]) == claims

    ring.rotate(NOW + timedelta(days=30))
    second = ring.active_signer()
    jwks = issuer_jwks(session, AMR)
    assert [k["kid"] for k in jwks["keys"]] == [second.kid, first.kid]  # active first
    ring.retire(first.kid, NOW + timedelta(days=60))
    assert [k["kid"] for k in issuer_jwks(session, AMR)["keys"]] == [second.kid]


def test_each_issuer_has_its_own_keys(session: Session) -> None:
    _register(session)
    _register(session, HEALTH, "杭州市卫生健康委员会")
    amr_kids = {k["kid"] for k in issuer_jwks(session, AMR)["keys"]}
    health_kids = {k["kid"] for k in issuer_jwks(session, HEALTH)["keys"]}
    assert len(amr_kids) == len(health_kids) == 1
    assert not amr_kids & health_kids
    with pytest.raises(IssuerNotFound):
        issuer_jwks(session, random_uscc(RNG))
