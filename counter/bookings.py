"""Bookings: statuses, look-ups, and the primitives shared by creation and lifecycle.

Creation is in counter.booking_create, status moves in counter.booking_lifecycle. Capacity
lives in counter.slots (one conditional UPDATE per place taken, so a slot is never
overbooked). On SQLite, ``serialise_bookings`` takes the write lock before anything is read,
so writers run one at a time. The same serialisation (a PostgreSQL advisory lock per business)
keeps a business under its ``max_open_bookings``. Functions only flush.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date, datetime

from sqlalchemy import func, text, update
from sqlmodel import Session, col, select

from codeid.db import is_postgresql
from codeid.errors import InvalidInput
from codeid.uscc import normalise_uscc
from counter.errors import BookingNotFound, SlotUnavailable
from counter.hall import hall_zone
from counter.models import Booking, Hall, Slot
from counter.slots import forget, get_slot, release_places, take_place

__all__ = [
    "CANCELLED",
    "CHECKED_IN",
    "CONFIRMED",
    "EXPIRED",
    "HELD",
    "bookable_slot",
    "bookings_for",
    "expire_stale_holds",
    "get_booking",
    "serialise_bookings",
    "slot_label",
    "take_or_expire",
]

HELD, CONFIRMED, CANCELLED, EXPIRED, CHECKED_IN = (
    "held",
    "confirmed",
    "cancelled",
    "expired",
    "checked-in",
)


def serialise_bookings(session: Session, uscc: str | None) -> None:
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


def bookable_slot(session: Session, slot_id: int, category_code: str, *, now: datetime) -> Slot:
    slot = get_slot(session, slot_id)
    if slot.category_code != category_code:
        raise InvalidInput(
            f"slot {slot_id} is for category {slot.category_code}, the item is in {category_code}"
        )
    if slot.starts_at <= now:
        raise SlotUnavailable(f"slot {slot_id} started at {slot.starts_at.isoformat()}")
    return slot


def take_or_expire(session: Session, slot_id: int | None, *, now: datetime) -> bool:
    """A place in the slot; when it is full, its stale holds are expired and it is tried again."""
    if take_place(session, slot_id):
        return True
    return bool(expire_stale_holds(session, now=now, slot_id=slot_id)) and take_place(
        session, slot_id
    )


def expire_stale_holds(session: Session, *, now: datetime, slot_id: int | None = None) -> int:
    """Expire holds past their time (only ``slot_id``'s when given), freeing their places."""
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


def slot_label(slot: Slot, hall: Hall) -> str:
    return slot.starts_at.astimezone(hall_zone(hall)).strftime("%Y-%m-%d %H:%M")
