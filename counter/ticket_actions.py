"""What a window does with a ticket called to it: recall, no-show, transfer, park, resume,
start and complete. Each locks the ticket, checks it is at this window in a state that allows
the action, changes it and appends a TicketEvent. Functions flush only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from codeid.errors import InvalidInput
from counter.errors import CategoryNotFound, TicketStateConflict
from counter.hall import get_hall, get_window, rules_of
from counter.models import ServiceCategory, Ticket
from counter.tickets import locked_ticket, record_event, require_at_window


def _own(
    session: Session, ticket_id: int, window_number: int, statuses: Iterable[str], action: str
) -> Ticket:
    """The ticket, locked, if it is at this window in one of ``statuses``."""
    ticket = locked_ticket(session, ticket_id)
    require_at_window(ticket, window_number, statuses, doing=action)
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
