"""What a window does with the queue: call next, recall, no-show, transfer, park, serve.

Calling is race-free on both databases. PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED``
picks the first waiting ticket no other window is taking, then a conditional UPDATE
(``WHERE status = 'waiting'``) claims it. SQLite has no row locks: the call first takes the
database write lock (see counter.tickets.lock_for_write), so calls run one at a time, and the
same conditional UPDATE with a rowcount check guards the claim; a lost claim picks again.

Order of the queue for a window: tickets transferred to this window first; then the window's
categories in its order of preference; within a category, appointments that are due (their
slot has started) first, except that after ``walk_in_every`` appointments called at this
window the next call takes a walk-in; otherwise oldest place in the queue (queued_at) first.
Every action appends a TicketEvent. Functions flush only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, literal, update
from sqlmodel import Session, col, select

from codeid.errors import InvalidInput
from counter.errors import (
    CategoryNotFound,
    TicketNotFound,
    TicketStateConflict,
    WindowClosed,
    WrongWindow,
)
from counter.hall import get_hall, get_window, local_day, rules_of
from counter.models import ServiceCategory, Ticket, TicketEvent, Window
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


def _own(
    session: Session, ticket_id: int, window_number: int, statuses: Iterable[str], action: str
) -> Ticket:
    """The ticket, locked, if it is at this window in one of ``statuses``."""
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
    if ticket.window_number != window_number:
        at = f"window {ticket.window_number}" if ticket.window_number else "no window"
        raise WrongWindow(
            f"ticket {ticket.number} is {ticket.status} at {at}, not window {window_number}; "
            "a window acts only on tickets called to it",
            number=ticket.number,
            window=ticket.window_number,
        )
    allowed = tuple(statuses)
    if ticket.status not in allowed:
        raise TicketStateConflict(
            f"cannot {action} ticket {ticket.number}: it is {ticket.status} "
            f"(needs {' or '.join(allowed)})",
            number=ticket.number,
            status=ticket.status,
        )
    return ticket


def _save(
    session: Session,
    ticket: Ticket,
    action: str,
    *,
    now: datetime,
    window_number: int | None,
    clerk: str,
    detail: dict[str, Any] | None = None,
) -> Ticket:
    session.add(ticket)
    session.flush()
    record_event(
        session, ticket, action, now=now, window_number=window_number, actor=clerk, detail=detail
    )
    return ticket


def recall(
    session: Session, ticket_id: int, *, window_number: int, now: datetime, clerk: str = ""
) -> Ticket:
    """Call the ticket again; once it has been recalled the maximum times it is a no-show."""
    ticket = _own(session, ticket_id, window_number, ("called",), "recall")
    limit = rules_of(get_hall(session)).recalls_before_no_show
    if ticket.recalls >= limit:
        ticket.status = "no-show"
        ticket.completed_at = now
        detail = {"recalls": ticket.recalls, "automatic": True}
        return _save(
            session,
            ticket,
            "no-show",
            now=now,
            window_number=window_number,
            clerk=clerk,
            detail=detail,
        )
    ticket.recalls += 1
    return _save(
        session,
        ticket,
        "recalled",
        now=now,
        window_number=window_number,
        clerk=clerk,
        detail={"recalls": ticket.recalls},
    )


def no_show(
    session: Session, ticket_id: int, *, window_number: int, now: datetime, clerk: str = ""
) -> Ticket:
    """Mark a called ticket a no-show; allowed after the rules' number of recalls."""
    ticket = _own(session, ticket_id, window_number, ("called",), "mark as no-show")
    limit = rules_of(get_hall(session)).recalls_before_no_show
    if ticket.recalls < limit:
        raise TicketStateConflict(
            f"ticket {ticket.number} was recalled {ticket.recalls} of {limit} times; "
            f"recall it {limit - ticket.recalls} more time(s) before a no-show",
            number=ticket.number,
        )
    ticket.status = "no-show"
    ticket.completed_at = now
    return _save(
        session,
        ticket,
        "no-show",
        now=now,
        window_number=window_number,
        clerk=clerk,
        detail={"recalls": ticket.recalls},
    )


def transfer(
    session: Session,
    ticket_id: int,
    *,
    window_number: int,
    to_category: str | None = None,
    to_window: int | None = None,
    now: datetime,
    clerk: str = "",
) -> Ticket:
    """Send the ticket back to the queue of another category and/or to another window.

    It keeps its number and its place (queued_at), so it is called again ahead of tickets
    issued after it; sent to a window, only that window calls it.
    """
    if to_category is None and to_window is None:
        raise InvalidInput("a transfer needs a category or a window to send the ticket to")
    ticket = _own(session, ticket_id, window_number, ("called", "serving", "parked"), "transfer")
    if to_category is not None and session.get(ServiceCategory, to_category) is None:
        raise CategoryNotFound(f"no service category {to_category!r}", code=to_category)
    if to_window is not None:
        if to_window == window_number:
            raise InvalidInput(f"ticket {ticket.number} is already at window {window_number}")
        get_window(session, to_window)
    detail = {
        "from_category": ticket.category_code,
        "from_window": window_number,
        "to_category": to_category,
        "to_window": to_window,
    }
    ticket.category_code = to_category or ticket.category_code
    ticket.window_number = to_window
    ticket.status = "waiting"
    ticket.recalls = 0
    ticket.called_at = ticket.started_at = None
    return _save(
        session,
        ticket,
        "transferred",
        now=now,
        window_number=window_number,
        clerk=clerk,
        detail=detail,
    )


def park(
    session: Session, ticket_id: int, *, window_number: int, now: datetime, clerk: str = ""
) -> Ticket:
    """Set the ticket aside at this window (e.g. the business fetches a document)."""
    ticket = _own(session, ticket_id, window_number, ("called", "serving"), "park")
    previous = ticket.status
    ticket.status = "parked"
    return _save(
        session,
        ticket,
        "parked",
        now=now,
        window_number=window_number,
        clerk=clerk,
        detail={"from": previous},
    )


def resume(
    session: Session, ticket_id: int, *, window_number: int, now: datetime, clerk: str = ""
) -> Ticket:
    """Take a parked ticket back: serving again if service had started, else called."""
    ticket = _own(session, ticket_id, window_number, ("parked",), "resume")
    ticket.status = "serving" if ticket.started_at is not None else "called"
    return _save(
        session,
        ticket,
        "resumed",
        now=now,
        window_number=window_number,
        clerk=clerk,
        detail={"to": ticket.status},
    )


def start_service(
    session: Session, ticket_id: int, *, window_number: int, now: datetime, clerk: str = ""
) -> Ticket:
    ticket = _own(session, ticket_id, window_number, ("called",), "start serving")
    ticket.status = "serving"
    ticket.started_at = now
    return _save(session, ticket, "started", now=now, window_number=window_number, clerk=clerk)


def complete_ticket(
    session: Session, ticket_id: int, *, window_number: int, now: datetime, clerk: str = ""
) -> Ticket:
    """End the visit; a called ticket completed at once counts as served from now."""
    ticket = _own(session, ticket_id, window_number, ("called", "serving"), "complete")
    ticket.started_at = ticket.started_at or now
    ticket.status = "completed"
    ticket.completed_at = now
    return _save(session, ticket, "completed", now=now, window_number=window_number, clerk=clerk)
