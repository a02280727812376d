"""Issuing licences: claims, defaults, refusals; reads; the documented example (both DBs)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func
from sqlmodel import Session, select

from codeid.entities.errors import EntityDeregistered, EntityNotFound
from codeid.errors import InvalidInput
from codeid.keys.jwks import PublicKeySet, jwks_document
from codeid.keys.keyring import Signer
from credentials.catalogue import default_catalogue
from credentials.errors import (
    IdentifierCheckError,
    InvalidLicenceDates,
    InvalidLicenceFields,
    IssuerNotTrusted,
    LicenceExists,
    UnknownLicenceType,
)
from credentials.identifier import make_identifier, parse_identifier
from credentials.licence_import import ROW_KEYS as LICENCE_ROW_KEYS
from credentials.licence_jws import (
    CHINA_TZ,
    TYP,
    day_start,
    licence_claims,
    sign_licence_claims,
)
from credentials.licences import (
    get_licence,
    issue_licence,
    licence_history,
    list_licences,
)
from credentials.models import Licence
from tests.credentials.licence_world import (
    FOOD_FIELDS,
    FOOD_NUMBER,
    GONE_HOLDER,
    HOLDER,
    ISSUER,
    NOW,
    OTHER_HOLDER,
    TODAY,
    World,
    event_actions,
    food_number,
    issue_food,
    make_world,
    signed_claims,
)

FOOD = default_catalogue().get("food-business")


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


# --- issue ----------------------------------------------------------------------------


def test_issue_signs_a_documented_licence(session: Session, world: World) -> None:
    licence = issue_food(session, world)

    parsed = parse_identifier(licence.identifier)
    assert (parsed.type_code, parsed.issuer_code, parsed.version) == (FOOD.id_type_code, ISSUER, 1)
    assert parsed.serial == licence.serial and licence.serial.startswith("20260302")
    assert licence.valid_from == licence.issue_date == TODAY
    assert licence.valid_until == TODAY + timedelta(days=FOOD.default_validity_days or 0) - (
        timedelta(days=1)
    )
    assert jwt.get_unverified_header(licence.jws) == {
        "alg": "EdDSA",
        "kid": world.signer.kid,
        "typ": TYP,
    }
    claims = signed_claims(session, licence)
    assert (claims["iss"], claims["sub"], claims["jti"]) == (ISSUER, HOLDER, licence.identifier)
    assert claims["iat"] == int(NOW.timestamp())
    assert claims["nbf"] == int(datetime(2026, 3, 2, tzinfo=CHINA_TZ).timestamp())
    assert licence.valid_until is not None
    assert claims["exp"] == day_start(licence.valid_until + timedelta(days=1))
    assert claims["licence"] == {
        "type": "food-business",
        "type_code": FOOD.id_type_code,
        "number": FOOD_NUMBER,
        "version": 1,
        "issuer_name": world.issuer.name,
        "issue_date": "2026-03-02",
        "valid_from": "2026-03-02",
        "valid_until": licence.valid_until.isoformat(),
        "fields": FOOD_FIELDS,
    }
    assert claims["status"] == {
        "status_list": {
            "idx": licence.status_index,
            "uri": f"/v1/status-lists/{licence.status_list}",
        }
    }
    assert event_actions(session, licence.identifier) == ["issued"]
    event = licence_history(session, licence.identifier)[0]
    assert (event.actor, event.at) == ("clerk-1", NOW)


def test_issue_with_explicit_dates_and_status_base_url(session: Session, world: World) -> None:
    licence = issue_food(
        session,
        world,
        issue_date=date(2026, 2, 20),
        valid_from=date(2026, 3, 1),
        valid_until=date(2027, 2, 28),
        status_base_url="https://codeid.example.cn/",
    )
    claims = signed_claims(session, licence)
    assert claims["licence"]["issue_date"] == "2026-02-20"
    assert claims["exp"] == int(datetime(2027, 3, 1, tzinfo=CHINA_TZ).timestamp())
    uri = claims["status"]["status_list"]["uri"]
    assert uri == f"https://codeid.example.cn/v1/status-lists/{licence.status_list}"


def test_open_ended_type_has_no_exp(session: Session, world: World) -> None:
    licence = issue_licence(
        session,
        issuer=world.issuer,
        licence_type="business-licence",
        holder_uscc=HOLDER,
        licence_number=HOLDER,
        fields={
            "name": "杭州西湖小吃店有限公司",
            "entity_type": "有限责任公司",
            "legal_representative": "张三",
            "date_established": "2019-05-01",
            "business_scope": "餐饮服务",
            "address": "杭州市西湖区文三路1号",
            "registration_authority": "杭州市西湖区市场监督管理局",
        },
        signer=world.signer,
        actor="clerk-1",
        now=NOW,
    )
    assert licence.valid_until is None
    assert "exp" not in signed_claims(session, licence)


def test_each_licence_gets_its_own_identifier_and_status_slot(
    session: Session, world: World
) -> None:
    licences = [issue_food(session, world, food_number(n)) for n in range(5)]
    assert len({lic.identifier for lic in licences}) == 5
    assert len({(lic.status_list, lic.status_index) for lic in licences}) == 5


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"licence_type": "no-such-type"}, UnknownLicenceType),
        ({"holder_uscc": "91350100M000100Y43"[:-1] + "0"}, EntityNotFound),
        ({"holder_uscc": GONE_HOLDER}, EntityDeregistered),
        ({"licence_type": "tobacco-retail"}, IssuerNotTrusted),
        ({"licence_number": "SC13301060012345"}, InvalidLicenceFields),
        ({"fields": {**FOOD_FIELDS, "colour": "red"}}, InvalidLicenceFields),
        ({"fields": {"operator_name": "x"}}, InvalidLicenceFields),
        ({"valid_from": date(2026, 3, 2), "valid_until": date(2026, 3, 2)}, InvalidLicenceDates),
        ({"valid_from": date(2026, 3, 2), "valid_until": date(2026, 3, 1)}, InvalidLicenceDates),
    ],
)
def test_issue_refusals(
    session: Session, world: World, change: dict[str, Any], error: type[Exception]
) -> None:
    arguments: dict[str, Any] = {
        "licence_type": "food-business",
        "holder_uscc": HOLDER,
        "licence_number": FOOD_NUMBER,
        "fields": FOOD_FIELDS,
    } | change
    with pytest.raises(error):
        issue_licence(
            session, issuer=world.issuer, signer=world.signer, actor="a", now=NOW, **arguments
        )
    session.rollback()
    assert session.exec(select(func.count()).select_from(Licence)).one() == 0


def test_untrusted_issuer_is_refused_even_with_its_own_good_key(
    session: Session, world: World
) -> None:
    with pytest.raises(IssuerNotTrusted, match="tobacco-retail"):
        issue_licence(
            session,
            issuer=world.issuer,
            licence_type="tobacco-retail",
            holder_uscc=HOLDER,
            licence_number="330106100123",
            fields={},
            signer=world.signer,
            actor="a",
            now=NOW,
        )


def test_issuing_with_another_issuers_key_is_refused(session: Session, world: World) -> None:
    with pytest.raises(InvalidInput, match="not a signing key of issuer"):
        issue_licence(
            session,
            issuer=world.issuer,
            licence_type="food-business",
            holder_uscc=HOLDER,
            licence_number=FOOD_NUMBER,
            fields=FOOD_FIELDS,
            signer=world.other_signer,
            actor="a",
            now=NOW,
        )


def test_issuing_the_same_number_twice_is_a_conflict(session: Session, world: World) -> None:
    issue_food(session, world)
    with pytest.raises(LicenceExists, match=FOOD_NUMBER):
        issue_food(session, world, holder=OTHER_HOLDER)
    session.rollback()
    # Another department may use the same number: the key is (issuer, number).
    other = issue_licence(
        session,
        issuer=world.other,
        licence_type="food-business",
        holder_uscc=HOLDER,
        licence_number=FOOD_NUMBER,
        fields=FOOD_FIELDS,
        signer=world.other_signer,
        actor="b",
        now=NOW,
    )
    assert other.issuer_uscc == world.other.uscc


# --- reads ------------------------------------------------------------


def test_get_and_list(session: Session, world: World) -> None:
    first = issue_food(session, world, food_number(1))
    issue_food(session, world, food_number(2), holder=OTHER_HOLDER)
    assert get_licence(session, f"  {first.identifier} ").id == first.id
    with pytest.raises(IdentifierCheckError, match="expected"):
        get_licence(session, first.identifier[:-1] + ("Z" if first.identifier[-1] != "Z" else "Y"))
    assert [lic.licence_number for lic in list_licences(session, holder_uscc=HOLDER)] == [
        food_number(1)
    ]
    assert list_licences(session, holder_uscc="91440106533559691F") == []


# --- the documented example -----------------------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "licence-format.md"


def test_documented_example_is_current() -> None:
    """docs/licence-format.md shows exactly what the code signs (Ed25519 is deterministic)."""
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    signer = Signer.from_private_key(key)
    serial = "2026030200000001"
    licence = Licence(
        identifier=make_identifier(
            type_code=FOOD.id_type_code, issuer_code=ISSUER, serial=serial, version=1
        ),
        type_code="food-business",
        holder_uscc=HOLDER,
        issuer_uscc=ISSUER,
        licence_number=FOOD_NUMBER,
        serial=serial,
        version=1,
        fields=FOOD_FIELDS,
        issue_date=TODAY,
        valid_from=TODAY,
        valid_until=date(2031, 3, 1),
        status_list="1",
        status_index=0,
        jws="",
        created_at=NOW,
        updated_at=NOW,
    )
    claims = licence_claims(
        licence,
        issuer_name="西湖区市场监督管理局",
        now=NOW,
        status_base_url="https://codeid.example.cn",
    )
    token = sign_licence_claims(claims, signer)
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.S)
    documented = [json.loads(block) for block in blocks]
    assert {"alg": "EdDSA", "kid": signer.kid, "typ": TYP} in documented
    assert claims in documented
    assert jwks_document(PublicKeySet([key.public_key()])) in documented
    assert f"\n{token}\n" in text
    assert set(json.loads(blocks[-1])) <= LICENCE_ROW_KEYS
