"""Appointments: bookings held until confirmed, confirm, cancel, reschedule, expiry.

Capacity lives in counter.slots (one conditional UPDATE per place taken, so a slot is never
overbooked). On SQLite, ``_serialise`` takes the write lock before anything is read, so
writers run one at a time. The same serialisation (a PostgreSQL advisory
lock per business) keeps a business under its ``max_open_bookings``.

Status moves (held -> confirmed / cancelled / expired ...) are conditional UPDATEs too, so a
hold expiring while it is confirmed frees its place exactly once. Functions only flush.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, text, update
from sqlmodel import Session, col, select

from codeid.db import is_postgresql
from codeid.entities.errors import EntityDeregistered
from codeid.entities.models import EntityStatus
from codeid.entities.service import get_entity
from codeid.errors import InvalidInput
from codeid.uscc import normalise_uscc
from counter.errors import (
    BookingNotFound,
    BookingStateConflict,
    NoFreeSlot,
    SlotFull,
    SlotUnavailable,
    TooManyBookings,
)
from counter.hall import get_category, get_hall, get_item, hall_zone, local_day, rules_of
from counter.models import Booking, Hall, Slot
from counter.slots import ensure_slots, forget, get_slot, list_slots, release_places, take_place

__all__ = [
    "CANCELLED",
    "CHECKED_IN",
    "CONFIRMED",
    "EXPIRED",
    "HELD",
    "book",
    "bookings_for",
    "cancel_booking",
    "check_in_booking",
    "confirm_booking",
    "ensure_slots",
    "expire_holds",
    "get_booking",
    "get_slot",
    "list_slots",
    "reschedule_booking",
]

HELD, CONFIRMED, CANCELLED, EXPIRED, CHECKED_IN = (
    "held",
    "confirmed",
    "cancelled",
    "expired",
    "checked-in",
)
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
    _serialise(session, code)
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
        slot = _bookable(session, slot_id, item.category_code, now=now)
        if not _take(session, slot.id, now=now):
            raise SlotFull(f"slot {slot_id} ({_label(slot, hall)}) is full", slot_id=slot_id)
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


def _serialise(session: Session, uscc: str | None) -> None:
    """Make concurrent bookings of one business (on SQLite, all writers) take turns.

    PostgreSQL: a transaction advisory lock per business (status moves need none: they are
    conditional UPDATEs under row locks). SQLite: a deferred transaction that reads first and
    writes later fails with "database is locked" when another writer committed in between.
    """
    connection = session.connection()
    if is_postgresql(session):
        if uscc is None:
            return
        key = int.from_bytes(
            hashlib.sha256(f"booking:{uscc}".encode()).digest()[:8], "big", signed=True
        )
        connection.execute(select(func.pg_advisory_xact_lock(key)))
    else:
        # Any write takes SQLite's write lock (waiting busy_timeout); taken before the first read,
        # the reads below see every booking committed before ours.
        connection.execute(text("UPDATE hall SET id = id WHERE 0"))


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


def _bookable(session: Session, slot_id: int, category_code: str, *, now: datetime) -> Slot:
    slot = get_slot(session, slot_id)
    if slot.category_code != category_code:
        raise InvalidInput(
            f"slot {slot_id} is for category {slot.category_code}, the item is in {category_code}"
        )
    if slot.starts_at <= now:
        raise SlotUnavailable(f"slot {slot_id} started at {slot.starts_at.isoformat()}")
    return slot


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
        if _take(session, slot.id, now=now):
            return slot
    raise NoFreeSlot(
        f"no free slot for category {category_code} on {day.isoformat()}"
        + ("" if future else " (the hall is closed or the day's slots have all started)"),
        category=category_code,
        day=day.isoformat(),
    )


def _take(session: Session, slot_id: int | None, *, now: datetime) -> bool:
    """A place in the slot; when it is full, its stale holds are expired and it is tried again."""
    if take_place(session, slot_id):
        return True
    return bool(_expire(session, now=now, slot_id=slot_id)) and take_place(session, slot_id)


def _move(
    session: Session,
    booking: Booking,
    from_statuses: tuple[str, ...],
    *,
    now: datetime,
    **values: Any,
) -> bool:
    """Conditional status move of one booking; False when it is no longer in ``from_statuses``."""
    moved = session.exec(
        update(Booking)
        .where(col(Booking.id) == booking.id, col(Booking.status).in_(from_statuses))
        .values(updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(booking)
    return bool(moved.rowcount == 1)


def expire_holds(session: Session, *, now: datetime) -> int:
    """Expire every hold past its time and free its place; how many expired."""
    _serialise(session, None)
    return _expire(session, now=now)


def _expire(session: Session, *, now: datetime, slot_id: int | None = None) -> int:
    statement = update(Booking).where(col(Booking.status) == HELD, col(Booking.held_until) <= now)
    if slot_id is not None:
        statement = statement.where(col(Booking.slot_id) == slot_id)
    freed = session.exec(
        statement.values(status=EXPIRED, updated_at=now)
        .returning(col(Booking.slot_id), col(Booking.id))
        .execution_options(synchronize_session=False)
    ).all()
    release_places(session, Counter(row[0] for row in freed))
    for _, booking_id in freed:
        forget(session, Booking, booking_id)
    return len(freed)


def get_booking(session: Session, reference: str) -> Booking:
    booking = session.exec(
        select(Booking).where(Booking.reference == reference.strip().upper())
    ).first()
    if booking is None:
        raise BookingNotFound(f"no booking with reference {reference!r}", reference=reference)
    return booking


def confirm_booking(session: Session, reference: str, *, now: datetime) -> Booking:
    """Confirm a hold before it expires; confirming a confirmed booking changes nothing."""
    _serialise(session, None)
    booking = get_booking(session, reference)
    if booking.status == CONFIRMED:
        return booking
    if booking.status == HELD and booking.held_until is not None and booking.held_until <= now:
        raise BookingStateConflict(
            f"booking {booking.reference} was held until {booking.held_until.isoformat()} "
            "and has expired; book again",
            reference=booking.reference,
        )
    if booking.status != HELD or not _move(
        session, booking, (HELD,), now=now, status=CONFIRMED, held_until=None
    ):
        raise _state(booking, "confirmed")
    return booking


def cancel_booking(session: Session, reference: str, *, now: datetime) -> Booking:
    """Cancel a held or confirmed booking and free its place."""
    _serialise(session, None)
    booking = get_booking(session, reference)
    slot_id = booking.slot_id
    if not _move(session, booking, (HELD, CONFIRMED), now=now, status=CANCELLED, held_until=None):
        raise _state(booking, "cancelled")
    release_places(session, Counter({slot_id: 1}))
    return booking


def reschedule_booking(session: Session, reference: str, *, slot_id: int, now: datetime) -> Booking:
    """Move a held or confirmed booking to another slot of its category; the old place is freed.

    A hold keeps its expiry time: rescheduling does not extend it.
    """
    _serialise(session, None)
    booking = get_booking(session, reference)
    if booking.status not in (HELD, CONFIRMED) or (
        booking.status == HELD and booking.held_until is not None and booking.held_until <= now
    ):
        raise _state(booking, "rescheduled")
    booking_slot = booking.slot_id
    old = get_slot(session, booking_slot)
    if slot_id == booking_slot:
        return booking
    slot = _bookable(session, slot_id, old.category_code, now=now)
    if not _take(session, slot.id, now=now):
        raise SlotFull(
            f"slot {slot_id} ({_label(slot, get_hall(session))}) is full", slot_id=slot_id
        )
    moved = session.exec(
        update(Booking)
        .where(col(Booking.id) == booking.id, col(Booking.slot_id) == booking_slot)
        .where(col(Booking.status).in_((HELD, CONFIRMED)))
        .values(slot_id=slot.id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(booking)
    if moved.rowcount != 1:  # changed meanwhile; the caller rolls back, giving the place back
        raise _state(booking, "rescheduled")
    release_places(session, Counter({booking_slot: 1}))
    return booking


def check_in_booking(session: Session, booking: Booking, *, now: datetime) -> Booking:
    """Mark a held or confirmed booking as checked in (its place stays used)."""
    if not _move(session, booking, (HELD, CONFIRMED), now=now, status=CHECKED_IN, held_until=None):
        raise _state(booking, "checked in")
    return booking


def bookings_for(session: Session, uscc: str, *, day: date | None = None) -> list[Booking]:
    """A business's bookings (every status), by slot time; only ``day``'s when given."""
    query = (
        select(Booking)
        .join(Slot, col(Slot.id) == col(Booking.slot_id))
        .where(Booking.uscc == normalise_uscc(uscc))
        .order_by(col(Slot.starts_at), col(Booking.id))
    )
    if day is not None:
        query = query.where(Slot.day == day)
    return list(session.exec(query).all())


def _state(booking: Booking, action: str) -> BookingStateConflict:
    return BookingStateConflict(
        f"booking {booking.reference} is {booking.status} and cannot be {action}",
        reference=booking.reference,
        status=booking.status,
    )


def _label(slot: Slot, hall: Hall) -> str:
    return slot.starts_at.astimezone(hall_zone(hall)).strftime("%Y-%m-%d %H:%M")


def _new_reference() -> str:
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH))
