"""Partner clients, consents granted to them, and webhook subscriptions and deliveries."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, String, Text
from sqlmodel import Field, SQLModel

from codeid.types import UTCDateTime


class ClientStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class PartnerClient(SQLModel, table=True):
    __tablename__ = "partner_client"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    name: str = Field(max_length=200)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # SHA-256 of the generated secret (client_secret_basic); the secret is shown once.
    secret_hash: str | None = Field(default=None, max_length=64)
    # Public keys for private_key_jwt (RFC 7523), as a JWK Set.
    jwks: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    rate_limit_per_minute: int = Field(default=600)
    status: str = Field(default=ClientStatus.ACTIVE.value, max_length=16)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class AssertionUse(SQLModel, table=True):
    """A client assertion's jti, kept until it expires, so it cannot be replayed."""

    __tablename__ = "assertion_use"

    jti_hash: str = Field(primary_key=True, max_length=64)  # SHA-256 of client_id + jti
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class Consent(SQLModel, table=True):
    """A business lets one partner read the fields of its licences of some types, until expiry."""

    __tablename__ = "consent"

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(max_length=18, index=True)
    client_pk: int = Field(foreign_key="partner_client.id", index=True)
    licence_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    purpose: str = Field(default="", max_length=300)
    granted_by: int | None = Field(default=None, foreign_key="user_account.id")
    granted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_by: int | None = Field(default=None, foreign_key="user_account.id")


class WebhookSubscription(SQLModel, table=True):
    __tablename__ = "webhook_subscription"

    id: int | None = Field(default=None, primary_key=True)
    client_pk: int = Field(foreign_key="partner_client.id", index=True)
    url: str = Field(max_length=500)
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The whsec_ signing secret, sealed with the master secret (it must be readable to sign).
    secret_sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the last retry


class WebhookDelivery(SQLModel, table=True):
    __tablename__ = "webhook_delivery"

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="webhook_subscription.id", index=True)
    message_id: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    event_type: str = Field(max_length=60)
    licence_event_id: int | None = Field(default=None, index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))  # the exact JSON that is signed
    status: str = Field(default=DeliveryStatus.PENDING.value, max_length=16, index=True)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class WebhookAttempt(SQLModel, table=True):
    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    status_code: int | None = Field(default=None)
    error: str = Field(default="", max_length=300)
    duration_ms: int = Field(default=0)


class OutboxCursor(SQLModel, table=True):
    """How far a fan-out has read an event table (e.g. licence events into deliveries)."""

    __tablename__ = "outbox_cursor"

    name: str = Field(primary_key=True, max_length=40)
    last_id: int = Field(default=0)
