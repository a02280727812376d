"""A business's own view of the hall: its bookings from today on, and its tickets today.

Read-only: a hold past its time is shown as expired here (counter.booking_lifecycle expires it
for real on the next write). People ahead and the wait are counter.wait_estimate's estimates,
the same a business is told at check-in. Without a hall set-up there is nothing to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from codeid.uscc import normalise_uscc
from counter.bookings import CANCELLED, EXPIRED, HELD
from counter.errors import HallNotLoaded
from counter.hall import get_hall, local_day
from counter.models import Booking, Hall, ServiceItem, Slot, Ticket
from counter.wait_estimate import estimated_wait_minutes, people_ahead

__all__ = ["BookingView", "TicketView", "bookings_ahead", "tickets_today"]

ENDED = frozenset({CANCELLED, EXPIRED})


@dataclass(frozen=True, slots=True)
class BookingView:
    booking: Booking
    status: str  # the booking's status, "expired" for a hold past its time
    slot: Slot
    item: ServiceItem | None


@dataclass(frozen=True, slots=True)
class TicketView:
    ticket: Ticket
    people_ahead: int
    estimated_wait_minutes: float | None  # only while waiting


def _hall(session: Session) -> Hall | None:
    try:
        return get_hall(session)
    except HallNotLoaded:
        return None


def effective_status(booking: Booking, *, now: datetime) -> str:
    if booking.status == HELD and booking.held_until is not None and booking.held_until <= now:
        return EXPIRED
    return booking.status


def bookings_ahead(
    session: Session, uscc: str, *, now: datetime, include_ended: bool = False
) -> list[BookingView]:
    """The business's bookings for today and later days, by slot time; cancelled and expired
    ones only with ``include_ended``."""
    hall = _hall(session)
    if hall is None:
        return []
    rows = session.exec(
        select(Booking, Slot)
        .join(Slot, col(Slot.id) == col(Booking.slot_id))
        .where(Booking.uscc == normalise_uscc(uscc), Slot.day >= local_day(now, hall))
        .order_by(col(Slot.starts_at), col(Booking.id))
    ).all()
    codes = {booking.item_code for booking, _ in rows}
    items = {
        item.code: item
        for item in session.exec(select(ServiceItem).where(col(ServiceItem.code).in_(codes)))
    }
    views = [
        BookingView(booking, effective_status(booking, now=now), slot, items.get(booking.item_code))
        for booking, slot in rows
    ]
    return [view for view in views if include_ended or view.status not in ENDED]


def tickets_today(session: Session, uscc: str, *, now: datetime) -> list[TicketView]:
    """The business's tickets of the hall's day, in queue order; a waiting one with the
    people ahead of it and the estimated wait in minutes."""
    hall = _hall(session)
    if hall is None:
        return []
    tickets = session.exec(
        select(Ticket)
        .where(Ticket.uscc == normalise_uscc(uscc), Ticket.day == local_day(now, hall))
        .order_by(col(Ticket.queued_at), col(Ticket.id))
    ).all()
    views = []
    for ticket in tickets:
        if ticket.status != "waiting":
            views.append(TicketView(ticket, 0, None))
            continue
        ahead = people_ahead(session, ticket)
        wait = estimated_wait_minutes(session, ticket, now=now, ahead=ahead)
        views.append(TicketView(ticket, ahead, wait))
    return views
