"""Call next: which ticket a window gets, race-free (the other window actions are in
counter.ticket_actions).

Calling is race-free on both databases. PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED``
picks the first waiting ticket no other window is taking, then a conditional UPDATE
(``WHERE status = 'waiting'``) claims it. SQLite has no row locks: the call first takes the
database write lock (see counter.tickets.lock_for_write), so calls run one at a time, and the
same conditional UPDATE with a rowcount check guards the claim; a lost claim picks again.

Order of the queue for a window: tickets transferred to this window first; then the window's
categories in its order of preference; within a category, appointments that are due (their
slot has started) first, except that after ``walk_in_every`` appointments called at this
window the next call takes a walk-in; otherwise oldest place in the queue (queued_at) first.
Every call appends a TicketEvent. Functions flush only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, literal, update
from sqlmodel import Session, col, select

from counter.errors import (
    TicketStateConflict,
    WindowClosed,
)
from counter.hall import get_hall, get_window, local_day, rules_of
from counter.models import Ticket, TicketEvent, Window
from counter.tickets import (
    APPOINTMENT,
    WALK_IN,
    lock_for_write,
    record_event,
)

# A claim is lost only if another window took the ticket between pick and update, which the
# locks above rule out; the bound just keeps a surprise from looping forever.
MAX_CLAIM_ATTEMPTS = 20


def call_next(
    session: Session, window_number: int, *, now: datetime, clerk: str = ""
) -> Ticket | None:
    """Call the next ticket to the window; None when its queue is empty."""
    lock_for_write(session)
    window = get_window(session, window_number)
    if not window.open:
        raise WindowClosed(f"window {window_number} is closed", window=window_number)
    hall = get_hall(session)
    day = local_day(now, hall)
    walk_in_turn = _walk_in_turn(session, window_number, day, rules_of(hall).walk_in_every)
    for _ in range(MAX_CLAIM_ATTEMPTS):
        ticket_id = _pick(session, window, day=day, now=now, walk_in_turn=walk_in_turn)
        if ticket_id is None:
            return None
        claimed = session.execute(
            update(Ticket)
            .where(col(Ticket.id) == ticket_id, col(Ticket.status) == "waiting")
            .values(status="called", window_number=window_number, called_at=now, recalls=0)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            record_event(
                session,
                ticket,
                "called",
                now=now,
                window_number=window_number,
                actor=clerk,
                detail={"priority": ticket.priority},
            )
            return ticket
    raise TicketStateConflict(f"window {window_number}: the queue is too busy, call again")


def _walk_in_turn(session: Session, window_number: int, day: date, every: int) -> bool:
    """Whether the last ``every`` calls at this window were all appointments."""
    if every <= 0:
        return False
    query = (
        select(Ticket.priority)
        .join(TicketEvent, col(TicketEvent.ticket_id) == col(Ticket.id))
        .where(
            TicketEvent.window_number == window_number,
            TicketEvent.action == "called",
            Ticket.day == day,
        )
        .order_by(col(TicketEvent.id).desc())
        .limit(every)
    )
    last = session.exec(query).all()
    return len(last) == every and all(priority == APPOINTMENT for priority in last)


def _pick(
    session: Session, window: Window, *, day: date, now: datetime, walk_in_turn: bool
) -> int | None:
    categories = list(window.categories)
    reserved = col(Ticket.window_number) == window.number
    eligible = reserved
    preference: ColumnElement[Any] = literal(0)
    if categories:
        eligible = eligible | (
            col(Ticket.window_number).is_(None) & col(Ticket.category_code).in_(categories)
        )
        preference = case(
            {code: rank for rank, code in enumerate(categories)},
            value=col(Ticket.category_code),
            else_=len(categories),
        )
    if walk_in_turn:
        first = case((col(Ticket.priority) == WALK_IN, 0), else_=1)
    else:
        due = (col(Ticket.priority) == APPOINTMENT) & (col(Ticket.queued_at) <= now)
        first = case((due, 0), else_=1)
    query = (
        select(Ticket.id)
        .where(Ticket.day == day, Ticket.status == "waiting", eligible)
        .order_by(
            case((reserved, 0), else_=1),
            preference,
            first,
            col(Ticket.queued_at),
            col(Ticket.id),
        )
        .limit(1)
    )
    # Rendered only on PostgreSQL; SQLite ignores FOR UPDATE (it holds the write lock).
    query = query.with_for_update(skip_locked=True)
    return session.exec(query).first()
