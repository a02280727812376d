"""The platform's signing keys over HTTP (administrators): list them, rotate a ring.

Two rings: ``platform`` signs business codes, ``auth`` signs access tokens. Rotating makes a
new active key; the previous one turns verify-only, so codes and tokens it signed keep
verifying. Never a private key in an answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from api.auth import AdminDep
from api.deps import NowDep, RuntimeDep, SessionDep
from api.runtime import Runtime
from codeid.accounts.tokens import AUTH_RING
from codeid.keys.keyring import KeyRing
from codeid.models import PLATFORM_RING

router = APIRouter(prefix="/v1/keys", tags=["admin"])
Ring = Literal["platform", "auth"]
RINGS: tuple[Ring, ...] = ("platform", "auth")
assert (PLATFORM_RING, AUTH_RING) == RINGS  # the names the key rings are stored under


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kid: str
    ring: str
    algorithm: str
    status: str
    created_at: datetime
    rotated_at: datetime | None
    retired_at: datetime | None


class RotateIn(BaseModel):
    ring: Ring


def _ring(runtime: Runtime, session: Session, ring: Ring) -> KeyRing:
    return runtime.auth_keyring(session) if ring == AUTH_RING else runtime.keyring(session)


@router.get("", response_model=list[KeyOut])
def keys(
    _admin: AdminDep,
    session: SessionDep,
    runtime: RuntimeDep,
    ring: Annotated[Ring | None, Query(description="one ring; both when absent")] = None,
) -> list[KeyOut]:
    """Each ring's keys, oldest first, with their status (active, verify-only, retired)."""
    chosen = RINGS if ring is None else (ring,)
    return [
        KeyOut.model_validate(key)
        for name in chosen
        for key in _ring(runtime, session, name).list_keys()
    ]


@router.post("/rotate", response_model=KeyOut)
def rotate(
    body: RotateIn,
    _admin: AdminDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> KeyOut:
    """A new active key for the ring; the previous one keeps verifying what it signed."""
    key = _ring(runtime, session, body.ring).rotate(now=now)
    out = KeyOut.model_validate(key)
    if body.ring == AUTH_RING:
        # Commit first, then drop the cached token keys: a read in between would cache the
        # old set again, and tokens from the new key would be refused until it expired.
        session.commit()
        runtime.forget_auth_keys()
    return out
