"""Request and response shapes of the counter API (appointments, tickets, windows, cases)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

# Identifiers and window numbers fit a database INTEGER; larger numbers are refused as
# invalid input (422) instead of overflowing the driver.
MAX_ID = 2_147_483_647
IdIn = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


class SlotOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    category_code: str
    day: date
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int


class BookIn(BaseModel):
    uscc: str
    item_code: str
    slot_id: IdIn | None = None
    day: date | None = None


class BookingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    reference: str
    slot_id: int
    uscc: str
    item_code: str
    status: str
    held_until: datetime | None
    created_at: datetime


class RescheduleIn(BaseModel):
    slot_id: IdIn


class CheckInIn(BaseModel):
    payload: str = Field(min_length=1, max_length=4096, description="The dynamic code's text")
    item_code: str | None = Field(default=None, description="For a walk-in: what it comes for")
    location: str = Field(default="kiosk", max_length=100)


class ActingOut(BaseModel):
    """The person acting for the business, as a window sees it (codeid.mandates.MandateView)."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="The mandate's id (what a dynamic code names)")
    role: str = Field(examples=["agent"], description="legal-representative, ...")
    display_name: str
    scope: list[str] = Field(description="Service item codes; empty means all business")
    valid_from: datetime
    valid_until: datetime | None
    state: str = Field(
        examples=["in-force"],
        description="in-force, revoked, not-yet-valid, expired or holder-disabled",
    )


class TicketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    day: date
    number: str
    category_code: str
    uscc: str
    item_code: str | None
    priority: str
    status: str
    window_number: int | None
    recalls: int
    issued_at: datetime
    called_at: datetime | None
    mandate_id: int | None = Field(
        default=None, description="The mandate of the person who checked in for the business"
    )


class CheckInOut(BaseModel):
    ticket: TicketOut
    booking: BookingOut | None
    people_ahead: int
    estimated_wait_minutes: float
    acting: ActingOut | None = Field(
        default=None, description="Who checked in for the business, when the code named them"
    )


class CalledOut(BaseModel):
    window: int
    ticket: TicketOut | None
    message: str


class TransferIn(BaseModel):
    to_category: str | None = None
    to_window: IdIn | None = None


class OpenCaseIn(BaseModel):
    ticket_id: IdIn
    item_code: str
    window: IdIn


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int
    uscc: str
    item_code: str
    window_number: int
    clerk: str
    status: str
    form: list[dict[str, Any]]
    materials: list[dict[str, Any]]
    rejection_reason: str | None
    waiting_seconds: float | None
    service_seconds: float | None
    opened_at: datetime
    closed_at: datetime | None
    acting: ActingOut | None = Field(
        default=None, description="Who is acting for the business (the ticket's mandate)"
    )


class CaseFieldsIn(BaseModel):
    values: dict[str, Any]
    reasons: dict[str, str] = Field(
        default_factory=dict, description="Why a read-only field changed"
    )


class RejectIn(BaseModel):
    reason: str = Field(min_length=1, max_length=300)


class RatingIn(BaseModel):
    uscc: str
    score: Literal["good", "average", "poor"]
    comment: str = Field(default="", max_length=500)


class ClerkIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    windows: list[IdIn] = Field(min_length=1)
