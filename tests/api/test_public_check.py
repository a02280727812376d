"""The public check of a static code: name, status, valid licence types; nothing more."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.runtime import Runtime
from codeid.audit.models import AccessEvent
from codeid.clock import utcnow
from codeid.codes.payload import CodeKind
from codeid.codes.state import revoke_static_code
from codeid.entities.models import EntityStatus
from codeid.entities.service import set_entity_status
from credentials.licence_lifecycle import suspend_licence
from credentials.models import Issuer
from tests.api.conftest import Clock
from tests.api.partner_world import GZ_AMR, NAME, SECRET_VALUES, USCC, World, make_world


def _world(app: FastAPI, clock: Clock) -> tuple[Runtime, World, datetime]:
    now = clock.now = utcnow()
    runtime: Runtime = app.state.runtime
    return runtime, make_world(runtime, now), now


def _check(client: TestClient, code: str) -> dict[str, Any]:
    response = client.get("/v1/public/check", params={"code": code})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    for value in SECRET_VALUES:
        assert value not in response.text
    return answer


def test_a_static_code_shows_name_status_and_valid_licence_types(
    app: FastAPI, client: TestClient, clock: Clock
) -> None:
    runtime, world, now = _world(app, clock)
    answer = _check(client, world.payload)
    assert answer["valid"] is True and answer["reason"] == "ok"
    assert answer["entity"] == {"uscc": USCC, "name": NAME, "status": "active"}
    assert [t["code"] for t in answer["valid_licence_types"]] == [
        "business-licence",
        "food-business",
    ]
    assert answer["valid_licence_types"][1]["name_en"]
    with runtime.session() as session:
        issuer = session.exec(select(Issuer).where(Issuer.uscc == GZ_AMR)).one()
        suspend_licence(session, world.food, issuer=issuer, reason="inspection", actor="t", now=now)
    assert [t["code"] for t in _check(client, world.payload)["valid_licence_types"]] == [
        "business-licence"
    ]
    with Session(runtime.engine) as session:
        logged = session.exec(select(AccessEvent).order_by(col(AccessEvent.id))).all()
    assert [(e.actor_kind, e.actor, e.action, e.outcome) for e in logged] == [
        ("anonymous", "anonymous", "code.public-check", "ok")
    ] * 2
    assert logged[0].subject_uscc == USCC
    assert logged[0].fields == ["entity.name", "entity.status", "valid_licence_types"]


def test_dynamic_codes_and_refusals_say_nothing_about_the_business(
    app: FastAPI, client: TestClient, clock: Clock
) -> None:
    runtime, world, now = _world(app, clock)
    with runtime.session() as session:
        dynamic = runtime.issue_code(session, uscc=USCC, kind=CodeKind.DYNAMIC, now=now)
        spare = runtime.issue_code(session, uscc=USCC, kind=CodeKind.STATIC, now=now)
        revoke_static_code(session, spare.code_id, reason="internal note: lost sticker", now=now)
    refused = _check(client, dynamic.payload)
    assert refused["valid"] is False and refused["reason"] == "dynamic-code"
    assert refused["entity"] is None and refused["valid_licence_types"] == []
    withdrawn = _check(client, spare.payload)
    assert (
        withdrawn["reason"] == "revoked" and withdrawn["message"] == "This code has been withdrawn."
    )
    assert withdrawn["entity"] is None
    junk = _check(client, "https://example.com/?q=1")
    assert junk == junk | {
        "valid": False,
        "entity": None,
        "message": "This is not a valid business code.",
    }
    assert client.get("/v1/public/check").status_code == 422
    with runtime.session() as session:
        set_entity_status(
            session,
            USCC,
            status=EntityStatus.SUSPENDED,
            reason="inspection",
            actor="t",
            now=now,
        )
    suspended = _check(client, world.payload)
    assert suspended["valid"] is False and suspended["entity"]["status"] == "suspended"
    assert suspended["valid_licence_types"] == []
    assert "internal note" not in json.dumps([refused, withdrawn, junk, suspended])


def test_the_page_is_plain_html_and_escapes_what_it_is_given(
    app: FastAPI, client: TestClient, clock: Clock
) -> None:
    _, world, _ = _world(app, clock)
    empty = client.get("/check")
    assert empty.status_code == 200 and empty.headers["content-type"].startswith("text/html")
    assert '<form method="get" action="/check">' in empty.text and "<script" not in empty.text
    assert "default-src 'none'" in empty.headers["content-security-policy"]
    page = client.get("/check", params={"code": world.payload})
    assert NAME in page.text and "有效 / Valid" in page.text and "食品经营许可证" in page.text
    for value in SECRET_VALUES:
        assert value not in page.text
    hostile = client.get("/check", params={"code": '"><script>alert(1)</script>'})
    assert hostile.status_code == 200 and "<script>" not in hostile.text
    assert "&lt;script&gt;" in hostile.text and "无效 / Not valid" in hostile.text
