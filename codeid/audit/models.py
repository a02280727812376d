"""Append-only access events, chained by SHA-256 so any edit or deletion shows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from codeid.types import UTCDateTime


class AccessEvent(SQLModel, table=True):
    __tablename__ = "access_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    actor_kind: str = Field(max_length=16)  # user, client, anonymous, system
    actor: str = Field(max_length=100)  # "user:12", "client:cid_…", "anonymous"
    actor_role: str = Field(default="", max_length=24)
    on_behalf_of: str = Field(default="", max_length=100)  # e.g. the window, the mandate
    purpose: str = Field(default="", max_length=300)
    action: str = Field(max_length=40)  # code.verify, code.resolve, licence.read, ...
    subject_uscc: str | None = Field(default=None, sa_column=Column(String(18), index=True))
    resource: str = Field(default="", max_length=120)
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    outcome: str = Field(max_length=40)  # "ok" or a refusal reason
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))


class AccessChainHead(SQLModel, table=True):
    """The single row appenders lock, so entries chain in one order across processes."""

    __tablename__ = "access_chain_head"

    id: int = Field(default=1, primary_key=True)
    last_id: int = Field(default=0)
    last_hash: str = Field(max_length=64)
