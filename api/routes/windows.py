"""What a clerk does at a window: call, recall, transfer, no-show, cases. Own windows only."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from sqlmodel import Session

from api.auth import ClerkDep, PrincipalDep, allow, require_window
from api.counter_access import CASE_OPEN, acting_out, form_sources, log_answered, log_refused
from api.counter_schemas import (
    CalledOut,
    CaseFieldsIn,
    CaseOut,
    OpenCaseIn,
    PathId,
    RatingIn,
    RejectIn,
    TicketOut,
    TransferIn,
)
from api.deps import NowDep, RuntimeDep, SessionDep
from codeid.errors import CodeidError
from counter.cases import (
    complete_case,
    get_case,
    open_case,
    rate_case,
    reject_case,
    update_case_fields,
)
from counter.models import Case, Ticket
from counter.ticket_actions import no_show, park, recall, resume, transfer
from counter.windows import call_next

router = APIRouter(prefix="/v1", tags=["windows"])
TicketAction = Literal["recall", "no-show", "park", "resume"]


@router.post("/windows/{window}/call", response_model=CalledOut)
def call(window: PathId, clerk: ClerkDep, session: SessionDep, now: NowDep) -> CalledOut:
    """The next ticket for this window, or none when the queue is empty."""
    require_window(clerk, window)
    ticket = call_next(session, window, now=now, clerk=clerk.name)
    message = f"{ticket.number} to window {window}" if ticket else "queue empty"
    return CalledOut(
        window=window, ticket=TicketOut.model_validate(ticket) if ticket else None, message=message
    )


@router.post("/windows/{window}/tickets/{ticket_id}/transfer", response_model=TicketOut)
def transfer_ticket(
    window: PathId,
    ticket_id: PathId,
    body: TransferIn,
    clerk: ClerkDep,
    session: SessionDep,
    now: NowDep,
) -> TicketOut:
    """To another category or window, keeping its place in the queue."""
    require_window(clerk, window)
    moved = transfer(
        session,
        ticket_id,
        window_number=window,
        to_category=body.to_category,
        to_window=body.to_window,
        now=now,
        clerk=clerk.name,
    )
    return TicketOut.model_validate(moved)


@router.post("/windows/{window}/tickets/{ticket_id}/{action}", response_model=TicketOut)
def ticket_action(
    window: PathId,
    ticket_id: PathId,
    action: TicketAction,
    clerk: ClerkDep,
    session: SessionDep,
    now: NowDep,
) -> TicketOut:
    """recall (no-show after the set number of recalls), no-show, park or resume."""
    require_window(clerk, window)
    verb = {"recall": recall, "no-show": no_show, "park": park, "resume": resume}[action]
    moved = verb(session, ticket_id, window_number=window, now=now, clerk=clerk.name)
    return TicketOut.model_validate(moved)


@router.post("/cases", status_code=201, response_model=CaseOut)
def open_(
    body: OpenCaseIn,
    clerk: ClerkDep,
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> CaseOut:
    """Start serving a ticket: the form is filled from the entity and its valid licences.

    A ticket presented by someone acting under a mandate needs the mandate still in force,
    and an agent's scope to include the item. Every opening (or refusal) is in the access log
    with the names of the data the form was filled from."""
    require_window(clerk, body.window)
    where = {"on_behalf_of": f"window:{body.window}", "purpose": f"case:{body.item_code}"[:300]}
    try:
        case = open_case(
            session,
            body.ticket_id,
            item_code=body.item_code,
            window_number=body.window,
            clerk=clerk.name,
            now=now,
        )
    except CodeidError as exc:
        ticket = session.get(Ticket, body.ticket_id)
        uscc = ticket.uscc if ticket else None
        log_refused(
            runtime.engine,
            session,
            principal,
            exc,
            action=CASE_OPEN,
            now=now,
            subject_uscc=uscc,
            resource=f"ticket:{body.ticket_id}",
            **where,
        )
        raise
    log_answered(
        session,
        principal,
        action=CASE_OPEN,
        now=now,
        subject_uscc=case.uscc,
        fields=form_sources(case.form),
        resource=f"case:{case.id}",
        **where,
    )
    return _case_out(session, case, now)


@router.get("/cases/{case_id}", response_model=CaseOut)
def read(case_id: PathId, clerk: ClerkDep, session: SessionDep, now: NowDep) -> CaseOut:
    case = get_case(session, case_id)
    require_window(clerk, case.window_number)
    return _case_out(session, case, now)


def _case_out(session: Session, case: Case, now: datetime) -> CaseOut:
    """The case with who is acting for the business (the mandate its ticket was presented
    under), so the clerk serves the right person for the right things."""
    ticket = session.get(Ticket, case.ticket_id)
    acting = acting_out(session, ticket.mandate_id if ticket else None, now=now)
    return CaseOut.model_validate(case).model_copy(update={"acting": acting})


@router.patch("/cases/{case_id}", response_model=CaseOut)
def update(
    case_id: PathId, body: CaseFieldsIn, clerk: ClerkDep, session: SessionDep, now: NowDep
) -> CaseOut:
    require_window(clerk, get_case(session, case_id).window_number)
    case = update_case_fields(
        session, case_id, values=body.values, reasons=body.reasons, clerk=clerk.name, now=now
    )
    return _case_out(session, case, now)


@router.post("/cases/{case_id}/complete", response_model=CaseOut)
def complete(case_id: PathId, clerk: ClerkDep, session: SessionDep, now: NowDep) -> CaseOut:
    require_window(clerk, get_case(session, case_id).window_number)
    return _case_out(session, complete_case(session, case_id, clerk=clerk.name, now=now), now)


@router.post("/cases/{case_id}/reject", response_model=CaseOut)
def reject(
    case_id: PathId, body: RejectIn, clerk: ClerkDep, session: SessionDep, now: NowDep
) -> CaseOut:
    require_window(clerk, get_case(session, case_id).window_number)
    case = reject_case(session, case_id, reason=body.reason, clerk=clerk.name, now=now)
    return _case_out(session, case, now)


@router.post("/cases/{case_id}/rating", status_code=201, dependencies=[allow(public=True)])
def rate(case_id: PathId, body: RatingIn, session: SessionDep, now: NowDep) -> dict[str, str]:
    """The business rates a completed visit, once (from the pad at the window: no sign-in)."""
    rating = rate_case(
        session, case_id, uscc=body.uscc, score=body.score, comment=body.comment, now=now
    )
    return {"case_id": str(rating.case_id), "score": rating.score}
