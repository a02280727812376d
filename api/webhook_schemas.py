"""Request and response shapes of the webhook API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from credentials.partners.webhook_urls import MAX_URL_LENGTH
from credentials.partners.webhooks import EVENT_TYPES

EVENT_TYPES_DESCRIPTION = (
    "Event types to receive (default: all). A delivery's body is "
    '{"type", "timestamp", "data": {"identifier", "licence_type", "holder_uscc", "status", '
    '"action", "at"}}, signed per Standard Webhooks (webhook-id, webhook-timestamp, '
    "webhook-signature headers). Only licences whose holder consented to this partner reading "
    "that licence type are notified. Types: " + ", ".join(EVENT_TYPES) + "."
)


class WebhookIn(BaseModel):
    url: str = Field(
        min_length=1, max_length=MAX_URL_LENGTH, examples=["https://bank.example/hooks/codeid"]
    )
    event_types: list[str] = Field(
        default_factory=lambda: list(EVENT_TYPES),
        max_length=len(EVENT_TYPES),
        description=EVENT_TYPES_DESCRIPTION,
        examples=[["licence.suspended", "licence.revoked"]],
    )


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    event_types: list[str]
    created_at: datetime
    disabled_at: datetime | None


class WebhookAdminOut(WebhookOut):
    client_id: str


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The whsec_ signing secret; shown this once")


class WebhookSecretOut(BaseModel):
    secret: str = Field(description="The new whsec_ signing secret; the old one stops at once")


class WebhookAttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    status_code: int | None
    error: str
    duration_ms: int


class WebhookDeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    message_id: str = Field(description="The webhook-id header: the same on every retry")
    event_type: str
    status: str = Field(description="pending, delivered or failed (given up)")
    attempts: int
    next_attempt_at: datetime | None = Field(description="When pending: the next try")
    created_at: datetime
    delivered_at: datetime | None
    body: str = Field(description="The exact JSON that is signed and sent")
    attempt_log: list[WebhookAttemptOut] = Field(default_factory=list)
