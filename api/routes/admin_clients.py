"""Partner clients over HTTP (administrators): register (the secret is shown once), list,
disable. The same domain functions as ``codeid client``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from api.auth import AdminDep
from api.deps import NowDep, SessionDep
from api.partner_schemas import ClientOut
from credentials.partners.clients import (
    MAX_RATE_PER_MINUTE,
    disable_client,
    list_clients,
    register_client,
)

router = APIRouter(prefix="/v1/clients", tags=["admin"])
ClientId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


class ClientIn(BaseModel):
    name: str = Field(min_length=1, max_length=200, examples=["招商银行 对公开户"])
    scopes: list[Annotated[str, Field(max_length=40)]] = Field(
        min_length=1, max_length=10, examples=[["codes:verify", "licences:verify"]]
    )
    rate_limit_per_minute: int = Field(default=600, ge=1, le=MAX_RATE_PER_MINUTE)
    jwks: dict[str, Any] | None = Field(
        default=None, description="Public keys (a JWK Set) for private_key_jwt"
    )
    with_secret: bool = Field(default=True, description="Issue a client secret (shown once)")


class RegisteredClientOut(ClientOut):
    client_secret: str | None = Field(
        default=None, description="Shown only in this answer; stored as a hash"
    )


@router.post("", status_code=201, response_model=RegisteredClientOut)
def add_client(
    body: ClientIn, _admin: AdminDep, session: SessionDep, now: NowDep
) -> RegisteredClientOut:
    """Register a partner client; the answer carries its secret, the only time it is shown."""
    registered = register_client(
        session,
        name=body.name,
        scopes=body.scopes,
        jwks=body.jwks,
        with_secret=body.with_secret,
        rate_limit_per_minute=body.rate_limit_per_minute,
        now=now,
    )
    out = ClientOut.of(registered.client).model_dump()
    return RegisteredClientOut(**out, client_secret=registered.secret)


@router.get("", response_model=list[ClientOut])
def clients(_admin: AdminDep, session: SessionDep, active: bool = False) -> list[ClientOut]:
    """Every partner client (never a secret)."""
    return [ClientOut.of(client) for client in list_clients(session, active_only=active)]


@router.post("/{client_id}/disable", response_model=ClientOut)
def disable(client_id: ClientId, _admin: AdminDep, session: SessionDep, now: NowDep) -> ClientOut:
    """No new tokens; tokens already issued are refused at their next call. Idempotent."""
    return ClientOut.of(disable_client(session, client_id, now=now))
