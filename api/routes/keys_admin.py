"""The platform's signing keys over HTTP (administrators): list them, rotate a ring, and mark
a key compromised.

Two rings: ``platform`` signs business codes, ``auth`` signs access tokens. Rotating makes a
new active key; the previous one turns verify-only, so codes and tokens it signed keep
verifying. Marking a key compromised (an active one is rotated out first) stops trusting it
at once: its codes are refused as key-compromised, and by default the live static codes it
signed are revoked and re-issued with the new key (see codeid.codes.reissue). Never a
private key in an answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from api.auth import AdminDep
from api.deps import NowDep, RuntimeDep, SessionDep
from api.runtime import Runtime
from codeid.accounts.tokens import AUTH_RING
from codeid.codes.reissue import ReissueCounts, iter_reissue
from codeid.keys.keyring import KeyNotFound, KeyRing, ring_of
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
    compromised_at: datetime | None


class RotateIn(BaseModel):
    ring: Ring


class CompromiseIn(BaseModel):
    reissue: bool = True  # replace the live static codes the key signed (platform keys)


class ReissueOut(BaseModel):
    entities: int  # entities that had live static codes from the key
    revoked: int  # static codes revoked ("key compromised")
    reissued: int  # new static codes, signed with the new active key
    skipped: int  # entities not active: their codes revoked, no new one
    batches: int


class CompromiseOut(BaseModel):
    key: KeyOut
    active: KeyOut | None  # the ring's active key now
    reissue: ReissueOut | None  # None when not asked for, or for an auth key


Kid = Annotated[
    str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$", description="Key id")
]


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


@router.post("/{kid}/compromise", response_model=CompromiseOut)
def compromise(
    kid: Kid,
    _admin: AdminDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    body: CompromiseIn | None = None,
) -> CompromiseOut:
    """Mark a key compromised; by default re-issue the static codes it signed. Idempotent:
    a second call changes nothing and re-issues nothing more."""
    name = ring_of(session, kid)
    if name not in RINGS:
        raise KeyNotFound(f"{kid} is a key of ring {name!r}, not a platform or auth key", kid=kid)
    ring = _ring(runtime, session, name)
    key = ring.compromise(kid, now=now)
    active = ring.active_key()
    out = CompromiseOut(
        key=KeyOut.model_validate(key),
        active=KeyOut.model_validate(active) if active else None,
        reissue=None,
    )
    # Committed before any re-issue, so the key stays distrusted whatever happens next.
    session.commit()
    if name == AUTH_RING:
        runtime.forget_auth_keys()
    elif body is None or body.reissue:
        counts = ReissueCounts()
        signer = ring.active_signer()
        batches = iter_reissue(session, kid=kid, signer=signer, now=now, ttl=runtime.static_ttl)
        for batch in batches:
            counts.add(batch)
            session.commit()  # a batch at a time, as the CLI does
        out.reissue = ReissueOut(**counts.as_dict())
    return out
