"""Walk-in tickets without a code, naming their business at the window, and the clerk's desk,
over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from api.routes.walk_ins import WALK_INS_PER_MINUTE
from codeid.audit.models import AccessEvent
from codeid.mandates.models import MandateRole
from counter.hall import demo_hall_path
from tests.api.callers import Auth, Headers
from tests.api.conftest import Clock
from tests.api.test_api_entities import HUAWEI, assert_problem

MONDAY_10_SHANGHAI = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
USCC = HUAWEI["uscc"]
WINDOW = 1  # demo hall: categories A, F


def _json(response: Any) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


@pytest.fixture
def admin(client: TestClient, clock: Clock, auth: Auth) -> Headers:
    """A loaded demo hall and Huawei in the registry."""
    clock.now = MONDAY_10_SHANGHAI
    headers = auth.admin()
    hall_doc = json.loads(demo_hall_path().read_text("utf-8"))
    _json(client.put("/v1/hall", json=hall_doc, headers=headers))
    _json(client.post("/v1/entities", json=HUAWEI, headers=headers))
    return headers


def _code(client: TestClient, headers: Headers, uscc: str = USCC) -> str:
    issued = _json(
        client.post(f"/v1/entities/{uscc}/codes", json={"kind": "dynamic"}, headers=headers)
    )
    return str(issued["payload"])


def _walk_in(client: TestClient, **body: str) -> dict[str, Any]:
    response = client.post("/v1/tickets/walk-in", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _call(client: TestClient, clerk: Headers, window: int = WINDOW) -> dict[str, Any]:
    called = _json(client.post(f"/v1/windows/{window}/call", headers=clerk))
    assert called["ticket"] is not None
    return dict(called["ticket"])


def test_walk_in_by_category_or_item_queues_a_ticket_without_a_business(
    client: TestClient, clock: Clock, admin: Headers
) -> None:
    first = _walk_in(client, category_code="F")
    ticket = first["ticket"]
    assert (ticket["number"], ticket["category_code"], ticket["uscc"]) == ("F001", "F", "")
    assert (ticket["priority"], ticket["status"], ticket["item_code"]) == (
        "walk-in",
        "waiting",
        None,
    )
    assert first["people_ahead"] == 0 and first["booking"] is None and first["acting"] is None

    clock.now = MONDAY_10_SHANGHAI + timedelta(minutes=1)
    second = _walk_in(client, item_code="tobacco-retail-renewal", location="kiosk 2")
    assert second["ticket"]["number"] == "F002"
    assert second["ticket"]["item_code"] == "tobacco-retail-renewal"
    assert second["people_ahead"] == 1 and second["estimated_wait_minutes"] > 0

    assert_problem(client.post("/v1/tickets/walk-in", json={}), 422, "invalid-input")
    assert_problem(
        client.post("/v1/tickets/walk-in", json={"item_code": "no-such-item"}),
        404,
        "service-item-not-found",
    )
    assert_problem(
        client.post("/v1/tickets/walk-in", json={"category_code": "Z"}),
        404,
        "service-category-not-found",
    )


def test_the_window_names_the_business_by_its_code_then_opens_the_case(
    client: TestClient, clock: Clock, auth: Auth, admin: Headers
) -> None:
    ticket = _walk_in(client, item_code="address-change")["ticket"]
    clerk = auth.clerk([WINDOW])
    assert _call(client, clerk)["id"] == ticket["id"]
    case_in = {"ticket_id": ticket["id"], "item_code": "address-change", "window": WINDOW}
    refused = assert_problem(
        client.post("/v1/cases", json=case_in, headers=clerk), 409, "ticket-not-identified"
    )
    assert "scan the business code" in refused["detail"]

    stale = _code(client, admin)
    clock.now = MONDAY_10_SHANGHAI + timedelta(minutes=5)  # a dynamic code lives 2 minutes
    identify = f"/v1/tickets/{ticket['id']}/identify"
    expired = client.post(identify, json={"window": WINDOW, "payload": stale}, headers=clerk)
    assert_problem(expired, 422, "code-expired")

    static = _json(
        client.post(f"/v1/entities/{USCC}/codes", json={"kind": "static"}, headers=admin)
    )["payload"]
    printed = client.post(identify, json={"window": WINDOW, "payload": static}, headers=clerk)
    assert_problem(printed, 422, "not-consumable")  # as at check-in: a fresh code, in person

    other_clerk = auth.clerk([2])
    payload = _code(client, admin)
    body = {"window": WINDOW, "payload": payload}
    assert_problem(client.post(identify, json=body, headers=other_clerk), 403, "forbidden")
    assert_problem(
        client.post(identify, json={"window": 2, "payload": payload}, headers=other_clerk),
        409,
        "wrong-window",
    )
    named = _json(client.post(identify, json=body, headers=clerk))
    assert (named["uscc"], named["status"], named["number"]) == (USCC, "called", ticket["number"])
    assert_problem(
        client.post(
            identify, json={"window": WINDOW, "payload": _code(client, admin)}, headers=clerk
        ),
        409,
        "ticket-already-identified",
    )

    # The code was used to name the business: it cannot check in (or name another ticket).
    replay = client.post("/v1/checkins", json={"payload": payload})
    assert_problem(replay, 422, "code-already-used")

    case = _json(client.post("/v1/cases", json=case_in, headers=clerk))
    assert case["uscc"] == USCC
    by_name = {field["name"]: field for field in case["form"]}
    assert by_name["entity_name"]["value"] == HUAWEI["name"]
    assert by_name["entity_name"]["source"]["kind"] == "entity"

    with auth.runtime.session() as session:
        logged = session.exec(
            select(AccessEvent)
            .where(AccessEvent.action == "ticket.identify")
            .order_by(col(AccessEvent.id))
        ).all()
        outcomes = [(event.outcome, event.subject_uscc) for event in logged]
    assert ("code-expired", USCC) in outcomes and ("ok", USCC) in outcomes


def test_an_agent_names_the_business_only_for_an_item_in_its_scope(
    client: TestClient, auth: Auth, admin: Headers
) -> None:
    _, agent = auth.business(USCC, MandateRole.AGENT, scope=["tobacco-retail-renewal"])
    ticket = _walk_in(client, item_code="address-change")["ticket"]
    clerk = auth.clerk([WINDOW, 2])
    assert _call(client, clerk)["id"] == ticket["id"]
    refused = client.post(
        f"/v1/tickets/{ticket['id']}/identify",
        json={"window": WINDOW, "payload": _code(client, agent)},
        headers=clerk,
    )
    assert_problem(refused, 403, "outside-agent-scope")

    in_scope = _walk_in(client, item_code="tobacco-retail-renewal")["ticket"]
    assert _call(client, clerk, 2)["id"] == in_scope["id"]
    named = _json(
        client.post(
            f"/v1/tickets/{in_scope['id']}/identify",
            json={"window": 2, "payload": _code(client, agent)},
            headers=clerk,
        )
    )
    assert named["uscc"] == USCC and named["mandate_id"] is not None


def test_a_waiting_ticket_is_not_named_before_it_is_called(
    client: TestClient, auth: Auth, admin: Headers
) -> None:
    ticket = _walk_in(client, category_code="A")["ticket"]
    clerk = auth.clerk([WINDOW])
    refused = client.post(
        f"/v1/tickets/{ticket['id']}/identify",
        json={"window": WINDOW, "payload": _code(client, admin)},
        headers=clerk,
    )
    assert_problem(refused, 409, "ticket-state")
    missing = client.post(
        "/v1/tickets/999999/identify",
        json={"window": WINDOW, "payload": _code(client, admin)},
        headers=clerk,
    )
    assert_problem(missing, 404, "ticket-not-found")


def test_walk_ins_from_one_address_are_rate_limited(client: TestClient, admin: Headers) -> None:
    for _ in range(WALK_INS_PER_MINUTE):
        _walk_in(client, category_code="C")
    refused = client.post("/v1/tickets/walk-in", json={"category_code": "C"})
    assert_problem(refused, 429, "rate-limited")
    assert int(refused.headers["Retry-After"]) >= 1


def test_my_windows_show_the_ticket_at_each_and_its_open_case(
    client: TestClient, auth: Auth, admin: Headers
) -> None:
    clerk = auth.clerk([2, WINDOW, 11])
    ticket = _walk_in(client, category_code="A")["ticket"]
    _walk_in(client, category_code="B")
    desk = _json(client.get("/v1/me/windows", headers=clerk))
    assert [w["number"] for w in desk] == [WINDOW, 2, 11]
    first = desk[0]
    assert (first["categories"], first["open"], first["current"]) == (["A", "F"], True, None)
    assert first["waiting"] == 1 and desk[2]["waiting"] == 2  # window 11 calls B and A

    assert _call(client, clerk)["id"] == ticket["id"]
    _json(
        client.post(
            f"/v1/tickets/{ticket['id']}/identify",
            json={"window": WINDOW, "payload": _code(client, admin)},
            headers=clerk,
        )
    )
    case = _json(
        client.post(
            "/v1/cases",
            json={"ticket_id": ticket["id"], "item_code": "address-change", "window": WINDOW},
            headers=clerk,
        )
    )
    first = _json(client.get("/v1/me/windows", headers=clerk))[0]
    assert first["current"]["number"] == ticket["number"]
    assert first["current"]["status"] == "serving" and first["case_id"] == case["id"]
    assert first["waiting"] == 0

    assert_problem(client.get("/v1/me/windows", headers=auth.admin()), 403, "forbidden")
    assert_problem(client.get("/v1/me/windows"), 401, "unauthenticated")
