"""Check-in: verify and consume a dynamic code, claim today's due booking, issue a ticket.

A dynamic code is consumed at check-in, so a screenshot of it cannot check in twice. With a
booking for today inside its early/late window the ticket gets appointment priority and its
place in the queue is the slot's start (arriving early does not jump the queue before the
slot begins); otherwise it is a walk-in, queued from now. Numbering is in counter.tickets,
the people-ahead and wait estimate in counter.wait_estimate.

A code naming a mandate (an agent, an administrator or the legal representative acting for
the business) puts the mandate on the ticket; an agent is refused at once when what it comes
for (its booking's item, or the walk-in item it names) is outside its scope, rather than after
waiting for a window (counter.cases checks again when the case opens).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from codeid.codes.state import check_code_state, consume_dynamic_code
from codeid.codes.verify import verify_code
from codeid.keys.jwks import PublicKeySet
from codeid.mandates.acting import require_acting_for
from counter.hall import get_hall, get_item, local_day, rules_of
from counter.models import Booking, Hall, ServiceItem, Slot, Ticket
from counter.tickets import APPOINTMENT, WALK_IN, issue_ticket, lock_for_write
from counter.wait_estimate import estimated_wait_minutes, people_ahead

DEFAULT_CATEGORY = "A"
CHECK_IN_PURPOSE = "check-in"


@dataclass(frozen=True, slots=True)
class CheckIn:
    ticket: Ticket
    booking: Booking | None
    people_ahead: int
    estimated_wait_minutes: float


def check_in(
    session: Session,
    payload: str,
    *,
    keys: PublicKeySet,
    now: datetime,
    location: str = "kiosk",
    item_code: str | None = None,
) -> CheckIn:
    """Verify and consume a dynamic code, then issue a ticket. Flushes only.

    Raises the CodeRejected subclass of a refused code (AlreadyUsed on replay, NotConsumable
    for a static code). A walk-in is queued for ``item_code``'s category, else the category of
    the business's booking today, else category A.
    """
    lock_for_write(session)
    claims = verify_code(payload, keys=keys, now=now)
    entity = check_code_state(session, claims, now=now)
    consume_dynamic_code(session, claims, purpose=CHECK_IN_PURPOSE, now=now)
    hall = get_hall(session)
    day = local_day(now, hall)
    booking, slot, todays_item = _due_booking(session, entity.uscc, hall=hall, day=day, now=now)
    item: ServiceItem | None
    if booking is not None and slot is not None:
        item = get_item(session, booking.item_code)
        priority, queued_at = APPOINTMENT, max(now, slot.starts_at)
    else:
        code = item_code or todays_item
        item = get_item(session, code) if code else None
        priority, queued_at = WALK_IN, now
    if claims.mandate_id is not None:
        require_acting_for(
            session,
            claims.mandate_id,
            uscc=entity.uscc,
            item_code=item.code if item else None,
            now=now,
        )
    category_code = item.category_code if item else DEFAULT_CATEGORY
    # Estimate before numbering: the counter row stays locked from numbering until commit, so
    # concurrent check-ins of a category wait only for the last few statements.
    probe = Ticket(
        day=day,
        category_code=category_code,
        seq=0,
        number="",
        uscc=entity.uscc,
        priority=priority,
        status="waiting",
        issued_at=now,
        queued_at=queued_at,
    )
    ahead = people_ahead(session, probe)
    wait = estimated_wait_minutes(session, probe, now=now, ahead=ahead)
    ticket = issue_ticket(
        session,
        uscc=entity.uscc,
        category_code=category_code,
        item_code=item.code if item else None,
        booking_id=booking.id if booking else None,
        priority=priority,
        code_id=claims.code_id,
        now=now,
        queued_at=queued_at,
        detail={"location": location},
        mandate_id=claims.mandate_id,
    )
    return CheckIn(ticket=ticket, booking=booking, people_ahead=ahead, estimated_wait_minutes=wait)


def _due_booking(
    session: Session, uscc: str, *, hall: Hall, day: date, now: datetime
) -> tuple[Booking | None, Slot | None, str | None]:
    """The booking today whose check-in window contains now (claimed), and today's item."""
    rules = rules_of(hall)
    early, late = timedelta(minutes=rules.early_minutes), timedelta(minutes=rules.late_minutes)
    query = (
        select(Booking, Slot)
        .join(Slot, col(Slot.id) == col(Booking.slot_id))
        .where(
            Booking.uscc == uscc,
            Slot.day == day,
            col(Booking.status).in_(("confirmed", "held")),
        )
        .order_by(col(Slot.starts_at))
    )
    rows = session.exec(query).all()
    for booking, slot in rows:
        live = booking.status == "confirmed" or (
            booking.held_until is not None and booking.held_until >= now
        )
        if not live or not slot.starts_at - early <= now <= slot.starts_at + late:
            continue
        # Conditional, so two codes of one business checking in at once claim it only once.
        claimed = session.execute(
            update(Booking)
            .where(col(Booking.id) == booking.id, col(Booking.status) == booking.status)
            .values(status="checked-in", updated_at=now)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            session.refresh(booking)
            return booking, slot, booking.item_code
    return None, None, rows[0][0].item_code if rows else None
