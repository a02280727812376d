"""What the server remembers about business codes: static serials, consumed dynamic ids,
and every resolution."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from codeid.types import UTCDateTime


class StaticCode(SQLModel, table=True):
    """A long-lived printable code; revocable by its serial."""

    __tablename__ = "static_code"

    serial: str = Field(primary_key=True, max_length=32)
    uscc: str = Field(max_length=18, index=True)
    kid: str = Field(max_length=32)
    issued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revocation_reason: str | None = Field(default=None, max_length=200)


class CodeUse(SQLModel, table=True):
    """A dynamic code consumed once (e.g. at check-in); the primary key refuses a replay."""

    __tablename__ = "code_use"

    code_id: str = Field(primary_key=True, max_length=32)
    uscc: str = Field(max_length=18, index=True)
    purpose: str = Field(max_length=32)
    used_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Kept so rows past expiry can be pruned: an expired code is refused anyway.
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class Resolution(SQLModel, table=True):
    """Every attempt to resolve a code: who, where, when, and the outcome."""

    __tablename__ = "resolution"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    actor: str = Field(default="", max_length=100)
    location: str = Field(default="", max_length=100)
    channel: str = Field(max_length=16)  # scan, api, cli, text (scan gun)
    outcome: str = Field(max_length=32)  # "ok" or the refusal reason
    uscc: str | None = Field(default=None, sa_column=Column(String(18), index=True))
    code_id: str | None = Field(default=None, max_length=32)
    kind: str | None = Field(default=None, max_length=16)
