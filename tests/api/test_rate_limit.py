"""Per-client rate limits: 429 problem details with Retry-After, counted in the database."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from codeid.clock import utcnow
from credentials.partners.clients import register_client
from credentials.partners.models import PartnerClient
from tests.api.callers import Auth, Headers
from tests.api.conftest import Clock
from tests.api.partner_world import World, make_world

WHY = "fraud check"


def _limit(app: FastAPI, client_id: str, per_minute: int) -> None:
    with Session(app.state.runtime.engine) as session:
        client = session.exec(
            select(PartnerClient).where(PartnerClient.client_id == client_id)
        ).one()
        client.rate_limit_per_minute = per_minute
        session.add(client)
        session.commit()


def _verify(client: TestClient, world: World, headers: Headers) -> int:
    body = {"payload": world.payload, "purpose": WHY}
    status: int = client.post("/v1/codes/verify", json=body, headers=headers).status_code
    return status


def test_a_partner_over_its_limit_gets_429_until_the_next_minute(
    app: FastAPI, client: TestClient, auth: Auth, clock: Clock
) -> None:
    minute = utcnow().replace(second=0, microsecond=0)
    clock.now = minute + timedelta(seconds=10)
    world = make_world(app.state.runtime, clock.now)
    busy_id, busy = auth.partner(["codes:verify"])
    _, calm = auth.partner(["codes:verify"])
    _limit(app, busy_id, 3)
    assert [_verify(client, world, busy) for _ in range(3)] == [200, 200, 200]
    refused = client.post("/v1/codes/verify", json={"payload": world.payload}, headers=busy)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.headers["retry-after"] == "50"
    problem = refused.json()
    assert problem["type"] == "urn:codeid:problem:rate-limited" and problem["retry_after"] == 50
    # Every call counts, whatever the route (here one a partner may not make at all).
    assert client.get("/v1/partners", headers=busy).status_code == 429
    assert _verify(client, world, calm) == 200  # limits are per client
    assert client.get("/v1/licence-types").status_code == 200  # and only for partners
    clock.now = minute + timedelta(minutes=1, seconds=1)
    assert _verify(client, world, busy) == 200


def test_the_token_endpoint_counts_against_the_same_limit(
    app: FastAPI, client: TestClient, clock: Clock
) -> None:
    clock.now = utcnow().replace(second=30, microsecond=0)
    with app.state.runtime.session() as session:
        registered = register_client(
            session, name="Busy", scopes=["codes:verify"], rate_limit_per_minute=2, now=clock.now
        )
    cid, secret = registered.client.client_id, registered.secret
    assert secret is not None
    form = {"grant_type": "client_credentials"}
    statuses = [client.post("/oauth/token", data=form, auth=(cid, secret)) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    limited = statuses[-1]
    assert limited.json()["error"] == "rate_limited" and limited.headers["retry-after"] == "30"
    token = statuses[0].json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/partners", headers=bearer).status_code == 429
