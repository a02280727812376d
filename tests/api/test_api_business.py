"""A business's own bookings (today on) and tickets today, with people ahead and the wait."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from codeid.accounts.models import UserAccount
from counter.hall import demo_hall_path
from tests.api.callers import Auth, Headers, bearer
from tests.api.conftest import Clock
from tests.api.test_api_entities import HUAWEI, TENCENT, assert_problem
from tests.api.test_api_licences import _json

MONDAY_10_SHANGHAI = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
FRIDAY, MONDAY = date(2026, 11, 27), date(2026, 11, 30)
TUESDAY, WEDNESDAY = date(2026, 12, 1), date(2026, 12, 2)
UID = HUAWEI["uscc"]


def _set_up(client: TestClient, auth: Auth) -> tuple[dict[str, Any], Headers]:
    admin = auth.admin()
    hall_doc = json.loads(demo_hall_path().read_text("utf-8"))
    _json(client.put("/v1/hall", json=hall_doc, headers=admin))
    for entity in (HUAWEI, TENCENT):
        _json(client.post("/v1/entities", json=entity, headers=admin))
    hall = _json(client.get("/v1/hall"))
    item = next(i for i in hall["items"] if i["category"] == "A")
    return {**hall, "item": item}, admin


def _fresh(auth: Auth, user: UserAccount) -> Headers:
    """A new token for the same user, after the clock moved past the old one's life."""
    with auth.runtime.session() as session:
        return bearer(auth.runtime.mint_user_token(session, user, now=auth.clock()))


def _book(client: TestClient, owner: Headers, item: str, day: date) -> dict[str, Any]:
    body = {"uscc": UID, "item_code": item, "day": day.isoformat()}
    return _json(client.post("/v1/bookings", json=body, headers=owner))


def _listed(client: TestClient, headers: Headers, **params: Any) -> list[tuple[str, str]]:
    response = client.get(f"/v1/entities/{UID}/bookings", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [(b["reference"], b["status"]) for b in response.json()]


def test_bookings_from_today_on(client: TestClient, clock: Clock, auth: Auth) -> None:
    clock.now = MONDAY_10_SHANGHAI - timedelta(days=3)
    hall, _ = _set_up(client, auth)
    item = hall["item"]["code"]
    user, owner = auth.business(UID)
    past = _book(client, owner, item, FRIDAY)
    _json(client.post(f"/v1/bookings/{past['reference']}/confirm", headers=owner))

    clock.now = MONDAY_10_SHANGHAI
    owner = _fresh(auth, user)
    kept = _book(client, owner, item, TUESDAY)
    _json(client.post(f"/v1/bookings/{kept['reference']}/confirm", headers=owner))
    cancelled = _book(client, owner, item, MONDAY)
    _json(client.post(f"/v1/bookings/{cancelled['reference']}/cancel", headers=owner))
    lapsing = _book(client, owner, item, WEDNESDAY)  # held, never confirmed
    assert (lapsing["reference"], "held") in _listed(client, owner)

    clock.now = MONDAY_10_SHANGHAI + timedelta(minutes=11)  # past the 10 minute hold
    owner = _fresh(auth, user)
    assert _listed(client, owner) == [(kept["reference"], "confirmed")]
    assert _listed(client, owner, include_ended=True) == [
        (cancelled["reference"], "cancelled"),
        (kept["reference"], "confirmed"),
        (lapsing["reference"], "expired"),
    ]
    shown = client.get(f"/v1/entities/{UID}/bookings", headers=owner).json()[0]
    assert shown["item_name_zh"] == hall["item"]["name_zh"] and shown["category_code"] == "A"
    assert datetime.fromisoformat(shown["starts_at"]).date() == TUESDAY
    assert shown["ends_at"] > shown["starts_at"]


def test_who_may_read_the_bookings(client: TestClient, clock: Clock, auth: Auth) -> None:
    clock.now = MONDAY_10_SHANGHAI
    hall, admin = _set_up(client, auth)
    _, owner = auth.business(UID)
    booking = _book(client, owner, hall["item"]["code"], TUESDAY)
    _, tencent = auth.business(TENCENT["uscc"])
    assert_problem(client.get(f"/v1/entities/{UID}/bookings", headers=tencent), 403, "forbidden")
    assert_problem(client.get(f"/v1/entities/{UID}/tickets", headers=tencent), 403, "forbidden")
    assert _listed(client, auth.clerk([1])) == [(booking["reference"], "held")]
    assert _listed(client, admin) == [(booking["reference"], "held")]
    bad = client.get("/v1/entities/9144/bookings", headers=admin)
    assert_problem(bad, 422, "uscc-length")

    log = _json(client.get(f"/v1/entities/{UID}/access-log", headers=owner))["items"]
    actions = [(e["action"], e["outcome"]) for e in log]
    assert ("booking.list", "ok") in actions and ("ticket.list", "forbidden") in actions
    answered = [e for e in log if (e["action"], e["outcome"]) == ("booking.list", "ok")]
    assert all("reference" in e["fields"] for e in answered)
    assert {e["actor_role"] for e in answered} == {"admin", "clerk"}


def _check_in(client: TestClient, owner: Headers, uscc: str, item: str) -> dict[str, Any]:
    code = _json(client.post("/v1/me/codes", json={"uscc": uscc}, headers=owner))
    body = {"payload": code["payload"], "item_code": item}
    return _json(client.post("/v1/checkins", json=body))


def test_tickets_today_with_people_ahead(client: TestClient, clock: Clock, auth: Auth) -> None:
    clock.now = MONDAY_10_SHANGHAI
    hall, _ = _set_up(client, auth)
    item = hall["item"]["code"]
    user, owner = auth.business(UID)
    assert client.get(f"/v1/entities/{UID}/tickets", headers=owner).json() == []

    _, tencent = auth.business(TENCENT["uscc"])
    _check_in(client, tencent, TENCENT["uscc"], item)
    clock.now += timedelta(minutes=1)
    mine = _check_in(client, owner, UID, item)
    assert mine["people_ahead"] == 1 and mine["estimated_wait_minutes"] > 0

    tickets = _json(client.get(f"/v1/entities/{UID}/tickets", headers=owner))
    assert isinstance(tickets, list) and len(tickets) == 1
    [ticket] = tickets
    assert ticket["number"] == mine["ticket"]["number"] and ticket["status"] == "waiting"
    assert ticket["people_ahead"] == 1
    assert ticket["estimated_wait_minutes"] == mine["estimated_wait_minutes"]

    window = next(w["number"] for w in hall["windows"] if "A" in w["categories"])
    called = _json(client.post(f"/v1/windows/{window}/call", headers=auth.clerk([window])))
    assert called["ticket"]["uscc"] == TENCENT["uscc"]
    [ticket] = _json(client.get(f"/v1/entities/{UID}/tickets", headers=owner))
    assert ticket["people_ahead"] == 0 and ticket["estimated_wait_minutes"] == 0.0

    _json(client.post(f"/v1/windows/{window}/call", headers=auth.clerk([window])))
    [ticket] = _json(client.get(f"/v1/entities/{UID}/tickets", headers=owner))
    assert ticket["status"] == "called" and ticket["estimated_wait_minutes"] is None

    clock.now += timedelta(days=1)  # tomorrow: today's list is empty again
    owner = _fresh(auth, user)
    assert client.get(f"/v1/entities/{UID}/tickets", headers=owner).json() == []


def test_no_hall_no_bookings_or_tickets(client: TestClient, auth: Auth) -> None:
    admin = auth.admin()
    _json(client.post("/v1/entities", json=HUAWEI, headers=admin))
    assert client.get(f"/v1/entities/{UID}/bookings", headers=admin).json() == []
    assert client.get(f"/v1/entities/{UID}/tickets", headers=admin).json() == []
