"""Tables of the licence layer: issuers, trust grants, licences, their events, status lists."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Integer, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from codeid.types import UTCDateTime


class IssuerStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Issuer(SQLModel, table=True):
    """An issuing department, with its own USCC and its own key ring (``ring``)."""

    __tablename__ = "issuer"

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(sa_column=Column(String(18), nullable=False, unique=True))
    name: str = Field(max_length=200)
    authority_kind: str = Field(max_length=40)  # e.g. market-regulation, health, transport
    ring: str = Field(max_length=64)  # SigningKey.ring of this issuer's keys
    status: str = Field(default=IssuerStatus.ACTIVE.value, max_length=16)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class TrustGrant(SQLModel, table=True):
    """Issuer x licence type, for a period: who may issue what."""

    __tablename__ = "trust_grant"

    id: int | None = Field(default=None, primary_key=True)
    issuer_uscc: str = Field(max_length=18, index=True)
    licence_type: str = Field(max_length=40)
    valid_from: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    valid_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class LicenceStatus(StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"  # an amendment replaced this version
    # "expired" is never stored: it follows from valid_until and the time asked about.


_ROW_VERSION = Column("row_version", Integer, nullable=False)


class Licence(SQLModel, table=True):
    """One version of an electronic licence. Amending makes a new row (new version)."""

    __tablename__ = "licence"
    __table_args__ = (
        UniqueConstraint("issuer_uscc", "licence_number", "version"),
        # New serials are checked for uniqueness per issuer at every issue.
        Index("ix_licence_issuer_serial", "issuer_uscc", "serial"),
        # A status list token needs only the licences that are not VALID (a few percent):
        # this small covering index spares it a scan of every licence.
        Index(
            "ix_licence_status_list_not_valid",
            "status_list",
            "status_index",
            "status",
            postgresql_where=text("status <> 'valid'"),
            sqlite_where=text("status <> 'valid'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    identifier: str = Field(sa_column=Column(String(80), nullable=False, unique=True))
    type_code: str = Field(max_length=40)
    holder_uscc: str = Field(max_length=18, index=True)
    issuer_uscc: str = Field(max_length=18, index=True)
    licence_number: str = Field(max_length=64)
    serial: str = Field(max_length=32)  # identifier segment shared by all versions
    version: int = 1
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    issue_date: date
    valid_from: date
    valid_until: date | None = None
    status: str = Field(default=LicenceStatus.VALID.value, max_length=16)
    previous_identifier: str | None = Field(default=None, max_length=80)
    status_list: str = Field(max_length=64)  # which status list holds this licence
    status_index: int
    jws: str = Field(sa_column=Column(Text, nullable=False))
    # Optimistic lock: concurrent changes of one row cannot both win.
    row_version: int = Field(default=1, sa_column=_ROW_VERSION)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))

    __mapper_args__ = {"version_id_col": _ROW_VERSION}


class LicenceEvent(SQLModel, table=True):
    """Append-only history of every licence change: who, when, why."""

    __tablename__ = "licence_event"

    id: int | None = Field(default=None, primary_key=True)
    identifier: str = Field(max_length=80, index=True)
    action: str = Field(max_length=32)  # issued, amended, suspended, resumed, revoked, ...
    actor: str = Field(default="", max_length=100)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    reason: str = Field(default="", max_length=300)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class StatusListRecord(SQLModel, table=True):
    """Allocation of indexes in one Token Status List (2 bits per licence)."""

    __tablename__ = "status_list"

    id: str = Field(primary_key=True, max_length=64)
    bits: int = 2
    size: int  # capacity in entries; a full list is closed and a new one opened
    next_index: int = 0
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


# Partner clients, consents and webhooks live in their own module; imported here so that
# "credentials.models" registers every table of this layer.
from credentials.partners.models import (  # noqa: E402
    AssertionUse,
    Consent,
    OutboxCursor,
    PartnerClient,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

__all__ = [
    "AssertionUse",
    "Consent",
    "OutboxCursor",
    "PartnerClient",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
