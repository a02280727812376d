"""User accounts and their refresh tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from codeid.types import UTCDateTime


class Role(StrEnum):
    ADMIN = "admin"
    ISSUER = "issuer"  # bound to one department (issuer_uscc)
    CLERK = "clerk"  # bound to windows (counter.models.Clerk.user_id)
    BUSINESS = "business"  # bound to entities through mandates (codeid.mandates)


class UserStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class UserAccount(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    display_name: str = Field(max_length=100)
    role: str = Field(max_length=16)
    # argon2id PHC string; "!" for an account that cannot log in with a password.
    password_hash: str = Field(max_length=200)
    # The department an issuer user acts for (credentials.models.Issuer.uscc).
    issuer_uscc: str | None = Field(default=None, max_length=18)
    status: str = Field(default=UserStatus.ACTIVE.value, max_length=16)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    password_changed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class RefreshToken(SQLModel, table=True):
    """One refresh token of a login. Rotated on use; presenting a used one revokes its family."""

    __tablename__ = "refresh_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    family: str = Field(max_length=32, index=True)  # every token descended from one login
    issued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
