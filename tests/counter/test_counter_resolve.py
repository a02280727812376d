"""Resolving a code at the counter: the entity, its licences, today's bookings, open tickets."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from codeid.codes.issue import issue_dynamic_code
from codeid.keys.keyring import KeyRing
from counter.booking_create import book
from counter.booking_lifecycle import confirm_booking
from counter.check_in import check_in
from counter.hall import demo_hall_path, load_hall_file
from counter.resolve import resolve_for_counter
from counter.slots import ensure_slots
from tests.credentials.licence_world import (
    HOLDER,
    MASTER,
    NOW,
    OTHER_HOLDER,
    TODAY,
    issue_food,
    make_world,
)

TOMORROW = TODAY + timedelta(days=1)


def test_resolution_shows_todays_bookings_and_open_tickets(session: Session) -> None:
    world = make_world(session)
    licence = issue_food(session, world)
    load_hall_file(session, demo_hall_path(), now=NOW - timedelta(days=1))
    ring = KeyRing(session, master_secret=MASTER)
    ring.ensure_active(NOW - timedelta(days=1))
    for day in (TODAY, TOMORROW):
        ensure_slots(session, day=day, now=NOW - timedelta(hours=3))
    early = NOW - timedelta(hours=3)
    today = confirm_booking(
        session,
        book(
            session, uscc=HOLDER, item_code="food-business-renewal", day=TODAY, now=early
        ).reference,
        now=early,
    )
    later = book(session, uscc=HOLDER, item_code="address-change", day=TOMORROW, now=early)
    session.commit()
    signer, keys = ring.active_signer(), ring.public_keys()
    arrived = check_in(
        session,
        issue_dynamic_code(session, uscc=HOLDER, signer=signer, now=NOW).payload,
        keys=keys,
        now=NOW,
    )
    session.commit()

    scan = issue_dynamic_code(session, uscc=HOLDER, signer=signer, now=NOW + timedelta(minutes=5))
    found = resolve_for_counter(
        session,
        scan.payload,
        keys=keys,
        now=NOW + timedelta(minutes=5),
        actor="clerk-li",
        location="window 7",
        channel="scan",
    )

    assert found.resolved.result.ok and found.resolved.result.entity is not None
    assert found.resolved.result.entity.uscc == HOLDER
    assert [view.identifier for view in found.resolved.licences] == [licence.identifier]
    assert [b.reference for b in found.bookings_today] == [today.reference]
    assert later.reference not in {b.reference for b in found.bookings_today}
    assert [t.number for t in found.open_tickets] == [arrived.ticket.number]

    other = resolve_for_counter(
        session,
        issue_dynamic_code(session, uscc=OTHER_HOLDER, signer=signer, now=NOW).payload,
        keys=keys,
        now=NOW,
        actor="clerk-li",
        location="window 7",
        channel="scan",
    )
    assert other.resolved.result.ok
    assert other.bookings_today == [] and other.open_tickets == []


def test_refused_code_has_no_bookings_or_tickets(session: Session) -> None:
    make_world(session)
    ring = KeyRing(session, master_secret=MASTER)
    ring.ensure_active(NOW - timedelta(days=1))
    session.commit()
    found = resolve_for_counter(
        session,
        "not a code",
        keys=ring.public_keys(),
        now=NOW,
        actor="clerk-li",
        location="window 7",
        channel="scan",
    )
    assert not found.resolved.result.ok and found.resolved.result.entity is None
    assert found.bookings_today == [] and found.open_tickets == []
