"""Walk-in tickets without a code (the kiosk), and naming their business at the window."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.auth import ClerkDep, PrincipalDep, PublicDep, require_window
from api.counter_access import log_answered, log_refused, mandate_ref
from api.counter_schemas import CheckInOut, IdIn, PathId, TicketOut
from api.deps import KeyRingDep, NowDep, RuntimeDep, SessionDep
from api.edge.throttle import client_address
from api.observability.metrics import observe_verification
from codeid.errors import CodeidError
from codeid.limits.counter import RateLimited, hit
from counter.walk_in import identify_ticket, walk_in

router = APIRouter(prefix="/v1", tags=["counter"])
IDENTIFY = "ticket.identify"
# Anyone may take a ticket without a code, so each address is held to a kiosk's pace.
WALK_INS_PER_MINUTE = 20


class WalkInIn(BaseModel):
    item_code: str | None = Field(default=None, max_length=40, description="What it comes for")
    category_code: str | None = Field(
        default=None, max_length=8, description="The queue, when no item is chosen (A, B ...)"
    )
    location: str = Field(default="kiosk", max_length=100)


class IdentifyIn(BaseModel):
    window: IdIn
    payload: str = Field(
        min_length=1, max_length=4096, description="The business code's text, as scanned"
    )


@router.post("/tickets/walk-in", status_code=201, response_model=CheckInOut)
def take_walk_in(
    body: WalkInIn,
    request: Request,
    _kiosk: PublicDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> CheckInOut:
    """A walk-in ticket for a service item or category, with no business on it yet: the
    window scans the business code when the ticket is called (POST .../identify)."""
    address = client_address(request)
    decision = hit(
        runtime.engine,
        bucket=f"walk-in:{address}"[:120],
        limit=WALK_INS_PER_MINUTE,
        window_seconds=60,
        now=now,
    )
    if not decision.allowed:
        raise RateLimited(
            f"more than {WALK_INS_PER_MINUTE} walk-in tickets a minute from this address",
            retry_after=decision.retry_after,
        )
    result = walk_in(
        session,
        now=now,
        item_code=body.item_code,
        category_code=body.category_code,
        location=body.location,
    )
    return CheckInOut(
        ticket=TicketOut.model_validate(result.ticket),
        booking=None,
        people_ahead=result.people_ahead,
        estimated_wait_minutes=result.estimated_wait_minutes,
    )


@router.post("/tickets/{ticket_id}/identify", response_model=TicketOut)
def identify(
    ticket_id: PathId,
    body: IdentifyIn,
    clerk: ClerkDep,
    principal: PrincipalDep,
    session: SessionDep,
    keyring: KeyRingDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> TicketOut:
    """The window scanned the business code of a walk-in ticket called to it: the ticket is
    now that business's (and its presenter's mandate's), and a case can be opened."""
    require_window(clerk, body.window)
    try:
        ticket = identify_ticket(
            session,
            ticket_id,
            body.payload,
            keys=keyring.public_keys(),
            window_number=body.window,
            clerk=clerk.name,
            now=now,
        )
    except CodeidError as exc:
        observe_verification(exc, "walk-in")
        log_refused(
            runtime.engine,
            session,
            principal,
            exc,
            action=IDENTIFY,
            now=now,
            resource=f"ticket:{ticket_id}",
            purpose="walk-in",
        )
        raise
    observe_verification(None, "walk-in")
    log_answered(
        session,
        principal,
        action=IDENTIFY,
        now=now,
        subject_uscc=ticket.uscc,
        purpose="walk-in",
        on_behalf_of=mandate_ref(ticket.mandate_id),
        resource=f"ticket:{ticket.id}",
    )
    return TicketOut.model_validate(ticket)
