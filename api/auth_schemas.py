"""Request and response bodies of sign-in and user administration."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.counter_schemas import IdIn
from codeid.accounts.models import Role


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokenPair(BaseModel):
    """An OAuth-style token response (RFC 6749 §5.1) plus who signed in."""

    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    refresh_token: str
    refresh_expires_at: datetime
    user: UserOut


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    issuer_uscc: str | None
    status: str
    created_at: datetime


class UserIn(BaseModel):
    username: str = Field(min_length=2, max_length=64, examples=["li.min"])
    display_name: str = Field(default="", max_length=100)
    role: Role
    password: str = Field(min_length=10, max_length=256)
    issuer_uscc: str | None = Field(
        default=None, max_length=18, description="Issuer users: the department's USCC."
    )
    windows: list[IdIn] = Field(
        default_factory=list, description="Clerk users: the windows they work at."
    )


class UserPatch(BaseModel):
    status: str | None = Field(default=None, pattern="^(active|disabled)$")
    password: str | None = Field(default=None, min_length=10, max_length=256)


class ClerkWindowsIn(BaseModel):
    windows: list[IdIn] = Field(min_length=1)


TokenPair.model_rebuild()
