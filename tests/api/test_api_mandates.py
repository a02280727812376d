"""Mandates over HTTP, on SQLite and PostgreSQL: the legal representative appoints
administrators (five at most), an administrator authorises an agent for one service item, the
agent's code checks in, a case for another item is refused, and revoking an administrator
stops its code at once, with the reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from codeid.accounts.models import Role
from codeid.audit.models import AccessEvent
from counter.hall import demo_hall_path
from tests.api.callers import Auth, Headers
from tests.api.conftest import Clock

MONDAY_10_SHANGHAI = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
ENTITY = {
    "uscc": "914403001922038216",
    "name": "华为技术有限公司",
    "entity_type": "company",
    "legal_representative": "赵明路",
}
USCC = ENTITY["uscc"]
SCOPE = "address-change"  # category A: window 1
OUTSIDE = "deregistration"  # category A too


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = cast(dict[str, Any], response.json())
    assert body["type"] == f"urn:codeid:problem:{slug}"
    return body


class Business:
    """A business user: its account, its headers."""

    def __init__(self, auth: Auth, name: str) -> None:
        user, self.headers = auth.user(Role.BUSINESS, username=name)
        self.username = user.username
        self.id = user.id


@pytest.fixture
def world(client: TestClient, auth: Auth, clock: Clock) -> tuple[Headers, Business]:
    """An open hall, the entity, and its legal representative bound by an administrator."""
    clock.now = MONDAY_10_SHANGHAI
    admin = auth.admin()
    hall = json.loads(demo_hall_path().read_text("utf-8"))
    _ok(client.put("/v1/hall", json=hall, headers=admin))
    _ok(client.post("/v1/entities", json=ENTITY, headers=admin), 201)
    rep = Business(auth, "zhao-mingl")
    bound = _ok(
        client.post(
            f"/v1/entities/{USCC}/legal-representative",
            json={"username": rep.username},
            headers=admin,
        ),
        201,
    )
    assert (bound["role"], bound["user_id"], bound["state"]) == (
        "legal-representative",
        rep.id,
        "in-force",
    )
    return admin, rep


def _appoint(client: TestClient, by: Business, who: Business) -> httpx.Response:
    return client.post(  # type: ignore[no-any-return]
        f"/v1/entities/{USCC}/administrators", json={"username": who.username}, headers=by.headers
    )


def test_the_issue_scenario_over_http(
    client: TestClient, auth: Auth, clock: Clock, world: tuple[Headers, Business]
) -> None:
    admin, rep = world
    [mine] = _ok(client.get("/v1/me/entities", headers=rep.headers))
    assert (mine["uscc"], mine["name"], mine["mandate"]["role"]) == (
        USCC,
        ENTITY["name"],
        "legal-representative",
    )

    # Five licence administrators; the sixth is refused.
    admins = [Business(auth, f"admin-{i}") for i in range(6)]
    appointed = [_ok(_appoint(client, rep, who), 201) for who in admins[:5]]
    _problem(_appoint(client, rep, admins[5]), 409, "too-many-administrators")
    _problem(_appoint(client, admins[0], admins[5]), 403, "forbidden")  # only the legal rep

    # An administrator authorises an agent for one service item, for a week.
    agent = Business(auth, "runner")
    until = (MONDAY_10_SHANGHAI + timedelta(days=7)).isoformat()
    mandate = _ok(
        client.post(
            f"/v1/entities/{USCC}/agents",
            json={"user_id": agent.id, "scope": [SCOPE], "valid_until": until},
            headers=admins[0].headers,
        ),
        201,
    )
    assert (mandate["role"], mandate["scope"], mandate["granted_by"]) == (
        "agent",
        [SCOPE],
        admins[0].id,
    )
    unknown_item = {"username": "xiao", "scope": ["no-such-item"], "valid_until": until}
    _problem(
        client.post(f"/v1/entities/{USCC}/agents", json=unknown_item, headers=rep.headers),
        404,
        "user-not-found",
    )
    Business(auth, "xiao")
    _problem(
        client.post(f"/v1/entities/{USCC}/agents", json=unknown_item, headers=rep.headers),
        422,
        "invalid-mandate-scope",
    )

    # The agent's code names the agent and the scope.
    code = _ok(
        client.post("/v1/me/codes", json={"uscc": USCC, "image": "svg"}, headers=agent.headers),
        201,
    )
    assert code["kind"] == "dynamic" and code["mandate_id"] == mandate["id"]
    assert code["acting"]["display_name"] == agent.username and code["acting"]["scope"] == [SCOPE]
    assert code["image"].startswith("data:image/svg+xml;base64,")
    assert len(code["payload"]) <= 221 and code["qr_version"] <= 10
    static = client.post(
        f"/v1/entities/{USCC}/codes", json={"kind": "static"}, headers=agent.headers
    )
    _problem(static, 403, "forbidden")

    # Check-in at the kiosk (no sign-in): the ticket and the answer say who acts.
    clock.now = MONDAY_10_SHANGHAI + timedelta(seconds=30)
    checked = _ok(client.post("/v1/checkins", json={"payload": code["payload"]}), 201)
    assert checked["ticket"]["mandate_id"] == mandate["id"]
    assert checked["acting"]["role"] == "agent" and checked["acting"]["scope"] == [SCOPE]

    # The clerk calls it; a case for another item is refused, for the agent's item it opens.
    clerk = auth.clerk([1])
    called = _ok(client.post("/v1/windows/1/call", headers=clerk))
    assert called["ticket"]["id"] == checked["ticket"]["id"]
    case_for = {"ticket_id": called["ticket"]["id"], "window": 1}
    refused = client.post("/v1/cases", json=case_for | {"item_code": OUTSIDE}, headers=clerk)
    _problem(refused, 403, "outside-agent-scope")
    case = _ok(client.post("/v1/cases", json=case_for | {"item_code": SCOPE}, headers=clerk), 201)
    assert case["acting"]["id"] == mandate["id"] and case["acting"]["display_name"] == "runner"
    assert _ok(client.get(f"/v1/cases/{case['id']}", headers=clerk))["acting"]["role"] == "agent"

    # Revoking an administrator: the code it holds stops working at once, with the reason.
    admin_code = _ok(
        client.post(f"/v1/entities/{USCC}/codes", json={}, headers=admins[1].headers), 201
    )
    assert admin_code["mandate_id"] == appointed[1]["id"]
    revoked = _ok(
        client.post(
            f"/v1/mandates/{appointed[1]['id']}/revoke",
            json={"reason": "left the company"},
            headers=rep.headers,
        )
    )
    assert [m["state"] for m in revoked["revoked"]] == ["revoked"]
    verdict = _ok(
        client.post("/v1/codes/verify", json={"payload": admin_code["payload"]}, headers=admin)
    )
    assert (verdict["valid"], verdict["reason"]) == (False, "mandate-revoked")
    assert verdict["acting"]["state"] == "revoked"
    _problem(
        client.post("/v1/checkins", json={"payload": admin_code["payload"]}),
        422,
        "code-mandate-revoked",
    )
    _problem(_appoint(client, admins[1], admins[5]), 403, "forbidden")
    _problem(
        client.post(f"/v1/entities/{USCC}/codes", json={}, headers=admins[1].headers),
        403,
        "forbidden",
    )
    # The place it left is free again.
    _ok(_appoint(client, rep, admins[5]), 201)

    _access_log_says(auth, mandate["id"], called["ticket"]["id"], case["id"])


def _access_log_says(auth: Auth, mandate_id: int, ticket_id: int, case_id: int) -> None:
    with Session(auth.runtime.engine) as session:
        events = session.exec(
            select(AccessEvent)
            .where(col(AccessEvent.action).in_(("counter.checkin", "case.open")))
            .order_by(col(AccessEvent.id))
        ).all()
    seen = [(e.action, e.outcome, e.subject_uscc, e.on_behalf_of, e.resource) for e in events]
    assert seen[0] == (
        "counter.checkin",
        "ok",
        USCC,
        f"mandate:{mandate_id}",
        f"ticket:{ticket_id}",
    )
    assert seen[1][:3] == ("case.open", "outside-agent-scope", USCC)
    assert seen[2] == ("case.open", "ok", USCC, "window:1", f"case:{case_id}")
    assert seen[3][:3] == ("counter.checkin", "code-mandate-revoked", USCC)
    assert events[0].actor_kind == "anonymous" and events[2].actor_role == "clerk"
    assert "entity.name" in events[2].fields  # names of what filled the form, never values
    assert ENTITY["name"] not in json.dumps([e.model_dump(mode="json") for e in events])


def test_who_sees_and_revokes_mandates(
    client: TestClient, auth: Auth, world: tuple[Headers, Business]
) -> None:
    admin, rep = world
    deputy = Business(auth, "deputy")
    appointed = _ok(_appoint(client, rep, deputy), 201)
    agent = Business(auth, "agent")
    until = (MONDAY_10_SHANGHAI + timedelta(days=1)).isoformat()
    granted = _ok(
        client.post(
            f"/v1/entities/{USCC}/agents",
            json={"username": agent.username, "valid_until": until},
            headers=deputy.headers,
        ),
        201,
    )
    assert granted["scope"] == []  # all business

    everything = _ok(client.get(f"/v1/entities/{USCC}/mandates", headers=rep.headers))
    assert [m["role"] for m in everything] == [
        "legal-representative",
        "licence-administrator",
        "agent",
    ]
    assert _ok(client.get(f"/v1/entities/{USCC}/mandates", headers=admin)) == everything
    own = _ok(client.get(f"/v1/entities/{USCC}/mandates", headers=agent.headers))
    assert [m["id"] for m in own] == [granted["id"]]
    _problem(client.get(f"/v1/mandates/{appointed['id']}", headers=agent.headers), 403, "forbidden")
    assert (
        _ok(client.get(f"/v1/mandates/{granted['id']}", headers=agent.headers))["id"]
        == granted["id"]
    )

    stranger = Business(auth, "stranger")
    _problem(
        client.get(f"/v1/entities/{USCC}/mandates", headers=stranger.headers), 403, "forbidden"
    )
    _problem(_appoint(client, stranger, agent), 403, "forbidden")
    _problem(client.get("/v1/me/entities", headers=admin), 403, "forbidden")
    _problem(client.get(f"/v1/entities/{USCC}/mandates"), 401, "unauthenticated")

    # A legal representative bound by a business user? Only administrators bind.
    bind = {"username": deputy.username}
    _problem(
        client.post(f"/v1/entities/{USCC}/legal-representative", json=bind, headers=rep.headers),
        403,
        "forbidden",
    )
    _problem(
        client.post(f"/v1/entities/{USCC}/legal-representative", json={}, headers=admin),
        422,
        "validation",
    )

    # An administrator revokes agents, not other administrators; with include_agents the
    # legal representative ends an administrator and the agents it authorised.
    _problem(
        client.post(f"/v1/mandates/{appointed['id']}/revoke", json={}, headers=deputy.headers),
        403,
        "forbidden",
    )
    ended = _ok(
        client.post(
            f"/v1/mandates/{appointed['id']}/revoke",
            json={"include_agents": True},
            headers=rep.headers,
        )
    )
    assert [m["id"] for m in ended["revoked"]] == [appointed["id"], granted["id"]]
    _problem(
        client.post(f"/v1/mandates/{granted['id']}/revoke", json={}, headers=rep.headers),
        409,
        "mandate-already-revoked",
    )
    assert _ok(client.get("/v1/me/entities", headers=agent.headers)) == []
    _problem(
        client.post("/v1/me/codes", json={"uscc": USCC}, headers=agent.headers), 403, "forbidden"
    )
