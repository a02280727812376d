"""Booking creation: ``book`` holds a place in a slot until the booking is confirmed.

A business stays under its ``max_open_bookings`` (held or confirmed, not yet past); the count
and the new hold run under counter.bookings.serialise_bookings. A full slot has its stale holds
expired before it is given up on. Confirming, cancelling and the rest are in
counter.booking_lifecycle. Functions only flush.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from codeid.entities.errors import EntityDeregistered
from codeid.entities.models import EntityStatus
from codeid.entities.service import get_entity
from codeid.errors import InvalidInput
from codeid.uscc import normalise_uscc
from counter.bookings import (
    CONFIRMED,
    HELD,
    bookable_slot,
    serialise_bookings,
    slot_label,
    take_or_expire,
)
from counter.errors import NoFreeSlot, SlotFull, TooManyBookings
from counter.hall import get_category, get_hall, get_item, local_day, rules_of
from counter.models import Booking, Hall, Slot
from counter.slots import ensure_slots, list_slots

__all__ = ["book"]

_REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out at a window
_REFERENCE_LENGTH = 10


def book(
    session: Session,
    *,
    uscc: str,
    item_code: str,
    slot_id: int | None = None,
    day: date | None = None,
    agent: str | None = None,
    now: datetime,
) -> Booking:
    """Hold a place for ``uscc`` in ``slot_id``, or in the first free future slot of ``day``
    (default: today) for the item's category. The hold lasts ``hold_minutes``; confirm it."""
    code = normalise_uscc(uscc)
    serialise_bookings(session, code)
    entity = get_entity(session, code)
    if entity.status == EntityStatus.DEREGISTERED:
        raise EntityDeregistered(f"entity {code} is deregistered and cannot book", uscc=code)
    if agent is not None and not 1 <= len(agent.strip()) <= 100:
        raise InvalidInput("an agent name has 1 to 100 characters")
    hall = get_hall(session)
    rules = rules_of(hall)
    item = get_item(session, item_code)
    open_count = _open_bookings(session, code, now=now)
    if open_count >= rules.max_open_bookings:
        raise TooManyBookings(
            f"{code} already has {open_count} open bookings; at most "
            f"{rules.max_open_bookings} are allowed (cancel one first)",
            uscc=code,
        )
    if slot_id is not None:
        slot = bookable_slot(session, slot_id, item.category_code, now=now)
        if not take_or_expire(session, slot.id, now=now):
            raise SlotFull(f"slot {slot_id} ({slot_label(slot, hall)}) is full", slot_id=slot_id)
    else:
        slot = _first_free(session, item.category_code, day or local_day(now, hall), hall, now=now)
    assert slot.id is not None
    booking = Booking(
        reference=_new_reference(),
        slot_id=slot.id,
        uscc=code,
        item_code=item.code,
        agent=agent.strip() if agent else None,
        status=HELD,
        held_until=now + timedelta(minutes=rules.hold_minutes),
        created_at=now,
        updated_at=now,
    )
    session.add(booking)
    session.flush()
    return booking


def _open_bookings(session: Session, uscc: str, *, now: datetime) -> int:
    query = (
        select(func.count())
        .select_from(Booking)
        .join(Slot, col(Slot.id) == col(Booking.slot_id))
        .where(
            Booking.uscc == uscc,
            col(Slot.ends_at) > now,
            or_(
                col(Booking.status) == CONFIRMED,
                (col(Booking.status) == HELD) & (col(Booking.held_until) > now),
            ),
        )
    )
    return int(session.exec(query).one())


def _first_free(
    session: Session, category_code: str, day: date, hall: Hall, *, now: datetime
) -> Slot:
    get_category(session, category_code)
    candidates = list_slots(session, category_code=category_code, day=day)
    if not candidates and day >= local_day(now, hall):
        ensure_slots(session, day=day, now=now)
        candidates = list_slots(session, category_code=category_code, day=day)
    future = [slot for slot in candidates if slot.starts_at > now]
    for slot in future:
        if take_or_expire(session, slot.id, now=now):
            return slot
    raise NoFreeSlot(
        f"no free slot for category {category_code} on {day.isoformat()}"
        + ("" if future else " (the hall is closed or the day's slots have all started)"),
        category=category_code,
        day=day.isoformat(),
    )


def _new_reference() -> str:
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH))
