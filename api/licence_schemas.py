"""Request and response shapes of the licence API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class IssuerIn(BaseModel):
    uscc: str = Field(examples=["11440100MB2C92747W"])
    name: str = Field(examples=["广州市市场监督管理局"])
    authority_kind: str = Field(default="market-regulation")


class IssuerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    uscc: str
    name: str
    authority_kind: str
    status: str
    created_at: datetime


class TrustIn(BaseModel):
    licence_type: str = Field(examples=["food-business"])
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class TrustGrantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    issuer_uscc: str
    licence_type: str
    valid_from: datetime
    valid_until: datetime | None


class LicenceIn(BaseModel):
    licence_type: str = Field(examples=["food-business"])
    holder_uscc: str
    licence_number: str
    fields: dict[str, Any] = Field(default_factory=dict)
    issue_date: date | None = None
    valid_from: date | None = None
    valid_until: date | None = None


class AmendIn(BaseModel):
    fields: dict[str, Any] = Field(default_factory=dict, description="Fields to change")
    valid_until: date | None = None
    reason: str = Field(min_length=1, max_length=300)


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=300)


class RevokeLicenceIn(BaseModel):
    reason: str = Field(min_length=1, max_length=300)


class LicenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    identifier: str
    type_code: str
    holder_uscc: str
    issuer_uscc: str
    licence_number: str
    version: int
    fields: dict[str, Any]
    issue_date: date
    valid_from: date
    valid_until: date | None
    status: str
    effective_status: str = ""
    previous_identifier: str | None
    status_list: str
    status_index: int
    jws: str
    created_at: datetime
    updated_at: datetime


class LicenceEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    identifier: str
    action: str
    actor: str
    at: datetime
    reason: str
    detail: dict[str, Any]


class LicenceVerifyIn(BaseModel):
    licence: str = Field(min_length=1, max_length=20000, description="A licence JWS or identifier")


class LicenceVerdictOut(BaseModel):
    valid: bool
    reason: str
    message: str
    licence: LicenceOut | None = None


class MatchIn(BaseModel):
    holder_uscc: str
    licence_type: str
    fields: dict[str, str] = Field(description="Values the caller holds, e.g. licence_number, name")


class MatchOut(BaseModel):
    matches: dict[str, bool]


class LicenceViewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    identifier: str
    type_code: str
    type_name_zh: str
    type_name_en: str
    licence_number: str
    status: str
    valid_from: date
    valid_until: date | None
    issuer_uscc: str
    issuer_name: str
    fields: dict[str, Any]
