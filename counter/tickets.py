"""Check-in and queue tickets: numbering, people ahead, estimated wait.

A dynamic code is consumed at check-in, so a screenshot of it cannot check in twice. With a
booking for today inside its early/late window the ticket gets appointment priority and its
place in the queue is the slot's start (arriving early does not jump the queue before the
slot begins); otherwise it is a walk-in, queued from now.

Ticket numbers come from one upsert on ticket_counter (``INSERT ... ON CONFLICT DO UPDATE SET
last_seq = last_seq + 1 RETURNING``): PostgreSQL serialises concurrent check-ins on that row,
SQLite on its single writer, and the unique (day, category, seq) constraint backs it up.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from codeid.codes.state import check_code_state, consume_dynamic_code
from codeid.codes.verify import verify_code
from codeid.db import is_postgresql
from codeid.errors import InvalidInput
from codeid.keys.jwks import PublicKeySet
from counter.errors import CategoryNotFound, TicketNotFound
from counter.hall import get_hall, get_item, local_day, rules_of
from counter.models import (
    Booking,
    Hall,
    ServiceCategory,
    ServiceItem,
    Slot,
    Ticket,
    TicketCounter,
    TicketEvent,
    Window,
)

APPOINTMENT = "appointment"
WALK_IN = "walk-in"
OPEN_STATUSES = ("waiting", "called", "serving", "parked")
DEFAULT_CATEGORY = "A"
CHECK_IN_PURPOSE = "check-in"
# Until a category has completed services to learn from, assume this many minutes each.
DEFAULT_SERVICE_MINUTES = 8.0
SERVICE_HISTORY = 20


@dataclass(frozen=True, slots=True)
class CheckIn:
    ticket: Ticket
    booking: Booking | None
    people_ahead: int
    estimated_wait_minutes: float


def lock_for_write(session: Session) -> None:
    """On SQLite, take the write lock before reading, so a read-then-write cannot fail.

    A deferred SQLite transaction that reads and then writes fails at once (SQLITE_BUSY) if
    another connection committed in between; a no-op UPDATE first makes the transaction a
    writer (BEGIN IMMEDIATE in effect), waiting on busy_timeout instead. It must come before
    the transaction's first read. PostgreSQL locks rows instead, so nothing is done there.
    """
    if not is_postgresql(session):
        session.execute(text("UPDATE ticket_counter SET last_seq = last_seq WHERE 0 = 1"))


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


def issue_ticket(
    session: Session,
    *,
    uscc: str,
    category_code: str,
    item_code: str | None,
    booking_id: int | None,
    priority: str,
    code_id: str | None,
    now: datetime,
    queued_at: datetime | None = None,
    detail: dict[str, Any] | None = None,
) -> Ticket:
    """A waiting ticket numbered A001, A002 ... per category and local day. Flushes only."""
    if priority not in (APPOINTMENT, WALK_IN):
        raise InvalidInput(f"priority is {APPOINTMENT!r} or {WALK_IN!r}, not {priority!r}")
    if session.get(ServiceCategory, category_code) is None:
        raise CategoryNotFound(f"no service category {category_code!r}", code=category_code)
    day = local_day(now, get_hall(session))
    seq = _next_seq(session, day, category_code)
    ticket = Ticket(
        day=day,
        category_code=category_code,
        seq=seq,
        number=f"{category_code}{seq:03d}",
        uscc=uscc,
        item_code=item_code,
        booking_id=booking_id,
        priority=priority,
        status="waiting",
        code_id=code_id,
        issued_at=now,
        queued_at=queued_at or now,
    )
    session.add(ticket)
    session.flush()
    record_event(session, ticket, "issued", now=now, detail=detail)
    return ticket


def _next_seq(session: Session, day: date, category_code: str) -> int:
    dialect_insert = postgresql.insert if is_postgresql(session) else sqlite.insert
    insert = dialect_insert(TicketCounter).values(day=day, category_code=category_code, last_seq=1)
    statement = insert.on_conflict_do_update(
        index_elements=["day", "category_code"],
        set_={"last_seq": col(TicketCounter.last_seq) + 1},
    ).returning(col(TicketCounter.last_seq))
    return int(session.execute(statement).scalar_one())


def record_event(
    session: Session,
    ticket: Ticket,
    action: str,
    *,
    now: datetime,
    window_number: int | None = None,
    actor: str = "",
    detail: dict[str, Any] | None = None,
) -> TicketEvent:
    assert ticket.id is not None
    event = TicketEvent(
        ticket_id=ticket.id,
        action=action,
        window_number=window_number,
        actor=actor,
        at=now,
        detail=detail or {},
    )
    session.add(event)
    session.flush()
    return event


def people_ahead(session: Session, ticket: Ticket) -> int:
    """Waiting tickets of the category that will be called before this one (an estimate).

    Appointments go first, but after every ``walk_in_every`` of them one walk-in is served,
    so a walk-in with k walk-ins ahead waits for at most (k + 1) * walk_in_every appointments.
    """
    if ticket.status != "waiting":
        return 0
    waiting = select(func.count()).where(
        Ticket.day == ticket.day,
        Ticket.status == "waiting",
        Ticket.category_code == ticket.category_code,
        col(Ticket.id) != ticket.id,
    )
    earlier = waiting.where(
        (col(Ticket.queued_at) < ticket.queued_at)
        | ((col(Ticket.queued_at) == ticket.queued_at) & (col(Ticket.id) < (ticket.id or 0)))
    )
    if ticket.priority == APPOINTMENT:
        return int(session.exec(earlier.where(Ticket.priority == APPOINTMENT)).one())
    walk_ins_before = int(session.exec(earlier.where(Ticket.priority == WALK_IN)).one())
    appointments = int(session.exec(waiting.where(Ticket.priority == APPOINTMENT)).one())
    every = rules_of(get_hall(session)).walk_in_every
    return walk_ins_before + min(appointments, (walk_ins_before + 1) * every)


def median_service_minutes(session: Session, category_code: str) -> float:
    """Median of the category's last completed service times, or a default without history."""
    query = (
        select(Ticket.started_at, Ticket.completed_at)
        .where(
            Ticket.category_code == category_code,
            Ticket.status == "completed",
            col(Ticket.started_at).is_not(None),
            col(Ticket.completed_at).is_not(None),
        )
        .order_by(col(Ticket.completed_at).desc())
        .limit(SERVICE_HISTORY)
    )
    minutes = [
        (done - started).total_seconds() / 60
        for started, done in session.exec(query).all()
        if started is not None and done is not None
    ]
    return statistics.median(minutes) if minutes else DEFAULT_SERVICE_MINUTES


def serving_windows(session: Session, category_code: str) -> int:
    windows = session.exec(select(Window).where(col(Window.open).is_(True))).all()
    return sum(1 for window in windows if category_code in window.categories)


def estimated_wait_minutes(
    session: Session, ticket: Ticket, *, now: datetime, ahead: int | None = None
) -> float:
    """People ahead x median service time / open windows serving the category."""
    ahead = people_ahead(session, ticket) if ahead is None else ahead
    wait = 0.0
    if ahead:
        windows = max(1, serving_windows(session, ticket.category_code))
        wait = ahead * median_service_minutes(session, ticket.category_code) / windows
    # An appointment before its slot waits at least until the slot starts.
    if ticket.priority == APPOINTMENT and ticket.queued_at > now:
        wait = max(wait, (ticket.queued_at - now).total_seconds() / 60)
    return round(wait, 1)


def get_ticket(session: Session, number: str, *, day: date) -> Ticket:
    number = number.strip().upper()
    ticket = session.exec(select(Ticket).where(Ticket.day == day, Ticket.number == number)).first()
    if ticket is None:
        raise TicketNotFound(f"no ticket {number} on {day.isoformat()}", number=number)
    return ticket


def open_tickets(session: Session, uscc: str, *, day: date) -> list[Ticket]:
    query = (
        select(Ticket)
        .where(Ticket.uscc == uscc, Ticket.day == day, col(Ticket.status).in_(OPEN_STATUSES))
        .order_by(col(Ticket.queued_at), col(Ticket.id))
    )
    return list(session.exec(query).all())
