"""Webhooks in the domain: subscriptions, fan-out to consenting partners only, signed delivery
to a real loopback receiver, the retry schedule and giving up (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from codeid.audit.models import AccessEvent
from codeid.db import is_postgresql, transaction
from codeid.errors import Conflict
from credentials.licences import resume_licence, suspend_licence
from credentials.models import Licence, LicenceEvent
from credentials.partners import webhook_delivery as wd
from credentials.partners.models import (
    Consent,
    OutboxCursor,
    PartnerClient,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from credentials.partners.standard_webhooks import (
    WebhookSignatureInvalid,
    secret_key,
    verify,
)
from credentials.partners.webhook_fanout import CURSOR, SETTLE, fan_out, pending_events
from credentials.partners.webhook_send import http_client
from credentials.partners.webhook_urls import WebhookUrlRefused, check_url
from credentials.partners.webhooks import (
    EVENT_TYPES,
    TooManyWebhooks,
    UnknownEventType,
    WebhookNotFound,
    disable,
    get_subscription,
    rotate_secret,
    subscribe,
    unseal_secret,
)
from tests.credentials.webhook_receiver import receiver
from tests.credentials.webhook_world import (
    HOLDER,
    MASTER,
    NOW,
    OTHER_HOLDER,
    World,
    issue_food,
    make_world,
)


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with http_client() as client:
        yield client


def add_client(session: Session, name: str = "Bank", *, status: str = "active") -> PartnerClient:
    client = PartnerClient(
        client_id=f"cid_{name.lower()}", name=name, scopes=[], status=status, created_at=NOW
    )
    session.add(client)
    session.commit()
    return client


def grant(
    session: Session,
    client: PartnerClient,
    *,
    uscc: str = HOLDER,
    types: tuple[str, ...] = ("food-business",),
    expires_at: datetime = NOW + timedelta(days=30),
    revoked_at: datetime | None = None,
) -> Consent:
    consent = Consent(
        uscc=uscc,
        client_pk=client.id or 0,
        licence_types=list(types),
        granted_at=NOW - timedelta(days=1),
        expires_at=expires_at,
        revoked_at=revoked_at,
    )
    session.add(consent)
    session.commit()
    return consent


def hook(
    session: Session,
    client: PartnerClient,
    url: str = "http://127.0.0.1:9/hook",
    types: tuple[str, ...] = EVENT_TYPES,
    *,
    at: datetime = NOW,
) -> tuple[WebhookSubscription, str]:
    subscription, secret = subscribe(
        session,
        client=client,
        url=url,
        event_types=types,
        master_secret=MASTER,
        now=at,
        allow_private=True,
    )
    session.commit()
    return subscription, secret


def suspend(session: Session, world: World, licence: Licence, at: datetime) -> None:
    suspend_licence(
        session, licence.identifier, issuer=world.issuer, reason="inspection", actor="i", now=at
    )
    session.commit()


def fresh(session: Session) -> None:
    """End the test's read transaction (its snapshot) and forget loaded rows: the workers
    wrote through connections of their own."""
    session.commit()
    session.expire_all()


def queued(session: Session, **where: Any) -> list[WebhookDelivery]:
    fresh(session)
    query = select(WebhookDelivery).filter_by(**where).order_by(col(WebhookDelivery.id))
    return list(session.exec(query).all())


def attempts_of(session: Session, delivery: WebhookDelivery) -> list[WebhookAttempt]:
    fresh(session)
    query = select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id)
    return list(session.exec(query.order_by(col(WebhookAttempt.id))).all())


def fan(session: Session, now: datetime) -> int:
    count = fan_out(session, now=now)
    session.commit()
    return count


def deliver(engine: Engine, http: httpx.Client, now: datetime) -> WebhookDelivery | None:
    return wd.deliver_next(engine, client=http, master_secret=MASTER, now=now, allow_private=True)


# --- subscriptions --------------------------------------------------------------------


def test_subscribe_seals_the_secret_and_rotates_it(session: Session) -> None:
    client = add_client(session)
    subscription, secret = hook(session, client, types=("licence.suspended",))
    assert secret.startswith("whsec_") and len(secret_key(secret)) == 32
    assert secret.encode() not in subscription.secret_sealed
    assert unseal_secret(subscription, master_secret=MASTER) == secret
    assert subscription.event_types == ["licence.suspended"]

    rotated = rotate_secret(session, subscription, master_secret=MASTER)
    assert rotated != secret and unseal_secret(subscription, master_secret=MASTER) == rotated

    other = add_client(session, "Other")
    with pytest.raises(WebhookNotFound):
        get_subscription(session, subscription.id or 0, client_pk=other.id or 0)
    disable(session, subscription, now=NOW)
    with pytest.raises(Conflict):
        rotate_secret(session, subscription, master_secret=MASTER)


def test_subscribe_refuses_bad_event_types_and_too_many(session: Session) -> None:
    client = add_client(session)
    with pytest.raises(UnknownEventType):
        hook(session, client, types=("licence.deleted",))
    with pytest.raises(UnknownEventType):
        hook(session, client, types=())
    for _ in range(10):
        hook(session, client)
    with pytest.raises(TooManyWebhooks):
        hook(session, client)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "https://user:pw@example.com/hook",
        "https://example.com/hook#frag",
        "https:///nohost",
        "http://127.0.0.1:8080/hook",
        "http://2130706433/hook",
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/hook",
        "http://example.com:99999/hook",
        "https://example.com/" + "x" * 500,
    ],
)
def test_webhook_urls_refused(url: str) -> None:
    with pytest.raises(WebhookUrlRefused):
        check_url(url, allow_private=False)


def test_public_and_allowed_private_urls_accepted() -> None:
    assert check_url(" https://hooks.example.com/codeid ", allow_private=False) == (
        "https://hooks.example.com/codeid"
    )
    assert check_url("http://127.0.0.1:8080/hook", allow_private=True)


# --- fan-out --------------------------------------------------------------------------


def test_fan_out_only_to_consenting_live_subscriptions(session: Session, world: World) -> None:
    before = NOW - timedelta(minutes=1)
    licence = issue_food(session, world, now=before)
    other_licence = issue_food(session, world, "JY00000000000002", holder=OTHER_HOLDER, now=before)
    consenting, no_consent, wrong_type, expired, revoked, other_holder, disabled_client = (
        add_client(session, name)
        for name in ("Consenting", "None", "Type", "Expired", "Revoked", "Holder", "Off")
    )
    disabled_client.status = "disabled"
    session.add(disabled_client)
    grant(session, consenting)
    grant(session, wrong_type, types=("drug-business",))
    grant(session, expired, expires_at=NOW + timedelta(minutes=30))
    grant(session, revoked, revoked_at=NOW)
    grant(session, other_holder, uscc=OTHER_HOLDER)
    grant(session, disabled_client)
    subscriptions = {
        client.name: hook(session, client)[0]
        for client in (consenting, no_consent, wrong_type, expired, revoked, other_holder)
    }
    hook(session, disabled_client)
    only_resumed = hook(session, consenting, types=("licence.resumed",))[0]
    gone = hook(session, consenting)[0]
    disable(session, gone, now=NOW)
    session.commit()

    later = NOW + timedelta(hours=1)
    suspend(session, world, licence, later)
    suspend(session, world, other_licence, later)
    assert fan(session, later) == 2

    deliveries = queued(session)
    assert {(d.subscription_id, d.event_type) for d in deliveries} == {
        (subscriptions["Consenting"].id, "licence.suspended"),
        (subscriptions["Holder"].id, "licence.suspended"),
    }
    # The licences were issued before any subscription existed: no "issued" deliveries.
    assert only_resumed.id not in {d.subscription_id for d in deliveries}


def test_fan_out_is_idempotent_and_keeps_no_field_values(session: Session, world: World) -> None:
    client = add_client(session)
    grant(session, client)
    subscription, _ = hook(session, client)
    licence = issue_food(session, world, now=NOW + timedelta(minutes=1))
    suspend(session, world, licence, NOW + timedelta(minutes=2))
    at = NOW + timedelta(minutes=3)
    assert pending_events(session)
    assert fan(session, at) == 2
    assert not pending_events(session)
    assert fan(session, at) == 0
    # A cursor that was reset (or two fan-outs reading the same events) queues nothing twice.
    session.get_one(OutboxCursor, CURSOR).last_id = 0
    session.commit()
    assert fan(session, at) == 0

    issued, suspended = queued(session)
    assert (issued.event_type, suspended.event_type) == ("licence.issued", "licence.suspended")
    assert issued.message_id != suspended.message_id
    assert suspended.subscription_id == subscription.id
    assert '"status":"suspended"' in suspended.body
    assert licence.identifier in suspended.body and HOLDER in suspended.body
    for value in ("杭州西湖小吃店", "张三", licence.licence_number):
        assert value not in issued.body + suspended.body


def test_concurrent_fan_outs_queue_each_delivery_once(
    engine: Engine, session: Session, world: World
) -> None:
    client = add_client(session)
    grant(session, client)
    hook(session, client)
    licence = issue_food(session, world, now=NOW + timedelta(minutes=1))
    for minute in range(2, 8, 2):
        suspend(session, world, licence, NOW + timedelta(minutes=minute))
        resume_licence(
            session,
            licence.identifier,
            issuer=world.issuer,
            reason="",
            actor="i",
            now=NOW + timedelta(minutes=minute + 1),
        )
        session.commit()
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def run() -> None:
        try:
            start.wait()
            with transaction(engine) as own:
                fan_out(own, now=NOW + timedelta(hours=1))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    deliveries = queued(session)
    assert len(deliveries) == 7 == len({d.message_id for d in deliveries})


def test_an_event_committed_late_is_not_skipped(
    engine: Engine, session: Session, world: World
) -> None:
    if not is_postgresql(engine):
        pytest.skip("SQLite has one writer: event ids become visible in order")
    client = add_client(session)
    grant(session, client)
    hook(session, client)
    licence = issue_food(session, world, now=NOW + timedelta(minutes=1))
    assert fan(session, NOW + timedelta(minutes=2)) == 1

    # A change whose transaction is still open has taken its id.
    with Session(engine) as slow:
        late = LicenceEvent(identifier=licence.identifier, action="suspended", at=NOW)
        slow.add(late)
        slow.flush()
        suspend(session, world, licence, NOW + timedelta(minutes=3))  # a higher id, committed
        at = NOW + timedelta(minutes=3, seconds=30)
        assert fan(session, at) == 1
        cursor = session.get_one(OutboxCursor, CURSOR, populate_existing=True)
        assert late.id is not None and cursor.last_id < late.id
        slow.commit()
    assert fan(session, at) == 1  # the late one; the other is not queued again
    assert len(queued(session)) == 3

    # A rolled-back id never fills its gap: the cursor passes it once the next event settles.
    with Session(engine) as lost:
        lost.add(LicenceEvent(identifier=licence.identifier, action="resumed", at=at))
        lost.flush()
        lost.rollback()
    resume_licence(session, licence.identifier, issuer=world.issuer, reason="", actor="i", now=at)
    session.commit()
    newest = session.exec(select(LicenceEvent.id).order_by(col(LicenceEvent.id).desc())).first()
    assert fan(session, at) == 1
    assert session.get_one(OutboxCursor, CURSOR, populate_existing=True).last_id != newest
    assert fan(session, at + SETTLE + timedelta(seconds=1)) == 0
    assert session.get_one(OutboxCursor, CURSOR, populate_existing=True).last_id == newest


# --- delivery -------------------------------------------------------------------------


def one_delivery(session: Session, world: World, url: str) -> tuple[WebhookDelivery, str]:
    client = add_client(session)
    grant(session, client)
    _, secret = hook(session, client, url, ("licence.suspended",))
    suspend(session, world, issue_food(session, world), NOW + timedelta(minutes=1))
    assert fan(session, NOW + timedelta(minutes=1)) == 1
    return queued(session)[0], secret


def test_retries_on_schedule_then_delivers_signed(
    engine: Engine, session: Session, world: World, http: httpx.Client
) -> None:
    with receiver([500, 503]) as hooked:
        delivery, secret = one_delivery(session, world, hooked.url)
        at = delivery.next_attempt_at
        first = deliver(engine, http, at)
        assert first is not None and first.status == "pending" and first.attempts == 1
        assert at + timedelta(seconds=5) <= first.next_attempt_at <= at + timedelta(seconds=5.5)
        assert deliver(engine, http, at + timedelta(seconds=4)) is None  # not due yet

        second = deliver(engine, http, first.next_attempt_at)
        assert second is not None and second.attempts == 2
        wait = second.next_attempt_at - first.next_attempt_at
        assert timedelta(minutes=5) <= wait <= timedelta(minutes=5.5)

        third = deliver(engine, http, second.next_attempt_at)
        assert third is not None and third.status == "delivered" and third.attempts == 3
        assert third.delivered_at == second.next_attempt_at
        assert deliver(engine, http, third.next_attempt_at + timedelta(days=1)) is None

    assert [a.status_code for a in attempts_of(session, delivery)] == [500, 503, 200]
    assert [a.error for a in attempts_of(session, delivery)] == ["HTTP 500", "HTTP 503", ""]
    assert len(hooked.received) == 3
    ids = {r.headers["webhook-id"] for r in hooked.received}
    assert ids == {delivery.message_id}  # the same id on every retry
    for got in hooked.received:
        assert got.body == delivery.body and got.headers["content-type"] == "application/json"
        stamp = datetime.fromtimestamp(int(got.headers["webhook-timestamp"]), tz=NOW.tzinfo)
        verify(secret, headers=got.headers, body=got.body, now=stamp)
        with pytest.raises(WebhookSignatureInvalid):
            verify(secret, headers=got.headers, body=got.body + " ", now=stamp)
        with pytest.raises(WebhookSignatureInvalid):
            verify(secret, headers=got.headers, body=got.body, now=stamp + timedelta(minutes=6))

    # Every attempt that reached the partner is in the access log, with field names only.
    fresh(session)
    logged = session.exec(select(AccessEvent).where(AccessEvent.action == "licence.notify")).all()
    assert [e.outcome for e in logged] == ["http-500", "http-503", "delivered"]
    assert logged[0].subject_uscc == HOLDER and "status" in logged[0].fields


def test_gives_up_after_the_last_attempt(
    engine: Engine, session: Session, world: World, http: httpx.Client
) -> None:
    with receiver([500] * 20) as hooked:
        delivery, _ = one_delivery(session, world, hooked.url)
        at, waits = delivery.next_attempt_at, []
        while (result := deliver(engine, http, at)) is not None and result.status == "pending":
            waits.append(result.next_attempt_at - at)
            at = result.next_attempt_at
    assert result is not None and result.status == "failed"
    assert result.attempts == wd.MAX_ATTEMPTS == 8 == len(hooked.received)
    assert len(waits) == len(wd.BACKOFF)
    for wait, delay in zip(waits, wd.BACKOFF, strict=True):
        assert delay <= wait <= delay * (1 + wd.JITTER)
    assert deliver(engine, http, at + timedelta(days=30)) is None


def test_retry_after_redirects_and_gone(
    engine: Engine, session: Session, world: World, http: httpx.Client
) -> None:
    answers: list[int | tuple[int, dict[str, str]]] = [
        (429, {"retry-after": "3600"}),
        (302, {"location": "http://127.0.0.1:9/elsewhere"}),
        410,
    ]
    with receiver(answers) as hooked:
        delivery, _ = one_delivery(session, world, hooked.url)
        at = delivery.next_attempt_at
        throttled = deliver(engine, http, at)
        assert throttled is not None and throttled.next_attempt_at >= at + timedelta(hours=1)
        redirected = deliver(engine, http, throttled.next_attempt_at)
        assert redirected is not None and redirected.status == "pending"
        gone = deliver(engine, http, redirected.next_attempt_at)
        assert gone is not None and gone.status == "failed"
    assert [r.path for r in hooked.received] == ["/hook"] * 3  # the redirect was not followed
    assert [a.status_code for a in attempts_of(session, delivery)] == [429, 302, 410]
    subscription = session.get_one(WebhookSubscription, delivery.subscription_id)
    session.refresh(subscription)
    assert subscription.disabled_at is not None  # 410 Gone: no more deliveries


def test_unreachable_receiver_and_withdrawn_consent(
    engine: Engine, session: Session, world: World, http: httpx.Client
) -> None:
    with receiver() as hooked:
        closed_url = hooked.url
    delivery, _ = one_delivery(session, world, closed_url)
    failed = deliver(engine, http, delivery.next_attempt_at)
    assert failed is not None and failed.status == "pending"
    (attempt,) = attempts_of(session, delivery)
    assert attempt.status_code is None and attempt.error.startswith("ConnectError")

    consent = session.exec(select(Consent)).one()
    consent.revoked_at = failed.next_attempt_at
    session.add(consent)
    session.commit()
    refused = deliver(engine, http, failed.next_attempt_at)
    assert refused is not None and refused.status == "failed"
    assert attempts_of(session, delivery)[-1].error == (
        "not sent: the holder's consent is no longer in force"
    )


def test_private_targets_refused_at_send_time(
    engine: Engine, session: Session, world: World, http: httpx.Client
) -> None:
    with receiver() as hooked:
        delivery, _ = one_delivery(session, world, hooked.url.replace("127.0.0.1", "localhost"))
        result = wd.deliver_next(
            engine, client=http, master_secret=MASTER, now=delivery.next_attempt_at
        )
    assert result is not None and result.status == "pending" and hooked.received == []
    assert attempts_of(session, delivery)[0].error == "not sent: localhost is a local name"


def test_two_workers_never_claim_the_same_delivery(
    engine: Engine, session: Session, world: World
) -> None:
    client = add_client(session)
    grant(session, client)
    hook(session, client)
    for n in range(6):
        issue_food(session, world, f"JY{n:014d}", now=NOW + timedelta(minutes=1))
    assert fan(session, NOW + timedelta(minutes=2)) == 6
    claimed: list[int] = []
    start = threading.Barrier(3)

    def claim() -> None:
        start.wait()
        for _ in range(4):
            with transaction(engine) as own:
                job = wd.claim_next(own, master_secret=MASTER, now=NOW + timedelta(minutes=2))
            if job is not None:
                claimed.append(job.delivery_id)

    threads = [threading.Thread(target=claim) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(d.id or 0 for d in queued(session))
