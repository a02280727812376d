"""Webhooks over HTTP: a partner subscribes, a licence is suspended, the app's own worker thread
delivers to a real loopback receiver, and the Standard Webhooks reference library verifies it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from api.runtime import Runtime
from api.settings import Settings
from codeid.clock import utcnow
from codeid.entities.models import Entity
from counter.tickets import lock_for_write
from credentials.issuers import register_issuer
from credentials.licences import issue_licence, suspend_licence
from credentials.models import Licence, PartnerClient
from credentials.partners.models import Consent
from credentials.partners.standard_webhooks import verify
from credentials.partners.webhooks import subscribe as subscribe_directly
from credentials.trust import grant_trust
from tests.api.callers import Auth, Headers
from tests.api.test_api_entities import assert_problem
from tests.credentials.webhook_receiver import Receiver, receiver
from tests.credentials.webhook_world import (
    FOOD_FIELDS,
    HOLDER,
    ISSUER,
    MASTER,
    NOW,
    issue_food,
    make_world,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The worker thread runs, polls often, and may call the loopback receiver."""
    return settings.model_copy(
        update={
            "webhook_worker": True,
            "webhook_poll_seconds": 0.1,
            "webhook_allow_private_urls": True,
        }
    )


def runtime_of(client: TestClient) -> Runtime:
    return cast(Runtime, client.app.state.runtime)  # type: ignore[attr-defined]


def a_licence(runtime: Runtime) -> Licence:
    now = utcnow() - timedelta(minutes=5)
    with runtime.session() as session:
        lock_for_write(session)  # the app's webhook worker writes too (SQLite: one writer)
        session.add(
            Entity(
                uscc=HOLDER,
                name="杭州西湖小吃店",
                entity_type="company",
                status="active",
                created_at=now,
                updated_at=now,
            )
        )
        issuer = register_issuer(
            session,
            uscc=ISSUER,
            name="西湖区市场监督管理局",
            authority_kind="market-regulation",
            master_secret=runtime.master_secret,
            actor="admin",
            now=now,
        )
        grant_trust(
            session,
            issuer_uscc=ISSUER,
            licence_type="food-business",
            valid_from=now,
            valid_until=None,
            actor="admin",
            now=now,
        )
        return issue_licence(
            session,
            issuer=issuer,
            licence_type="food-business",
            holder_uscc=HOLDER,
            licence_number="JY13301060012345",
            fields=FOOD_FIELDS,
            signer=runtime.issuer_signer(session, issuer),
            actor="issuer",
            now=now,
        )


def consent(runtime: Runtime, client_id: str, *types: str) -> None:
    now = utcnow()
    with runtime.session() as session:
        lock_for_write(session)  # the app's webhook worker writes too (SQLite: one writer)
        partner = session.exec(
            select(PartnerClient).where(PartnerClient.client_id == client_id)
        ).one()
        session.add(
            Consent(
                uscc=HOLDER,
                client_pk=partner.id or 0,
                licence_types=list(types),
                granted_at=now,
                expires_at=now + timedelta(days=30),
            )
        )


def wait_for(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def subscribe(client: TestClient, headers: Headers, url: str, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/webhooks", json={"url": url, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return cast(dict[str, Any], response.json())


def delivered(client: TestClient, headers: Headers, webhook_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=headers)
    assert response.status_code == 200, response.text
    rows = cast(list[dict[str, Any]], response.json())
    return rows if rows and all(row["status"] == "delivered" for row in rows) else []


def verified(hooked: Receiver, secret: str, index: int) -> dict[str, Any]:
    got = wait_for(lambda: len(hooked.received) > index) and hooked.received[index]
    payload = Webhook(secret).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(got.body + " ", got.headers)
    return cast(dict[str, Any], payload)


def test_suspending_a_licence_reaches_the_partner_signed(client: TestClient, auth: Auth) -> None:
    runtime = runtime_of(client)
    licence = a_licence(runtime)
    client_id, partner = auth.partner(["licences:read"])
    consent(runtime, client_id, "food-business")
    _, outsider = auth.partner(["licences:read"], name="Other Bank")  # no consent

    with receiver([503]) as hooked, receiver() as other:
        hook = subscribe(client, partner, hooked.url, event_types=["licence.suspended"])
        assert hook["secret"].startswith("whsec_") and hook["event_types"] == ["licence.suspended"]
        subscribe(client, outsider, other.url)
        listed = client.get("/v1/webhooks", headers=partner).json()
        assert [w["id"] for w in listed] == [hook["id"]] and "secret" not in listed[0]

        issuer = auth.issuer(ISSUER)
        suspended = client.post(
            f"/v1/licences/{licence.identifier}/suspend",
            json={"reason": "inspection"},
            headers=issuer,
        )
        assert suspended.status_code == 200, suspended.text

        # The first attempt got 503; the retry comes 5 s later and is delivered.
        payload = verified(hooked, hook["secret"], 1)
        assert payload["type"] == "licence.suspended"
        assert payload["data"] == {
            "identifier": licence.identifier,
            "licence_type": "food-business",
            "holder_uscc": HOLDER,
            "status": "suspended",
            "action": "suspended",
            "at": payload["data"]["at"],
        }
        assert "杭州西湖小吃店" not in hooked.received[1].body
        first, second = hooked.received[:2]
        assert first.headers["webhook-id"] == second.headers["webhook-id"]

        (row,) = wait_for(lambda: delivered(client, partner, hook["id"]))
        assert row["event_type"] == "licence.suspended" and row["attempts"] == 2
        assert [a["status_code"] for a in row["attempt_log"]] == [503, 200]
        assert row["message_id"] == first.headers["webhook-id"]
        assert row["next_attempt_at"] is None and row["body"] == second.body

        pinged = client.post(f"/v1/webhooks/{hook['id']}/test", headers=partner)
        assert pinged.status_code == 202, pinged.text
        assert verified(hooked, hook["secret"], 2)["type"] == "webhook.test"
        time.sleep(0.5)
    assert other.received == []  # the partner without consent heard nothing


def test_subscriptions_belong_to_their_partner(client: TestClient, auth: Auth) -> None:
    _, partner = auth.partner(["licences:read"])
    _, other = auth.partner(["licences:read"], name="Other Bank")
    hook = subscribe(client, partner, "https://bank.example/hooks")
    path = f"/v1/webhooks/{hook['id']}"

    for call in (client.get, client.delete):
        assert_problem(call(path, headers=other), 404, "webhook-not-found")
    assert_problem(client.get(path + "/deliveries", headers=other), 404, "webhook-not-found")
    assert_problem(client.get("/v1/webhooks"), 401, "unauthenticated")
    _, verifier = auth.partner(["licences:verify"])
    assert_problem(client.get("/v1/webhooks", headers=verifier), 403, "forbidden")
    assert_problem(client.get("/v1/webhooks", headers=auth.admin()), 403, "forbidden")

    everyone = client.get("/v1/admin/webhooks", headers=auth.admin())
    assert everyone.status_code == 200
    assert [w["id"] for w in everyone.json()] == [hook["id"]] and "secret" not in everyone.text

    rotated = client.post(path + "/rotate-secret", headers=partner)
    assert rotated.status_code == 200 and rotated.json()["secret"] != hook["secret"]
    assert client.delete(path, headers=partner).status_code == 204
    assert client.get(path, headers=partner).json()["disabled_at"] is not None
    assert_problem(client.post(path + "/test", headers=partner), 409, "conflict")


def test_bad_subscriptions_refused(client: TestClient, auth: Auth) -> None:
    _, partner = auth.partner(["licences:read"])
    runtime_of(client).settings.webhook_allow_private_urls = False

    def post(body: dict[str, Any]) -> httpx.Response:
        response: httpx.Response = client.post("/v1/webhooks", json=body, headers=partner)
        return response

    assert_problem(post({"url": "http://127.0.0.1:8080/x"}), 422, "webhook-url-refused")
    assert_problem(post({"url": "file:///etc/passwd"}), 422, "webhook-url-refused")
    refused = post({"url": "https://bank.example/x", "event_types": ["licence.eaten"]})
    assert_problem(refused, 422, "unknown-event-type")
    assert post({"url": "https://bank.example/x"}).json()["event_types"] == [
        f"licence.{action}"
        for action in ("amended", "issued", "resumed", "revoked", "superseded", "suspended")
    ]


def test_cli_worker_runs_one_pass(engine: Engine, database_url: str, tmp_path: Path) -> None:
    with Session(engine, expire_on_commit=False) as session, receiver() as hooked:
        world = make_world(session)
        licence = issue_food(session, world)
        partner = PartnerClient(client_id="cid_cli", name="CLI Bank", created_at=NOW)
        session.add(partner)
        session.flush()
        session.add(
            Consent(
                uscc=HOLDER,
                client_pk=partner.id or 0,
                licence_types=["food-business"],
                granted_at=NOW,
                expires_at=NOW + timedelta(days=3650),
            )
        )
        _, secret = subscribe_directly(
            session,
            client=partner,
            url=hooked.url,
            event_types=["licence.suspended"],
            master_secret=MASTER,
            now=NOW,
            allow_private=True,
        )
        suspend_licence(
            session, licence.identifier, issuer=world.issuer, reason="x", actor="i", now=NOW
        )
        session.commit()

        env = dict(os.environ)
        env.update(
            CODEID_DATA_DIR=str(tmp_path / "data"),
            CODEID_DATABASE_URL=database_url,
            CODEID_MASTER_KEY=base64.b64encode(MASTER).decode(),
            CODEID_WEBHOOK_ALLOW_PRIVATE_URLS="true",
        )
        command = [sys.executable, "-m", "api.cli.main", "webhooks", "run", "--once"]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report == {"queued": 1, "attempted": 1, "delivered": 1, "failed": 0}
        (got,) = hooked.received
        verify(secret, headers=got.headers, body=got.body, now=utcnow())
        assert json.loads(got.body)["data"]["identifier"] == licence.identifier
