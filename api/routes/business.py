"""A business's own hall business: its bookings from today on, and its tickets today with the
people ahead and the estimated wait (what the business portal shows).

Staff may read any business's; a business user those it holds a mandate for. Each read is in
the entity's access log, like every other read of its data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field

from api.access_record import field_names, logged_read, on_behalf_of
from api.auth import Allow, Principal, require_entity_access
from api.counter_schemas import BookingOut, TicketOut
from api.deps import NowDep, RuntimeDep, SessionDep
from api.mandate_schemas import UsccPath
from codeid.accounts.models import Role
from codeid.uscc import parse_uscc
from counter.business_view import BookingView, TicketView, bookings_ahead, tickets_today

router = APIRouter(prefix="/v1", tags=["counter"])
ReaderDep = Annotated[Principal, Depends(Allow(Role.ADMIN, Role.CLERK, Role.BUSINESS))]


class EntityBookingOut(BookingOut):
    status: str = Field(description='As stored, but "expired" for a hold past its time')
    category_code: str
    starts_at: datetime
    ends_at: datetime
    item_name_zh: str = ""
    item_name_en: str = ""


class EntityTicketOut(TicketOut):
    people_ahead: int = Field(description="Waiting tickets to be called first (an estimate)")
    estimated_wait_minutes: float | None = Field(description="While waiting; an estimate")


@router.get("/entities/{uscc}/bookings", response_model=list[EntityBookingOut])
def entity_bookings(
    uscc: UsccPath,
    principal: ReaderDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    include_ended: bool = False,
) -> list[EntityBookingOut]:
    """The business's bookings for today and later, by slot time (cancelled and expired ones
    only with ``include_ended``)."""
    with logged_read(runtime.engine, principal, action="booking.list", now=now) as log:
        code = parse_uscc(uscc, allow_check_override=True).code
        log.subject_uscc = code
        log.on_behalf_of = on_behalf_of(require_entity_access(session, principal, code, now))
        views = bookings_ahead(session, code, now=now, include_ended=include_ended)
        log.fields = field_names(EntityBookingOut)
    return [_booking_out(view) for view in views]


@router.get("/entities/{uscc}/tickets", response_model=list[EntityTicketOut])
def entity_tickets(
    uscc: UsccPath, principal: ReaderDep, session: SessionDep, runtime: RuntimeDep, now: NowDep
) -> list[EntityTicketOut]:
    """The business's tickets today in queue order, each waiting one with the people ahead
    of it and the estimated wait."""
    with logged_read(runtime.engine, principal, action="ticket.list", now=now) as log:
        code = parse_uscc(uscc, allow_check_override=True).code
        log.subject_uscc = code
        log.on_behalf_of = on_behalf_of(require_entity_access(session, principal, code, now))
        views = tickets_today(session, code, now=now)
        log.fields = field_names(EntityTicketOut)
    return [_ticket_out(view) for view in views]


def _booking_out(view: BookingView) -> EntityBookingOut:
    base = BookingOut.model_validate(view.booking).model_dump()
    return EntityBookingOut(
        **{**base, "status": view.status},
        category_code=view.slot.category_code,
        starts_at=view.slot.starts_at,
        ends_at=view.slot.ends_at,
        item_name_zh=view.item.name_zh if view.item else "",
        item_name_en=view.item.name_en if view.item else "",
    )


def _ticket_out(view: TicketView) -> EntityTicketOut:
    return EntityTicketOut(
        **TicketOut.model_validate(view.ticket).model_dump(),
        people_ahead=view.people_ahead,
        estimated_wait_minutes=view.estimated_wait_minutes,
    )
