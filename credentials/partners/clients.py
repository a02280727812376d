"""Partner clients: registration by an administrator, secrets, scopes, admission per call.

A client gets a generated secret (for ``client_secret_basic``), shown once: only its SHA-256
is stored, which is enough for a 256-bit random secret (nothing to brute-force, so no slow
hash is needed). A client may instead or also register a JWK Set of public keys for
``private_key_jwt`` (RFC 7523, see credentials.partners.assertions).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from codeid.db import transaction
from codeid.errors import InvalidInput
from codeid.limits.counter import RateLimited, hit
from credentials.partners.assertions import check_client_jwks
from credentials.partners.errors import (
    ClientDisabled,
    ClientNotFound,
    InvalidClient,
    InvalidScope,
)
from credentials.partners.models import ClientStatus, PartnerClient

# What a partner may be allowed to do; a token carries a subset of its client's scopes.
SCOPES: dict[str, str] = {
    "codes:verify": "verify business codes (valid or not; entity name and status)",
    "licences:verify": "verify licences and match submitted licence fields",
    "licences:read": "read licences whose holder consented to this partner",
}
CLIENT_ID_PREFIX = "cid_"
SECRET_PREFIX = "cs_"  # noqa: S105 - a prefix that makes leaked secrets easy to spot
RATE_WINDOW_SECONDS = 60
MAX_RATE_PER_MINUTE = 100_000


@dataclass(frozen=True, slots=True)
class RegisteredClient:
    client: PartnerClient
    secret: str | None  # shown once; None for a key-only (private_key_jwt) client


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes, de-duplicated and sorted; an unknown one is refused (a typo grants nothing)."""
    chosen = sorted({scope.strip() for scope in scopes if scope.strip()})
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if unknown:
        raise InvalidScope(
            f"unknown scope {', '.join(unknown)}; known: {', '.join(SCOPES)}", scopes=chosen
        )
    if not chosen:
        raise InvalidScope("a partner client needs at least one scope")
    return chosen


def register_client(
    session: Session,
    *,
    name: str,
    scopes: Iterable[str],
    now: datetime,
    jwks: dict[str, Any] | None = None,
    with_secret: bool = True,
    rate_limit_per_minute: int = 600,
) -> RegisteredClient:
    """A new active client. Flushes only; the secret is in the result and nowhere else."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("a partner client's name is 1 to 200 characters")
    if not 1 <= rate_limit_per_minute <= MAX_RATE_PER_MINUTE:
        raise InvalidInput(f"the rate limit is 1 to {MAX_RATE_PER_MINUTE} calls a minute")
    if not with_secret and jwks is None:
        raise InvalidInput("a client without a secret needs a JWK Set (private_key_jwt)")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32) if with_secret else None
    client = PartnerClient(
        client_id=CLIENT_ID_PREFIX + secrets.token_hex(8),
        name=name,
        scopes=check_scopes(scopes),
        secret_hash=secret_hash(secret) if secret else None,
        jwks=check_client_jwks(jwks) if jwks is not None else None,
        rate_limit_per_minute=rate_limit_per_minute,
        status=ClientStatus.ACTIVE.value,
        created_at=now,
    )
    session.add(client)
    session.flush()
    return RegisteredClient(client, secret)


def find_client(session: Session, client_id: str) -> PartnerClient | None:
    if not client_id or len(client_id) > 40:
        return None
    return session.exec(select(PartnerClient).where(PartnerClient.client_id == client_id)).first()


def get_client(session: Session, client_id: str) -> PartnerClient:
    client = find_client(session, client_id)
    if client is None:
        raise ClientNotFound(f"no partner client {client_id!r}", client_id=client_id[:40])
    return client


def list_clients(session: Session, *, active_only: bool = False) -> list[PartnerClient]:
    query = select(PartnerClient).order_by(col(PartnerClient.name), col(PartnerClient.id))
    if active_only:
        query = query.where(PartnerClient.status == ClientStatus.ACTIVE.value)
    return list(session.exec(query).all())


def disable_client(session: Session, client_id: str, *, now: datetime) -> PartnerClient:
    """No new tokens; tokens already issued are refused at their next call. Idempotent."""
    client = get_client(session, client_id)
    if client.status != ClientStatus.DISABLED.value:
        client.status = ClientStatus.DISABLED.value
        client.disabled_at = now
        session.add(client)
        session.flush()
    return client


def authenticate_secret(session: Session, *, client_id: str, secret: str) -> PartnerClient:
    """The active client whose secret this is (client_secret_basic); InvalidClient otherwise."""
    client = find_client(session, client_id)
    presented = secret_hash(secret)
    stored = client.secret_hash if client is not None and client.secret_hash else "0" * 64
    if client is None or not hmac.compare_digest(presented, stored) or not client.secret_hash:
        raise InvalidClient("unknown client or wrong client secret")
    if client.status != ClientStatus.ACTIVE.value:
        raise InvalidClient(f"client {client_id} is disabled")
    return client


def granted_scopes(client: PartnerClient, requested: str | None) -> frozenset[str]:
    """RFC 6749 §3.3: the requested scopes if the client holds them all; none requested means
    all the client's scopes."""
    allowed = frozenset(client.scopes)
    if requested is None or not requested.strip():
        return allowed
    wanted = frozenset(requested.split())
    extra = sorted(wanted - allowed)
    if extra:
        raise InvalidScope(f"the client may not request {', '.join(extra)}")
    return wanted


def admit_client(engine: Engine, *, client_id: str, now: datetime) -> PartnerClient:
    """Before each call with a partner token: the client must still be active and within its
    rate limit (counted in a transaction of its own, committed at once, so the count holds
    across processes and whatever becomes of the call)."""
    with transaction(engine) as session:
        client = find_client(session, client_id)
        if client is None or client.status != ClientStatus.ACTIVE.value:
            raise ClientDisabled(f"partner client {client_id} is not active")
        decision = hit(
            session,
            bucket=f"client:{client_id}",
            limit=client.rate_limit_per_minute,
            window_seconds=RATE_WINDOW_SECONDS,
            now=now,
        )
    if not decision.allowed:
        raise RateLimited(
            f"more than {client.rate_limit_per_minute} calls a minute; retry later",
            retry_after=decision.retry_after,
            limit=client.rate_limit_per_minute,
        )
    return client
