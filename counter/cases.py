"""Cases: what a clerk does for a called ticket, from the auto-filled form to the rating.

Lifecycle: ``opened`` (form filled, checklist made) -> ``in-progress`` (the clerk changed a
field) -> ``completed`` or ``rejected`` (with a reason). Closing a case also completes its
ticket, so the visit ends once. Waiting time runs from the ticket's issue to the start of
service, service time from the start of service to the close of the case. Functions flush only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from codeid.errors import InvalidInput
from codeid.mandates.acting import require_acting_for
from counter.errors import (
    AlreadyRated,
    CaseAlreadyOpen,
    CaseNotFound,
    CaseStateConflict,
    FormIncomplete,
    NotYourCase,
    OverrideReasonRequired,
    TicketNotFound,
    TicketNotIdentified,
    UnknownFormField,
)
from counter.forms import fill_form
from counter.hall import get_item
from counter.models import Case, Rating, Ticket
from counter.ticket_actions import complete_ticket, start_service
from counter.tickets import locked_ticket, require_at_window

OPENED = "opened"
IN_PROGRESS = "in-progress"
COMPLETED = "completed"
REJECTED = "rejected"
OPEN_STATES = (OPENED, IN_PROGRESS)
SCORES = ("good", "average", "poor")
MAX_REASON = 300
MAX_COMMENT = 500
MAX_CLERK = 100


def open_case(
    session: Session,
    ticket_id: int,
    *,
    item_code: str,
    window_number: int,
    clerk: str,
    now: datetime,
) -> Case:
    """Open the case for a ticket called to ``window_number`` (starting service if needed).

    A ticket presented under a mandate opens a case only while the mandate is in force and,
    for an agent, only for an item within its scope (MandateNotInForce, OutsideAgentScope).
    """
    _check_clerk(clerk)
    # Locked: two opens for one ticket (a clerk's retry after a lost answer) take turns, so
    # the second finds the first's case instead of adding another.
    ticket = locked_ticket(session, ticket_id)
    require_at_window(ticket, window_number, ("called", "serving"), doing="open a case for")
    if not ticket.uscc:  # a walk-in without a code: counter.walk_in.identify_ticket first
        raise TicketNotIdentified(
            f"ticket {ticket.number} has no business yet: scan the business code first",
            ticket=ticket.number,
        )
    existing = session.exec(
        select(Case).where(Case.ticket_id == ticket_id, col(Case.status).in_(OPEN_STATES))
    ).first()
    if existing is not None:
        raise CaseAlreadyOpen(
            f"ticket {ticket.number} already has open case {existing.id}", case_id=existing.id
        )
    item = get_item(session, item_code)
    if ticket.mandate_id is not None:
        require_acting_for(
            session, ticket.mandate_id, uscc=ticket.uscc, item_code=item.code, now=now
        )
    if ticket.status == "called":
        ticket = start_service(
            session, ticket_id, window_number=window_number, now=now, clerk=clerk
        )
    started = ticket.started_at or now
    form, materials = fill_form(session, item, ticket.uscc, now=now)
    case = Case(
        ticket_id=ticket_id,
        uscc=ticket.uscc,
        item_code=item.code,
        window_number=window_number,
        clerk=clerk,
        status=OPENED,
        form=form,
        materials=materials,
        waiting_seconds=waiting_seconds(ticket.issued_at, ticket.queued_at, started),
        opened_at=now,
    )
    session.add(case)
    session.flush()
    return case


def update_case_fields(
    session: Session,
    case_id: int,
    *,
    values: Mapping[str, Any],
    reasons: Mapping[str, str],
    clerk: str,
    now: datetime,
) -> Case:
    """Set form values; a read-only (licence-filled) field changes only with a reason.

    All values are checked before any is applied, so a refused update changes nothing.
    """
    _check_clerk(clerk)
    case = _open(session, case_id, "update")
    form = [dict(field) for field in case.form]
    by_name = {field["name"]: field for field in form}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        raise UnknownFormField(
            f"case {case_id} has no form field {', '.join(map(repr, unknown))}", fields=unknown
        )
    for name, value in values.items():
        field = by_name[name]
        if not _scalar(value):
            raise InvalidInput(f"field {name!r}: a value is text, a number, true/false or null")
        reason = (reasons.get(name) or "").strip()
        if field["read_only"] and value != field["value"] and not reason:
            source = field["source"]
            raise OverrideReasonRequired(
                f"field {name!r} comes from licence {source.get('identifier')} "
                f"({source.get('licence_type')}.{source.get('field')}); give a reason to change it",
                field=name,
            )
        if len(reason) > MAX_REASON:
            raise InvalidInput(f"the reason for field {name!r} is over {MAX_REASON} characters")
    for name, value in values.items():
        field = by_name[name]
        if value == field["value"]:
            continue
        if field["read_only"]:
            field["override_reason"] = reasons[name].strip()
            field["overridden_by"] = clerk
            field["overridden_at"] = now.isoformat()
            field["previous_value"] = field["value"]
        field["value"] = value
        field["note"] = None
        field["edited_by"] = clerk
    case.form = form  # a new list: JSON columns only notice reassignment
    case.status = IN_PROGRESS
    session.add(case)
    session.flush()
    return case


def complete_case(session: Session, case_id: int, *, clerk: str, now: datetime) -> Case:
    """Complete the case (every required field filled) and its ticket."""
    _check_clerk(clerk)
    case = _open(session, case_id, "complete")
    empty = [f["name"] for f in case.form if f["required"] and f["value"] in (None, "")]
    if empty:
        raise FormIncomplete(
            f"case {case_id}: required field(s) {', '.join(empty)} still empty", fields=empty
        )
    return _close(session, case, COMPLETED, clerk=clerk, now=now)


def reject_case(session: Session, case_id: int, *, reason: str, clerk: str, now: datetime) -> Case:
    """Reject the case with a reason (the visit still ends: the ticket is completed)."""
    _check_clerk(clerk)
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"a rejection needs a reason of 1 to {MAX_REASON} characters")
    case = _open(session, case_id, "reject")
    case.rejection_reason = reason
    return _close(session, case, REJECTED, clerk=clerk, now=now)


def rate_case(
    session: Session, case_id: int, *, uscc: str, score: str, comment: str, now: datetime
) -> Rating:
    """The business rates its completed case, once."""
    if score not in SCORES:
        raise InvalidInput(f"score {score!r} is not one of {', '.join(SCORES)}")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"the comment is over {MAX_COMMENT} characters")
    case = get_case(session, case_id)
    if uscc.strip().upper() != case.uscc:
        raise NotYourCase(f"case {case_id} was not for {uscc}; only its business can rate it")
    if case.status != COMPLETED:
        raise CaseStateConflict(
            f"case {case_id} is {case.status}; only a completed case can be rated",
            status=case.status,
        )
    already = AlreadyRated(f"case {case_id} has already been rated", case_id=case_id)
    if session.get(Rating, case_id) is not None:
        raise already
    rating = Rating(case_id=case_id, score=score, comment=comment, at=now)
    try:
        with session.begin_nested():  # a concurrent rating loses on the primary key
            session.add(rating)
    except IntegrityError:
        raise already from None
    return rating


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(f"no case {case_id}", case_id=case_id)
    return case


def cases_for_ticket(session: Session, ticket_id: int) -> list[Case]:
    query = select(Case).where(Case.ticket_id == ticket_id).order_by(col(Case.id))
    return list(session.exec(query).all())


def waiting_seconds(issued_at: datetime, queued_at: datetime, started_at: datetime) -> float:
    """Waiting the hall caused: from check-in, or from the slot start for a business that
    checked in early for its appointment (queued_at), to the start of service; never < 0."""
    return max(0.0, (started_at - max(issued_at, queued_at)).total_seconds())


def _close(session: Session, case: Case, status: str, *, clerk: str, now: datetime) -> Case:
    ticket = _ticket(session, case.ticket_id)
    started = ticket.started_at or case.opened_at
    if ticket.status == "serving":
        complete_ticket(
            session, case.ticket_id, window_number=case.window_number, now=now, clerk=clerk
        )
    case.status = status
    case.closed_at = now
    case.service_seconds = max(0.0, (now - started).total_seconds())
    session.add(case)
    session.flush()
    return case


def _open(session: Session, case_id: int, action: str) -> Case:
    case = get_case(session, case_id)
    if case.status not in OPEN_STATES:
        raise CaseStateConflict(
            f"case {case_id} is {case.status}; cannot {action} it", status=case.status
        )
    return case


def _ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound(f"no ticket {ticket_id}", ticket_id=ticket_id)
    return ticket


def _check_clerk(clerk: str) -> None:
    if len(clerk) > MAX_CLERK:
        raise InvalidInput(f"clerk is at most {MAX_CLERK} characters")


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
