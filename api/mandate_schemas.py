"""Request and response shapes for mandates: who acts for a business, and in what capacity."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import AwareDatetime, BaseModel, Field, model_validator

from api.counter_schemas import MAX_ID, ActingOut
from api.schemas import IssuedCodeOut

# Text compared with stored text: no control characters (PostgreSQL text never holds NUL).
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
UsccPath = Annotated[
    str, Path(min_length=1, max_length=18, pattern=PRINTABLE, description="The entity's USCC")
]


class MandateOut(ActingOut):
    uscc: str
    user_id: int
    username: str
    granted_by: int | None = Field(description="The user who granted it (none: the operator)")
    revoked_at: datetime | None
    revocation_reason: str


class HolderIn(BaseModel):
    """Names the business user who will hold the mandate: by username or by id."""

    username: str | None = Field(default=None, min_length=1, max_length=64, pattern=PRINTABLE)
    user_id: int | None = Field(default=None, ge=1, le=MAX_ID)

    @model_validator(mode="after")
    def _one_of(self) -> HolderIn:
        if (self.username is None) == (self.user_id is None):
            raise ValueError("give exactly one of username and user_id")
        return self


class LegalRepIn(HolderIn):
    valid_until: AwareDatetime | None = None


class AdministratorIn(HolderIn):
    valid_until: AwareDatetime | None = None


class AgentIn(HolderIn):
    scope: list[Annotated[str, Field(max_length=40, pattern=PRINTABLE)]] = Field(
        default_factory=list,
        max_length=100,
        description="Service item codes the agent may act on; empty for all business",
    )
    valid_from: AwareDatetime | None = Field(default=None, description="Defaults to now")
    valid_until: AwareDatetime = Field(description="Agents are always authorised for a term")


class RevokeMandateIn(BaseModel):
    reason: str = Field(default="", max_length=200, pattern=PRINTABLE)
    include_agents: bool = Field(
        default=False,
        description="Also end the agent mandates the holder of this mandate authorised",
    )


class RevokedOut(BaseModel):
    revoked: list[MandateOut]


class MyEntityOut(BaseModel):
    uscc: str
    name: str
    status: str
    mandate: MandateOut


class MyCodeIn(BaseModel):
    uscc: str = Field(min_length=1, max_length=18, pattern=PRINTABLE)
    image: Literal["svg", "png"] | None = Field(
        default=None, description="Also return the QR code as a data: URI"
    )


class MyCodeOut(IssuedCodeOut):
    acting: ActingOut = Field(description="The mandate the code names")
    image: str | None = Field(default=None, description="The QR code as a data: URI, if asked")
