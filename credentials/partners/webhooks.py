"""A partner's webhook subscriptions: subscribe, list, disable, rotate the secret, read deliveries.

The ``whsec_`` signing secret is generated here, returned once, and stored sealed under the
master secret (the worker must read it back to sign). The URL is checked when it is given and
again before every attempt (webhook_urls).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from codeid.accounts.errors import Forbidden
from codeid.errors import Conflict, InvalidInput, NotFound
from codeid.keys.sealing import KeySealer
from credentials.partners.models import (
    ClientStatus,
    DeliveryStatus,
    PartnerClient,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from credentials.partners.standard_webhooks import new_secret
from credentials.partners.webhook_urls import check_url

LICENCE_ACTIONS = ("issued", "amended", "superseded", "suspended", "resumed", "revoked")
EVENT_TYPES = tuple(f"licence.{action}" for action in LICENCE_ACTIONS)
TEST_EVENT = "webhook.test"  # sent on request only; never subscribed to
MAX_LIVE_SUBSCRIPTIONS = 10  # per client: bounds the fan-out of one event


class WebhookNotFound(NotFound):
    code = "webhook-not-found"


class UnknownEventType(InvalidInput):
    code = "unknown-event-type"


class TooManyWebhooks(Conflict):
    code = "too-many-webhooks"


def partner_client(session: Session, client_id: str) -> PartnerClient:
    """The calling client's row; a disabled client manages no webhooks."""
    client = session.exec(select(PartnerClient).where(PartnerClient.client_id == client_id)).first()
    if client is None or client.status != ClientStatus.ACTIVE.value:
        raise Forbidden(f"partner client {client_id} is not registered or not active")
    return client


def subscribe(
    session: Session,
    *,
    client: PartnerClient,
    url: str,
    event_types: Iterable[str],
    master_secret: bytes,
    now: datetime,
    allow_private: bool = False,
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its ``whsec_`` secret (shown this once)."""
    assert client.id is not None
    url = check_url(url, allow_private=allow_private)
    types = check_event_types(event_types)
    live = session.exec(
        select(WebhookSubscription.id).where(
            WebhookSubscription.client_pk == client.id,
            col(WebhookSubscription.disabled_at).is_(None),
        )
    ).all()
    if len(live) >= MAX_LIVE_SUBSCRIPTIONS:
        raise TooManyWebhooks(
            f"a partner has at most {MAX_LIVE_SUBSCRIPTIONS} live webhooks; delete one first"
        )
    subscription = WebhookSubscription(
        client_pk=client.id, url=url, event_types=types, secret_sealed=b"", created_at=now
    )
    session.add(subscription)
    session.flush()  # the id binds the sealed secret to this row
    secret = new_secret()
    subscription.secret_sealed = _sealer(master_secret).seal(secret.encode(), _kid(subscription))
    session.flush()
    return subscription, secret


def rotate_secret(
    session: Session, subscription: WebhookSubscription, *, master_secret: bytes
) -> str:
    """Replace the secret at once (the old one stops signing) and return the new one."""
    require_live(subscription)
    secret = new_secret()
    subscription.secret_sealed = _sealer(master_secret).seal(secret.encode(), _kid(subscription))
    session.add(subscription)
    session.flush()
    return secret


def disable(session: Session, subscription: WebhookSubscription, *, now: datetime) -> None:
    """Stop the subscription; its pending deliveries are given up (its history stays)."""
    if subscription.disabled_at is None:
        subscription.disabled_at = now
        session.add(subscription)
    session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.subscription_id) == subscription.id,
            col(WebhookDelivery.status) == DeliveryStatus.PENDING.value,
        )
        .values(status=DeliveryStatus.FAILED.value)
    )
    session.flush()


def unseal_secret(subscription: WebhookSubscription, *, master_secret: bytes) -> str:
    return _sealer(master_secret).unseal(subscription.secret_sealed, _kid(subscription)).decode()


def list_subscriptions(session: Session, *, client_pk: int | None) -> list[WebhookSubscription]:
    """One client's subscriptions (or everyone's, for administrators), oldest first."""
    query = select(WebhookSubscription)
    if client_pk is not None:
        query = query.where(WebhookSubscription.client_pk == client_pk)
    return list(session.exec(query.order_by(col(WebhookSubscription.id))).all())


def get_subscription(
    session: Session, subscription_id: int, *, client_pk: int
) -> WebhookSubscription:
    """A subscription of this client; another client's is not found (not merely forbidden)."""
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.client_pk != client_pk:
        raise WebhookNotFound(f"no webhook {subscription_id}", webhook_id=subscription_id)
    return subscription


def delivery_log(
    session: Session, subscription: WebhookSubscription, *, status: str | None, limit: int
) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    """The newest deliveries of a subscription, each with its attempts in order."""
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    deliveries = session.exec(query.order_by(col(WebhookDelivery.id).desc()).limit(limit)).all()
    attempts: dict[int, list[WebhookAttempt]] = {d.id: [] for d in deliveries if d.id}
    if attempts:
        rows = session.exec(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_(list(attempts)))
            .order_by(col(WebhookAttempt.id))
        ).all()
        for attempt in rows:
            attempts[attempt.delivery_id].append(attempt)
    return [(d, attempts.get(d.id or 0, [])) for d in deliveries]


def check_event_types(event_types: Iterable[str]) -> list[str]:
    types = sorted(set(event_types))
    if not types:
        raise UnknownEventType("name at least one event type", known=list(EVENT_TYPES))
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise UnknownEventType(
            f"unknown event type(s): {', '.join(unknown)}", known=list(EVENT_TYPES)
        )
    return types


def require_live(subscription: WebhookSubscription) -> None:
    """A disabled subscription keeps its history but takes no new work."""
    if subscription.disabled_at is not None:
        raise Conflict(f"webhook {subscription.id} is disabled")


def _sealer(master_secret: bytes) -> KeySealer:
    return KeySealer(master_secret)


def _kid(subscription: WebhookSubscription) -> str:
    # The sealing's associated data: a sealed secret copied onto another row fails to open.
    return f"webhook-subscription:{subscription.id}"
