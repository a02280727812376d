"""A mandate binds a user to an entity in one capacity, optionally for named service items."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from codeid.types import UTCDateTime

MAX_LICENCE_ADMINISTRATORS = 5


class MandateRole(StrEnum):
    LEGAL_REPRESENTATIVE = "legal-representative"
    LICENCE_ADMINISTRATOR = "licence-administrator"
    AGENT = "agent"


class Mandate(SQLModel, table=True):
    __tablename__ = "mandate"

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    role: str = Field(max_length=24)
    # Service item codes an agent may act on; empty means all business of the entity.
    scope: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    valid_from: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    valid_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    granted_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_by: int | None = Field(default=None, foreign_key="user_account.id")
    revocation_reason: str = Field(default="", max_length=200)
