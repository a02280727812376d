"""Consent over HTTP: a partner reads licence fields only with the business's live consent
(granted, expired by the clock, revoked), and learns only validity without it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from codeid.accounts.models import Role
from codeid.audit.log import verify_chain
from codeid.audit.models import AccessEvent
from codeid.clock import utcnow
from codeid.mandates.models import MandateRole
from tests.api.callers import Auth, Headers
from tests.api.conftest import Clock
from tests.api.partner_world import OTHER_USCC, SECRET_VALUES, USCC, World, make_world

ALL_SCOPES = ["codes:verify", "licences:verify", "licences:read"]
WHY = {"purpose": "loan application 2026-118"}


@pytest.fixture
def world(app: FastAPI, client: TestClient, clock: Clock) -> World:
    clock.now = utcnow().replace(microsecond=0)
    return make_world(app.state.runtime, clock.now)


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _verify_code(client: TestClient, world: World, headers: Headers) -> dict[str, Any]:
    body = {"payload": world.payload} | WHY
    answer: dict[str, Any] = _ok(client.post("/v1/codes/verify", json=body, headers=headers))
    return answer


def _grant(
    client: TestClient, headers: Headers, client_id: str, until: datetime, *types: str
) -> dict[str, Any]:
    body = {
        "client_id": client_id,
        "licence_types": list(types),
        "expires_at": until.isoformat(),
        "purpose": "loan",
    }
    consent: dict[str, Any] = _ok(
        client.post(f"/v1/entities/{USCC}/consents", json=body, headers=headers), 201
    )
    return consent


def _assert_no_values(response_text: str) -> None:
    for value in SECRET_VALUES:
        assert value not in response_text


def test_without_consent_a_partner_learns_only_validity(
    client: TestClient, auth: Auth, world: World
) -> None:
    _, partner = auth.partner(ALL_SCOPES)
    answer = _verify_code(client, world, partner)
    assert answer["valid"] is True and answer["uscc"] == USCC
    assert answer["entity"] == {"uscc": USCC, "name": "华为技术有限公司", "status": "active"}
    assert answer["licences"] == [] and answer["consented_types"] == []
    _assert_no_values(json.dumps(answer, ensure_ascii=False))

    verdict = _ok(
        client.post("/v1/licences/verify", json={"licence": world.food} | WHY, headers=partner)
    )
    assert verdict["valid"] is True and verdict["reason"] == "ok"
    assert set(verdict["licence"]) == {
        "identifier",
        "type_code",
        "holder_uscc",
        "issuer_uscc",
        "status",
        "effective_status",
    }
    assert verdict["licence"]["type_code"] == "food-business"
    assert _ok(client.get("/v1/licences", params={"holder": USCC} | WHY, headers=partner)) == []
    refused = client.get(f"/v1/licences/{world.food}", params=WHY, headers=partner)
    assert refused.status_code == 403
    match = {"holder_uscc": USCC, "licence_type": "food-business"} | WHY
    matched = client.post(
        "/v1/licences/match",
        json=match | {"fields": {"licence_number": "JY14401060000001"}},
        headers=partner,
    )
    assert _ok(matched) == {"matches": {"licence_number": True}}


def test_partners_must_state_a_purpose_users_need_not(
    client: TestClient, auth: Auth, world: World, app: FastAPI
) -> None:
    _, partner = auth.partner(ALL_SCOPES)
    for response in (
        client.post("/v1/codes/verify", json={"payload": world.payload}, headers=partner),
        client.post(
            "/v1/licences/verify", json={"licence": world.food, "purpose": "  "}, headers=partner
        ),
        client.get(f"/v1/licences/{world.food}", headers=partner),
        client.get("/v1/licences", params={"holder": USCC}, headers=partner),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["type"] == "urn:codeid:problem:purpose-required"
    clerk = auth.user(Role.CLERK)[1]
    full = _ok(client.post("/v1/codes/verify", json={"payload": world.payload}, headers=clerk))
    assert full["claims"]["kind"] == "static" and len(full["licences"]) == 2
    refused = _ok(client.post("/v1/codes/verify", json={"payload": "CID1:x"}, headers=clerk))
    assert refused["valid"] is False and "claims" in refused  # staff: the full shape, always
    scanned = client.post("/v1/scans/text", json={"text": world.payload}, headers=clerk)
    assert _ok(scanned)["valid"] is True
    with Session(app.state.runtime.engine) as session:
        query = select(AccessEvent).where(AccessEvent.actor_role == "clerk")
        logged = session.exec(query.order_by(col(AccessEvent.id))).all()
    assert [e.action for e in logged] == ["code.verify", "code.verify", "code.scan"]
    assert [e.outcome for e in logged] == ["ok", "malformed", "ok"]
    assert "licence.food-business.address" in logged[2].fields and logged[1].fields == []


def test_consent_granted_opens_the_consented_types_only(
    client: TestClient, auth: Auth, world: World, clock: Clock, app: FastAPI
) -> None:
    client_id, partner = auth.partner(ALL_SCOPES, name="招商银行")
    _, owner = auth.business(USCC, MandateRole.LEGAL_REPRESENTATIVE)
    assert clock.now is not None
    consent = _grant(client, owner, client_id, clock.now + timedelta(days=30), "food-business")
    assert consent["state"] == "active" and consent["partner_name"] == "招商银行"
    assert consent["licence_types"] == ["food-business"]

    answer = _verify_code(client, world, partner)
    assert answer["consented_types"] == ["food-business"]
    assert [(v["type_code"], v["fields"]["address"]) for v in answer["licences"]] == [
        ("food-business", "深圳市龙岗区坂田华为总部办公楼")
    ]
    listed = _ok(client.get("/v1/licences", params={"holder": USCC} | WHY, headers=partner))
    assert [lic["identifier"] for lic in listed] == [world.food]
    read = _ok(client.get(f"/v1/licences/{world.food}", params=WHY, headers=partner))
    assert read["fields"]["operator_name"] == "华为技术有限公司食堂"
    assert (
        client.get(f"/v1/licences/{world.business}", params=WHY, headers=partner).status_code == 403
    )
    full = _ok(
        client.post("/v1/licences/verify", json={"licence": world.food} | WHY, headers=partner)
    )
    assert full["licence"]["fields"]["business_items"] == "热食类食品制售"
    narrow = _ok(
        client.post("/v1/licences/verify", json={"licence": world.business} | WHY, headers=partner)
    )
    assert "fields" not in narrow["licence"] and "jws" not in narrow["licence"]

    # Fields need the licences:read scope as well as consent.
    verifier_id, verifier = auth.partner(["codes:verify", "licences:verify"])
    _grant(client, owner, verifier_id, clock.now + timedelta(days=30), "food-business")
    assert _verify_code(client, world, verifier)["licences"] == []

    with Session(app.state.runtime.engine) as session:
        events = session.exec(
            select(AccessEvent)
            .where(AccessEvent.actor == f"client:{client_id}")
            .order_by(col(AccessEvent.id))
        ).all()
        assert verify_chain(session).intact
    assert [e.action for e in events] == [
        "code.verify",
        "licence.read",
        "licence.read",
        "licence.read",
        "licence.verify",
        "licence.verify",
    ]
    assert {e.purpose for e in events} == {WHY["purpose"]}
    assert [e.outcome for e in events][3] == "forbidden"
    assert "licence.food-business.address" in events[0].fields
    assert "entity.name" in events[0].fields and events[0].subject_uscc == USCC
    assert not [f for f in events[0].fields if "business-licence" in f]
    _assert_no_values(json.dumps([e.model_dump(mode="json") for e in events], ensure_ascii=False))


def test_consent_expires_by_the_clock(
    client: TestClient, auth: Auth, world: World, clock: Clock
) -> None:
    client_id, partner = auth.partner(ALL_SCOPES)
    _, admin_of_licences = auth.business(USCC, MandateRole.LICENCE_ADMINISTRATOR)
    assert clock.now is not None
    start = clock.now
    _grant(client, admin_of_licences, client_id, start + timedelta(minutes=2), "food-business")
    assert len(_verify_code(client, world, partner)["licences"]) == 1
    clock.now = start + timedelta(minutes=3)  # the partner's token (5 minutes) is still good
    answer = _verify_code(client, world, partner)
    assert answer["licences"] == [] and answer["consented_types"] == []
    assert client.get(f"/v1/licences/{world.food}", params=WHY, headers=partner).status_code == 403
    listed = _ok(client.get(f"/v1/entities/{USCC}/consents", headers=admin_of_licences))
    assert [c["state"] for c in listed] == ["expired"]
    active = client.get(
        f"/v1/entities/{USCC}/consents", params={"active_only": True}, headers=admin_of_licences
    )
    assert _ok(active) == []


def test_consent_revoked_ends_access_at_once(
    client: TestClient, auth: Auth, world: World, clock: Clock
) -> None:
    client_id, partner = auth.partner(ALL_SCOPES)
    _, owner = auth.business(USCC)
    assert clock.now is not None
    first = _grant(client, owner, client_id, clock.now + timedelta(days=1), "food-business")
    second = _grant(client, owner, client_id, clock.now + timedelta(days=1), "business-licence")
    assert len(_verify_code(client, world, partner)["licences"]) == 2
    revoked = _ok(client.post(f"/v1/entities/{USCC}/consents/{first['id']}/revoke", headers=owner))
    assert revoked["state"] == "revoked" and revoked["revoked_at"]
    assert [v["type_code"] for v in _verify_code(client, world, partner)["licences"]] == [
        "business-licence"
    ]
    again = client.post(f"/v1/entities/{USCC}/consents/{first['id']}/revoke", headers=owner)
    assert again.status_code == 409
    assert again.json()["type"] == "urn:codeid:problem:consent-already-revoked"
    deleted = client.delete(f"/v1/entities/{USCC}/consents/{second['id']}", headers=owner)
    assert deleted.status_code == 204
    assert _verify_code(client, world, partner)["licences"] == []
    states = [c["state"] for c in _ok(client.get(f"/v1/entities/{USCC}/consents", headers=owner))]
    assert states == ["revoked", "revoked"]


def test_who_may_grant_list_and_revoke(
    client: TestClient, auth: Auth, world: World, clock: Clock
) -> None:
    client_id, _ = auth.partner(ALL_SCOPES, name="Ping An")
    assert clock.now is not None
    until = clock.now + timedelta(days=1)
    body = {
        "client_id": client_id,
        "licence_types": ["food-business"],
        "expires_at": until.isoformat(),
    }
    url = f"/v1/entities/{USCC}/consents"
    _, agent = auth.business(USCC, MandateRole.AGENT)
    _, stranger = auth.business(OTHER_USCC)
    admin, clerk = auth.admin(), auth.user(Role.CLERK)[1]
    for headers, status in ((agent, 403), (stranger, 403), (admin, 403), (clerk, 403), ({}, 401)):
        assert client.post(url, json=body, headers=headers).status_code == status
    _, owner = auth.business(USCC)
    consent = _grant(client, owner, client_id, until, "food-business")
    assert [c["id"] for c in _ok(client.get(url, headers=admin))] == [consent["id"]]
    assert client.get(url, headers=stranger).status_code == 403
    assert client.get(url, headers=clerk).status_code == 403
    revoke = f"{url}/{consent['id']}/revoke"
    assert client.post(revoke, headers=agent).status_code == 403
    foreign = client.post(
        f"/v1/entities/{OTHER_USCC}/consents/{consent['id']}/revoke", headers=stranger
    )
    assert foreign.status_code == 404  # another business's consent is not found, not revoked
    for bad, slug in (
        (body | {"client_id": "cid_nobody"}, "client-not-found"),
        (body | {"licence_types": ["no-such"]}, "invalid-consent"),
        (body | {"expires_at": (clock.now - timedelta(days=1)).isoformat()}, "invalid-consent"),
    ):
        response = client.post(url, json=bad, headers=owner)
        assert response.json()["type"] == f"urn:codeid:problem:{slug}", response.text
    partners = _ok(client.get("/v1/partners", headers=owner))
    assert {"client_id": client_id, "name": "Ping An", "scopes": ALL_SCOPES} in partners
    assert client.get("/v1/partners").status_code == 401


def test_a_business_user_sees_another_business_as_a_partner_would(
    client: TestClient, auth: Auth, world: World
) -> None:
    _, stranger = auth.business(OTHER_USCC)
    answer = _verify_code(client, world, stranger)
    assert "claims" not in answer and answer["licences"] == []
    _, owner = auth.business(USCC, MandateRole.AGENT)
    own = _verify_code(client, world, owner)
    assert own["claims"]["uscc"] == USCC and len(own["licences"]) == 2
    issuer_user = auth.user(Role.ISSUER, issuer_uscc="11440100MB2C92747J")[1]
    assert (
        client.post(
            "/v1/codes/verify", json={"payload": world.payload}, headers=issuer_user
        ).status_code
        == 403
    )
