"""Market entities (company, branch, sole trader), keyed by their USCC."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from codeid.types import UTCDateTime


class EntityStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DEREGISTERED = "deregistered"


class EntityType(StrEnum):
    """The kinds of market entity the registry holds (stored as the value string)."""

    COMPANY = "company"  # 公司 / 企业法人
    BRANCH = "branch"  # 分公司 / 分支机构
    SOLE_TRADER = "sole_trader"  # 个体工商户
    PARTNERSHIP = "partnership"  # 合伙企业
    COOPERATIVE = "cooperative"  # 农民专业合作社
    OTHER = "other"


class Entity(SQLModel, table=True):
    __tablename__ = "entity"

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(sa_column=Column(String(18), nullable=False, unique=True))
    name: str = Field(max_length=200, index=True)
    entity_type: str = Field(max_length=40)
    legal_representative: str = Field(default="", max_length=100)
    registered_address: str = Field(default="", max_length=300)
    registration_authority: str = Field(default="", max_length=200)
    date_established: date | None = None
    status: str = Field(default=EntityStatus.ACTIVE.value, max_length=16)
    # True when an operator accepted a USCC whose check character does not match
    # (early pilot codes); the override itself is an EntityEvent.
    check_override: bool = False
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class EntityEvent(SQLModel, table=True):
    """Append-only history of what was done to an entity, by whom and why."""

    __tablename__ = "entity_event"

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, index=True)
    action: str = Field(max_length=32)
    actor: str = Field(default="", max_length=100)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
