"""Short-lived access tokens: JWTs per RFC 9068, signed EdDSA with the platform's auth keys.

Users get one at login; partner clients get one from the client credentials grant. The
signing keys are a ring of their own (AUTH_RING), published as a JWK Set, so a resource
server (or a partner checking what it was given) verifies a token with the public keys alone.
Expiry is checked against the caller's ``now``, not the wall clock, so tests can move time.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from codeid.accounts.errors import TokenExpired, TokenInvalid
from codeid.keys.jwks import PublicKeySet
from codeid.keys.keyring import Signer

AUTH_RING = "auth"
TOKEN_TYPE = "at+jwt"  # noqa: S105 - the JWT "typ" of access tokens (RFC 9068)
AUDIENCE = "codeid-api"
LEEWAY = timedelta(seconds=5)
MAX_TOKEN_CHARS = 4096


@dataclass(frozen=True, slots=True)
class AccessClaims:
    subject: str  # "user:<id>" or "client:<client_id>"
    scopes: frozenset[str]
    role: str  # a user's role, or "partner" for a client
    name: str
    issuer_uscc: str | None  # an issuer user's department
    expires_at: datetime
    jti: str


def mint_access_token(
    signer: Signer,
    *,
    issuer: str,
    subject: str,
    role: str,
    name: str,
    now: datetime,
    ttl: timedelta,
    scopes: frozenset[str] = frozenset(),
    client_id: str | None = None,
    issuer_uscc: str | None = None,
) -> str:
    iat = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": AUDIENCE,
        "iat": iat,
        "nbf": iat,
        "exp": iat + int(ttl.total_seconds()),
        "jti": secrets.token_urlsafe(12),
        "role": role,
        "name": name,
        "client_id": client_id or subject,
    }
    if scopes:
        claims["scope"] = " ".join(sorted(scopes))
    if issuer_uscc is not None:
        claims["dept"] = issuer_uscc
    return jwt.encode(
        claims,
        signer.private_key,
        algorithm="EdDSA",
        headers={"kid": signer.kid, "typ": TOKEN_TYPE},
    )


def token_kid(token: str) -> str | None:
    """The kid a token claims (unverified): which key to look for."""
    try:
        kid = jwt.get_unverified_header(token[:MAX_TOKEN_CHARS]).get("kid")
    except jwt.PyJWTError:
        return None
    return kid if isinstance(kid, str) else None


def verify_access_token(
    token: str, *, keys: PublicKeySet, issuer: str, now: datetime
) -> AccessClaims:
    """The claims of a genuine, unexpired access token; TokenInvalid or TokenExpired otherwise."""
    if len(token) > MAX_TOKEN_CHARS:
        raise TokenInvalid("the access token is too long to be one of ours")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenInvalid("the bearer token is not a JWT") from None
    if header.get("typ") != TOKEN_TYPE or header.get("alg") != "EdDSA":
        raise TokenInvalid("the bearer token is not a codeid access token")
    key = keys.get(str(header.get("kid", "")))
    if key is None:
        raise TokenInvalid("the access token is signed by a key this service does not trust")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["EdDSA"],
            audience=AUDIENCE,
            issuer=issuer,
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "require": ["exp", "iat", "sub", "jti", "role"],
            },
        )
    except jwt.PyJWTError as exc:
        raise TokenInvalid(f"the access token is not valid: {exc}") from None
    exp, nbf = claims.get("exp"), claims.get("nbf", claims.get("iat"))
    if not isinstance(exp, int) or not isinstance(nbf, int):
        raise TokenInvalid("the access token's times are not NumericDates")
    stamp = now.timestamp()
    if stamp + LEEWAY.total_seconds() < nbf:
        raise TokenInvalid("the access token is not valid yet; check the clocks")
    if stamp - LEEWAY.total_seconds() >= exp:
        raise TokenExpired("the access token has expired; refresh it or sign in again")
    dept = claims.get("dept")
    return AccessClaims(
        subject=str(claims["sub"]),
        scopes=frozenset(str(claims.get("scope", "")).split()),
        role=str(claims["role"]),
        name=str(claims.get("name", "")),
        issuer_uscc=str(dept) if dept is not None else None,
        expires_at=datetime.fromtimestamp(exp).astimezone(now.tzinfo),
        jti=str(claims["jti"]),
    )
