"""A walk-in ticket without a code, and naming its business at the window later.

Not every visitor arrives with the business's code on a phone: the kiosk gives a walk-in
ticket for a service item or category with no entity on it (``uscc`` is UNIDENTIFIED). When
the ticket is called, the window scans the business code and ``identify_ticket`` puts the
entity (and the mandate of the person presenting it) on the ticket, consuming a dynamic code
exactly as check-in would have. Until then no case can be opened for it (counter.cases
refuses with TicketNotIdentified), so every case still belongs to a verified business.
Functions flush only.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from codeid.codes.state import check_code_state, consume_dynamic_code
from codeid.codes.verify import verify_code
from codeid.errors import InvalidInput
from codeid.keys.jwks import PublicKeySet
from codeid.mandates.acting import require_acting_for
from counter.check_in import CHECK_IN_PURPOSE, CheckIn
from counter.errors import TicketAlreadyIdentified, TicketNotFound
from counter.hall import get_category, get_hall, get_item, local_day
from counter.models import Ticket
from counter.tickets import (
    WALK_IN,
    issue_ticket,
    lock_for_write,
    record_event,
    require_at_window,
)
from counter.wait_estimate import estimated_wait_minutes, people_ahead

UNIDENTIFIED = ""  # the uscc of a walk-in ticket until the window scans the business code
MAX_LOCATION = 100


def walk_in(
    session: Session,
    *,
    now: datetime,
    item_code: str | None = None,
    category_code: str | None = None,
    location: str = "kiosk",
) -> CheckIn:
    """A walk-in ticket for ``item_code`` (its category) or else ``category_code``, with no
    entity yet. Raises ItemNotFound / CategoryNotFound for codes not in the hall set-up."""
    if not (item_code or category_code):
        raise InvalidInput("a walk-in ticket needs a service item or a service category")
    if len(location) > MAX_LOCATION:
        raise InvalidInput(f"location is at most {MAX_LOCATION} characters")
    lock_for_write(session)
    item = get_item(session, item_code) if item_code else None
    category = item.category_code if item else get_category(session, category_code or "").code
    day = local_day(now, get_hall(session))
    # Estimated before numbering, as check-in does: the counter row stays locked from
    # numbering until commit, so it should be among the last statements.
    probe = Ticket(
        day=day,
        category_code=category,
        seq=0,
        number="",
        uscc=UNIDENTIFIED,
        priority=WALK_IN,
        status="waiting",
        issued_at=now,
        queued_at=now,
    )
    ahead = people_ahead(session, probe)
    wait = estimated_wait_minutes(session, probe, now=now, ahead=ahead)
    ticket = issue_ticket(
        session,
        uscc=UNIDENTIFIED,
        category_code=category,
        item_code=item.code if item else None,
        booking_id=None,
        priority=WALK_IN,
        code_id=None,
        now=now,
        detail={"location": location, "without_code": True},
    )
    return CheckIn(ticket=ticket, booking=None, people_ahead=ahead, estimated_wait_minutes=wait)


def identify_ticket(
    session: Session,
    ticket_id: int,
    payload: str,
    *,
    keys: PublicKeySet,
    window_number: int,
    clerk: str,
    now: datetime,
) -> Ticket:
    """Put the business of the scanned code on a walk-in ticket called to this window.

    The code is verified and checked against the registry like a check-in (a dynamic code is
    consumed: a screenshot cannot name a business twice; a static code cannot check in, so
    it cannot here either). A code naming an agent must cover the ticket's item, if it has one.
    Raises the CodeRejected subclass of a refused code.
    """
    lock_for_write(session)
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound(f"no ticket {ticket_id}", ticket_id=ticket_id)
    require_at_window(ticket, window_number, ("called", "serving"), doing="identify")
    if ticket.uscc != UNIDENTIFIED:
        raise TicketAlreadyIdentified(
            f"ticket {ticket.number} is already for {ticket.uscc}", ticket=ticket.number
        )
    claims = verify_code(payload, keys=keys, now=now)
    entity = check_code_state(session, claims, now=now)
    consume_dynamic_code(session, claims, purpose=CHECK_IN_PURPOSE, now=now)
    if claims.mandate_id is not None:
        require_acting_for(
            session, claims.mandate_id, uscc=entity.uscc, item_code=ticket.item_code, now=now
        )
    ticket.uscc = entity.uscc
    ticket.code_id = claims.code_id
    ticket.mandate_id = claims.mandate_id
    session.add(ticket)
    session.flush()
    record_event(session, ticket, "identified", now=now, window_number=window_number, actor=clerk)
    return ticket
