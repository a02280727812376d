"""The hall set-up, appointment slots and bookings, check-in and tickets."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, UploadFile
from sqlmodel import Session

from api.auth import AdminDep, Allow, Principal, allow, require_entity_access
from api.counter_access import CHECK_IN, acting_out, log_answered, log_refused, mandate_ref
from api.counter_schemas import (
    BookIn,
    BookingOut,
    CheckInIn,
    CheckInOut,
    RescheduleIn,
    SlotOut,
    TicketOut,
)
from api.deps import KeyRingDep, NowDep, RuntimeDep, SessionDep
from api.observability.metrics import observe_verification
from api.routes.scans import read_upload
from codeid.accounts.models import Role
from codeid.errors import CodeidError
from counter.booking_create import book
from counter.booking_lifecycle import cancel_booking, confirm_booking, reschedule_booking
from counter.bookings import get_booking
from counter.check_in import check_in
from counter.hall import load_hall, read_hall
from counter.models import Booking
from counter.slots import ensure_slots, list_slots
from counter.tickets import get_ticket
from scanners.frames import load_image_bytes
from scanners.pipeline import first_verified_code

router = APIRouter(prefix="/v1", tags=["counter"])
# Bookings and tickets: the business itself (a user with a mandate), clerks, administrators.
BookerDep = Annotated[Principal, Depends(Allow(Role.ADMIN, Role.CLERK, Role.BUSINESS))]
KioskDep = Annotated[Principal, Depends(Allow(public=True))]


def _own_booking(session: Session, principal: Principal, reference: str, now: datetime) -> Booking:
    booking = get_booking(session, reference)
    require_entity_access(session, principal, booking.uscc, now)
    return booking


@router.get("/hall", dependencies=[allow(public=True)])
def hall(session: SessionDep) -> dict[str, Any]:
    """Categories, service items (materials, form templates), windows, opening hours."""
    return read_hall(session)


@router.get("/slots", response_model=list[SlotOut], dependencies=[allow(public=True)])
def slots(category: str, day: date, session: SessionDep, now: NowDep) -> list[SlotOut]:
    ensure_slots(session, day=day, now=now)
    return [SlotOut.model_validate(s) for s in list_slots(session, category_code=category, day=day)]


@router.post("/bookings", status_code=201, response_model=BookingOut)
def create_booking(
    body: BookIn, principal: BookerDep, session: SessionDep, now: NowDep
) -> BookingOut:
    """Held for a short time until confirmed; the first free slot of the day if none given."""
    require_entity_access(session, principal, body.uscc.strip().upper(), now)
    booking = book(
        session,
        uscc=body.uscc,
        item_code=body.item_code,
        slot_id=body.slot_id,
        day=body.day,
        now=now,
    )
    return BookingOut.model_validate(booking)


@router.get("/bookings/{reference}", response_model=BookingOut)
def read_booking(
    reference: str, principal: BookerDep, session: SessionDep, now: NowDep
) -> BookingOut:
    return BookingOut.model_validate(_own_booking(session, principal, reference, now))


@router.post("/bookings/{reference}/confirm", response_model=BookingOut)
def confirm(reference: str, principal: BookerDep, session: SessionDep, now: NowDep) -> BookingOut:
    _own_booking(session, principal, reference, now)
    return BookingOut.model_validate(confirm_booking(session, reference, now=now))


@router.post("/bookings/{reference}/cancel", response_model=BookingOut)
def cancel(reference: str, principal: BookerDep, session: SessionDep, now: NowDep) -> BookingOut:
    _own_booking(session, principal, reference, now)
    return BookingOut.model_validate(cancel_booking(session, reference, now=now))


@router.post("/bookings/{reference}/reschedule", response_model=BookingOut)
def reschedule(
    reference: str, body: RescheduleIn, principal: BookerDep, session: SessionDep, now: NowDep
) -> BookingOut:
    _own_booking(session, principal, reference, now)
    booking = reschedule_booking(session, reference, slot_id=body.slot_id, now=now)
    return BookingOut.model_validate(booking)


@router.post("/checkins", status_code=201, response_model=CheckInOut)
def checkin(
    body: CheckInIn,
    kiosk: KioskDep,
    session: SessionDep,
    keyring: KeyRingDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> CheckInOut:
    """Check in with the business's dynamic code (consumed: it cannot check in again).

    Open to the hall's kiosks: the signed, single-use code is the credential. A code issued to
    a person acting for the business (an agent, say) puts their mandate on the ticket; an agent
    coming for an item outside its scope is refused. Every attempt is in the access log."""
    try:
        result = check_in(
            session,
            body.payload,
            keys=keyring.public_keys(),
            now=now,
            location=body.location,
            item_code=body.item_code,
        )
    except CodeidError as exc:
        observe_verification(exc, "check-in")
        log_refused(
            runtime.engine, session, kiosk, exc, action=CHECK_IN, now=now, purpose="check-in"
        )
        raise
    observe_verification(None, "check-in")
    ticket = result.ticket
    log_answered(
        session,
        kiosk,
        action=CHECK_IN,
        now=now,
        subject_uscc=ticket.uscc,
        purpose="check-in",
        on_behalf_of=mandate_ref(ticket.mandate_id),
        resource=f"ticket:{ticket.id}",
    )
    return CheckInOut(
        ticket=TicketOut.model_validate(ticket),
        booking=BookingOut.model_validate(result.booking) if result.booking else None,
        people_ahead=result.people_ahead,
        estimated_wait_minutes=result.estimated_wait_minutes,
        acting=acting_out(session, ticket.mandate_id, now=now),
    )


@router.get("/tickets/{day}/{number}", response_model=TicketOut)
def ticket(
    day: date, number: str, principal: BookerDep, session: SessionDep, now: NowDep
) -> TicketOut:
    found = get_ticket(session, number, day=day)
    require_entity_access(session, principal, found.uscc, now)
    return TicketOut.model_validate(found)


@router.put("/hall", tags=["admin"])
def load(doc: dict[str, Any], _admin: AdminDep, session: SessionDep, now: NowDep) -> Any:
    """Replace the hall set-up (validated as a whole first; nothing changes on an error)."""
    return load_hall(session, doc, now=now).as_json()


@router.post("/checkins/scan", status_code=201, response_model=CheckInOut)
def checkin_by_scan(
    image: UploadFile,
    kiosk: KioskDep,
    session: SessionDep,
    keyring: KeyRingDep,
    runtime: RuntimeDep,
    now: NowDep,
    item_code: Annotated[str | None, Form()] = None,
) -> CheckInOut:
    """A kiosk camera frame or photo of the dynamic code: scan (OpenCV), then check in."""
    data = read_upload(image, limit=runtime.settings.max_upload_bytes)
    payload = first_verified_code(load_image_bytes(data), keys=keyring.public_keys(), now=now)
    body = CheckInIn(payload=payload, item_code=item_code)
    return checkin(body, kiosk, session, keyring, runtime, now)
