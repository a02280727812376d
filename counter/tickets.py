"""Queue tickets: numbering, the event log, look-ups, and the write lock check-in takes.

Ticket numbers come from one upsert on ticket_counter (``INSERT ... ON CONFLICT DO UPDATE SET
last_seq = last_seq + 1 RETURNING``): PostgreSQL serialises concurrent check-ins on that row,
SQLite on its single writer, and the unique (day, category, seq) constraint backs it up.
Check-in itself is in counter.check_in, people ahead and the wait in counter.wait_estimate.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from codeid.db import is_postgresql
from codeid.errors import InvalidInput
from counter.errors import CategoryNotFound, TicketNotFound, TicketStateConflict, WrongWindow
from counter.hall import get_hall, local_day
from counter.models import ServiceCategory, Ticket, TicketCounter, TicketEvent

APPOINTMENT = "appointment"
WALK_IN = "walk-in"
OPEN_STATUSES = ("waiting", "called", "serving", "parked")


def lock_for_write(session: Session) -> None:
    """On SQLite, take the write lock before reading, so a read-then-write cannot fail.

    A deferred SQLite transaction that reads and then writes fails at once (SQLITE_BUSY) if
    another connection committed in between; a no-op UPDATE first makes the transaction a
    writer (BEGIN IMMEDIATE in effect), waiting on busy_timeout instead. It must come before
    the transaction's first read. PostgreSQL locks rows instead, so nothing is done there.
    """
    if not is_postgresql(session):
        session.execute(text("UPDATE ticket_counter SET last_seq = last_seq WHERE 0 = 1"))


def locked_ticket(session: Session, ticket_id: int) -> Ticket:
    """The ticket, read afresh and locked until commit (a window acting on it excludes any
    other action on the same ticket, such as a second case being opened)."""
    lock_for_write(session)
    query = (
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    ticket = session.exec(query).first()
    if ticket is None:
        raise TicketNotFound(f"no ticket with id {ticket_id}", ticket_id=ticket_id)
    return ticket


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
    mandate_id: int | None = None,
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
        mandate_id=mandate_id,
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


def require_at_window(
    ticket: Ticket, window_number: int, statuses: Iterable[str], *, doing: str
) -> None:
    """A window acts only on a ticket called to it, in a state that allows the action.

    One order for every window action: a ticket at another window is refused as
    wrong-window (whatever its state); one at no window (still waiting, transferred) or in
    the wrong state as ticket-state, since no window may yet act on it.
    """
    if ticket.window_number is not None and ticket.window_number != window_number:
        raise _wrong_window(ticket, window_number)
    allowed = tuple(statuses)
    if ticket.status not in allowed:
        raise TicketStateConflict(
            f"cannot {doing} ticket {ticket.number}: it is {ticket.status} "
            f"(needs {' or '.join(allowed)})",
            number=ticket.number,
            status=ticket.status,
        )
    if ticket.window_number != window_number:
        raise _wrong_window(ticket, window_number)


def _wrong_window(ticket: Ticket, window_number: int) -> WrongWindow:
    at = f"window {ticket.window_number}" if ticket.window_number else "no window"
    return WrongWindow(
        f"ticket {ticket.number} is {ticket.status} at {at}, not window {window_number}; "
        "a window acts only on tickets called to it",
        number=ticket.number,
        window=ticket.window_number,
    )
