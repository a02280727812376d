"""private_key_jwt client authentication (RFC 7523 §2.2 and §3, as profiled by RFC 7521).

A client signs a short JWT with a key whose public half it registered (a JWK Set):
``iss`` = ``sub`` = its client_id, ``aud`` = our token endpoint URL (the issuer URL is also
accepted, as RFC 7523bis recommends), ``exp`` at most five minutes ahead, and a ``jti`` that
may be used once: it is kept in AssertionUse until the assertion expires, so a captured
assertion cannot be replayed. Times are checked against the caller's ``now``.

Note for clients: Authlib's ``PrivateKeyJWT`` signs assertions valid for an hour by default;
pass ``claims={"exp": ...}`` (or a shorter ``expires_in``) to stay within five minutes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from credentials.partners.errors import InvalidClient, InvalidClientKeys
from credentials.partners.models import AssertionUse, ClientStatus, PartnerClient

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Accepted signing algorithms and the key each needs (kty, crv).
ALGORITHMS: dict[str, tuple[str, str | None]] = {
    "EdDSA": ("OKP", "Ed25519"),
    "ES256": ("EC", "P-256"),
    "RS256": ("RSA", None),
}
MAX_LIFETIME = timedelta(minutes=5)
LEEWAY = timedelta(seconds=30)  # clock skew between the client and us
MAX_ASSERTION_CHARS = 8192
MAX_KEYS = 10
MIN_RSA_BITS = 2048
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def check_client_jwks(doc: object) -> dict[str, Any]:
    """A client's public signing keys, checked: usable, public, unambiguous."""
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise InvalidClientKeys('a JWK Set is a JSON object with a "keys" array')
    entries = doc["keys"]
    if not 1 <= len(entries) <= MAX_KEYS:
        raise InvalidClientKeys(f"register 1 to {MAX_KEYS} keys")
    for index, entry in enumerate(entries):
        _check_key(index, entry)
    kids = [entry.get("kid") for entry in entries]
    if len(entries) > 1 and (None in kids or len(set(kids)) != len(kids)):
        raise InvalidClientKeys("with several keys, each needs its own kid")
    return {"keys": [dict(entry) for entry in entries]}


def _check_key(index: int, entry: object) -> None:
    where = f"keys[{index}]"
    if not isinstance(entry, dict):
        raise InvalidClientKeys(f"{where} is not a JSON object")
    if PRIVATE_MEMBERS & set(entry):
        raise InvalidClientKeys(
            f"{where} holds private or symmetric key material; register public keys only"
        )
    if entry.get("use", "sig") != "sig":
        raise InvalidClientKeys(f'{where} is not a signing key (use must be "sig")')
    alg = _algorithm_for(entry)
    if alg is None:
        raise InvalidClientKeys(
            f"{where}: supported keys are Ed25519 (EdDSA), P-256 (ES256) and RSA (RS256)"
        )
    try:
        key = jwt.PyJWK(entry, algorithm=alg).key
    except jwt.PyJWTError as exc:
        raise InvalidClientKeys(f"{where} is not a usable {alg} key: {exc}") from None
    if alg == "RS256" and getattr(key, "key_size", 0) < MIN_RSA_BITS:
        raise InvalidClientKeys(f"{where}: RSA keys need at least {MIN_RSA_BITS} bits")


def _algorithm_for(entry: dict[str, Any]) -> str | None:
    """The key's algorithm: its ``alg`` if it names one we accept and fits the key."""
    kty, crv = entry.get("kty"), entry.get("crv")
    for alg, (want_kty, want_crv) in ALGORITHMS.items():
        fits = kty == want_kty and (want_crv is None or crv == want_crv)
        if fits and entry.get("alg", alg) == alg:
            return alg
    return None


def authenticate_assertion(
    session: Session,
    *,
    assertion: str,
    audiences: Sequence[str],
    now: datetime,
    client_id: str | None = None,
) -> PartnerClient:
    """The active client that signed this assertion; InvalidClient otherwise. Records the
    jti (flushes only), so the same assertion is refused the second time."""
    if len(assertion) > MAX_ASSERTION_CHARS:
        raise InvalidClient("the client assertion is too long")
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InvalidClient("the client assertion is not a JWT") from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise InvalidClient(f"assertions are signed with {', '.join(ALGORITHMS)}, not {alg!r}")
    subject = unverified.get("sub")
    if not isinstance(subject, str) or unverified.get("iss") != subject:
        raise InvalidClient("the assertion's iss and sub must both be the client_id")
    if client_id is not None and client_id != subject:
        raise InvalidClient("client_id does not match the assertion's subject")
    client = session.exec(select(PartnerClient).where(PartnerClient.client_id == subject)).first()
    if client is None or client.status != ClientStatus.ACTIVE.value:
        raise InvalidClient("unknown or disabled client")
    claims = _verified_claims(assertion, client, str(alg), header.get("kid"), audiences)
    expires_at = _check_times(claims, now)
    _spend_jti(session, client.client_id, claims.get("jti"), expires_at, now)
    return client


def _verified_claims(
    assertion: str, client: PartnerClient, alg: str, kid: object, audiences: Sequence[str]
) -> dict[str, Any]:
    want_kty, want_crv = ALGORITHMS[alg]
    candidates = [
        entry
        for entry in (client.jwks or {}).get("keys", [])
        if entry.get("kty") == want_kty
        and (want_crv is None or entry.get("crv") == want_crv)
        and (kid is None or entry.get("kid") == kid)
    ]
    if not candidates:
        raise InvalidClient(f"the client registered no {alg} key" + (f" {kid!r}" if kid else ""))
    for entry in candidates:
        try:
            claims: dict[str, Any] = jwt.decode(
                assertion,
                jwt.PyJWK(entry, algorithm=alg).key,
                algorithms=[alg],
                audience=list(audiences),
                issuer=client.client_id,
                # Times are checked against the caller's now (below), not the wall clock.
                options={
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "require": ["iss", "sub", "aud", "exp", "jti"],
                },
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as exc:
            raise InvalidClient(f"the client assertion is not valid: {exc}") from None
        return claims
    raise InvalidClient("the client assertion's signature does not verify")


def _check_times(claims: dict[str, Any], now: datetime) -> datetime:
    exp = claims.get("exp")
    if not isinstance(exp, int):
        raise InvalidClient("the assertion's exp is not a NumericDate")
    stamp, leeway = now.timestamp(), LEEWAY.total_seconds()
    if stamp - leeway >= exp:
        raise InvalidClient("the client assertion has expired")
    if exp - stamp > (MAX_LIFETIME + LEEWAY).total_seconds():
        raise InvalidClient(
            f"the client assertion must expire within {int(MAX_LIFETIME.total_seconds())} s"
        )
    for name in ("nbf", "iat"):
        value = claims.get(name)
        if value is not None and (not isinstance(value, int) or value > stamp + leeway):
            raise InvalidClient(f"the assertion's {name} is in the future; check the clock")
    return datetime.fromtimestamp(exp, UTC)


def _spend_jti(
    session: Session, client_id: str, jti: object, expires_at: datetime, now: datetime
) -> None:
    if not isinstance(jti, str) or not 1 <= len(jti) <= 256:
        raise InvalidClient("the assertion's jti is missing or too long")
    # Assertions expired beyond the leeway are refused anyway: their jtis need no keeping.
    session.execute(delete(AssertionUse).where(col(AssertionUse.expires_at) < now - LEEWAY))
    key = hashlib.sha256(f"{client_id}\x00{jti}".encode()).hexdigest()
    if session.get(AssertionUse, key) is not None:
        raise InvalidClient("this client assertion was already used (jti replay)")
    try:
        with session.begin_nested():
            session.add(AssertionUse(jti_hash=key, expires_at=expires_at))
    except IntegrityError:  # the same assertion, presented twice at once
        raise InvalidClient("this client assertion was already used (jti replay)") from None
