"""Licence events -> webhook deliveries, for the subscriptions that may see them (an outbox).

A licence change writes its LicenceEvent in the change's own transaction, so an event exists
exactly when the change committed. The fan-out reads events after the ``licence-webhooks``
cursor and queues one delivery per matching subscription: the subscription is live, its client
active, it asked for that event type, it existed when the event happened, and the client holds
a live consent for the licence's holder and type now.

Safe to run in several processes: the cursor row is locked first (an UPDATE before the read,
as in codeid/audit/log.py), and the message id is derived from (subscription, event), so a
re-read event queues nothing twice. On PostgreSQL ids are handed out before commit, so an
event can become visible after a higher id: the cursor does not move past a gap in the ids
until the event after it is SETTLE old (a rolled-back id never fills its gap).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from credentials.models import Licence, LicenceEvent
from credentials.partners.consent_lookup import consented_types
from credentials.partners.models import (
    ClientStatus,
    OutboxCursor,
    PartnerClient,
    WebhookDelivery,
    WebhookSubscription,
)
from credentials.partners.webhooks import TEST_EVENT, require_live

CURSOR = "licence-webhooks"
SETTLE = timedelta(seconds=60)
BATCH = 500
# The licence's status once the event has happened (the body tells the state, not a diff).
STATUS_AFTER = {
    "issued": "valid",
    "amended": "valid",
    "resumed": "valid",
    "suspended": "suspended",
    "revoked": "revoked",
    "superseded": "superseded",
}


def pending_events(session: Session) -> bool:
    """A read-only look: are there events after the cursor? (Idle polls then write nothing.)"""
    cursor = session.get(OutboxCursor, CURSOR)
    newest = session.exec(select(func.max(LicenceEvent.id))).one()
    return newest is not None and newest > (cursor.last_id if cursor else 0)


def fan_out(session: Session, *, now: datetime, batch: int = BATCH) -> int:
    """Queue deliveries for the next events; returns how many were queued. Flushes only."""
    cursor = _lock_cursor(session)
    events = session.exec(
        select(LicenceEvent)
        .where(col(LicenceEvent.id) > cursor.last_id)
        .order_by(col(LicenceEvent.id))
        .limit(batch)
    ).all()
    if not events:
        return 0
    targets = _live_subscriptions(session)
    licences = _licences(session, {event.identifier for event in events})
    planned: dict[str, WebhookDelivery] = {}
    consents: dict[tuple[int, str], set[str]] = {}
    for event in events:
        licence = licences.get(event.identifier)
        event_type = f"licence.{event.action}"
        if licence is None or event.action not in STATUS_AFTER:
            continue
        body: str | None = None
        for subscription in targets:
            if event_type not in subscription.event_types or event.at < subscription.created_at:
                continue
            key = (subscription.client_pk, licence.holder_uscc)
            if key not in consents:
                consents[key] = consented_types(
                    session, client_pk=subscription.client_pk, uscc=licence.holder_uscc, now=now
                )
            if licence.type_code not in consents[key]:
                continue
            body = body or licence_event_body(event, licence)
            delivery = WebhookDelivery(
                subscription_id=subscription.id or 0,
                message_id=message_id(subscription.id or 0, event.id or 0),
                event_type=event_type,
                licence_event_id=event.id,
                body=body,
                next_attempt_at=now,
                created_at=now,
            )
            planned[delivery.message_id] = delivery
    queued = _add_new(session, planned)
    cursor.last_id = _advance(cursor.last_id, events, now=now)
    session.add(cursor)
    session.flush()
    return queued


def licence_event_body(event: LicenceEvent, licence: Licence) -> str:
    """The signed JSON: the change and the licence's identity, never its field values."""
    return _body(
        f"licence.{event.action}",
        event.at,
        {
            "identifier": licence.identifier,
            "licence_type": licence.type_code,
            "holder_uscc": licence.holder_uscc,
            "status": STATUS_AFTER[event.action],
            "action": event.action,
            "at": _iso(event.at),
        },
    )


def queue_test_delivery(
    session: Session, subscription: WebhookSubscription, *, now: datetime
) -> WebhookDelivery:
    """A ping to the subscription's URL, sent by the worker like any delivery."""
    require_live(subscription)
    delivery = WebhookDelivery(
        subscription_id=subscription.id or 0,
        message_id="msg_" + secrets.token_hex(16),
        event_type=TEST_EVENT,
        body=_body(TEST_EVENT, now, {"webhook_id": subscription.id}),
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery


def message_id(subscription_id: int, event_id: int) -> str:
    """Stable per (subscription, event): the receiver's idempotency key, and ours."""
    digest = hashlib.sha256(f"licence-event:{subscription_id}:{event_id}".encode()).hexdigest()
    return "msg_" + digest[:32]


def _body(event_type: str, at: datetime, data: dict[str, Any]) -> str:
    document = {"type": event_type, "timestamp": _iso(at), "data": data}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _live_subscriptions(session: Session) -> list[WebhookSubscription]:
    return list(
        session.exec(
            select(WebhookSubscription)
            .join(PartnerClient, col(PartnerClient.id) == col(WebhookSubscription.client_pk))
            .where(
                col(WebhookSubscription.disabled_at).is_(None),
                PartnerClient.status == ClientStatus.ACTIVE.value,
            )
            .order_by(col(WebhookSubscription.id))
        ).all()
    )


def _licences(session: Session, identifiers: set[str]) -> dict[str, Licence]:
    rows = session.exec(select(Licence).where(col(Licence.identifier).in_(identifiers))).all()
    return {licence.identifier: licence for licence in rows}


def _add_new(session: Session, planned: dict[str, WebhookDelivery]) -> int:
    if not planned:
        return 0
    existing = set(
        session.exec(
            select(WebhookDelivery.message_id).where(
                col(WebhookDelivery.message_id).in_(list(planned))
            )
        ).all()
    )
    fresh = [delivery for key, delivery in planned.items() if key not in existing]
    session.add_all(fresh)
    return len(fresh)


def _advance(last_id: int, events: Sequence[LicenceEvent], *, now: datetime) -> int:
    """The highest id the cursor may pass: up to the first gap that may still fill. (A new
    cursor starts at the first event there is.)"""
    for event in events:
        event_id = event.id or 0
        contiguous = event_id == last_id + 1 or last_id == 0
        if not contiguous and event.at > now - SETTLE:
            break
        last_id = event_id
    return last_id


def _lock_cursor(session: Session) -> OutboxCursor:
    # A no-op UPDATE first takes PostgreSQL's row lock and SQLite's write lock before the
    # cursor is read, so two fan-outs never read the same position.
    touch = (
        update(OutboxCursor)
        .where(col(OutboxCursor.name) == CURSOR)
        .values(last_id=OutboxCursor.last_id)
    )
    if session.execute(touch).rowcount == 0:  # type: ignore[attr-defined]
        try:
            with session.begin_nested():
                session.add(OutboxCursor(name=CURSOR, last_id=0))
                session.flush()
        except IntegrityError:  # another process created it first
            session.execute(touch)
    cursor = session.get(OutboxCursor, CURSOR, populate_existing=True)
    assert cursor is not None
    return cursor
