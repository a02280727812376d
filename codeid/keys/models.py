"""Ed25519 signing keys, grouped in named rings (the platform's, later each issuer's)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, LargeBinary, text
from sqlmodel import Field, SQLModel

from codeid.types import UTCDateTime

PLATFORM_RING = "platform"


class KeyStatus(StrEnum):
    ACTIVE = "active"  # signs new codes; exactly one per ring
    VERIFY_ONLY = "verify-only"  # rotated out, still verifies what it signed
    RETIRED = "retired"  # no longer published nor trusted
    # The private key leaked (or may have): never published, and what it signed is refused
    # with its own reason (key-compromised), not merely as unknown.
    COMPROMISED = "compromised"


class SigningKey(SQLModel, table=True):
    __tablename__ = "signing_key"
    # At most one active key per ring, held by the database: two processes creating or
    # rotating the first key at once cannot both win.
    __table_args__ = (
        Index(
            "uq_signing_key_active_ring",
            "ring",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    kid: str = Field(primary_key=True, max_length=32)
    ring: str = Field(default=PLATFORM_RING, max_length=64, index=True)
    algorithm: str = Field(default="EdDSA", max_length=16)
    status: str = Field(max_length=16)
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # Private key sealed with the master secret (AES-256-GCM, see codeid.keys.sealing).
    private_key_sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    rotated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    retired_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    compromised_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
