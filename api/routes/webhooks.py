"""Webhooks for partners: subscribe to licence status changes, read deliveries and attempts.

A partner client manages only its own subscriptions, with a token holding ``licences:read``:
a webhook tells what that scope with the holder's consent would let it read (the fan-out
checks the consent per licence). Administrators may list every subscription.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from sqlmodel import Session, select

from api.auth import AdminDep, Allow, Principal
from api.counter_schemas import PathId
from api.deps import NowDep, RuntimeDep, SessionDep
from api.webhook_schemas import (
    WebhookAdminOut,
    WebhookAttemptOut,
    WebhookCreatedOut,
    WebhookDeliveryOut,
    WebhookIn,
    WebhookOut,
    WebhookSecretOut,
)
from credentials.partners.models import (
    DeliveryStatus,
    PartnerClient,
    WebhookAttempt,
    WebhookDelivery,
)
from credentials.partners.webhook_fanout import queue_test_delivery
from credentials.partners.webhooks import (
    delivery_log,
    disable,
    get_subscription,
    list_subscriptions,
    partner_client,
    rotate_secret,
    subscribe,
)

router = APIRouter(prefix="/v1", tags=["webhooks"])
PartnerDep = Annotated[Principal, Depends(Allow(scopes={"licences:read"}))]


def _client(session: Session, principal: Principal) -> PartnerClient:
    assert principal.client_id is not None  # Allow lets only partner clients through
    return partner_client(session, principal.client_id)


@router.post("/webhooks", status_code=201, response_model=WebhookCreatedOut)
def create_webhook(
    body: WebhookIn,
    principal: PartnerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> WebhookCreatedOut:
    """Subscribe a URL; the answer carries the whsec_ signing secret, shown this once."""
    subscription, secret = subscribe(
        session,
        client=_client(session, principal),
        url=body.url,
        event_types=body.event_types,
        master_secret=runtime.master_secret,
        now=now,
        allow_private=runtime.settings.webhook_allow_private_urls,
    )
    return WebhookCreatedOut(**WebhookOut.model_validate(subscription).model_dump(), secret=secret)


@router.get("/webhooks", response_model=list[WebhookOut])
def webhooks(principal: PartnerDep, session: SessionDep) -> list[WebhookOut]:
    """The calling partner's subscriptions, disabled ones included."""
    client = _client(session, principal)
    return [WebhookOut.model_validate(s) for s in list_subscriptions(session, client_pk=client.id)]


@router.get("/webhooks/{webhook_id}", response_model=WebhookOut)
def webhook(webhook_id: PathId, principal: PartnerDep, session: SessionDep) -> WebhookOut:
    client = _client(session, principal)
    return WebhookOut.model_validate(
        get_subscription(session, webhook_id, client_pk=client.id or 0)
    )


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(
    webhook_id: PathId, principal: PartnerDep, session: SessionDep, now: NowDep
) -> Response:
    """Disable the subscription; pending deliveries are given up, the history stays readable."""
    client = _client(session, principal)
    disable(session, get_subscription(session, webhook_id, client_pk=client.id or 0), now=now)
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/rotate-secret", response_model=WebhookSecretOut)
def rotate_webhook_secret(
    webhook_id: PathId, principal: PartnerDep, session: SessionDep, runtime: RuntimeDep
) -> WebhookSecretOut:
    """A new signing secret, used from the next attempt on (shown this once)."""
    client = _client(session, principal)
    subscription = get_subscription(session, webhook_id, client_pk=client.id or 0)
    return WebhookSecretOut(
        secret=rotate_secret(session, subscription, master_secret=runtime.master_secret)
    )


@router.get("/webhooks/{webhook_id}/deliveries", response_model=list[WebhookDeliveryOut])
def deliveries(
    webhook_id: PathId,
    principal: PartnerDep,
    session: SessionDep,
    status: Literal["pending", "delivered", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[WebhookDeliveryOut]:
    """The newest deliveries, each with every attempt (time, HTTP status or error, duration)."""
    client = _client(session, principal)
    subscription = get_subscription(session, webhook_id, client_pk=client.id or 0)
    log = delivery_log(session, subscription, status=status, limit=limit)
    return [_delivery_out(delivery, attempts) for delivery, attempts in log]


@router.post("/webhooks/{webhook_id}/test", status_code=202, response_model=WebhookDeliveryOut)
def test_webhook(
    webhook_id: PathId, principal: PartnerDep, session: SessionDep, now: NowDep
) -> WebhookDeliveryOut:
    """Queue a signed ``webhook.test`` ping; follow it in the deliveries."""
    client = _client(session, principal)
    subscription = get_subscription(session, webhook_id, client_pk=client.id or 0)
    return _delivery_out(queue_test_delivery(session, subscription, now=now), [])


@router.get("/admin/webhooks", response_model=list[WebhookAdminOut], tags=["admin"])
def all_webhooks(_admin: AdminDep, session: SessionDep) -> list[WebhookAdminOut]:
    """Every partner's subscriptions (never their secrets)."""
    clients = {c.id: c.client_id for c in session.exec(select(PartnerClient)).all()}
    return [
        WebhookAdminOut(**WebhookOut.model_validate(s).model_dump(), client_id=clients[s.client_pk])
        for s in list_subscriptions(session, client_pk=None)
    ]


def _delivery_out(delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> WebhookDeliveryOut:
    out = WebhookDeliveryOut.model_validate(delivery)
    pending = delivery.status == DeliveryStatus.PENDING.value
    return out.model_copy(
        update={
            "next_attempt_at": delivery.next_attempt_at if pending else None,
            "attempt_log": [WebhookAttemptOut.model_validate(a) for a in attempts],
        }
    )
