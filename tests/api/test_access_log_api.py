"""The access log over HTTP: entity reads are logged, a business sees who read its data,
administrators search and verify the chain."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.schemas import EntityOut
from codeid.accounts.models import Role
from codeid.audit.models import AccessEvent
from codeid.uscc import random_uscc
from tests.api.callers import Auth, Headers
from tests.api.conftest import Clock

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
HUAWEI = "914403001922038216"
TENCENT = "91440300708461136T"
ABSENT = random_uscc(random.Random(7))  # well formed, never registered
ENTITY_FIELDS = sorted(EntityOut.model_fields)


@pytest.fixture
def admin(client: TestClient, auth: Auth, clock: Clock) -> Headers:
    clock.now = NOW
    headers = auth.admin()
    for uscc, name in ((HUAWEI, "华为技术有限公司"), (TENCENT, "深圳市腾讯计算机系统有限公司")):
        made = client.post("/v1/entities", json={"uscc": uscc, "name": name}, headers=headers)
        assert made.status_code == 201, made.text
    return headers


def entries(client: TestClient, url: str, headers: Headers, **params: Any) -> list[dict[str, Any]]:
    response = client.get(url, headers=headers, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_business_user_sees_who_read_its_entity(
    client: TestClient, auth: Auth, clock: Clock, admin: Headers
) -> None:
    clerk, clerk_headers = auth.user(Role.CLERK)
    owner, owner_headers = auth.business(HUAWEI)
    clock.now = NOW + timedelta(minutes=5)
    assert client.get(f"/v1/entities/{HUAWEI}", headers=clerk_headers).status_code == 200
    assert client.get(f"/v1/entities/{TENCENT}", headers=clerk_headers).status_code == 200
    clock.now = NOW + timedelta(minutes=6)
    assert client.get(f"/v1/entities/{HUAWEI}", headers=owner_headers).status_code == 200

    log = entries(client, f"/v1/entities/{HUAWEI}/access-log", owner_headers)
    assert [(e["actor"], e["action"]) for e in log] == [
        (f"user:{owner.id}", "entity.read"),
        (f"user:{clerk.id}", "entity.read"),
    ]
    by_clerk = log[1]
    assert by_clerk["actor_name"] == clerk.display_name and by_clerk["actor_role"] == "clerk"
    assert by_clerk["fields"] == ENTITY_FIELDS and by_clerk["outcome"] == "ok"
    assert datetime.fromisoformat(by_clerk["at"]) == NOW + timedelta(minutes=5)
    assert log[0]["on_behalf_of"].startswith("mandate:")
    assert {e["subject_uscc"] for e in log} == {HUAWEI}  # Tencent's read is not shown here
    assert "华为" not in str(log)  # names of fields, never their values

    # Reading the log was logged too, and the next read shows it.
    again = entries(client, f"/v1/entities/{HUAWEI}/access-log", owner_headers, limit=1)
    assert again[0]["action"] == "access_log.read" and again[0]["actor"] == f"user:{owner.id}"


def test_other_business_users_are_refused_and_the_refusal_is_logged(
    client: TestClient, auth: Auth, admin: Headers
) -> None:
    stranger, stranger_headers = auth.business(TENCENT)
    refused = client.get(f"/v1/entities/{HUAWEI}/access-log", headers=stranger_headers)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/v1/entities/{HUAWEI}", headers=stranger_headers).status_code == 403
    # A business user learns nothing of an entity it does not act for, not even its existence.
    absent = client.get(f"/v1/entities/{ABSENT}", headers=stranger_headers)
    assert absent.status_code == 403

    refusals = entries(client, "/v1/access-log", admin, actor=f"user:{stranger.id}")
    assert [(e["action"], e["outcome"], e["fields"]) for e in refusals[-2:]] == [
        ("entity.read", "forbidden", []),
        ("access_log.read", "forbidden", []),
    ]


def test_an_expired_mandate_no_longer_opens_the_log(
    client: TestClient, auth: Auth, clock: Clock, admin: Headers
) -> None:
    _, headers = auth.business(HUAWEI, valid_until=NOW + timedelta(minutes=2))
    assert client.get(f"/v1/entities/{HUAWEI}/access-log", headers=headers).status_code == 200
    clock.now = NOW + timedelta(minutes=3)  # the token still holds, the mandate does not
    assert client.get(f"/v1/entities/{HUAWEI}/access-log", headers=headers).status_code == 403


def test_admin_search_filters_and_pages(
    client: TestClient, auth: Auth, clock: Clock, admin: Headers
) -> None:
    clerk, clerk_headers = auth.user(Role.CLERK)
    for minute, uscc in enumerate((HUAWEI, TENCENT, HUAWEI, "9144030070846113"), start=1):
        clock.now = NOW + timedelta(minutes=minute)
        client.get(f"/v1/entities/{uscc}", headers=clerk_headers)
    clock.now = NOW + timedelta(minutes=10)
    listed = client.get("/v1/entities", headers=clerk_headers, params={"name": "华为"})
    assert listed.status_code == 200

    huawei = entries(client, "/v1/access-log", admin, uscc=HUAWEI, action="entity.read")
    assert len(huawei) == 2 and {e["actor"] for e in huawei} == {f"user:{clerk.id}"}
    missing = entries(client, "/v1/access-log", admin, outcome="uscc-length")
    assert [e["subject_uscc"] for e in missing] == [None]  # a malformed code is no subject
    searches = entries(client, "/v1/access-log", admin, action="entity.search")
    assert searches[0]["resource"] == "results:1" and "华为" not in str(searches)
    window = entries(
        client,
        "/v1/access-log",
        admin,
        actor=f"user:{clerk.id}",
        since=(NOW + timedelta(minutes=2)).isoformat(),
        until=(NOW + timedelta(minutes=4)).isoformat(),
    )
    assert [datetime.fromisoformat(e["at"]).minute for e in window] == [33, 32]

    first = client.get("/v1/access-log", headers=admin, params={"limit": 2}).json()
    second = client.get(
        "/v1/access-log", headers=admin, params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert first["next_cursor"] is not None
    assert max(e["id"] for e in second["items"]) < min(e["id"] for e in first["items"])

    naive = client.get("/v1/access-log", headers=admin, params={"since": "2026-11-27T00:00:00"})
    assert naive.status_code == 422
    nul = client.get("/v1/access-log", headers=admin, params={"actor": "user:\x001"})
    assert nul.status_code == 422


def test_admin_verifies_the_chain_and_sees_tampering(
    client: TestClient, auth: Auth, admin: Headers
) -> None:
    _, clerk_headers = auth.user(Role.CLERK)
    for _ in range(3):
        client.get(f"/v1/entities/{HUAWEI}", headers=clerk_headers)
    intact = client.get("/v1/access-log/verify", headers=admin).json()
    assert intact["intact"] is True and intact["checked"] >= 3

    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with runtime.engine.begin() as conn:
        table = AccessEvent.__table__  # type: ignore[attr-defined]
        conn.execute(update(table).where(table.c.id == 2).values(purpose="edited"))
    broken = client.get("/v1/access-log/verify", headers=admin).json()
    assert broken == {
        "intact": False,
        "checked": 1,
        "first_broken_id": 2,
        "reason": "its content does not match its hash",
    }
