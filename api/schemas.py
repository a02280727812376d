"""Request and response shapes of the HTTP API (kept apart from the tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.counter_schemas import ActingOut, BookingOut, TicketOut
from api.licence_schemas import LicenceViewOut


class EntityIn(BaseModel):
    uscc: str = Field(examples=["914403001922038216"], description="18-character USCC")
    name: str = Field(examples=["华为技术有限公司"])
    entity_type: str = Field(default="company", examples=["company"])
    legal_representative: str = ""
    registered_address: str = ""
    registration_authority: str = ""
    date_established: date | None = None


class EntityPatch(BaseModel):
    name: str | None = None
    entity_type: str | None = None
    legal_representative: str | None = None
    registered_address: str | None = None
    registration_authority: str | None = None
    date_established: date | None = None


class StatusChange(BaseModel):
    status: Literal["active", "suspended", "deregistered"]
    reason: str = Field(min_length=1)


class EntityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    uscc: str
    name: str
    entity_type: str
    legal_representative: str
    registered_address: str
    registration_authority: str
    date_established: date | None
    status: str
    check_override: bool
    created_at: datetime
    updated_at: datetime


class EntityPage(BaseModel):
    items: list[EntityOut]
    total: int
    limit: int
    offset: int


class RejectedRowOut(BaseModel):
    line: int
    uscc: str | None
    reason: str
    message: str


class ImportReportOut(BaseModel):
    rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: list[RejectedRowOut]
    batches_applied: int
    batches_rejected: int
    seconds: float


class IssueCodeIn(BaseModel):
    kind: Literal["static", "dynamic"] = "dynamic"


class VerifyIn(BaseModel):
    payload: str = Field(min_length=1, max_length=4096)
    location: str = Field(default="", max_length=100)


class ClaimsOut(BaseModel):
    kind: str
    code_id: str
    uscc: str
    kid: str
    issued_at: datetime
    expires_at: datetime
    mandate_id: int | None = Field(
        default=None, description="A dynamic code issued to a person acting for the business"
    )


class IssuedCodeOut(ClaimsOut):
    payload: str
    qr_version: int = Field(description="QR version at error level Q (at most 10)")


class VerifyOut(BaseModel):
    valid: bool
    reason: str = Field(description='"ok", or why the code is refused (a stable slug)')
    message: str
    entity: EntityOut | None = None
    claims: ClaimsOut | None = None
    licences: list[LicenceViewOut] = Field(
        default_factory=list, description="The entity's current licences, valid ones first"
    )
    bookings_today: list[BookingOut] = Field(default_factory=list)
    open_tickets: list[TicketOut] = Field(default_factory=list)
    acting: ActingOut | None = Field(
        default=None, description="Who presents the code for the business (its mandate)"
    )


class ScanCodeOut(BaseModel):
    text: str
    engine: str
    verification: VerifyOut | None


class ScanOut(BaseModel):
    codes: list[ScanCodeOut]
    ms: float
    steps: int


class RevokeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


def as_json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


class Problem(BaseModel):
    """RFC 9457 problem details (media type application/problem+json)."""

    type: str = Field(examples=["urn:codeid:problem:uscc-check"])
    title: str
    status: int
    detail: str
    instance: str | None = None


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {"application/problem+json": {}}, "description": text}
    for status, text in (
        (401, "No valid access token"),
        (403, "Not allowed for this caller"),
        (404, "Not found"),
        (409, "Conflicts with the current state"),
        (422, "Invalid input"),
        (429, "Too many requests (see Retry-After)"),
    )
}
