"""From booking to completion with one code, over HTTP, on SQLite and PostgreSQL:
book, check in by scanning a QR image of the dynamic code (OpenCV), call, open the case
with an auto-filled form, complete, rate, and the day's report counts it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from counter.hall import demo_hall_path
from tests.api.callers import Auth
from tests.api.conftest import Clock
from tests.api.test_api_entities import HUAWEI, assert_problem
from tests.api.test_api_licences import GZ_AMR, _issue, _issuer, _json

MONDAY_10_SHANGHAI = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def _food_item(hall: dict[str, Any]) -> dict[str, Any]:
    for item in hall["items"]:
        kinds = {m.get("licence_type") for m in item["materials"]}
        if "food-business" in kinds:
            return dict(item)
    raise AssertionError("the demo hall has no item needing a food business licence")


def _window_for(hall: dict[str, Any], category: str) -> int:
    return int(next(w["number"] for w in hall["windows"] if category in w["categories"]))


def test_booking_to_completion(client: TestClient, clock: Clock, auth: Auth) -> None:
    """Each step by the one who does it: the administrator sets up, the department issues,
    the business books and shows its code, the kiosk checks in, the clerk serves."""
    clock.now = MONDAY_10_SHANGHAI
    admin = auth.admin()
    hall_doc = json.loads(demo_hall_path().read_text("utf-8"))
    _json(client.put("/v1/hall", json=hall_doc, headers=admin))
    hall = _json(client.get("/v1/hall"))
    item = _food_item(hall)
    window = _window_for(hall, item["category"])

    client.post("/v1/entities", json=HUAWEI, headers=admin)
    client.headers.update(admin)  # _issuer registers the department as the administrator
    amr = _issuer(client, auth, GZ_AMR, "广州市市场监督管理局", "food-business")
    del client.headers["Authorization"]
    licence = _issue(client, amr, "food-business", "JY14401060000009")

    _, owner = auth.business(HUAWEI["uscc"])
    stranger = auth.business("91440300192203821T")[1]
    booking_in = {"uscc": HUAWEI["uscc"], "item_code": item["code"]}
    assert_problem(client.post("/v1/bookings", json=booking_in, headers=stranger), 403, "forbidden")
    held = _json(client.post("/v1/bookings", json=booking_in, headers=owner))
    assert held["status"] == "held"
    booking = _json(client.post(f"/v1/bookings/{held['reference']}/confirm", headers=owner))
    assert booking["status"] == "confirmed"

    clock.now = MONDAY_10_SHANGHAI + timedelta(minutes=5)
    png = client.get(
        f"/v1/entities/{HUAWEI['uscc']}/code.png", params={"kind": "dynamic"}, headers=owner
    )
    assert png.status_code == 200, png.text
    checked = client.post(
        "/v1/checkins/scan", files={"image": ("code.png", png.content, "image/png")}
    )
    assert checked.status_code == 201, checked.text
    ticket = checked.json()["ticket"]
    assert ticket["priority"] == "appointment" and ticket["number"].startswith(item["category"])
    replay = client.post(
        "/v1/checkins/scan", files={"image": ("code.png", png.content, "image/png")}
    )
    assert replay.status_code in (409, 422) and "used" in replay.json()["type"]

    clerk = auth.clerk([window])
    other_window = next(w["number"] for w in hall["windows"] if w["number"] != window)
    assert_problem(client.post(f"/v1/windows/{other_window}/call", headers=clerk), 403, "forbidden")

    clock.now += timedelta(minutes=3)
    called = _json(client.post(f"/v1/windows/{window}/call", headers=clerk))
    assert called["ticket"]["number"] == ticket["number"]
    board = _json(client.get("/v1/board"))
    assert ticket["number"] in json.dumps(board)
    stream = client.get("/v1/board/stream", params={"interval": 0.2, "seconds": 0.5})
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert "event: board" in stream.text and ticket["number"] in stream.text

    case = _json(
        client.post(
            "/v1/cases",
            headers=clerk,
            json={"ticket_id": ticket["id"], "item_code": item["code"], "window": window},
        )
    )
    from_licence = [f for f in case["form"] if f["source"].get("kind") == "licence"]
    assert from_licence and all(f["read_only"] for f in from_licence)
    assert any(licence["identifier"] in json.dumps(f["source"]) for f in from_licence)
    food = next(
        m for m in case["materials"] if m["material"].get("licence_type") == "food-business"
    )
    assert food["state"] == "satisfied"

    typed = {
        f["name"]: "13800000000" if "phone" in f["name"] else "广州市天河区珠江新城1号"
        for f in case["form"]
        if f.get("required") and f["value"] in (None, "")
    }
    assert typed, "the clerk types what no licence holds"
    updated = _json(client.patch(f"/v1/cases/{case['id']}", json={"values": typed}, headers=clerk))
    assert updated["status"] == "in-progress"

    clock.now += timedelta(minutes=7)
    done = _json(client.post(f"/v1/cases/{case['id']}/complete", headers=clerk))
    assert done["status"] == "completed" and done["service_seconds"] > 0
    rated = client.post(
        f"/v1/cases/{case['id']}/rating",
        json={"uscc": HUAWEI["uscc"], "score": "good", "comment": "无需纸质材料"},
    )
    assert rated.status_code == 201, rated.text

    report = _json(client.get("/v1/reports/daily", params={"day": "2026-11-30"}, headers=clerk))
    assert "good" in json.dumps(report)
    csv_text = client.get(
        "/v1/reports/daily", params={"day": "2026-11-30", "format": "csv"}, headers=clerk
    ).text
    assert item["category"] in csv_text
