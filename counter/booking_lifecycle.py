"""Booking lifecycle: confirm, cancel, reschedule, check in, and expire holds.

Status moves (held -> confirmed / cancelled / expired ...) are conditional UPDATEs, so a hold
expiring while it is confirmed frees its place exactly once. Each entry point first takes
counter.bookings.serialise_bookings (on SQLite, the write lock before any read). Creating a
booking is in counter.booking_create. Functions only flush.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from counter.bookings import (
    CANCELLED,
    CHECKED_IN,
    CONFIRMED,
    HELD,
    bookable_slot,
    expire_stale_holds,
    get_booking,
    serialise_bookings,
    slot_label,
    take_or_expire,
)
from counter.errors import BookingStateConflict, SlotFull
from counter.hall import get_hall
from counter.models import Booking
from counter.slots import get_slot, release_places

__all__ = [
    "cancel_booking",
    "check_in_booking",
    "confirm_booking",
    "expire_holds",
    "reschedule_booking",
]


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
    serialise_bookings(session, None)
    return expire_stale_holds(session, now=now)


def confirm_booking(session: Session, reference: str, *, now: datetime) -> Booking:
    """Confirm a hold before it expires; confirming a confirmed booking changes nothing."""
    serialise_bookings(session, None)
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
    serialise_bookings(session, None)
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
    serialise_bookings(session, None)
    booking = get_booking(session, reference)
    if booking.status not in (HELD, CONFIRMED) or (
        booking.status == HELD and booking.held_until is not None and booking.held_until <= now
    ):
        raise _state(booking, "rescheduled")
    booking_slot = booking.slot_id
    old = get_slot(session, booking_slot)
    if slot_id == booking_slot:
        return booking
    slot = bookable_slot(session, slot_id, old.category_code, now=now)
    if not take_or_expire(session, slot.id, now=now):
        raise SlotFull(
            f"slot {slot_id} ({slot_label(slot, get_hall(session))}) is full", slot_id=slot_id
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


def _state(booking: Booking, action: str) -> BookingStateConflict:
    return BookingStateConflict(
        f"booking {booking.reference} is {booking.status} and cannot be {action}",
        reference=booking.reference,
        status=booking.status,
    )
