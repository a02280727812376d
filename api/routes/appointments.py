"""The hall set-up, appointment slots and bookings, check-in and tickets."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, UploadFile

from api.auth import AdminDep
from api.counter_schemas import (
    BookIn,
    BookingOut,
    CheckInIn,
    CheckInOut,
    ClerkIn,
    RescheduleIn,
    SlotOut,
    TicketOut,
)
from api.deps import KeyRingDep, NowDep, RuntimeDep, SessionDep
from api.routes.scans import read_upload
from counter.booking_create import book
from counter.booking_lifecycle import cancel_booking, confirm_booking, reschedule_booking
from counter.bookings import get_booking
from counter.check_in import check_in
from counter.hall import load_hall, read_hall, register_clerk
from counter.slots import ensure_slots, list_slots
from counter.tickets import get_ticket
from scanners.frames import load_image_bytes
from scanners.pipeline import first_verified_code

router = APIRouter(prefix="/v1", tags=["counter"])


@router.get("/hall")
def hall(session: SessionDep) -> dict[str, Any]:
    """Categories, service items (materials, form templates), windows, opening hours."""
    return read_hall(session)


@router.get("/slots", response_model=list[SlotOut])
def slots(category: str, day: date, session: SessionDep, now: NowDep) -> list[SlotOut]:
    ensure_slots(session, day=day, now=now)
    return [SlotOut.model_validate(s) for s in list_slots(session, category_code=category, day=day)]


@router.post("/bookings", status_code=201, response_model=BookingOut)
def create_booking(body: BookIn, session: SessionDep, now: NowDep) -> BookingOut:
    """Held for a short time until confirmed; the first free slot of the day if none given."""
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
def read_booking(reference: str, session: SessionDep) -> BookingOut:
    return BookingOut.model_validate(get_booking(session, reference))


@router.post("/bookings/{reference}/confirm", response_model=BookingOut)
def confirm(reference: str, session: SessionDep, now: NowDep) -> BookingOut:
    return BookingOut.model_validate(confirm_booking(session, reference, now=now))


@router.post("/bookings/{reference}/cancel", response_model=BookingOut)
def cancel(reference: str, session: SessionDep, now: NowDep) -> BookingOut:
    return BookingOut.model_validate(cancel_booking(session, reference, now=now))


@router.post("/bookings/{reference}/reschedule", response_model=BookingOut)
def reschedule(reference: str, body: RescheduleIn, session: SessionDep, now: NowDep) -> BookingOut:
    booking = reschedule_booking(session, reference, slot_id=body.slot_id, now=now)
    return BookingOut.model_validate(booking)


@router.post("/checkins", status_code=201, response_model=CheckInOut)
def checkin(body: CheckInIn, session: SessionDep, keyring: KeyRingDep, now: NowDep) -> CheckInOut:
    """Check in with the business's dynamic code (consumed: it cannot check in again)."""
    result = check_in(
        session,
        body.payload,
        keys=keyring.public_keys(),
        now=now,
        location=body.location,
        item_code=body.item_code,
    )
    return CheckInOut(
        ticket=TicketOut.model_validate(result.ticket),
        booking=BookingOut.model_validate(result.booking) if result.booking else None,
        people_ahead=result.people_ahead,
        estimated_wait_minutes=result.estimated_wait_minutes,
    )


@router.get("/tickets/{day}/{number}", response_model=TicketOut)
def ticket(day: date, number: str, session: SessionDep) -> TicketOut:
    return TicketOut.model_validate(get_ticket(session, number, day=day))


@router.put("/hall", tags=["admin"])
def load(doc: dict[str, Any], _admin: AdminDep, session: SessionDep, now: NowDep) -> Any:
    """Replace the hall set-up (validated as a whole first; nothing changes on an error)."""
    return load_hall(session, doc, now=now).as_json()


@router.post("/clerks", status_code=201, tags=["admin"])
def add_clerk(body: ClerkIn, _admin: AdminDep, session: SessionDep, now: NowDep) -> dict[str, Any]:
    """Register a clerk for windows; the clerk's token is in the answer, once."""
    clerk, token = register_clerk(session, name=body.name, windows=body.windows, now=now)
    return {"id": clerk.id, "name": clerk.name, "windows": clerk.windows, "token": token}


@router.post("/checkins/scan", status_code=201, response_model=CheckInOut)
async def checkin_by_scan(
    image: UploadFile,
    session: SessionDep,
    keyring: KeyRingDep,
    runtime: RuntimeDep,
    now: NowDep,
    item_code: Annotated[str | None, Form()] = None,
) -> CheckInOut:
    """A kiosk camera frame or photo of the dynamic code: scan (OpenCV), then check in."""
    data = await read_upload(image, limit=runtime.settings.max_upload_bytes)
    payload = first_verified_code(load_image_bytes(data), keys=keyring.public_keys(), now=now)
    return checkin(CheckInIn(payload=payload, item_code=item_code), session, keyring, now)
