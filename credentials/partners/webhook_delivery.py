"""Sending queued deliveries: claim one, POST it signed, record the attempt, schedule a retry.

Claiming is one UPDATE of the oldest due row (PostgreSQL picks it FOR UPDATE SKIP LOCKED, so
workers never wait on each other; SQLite has one writer) that moves its next attempt a lease
ahead: the HTTP call then runs outside any transaction, and a worker that dies mid-call only
delays the delivery by the lease. Receivers may see a message twice; ``webhook-id`` is stable.

A 2xx answer delivers; anything else (3xx included: redirects are never followed, timeouts,
refused connections) is retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, with jitter
and at least any Retry-After, then given up. 410 Gone disables the subscription (Standard
Webhooks). Before each attempt the subscription, the client and the consent are checked again,
and the URL's host must resolve to public addresses only (unless private targets are allowed).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from codeid.audit.log import Access, append
from codeid.db import transaction
from credentials.partners.consent_lookup import consented_types
from credentials.partners.models import (
    ClientStatus,
    DeliveryStatus,
    PartnerClient,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from credentials.partners.webhook_send import TIMEOUT_SECONDS, Job, Outcome, send
from credentials.partners.webhooks import TEST_EVENT, disable, unseal_secret

BACKOFF = tuple(
    timedelta(seconds=s) for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
)
MAX_ATTEMPTS = len(BACKOFF) + 1  # the first try, then one after each delay
JITTER = 0.1  # up to 10 % later, so a receiver's outage does not bring back a synchronised burst
LEASE = timedelta(seconds=2 * TIMEOUT_SECONDS + 30)  # an attempt's longest, and then some
MAX_RETRY_AFTER = timedelta(hours=24)
_PENDING, _DELIVERED, _FAILED = (s.value for s in DeliveryStatus)


def has_due(session: Session, *, now: datetime) -> bool:
    """A read-only look, so an idle worker's polls write nothing."""
    return session.exec(_due_ids(now).limit(1)).first() is not None


def deliver_next(
    engine: Engine,
    *,
    client: httpx.Client,
    master_secret: bytes,
    now: datetime,
    allow_private: bool = False,
) -> WebhookDelivery | None:
    """Claim, send and record the next due delivery (each step its own short transaction);
    None when nothing is due."""
    with transaction(engine) as session:
        job = claim_next(session, master_secret=master_secret, now=now)
    if job is None:
        return None
    if job.refusal:
        outcome = Outcome(error=f"not sent: {job.refusal}", sent=False, final=True)
    else:
        outcome = send(job, client=client, now=now, allow_private=allow_private)
    with transaction(engine) as session:
        return record(session, job, outcome, now=now)


def claim_next(session: Session, *, master_secret: bytes, now: datetime) -> Job | None:
    """Lease the oldest due delivery to this worker. Flushes only."""
    due = _due_ids(now).limit(1).with_for_update(skip_locked=True).scalar_subquery()
    claimed = session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == due)
        .values(next_attempt_at=now + LEASE)
        .returning(col(WebhookDelivery.id))
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if claimed is None:
        return None
    delivery = session.get(WebhookDelivery, claimed, populate_existing=True)
    assert delivery is not None
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    assert subscription is not None
    client = session.get(PartnerClient, subscription.client_pk)
    assert client is not None
    job = Job(claimed, delivery.message_id, subscription.url, delivery.body, client.client_id)
    refusal = _refusal(session, delivery, subscription, client, now=now)
    if refusal:
        return replace(job, refusal=refusal)
    return replace(job, secret=unseal_secret(subscription, master_secret=master_secret))


def record(session: Session, job: Job, outcome: Outcome, *, now: datetime) -> WebhookDelivery:
    """Write the attempt and what follows from it. Flushes only."""
    delivery = session.get(WebhookDelivery, job.delivery_id, populate_existing=True)
    assert delivery is not None
    delivery.attempts += 1
    session.add(
        WebhookAttempt(
            delivery_id=job.delivery_id,
            at=now,
            status_code=outcome.status_code,
            error=outcome.error[:300],
            duration_ms=outcome.duration_ms,
        )
    )
    if delivery.status == _PENDING:  # (a disabled subscription may have ended it meanwhile)
        if outcome.delivered:
            delivery.status, delivery.delivered_at = _DELIVERED, now
        elif outcome.status_code == 410:  # Gone: the receiver wants no more
            subscription = session.get(WebhookSubscription, delivery.subscription_id)
            assert subscription is not None
            disable(session, subscription, now=now)
            session.refresh(delivery)
            delivery.status = _FAILED
        elif outcome.final or delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = _FAILED
        else:
            delivery.next_attempt_at = now + next_delay(delivery.attempts, outcome.retry_after)
    session.add(delivery)
    if outcome.sent and delivery.event_type != TEST_EVENT:
        _log_disclosure(session, job, delivery, outcome, now=now)
    session.flush()
    return delivery


def next_delay(attempts: int, retry_after: timedelta | None = None) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    delay = BACKOFF[min(attempts, len(BACKOFF)) - 1]
    delay += delay * secrets.SystemRandom().uniform(0, JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


def _due_ids(now: datetime) -> SelectOfScalar[int | None]:
    return (
        select(col(WebhookDelivery.id))
        .where(
            WebhookDelivery.status == _PENDING,
            col(WebhookDelivery.next_attempt_at) <= now,
        )
        .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
    )


def _refusal(
    session: Session,
    delivery: WebhookDelivery,
    subscription: WebhookSubscription,
    client: PartnerClient,
    *,
    now: datetime,
) -> str:
    if subscription.disabled_at is not None:
        return "the webhook is disabled"
    if client.status != ClientStatus.ACTIVE.value:
        return "the partner client is disabled"
    if delivery.event_type == TEST_EVENT:
        return ""
    data = json.loads(delivery.body)["data"]
    types = consented_types(session, client_pk=client.id or 0, uscc=data["holder_uscc"], now=now)
    if data["licence_type"] not in types:
        return "the holder's consent is no longer in force"
    return ""


def _log_disclosure(
    session: Session, job: Job, delivery: WebhookDelivery, outcome: Outcome, *, now: datetime
) -> None:
    """A sent licence event told the partner about an entity: the access log records it."""
    data = json.loads(delivery.body)["data"]
    if outcome.delivered:
        result = "delivered"
    elif outcome.status_code is not None:
        result = f"http-{outcome.status_code}"
    else:
        result = "no-answer"
    access = Access(
        actor_kind="client",
        actor=f"client:{job.client_id}",
        actor_role="partner",
        action="licence.notify",
        outcome=result,
        purpose=f"webhook {delivery.subscription_id}: {delivery.event_type}",
        subject_uscc=data["holder_uscc"],
        resource=f"licence:{data['identifier']}",
        fields=tuple(data),
    )
    append(session, [access], now=now)
