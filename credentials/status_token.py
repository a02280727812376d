"""Status List Tokens: the signed JWT (``typ: statuslist+jwt``) that publishes a status list.

Claims (draft-ietf-oauth-status-list, JWT format): ``sub`` the list's URI (equal to the
``status.status_list.uri`` of the licences it covers), ``iat``, ``exp``, ``ttl`` (seconds a
consumer may cache it) and ``status_list`` (``{"bits": 2, "lst": ...}``). Signed with EdDSA
(Ed25519) under the key ring the caller passes in; the header carries the ``kid``.

Caching: Ed25519 signatures are deterministic, so the same statuses signed at the same second
give the same bytes; ``StatusListToken.etag`` is a strong validator of those bytes and
``max_age`` is the ttl. A server may keep the token and serve it until ``ttl`` has passed,
answering ``If-None-Match`` with 304; a change of status is then seen at most ``ttl`` later.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import text
from sqlmodel import Session, select

from codeid.errors import InvalidInput
from codeid.keys.jwks import PublicKeySet, b64url_encode
from codeid.keys.keyring import Signer
from credentials.errors import LicenceError, StatusListNotFound, StatusListTokenRejected
from credentials.models import Licence, StatusListRecord
from credentials.status_encoding import (
    StatusListView,
    decode_status_list,
    encode_status_list,
    status_value_of,
)

JWT_TYP = "statuslist+jwt"
MEDIA_TYPE = "application/statuslist+jwt"
ALGORITHM = "EdDSA"
DEFAULT_TTL = timedelta(minutes=15)
DEFAULT_LIFETIME = timedelta(days=1)  # exp - iat: how long a window may work offline
CLOCK_SKEW = timedelta(minutes=2)  # an iat this far ahead of a verifier's clock is accepted


def get_status_list(session: Session, list_id: str) -> StatusListRecord:
    record = session.get(StatusListRecord, list_id)
    if record is None:
        raise StatusListNotFound(f"no status list {list_id!r}", list_id=list_id)
    return record


@dataclass(frozen=True, slots=True)
class StatusListToken:
    """A signed status list with what an HTTP response needs to be cached."""

    list_id: str
    uri: str
    token: str
    issued_at: datetime
    expires_at: datetime
    ttl: timedelta
    entries: int  # capacity of the list (every index ever allocated in it)
    etag: str  # quoted strong validator, ready for the ETag header

    @property
    def max_age(self) -> int:
        """Seconds for ``Cache-Control: max-age``: the token's own ``ttl``."""
        return int(self.ttl.total_seconds())


def issue_status_list_token(
    session: Session,
    list_id: str,
    *,
    signer: Signer,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
    uri: str,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> StatusListToken:
    """Read the list's statuses (one query) and sign them. Reads only.

    Only licences that are not VALID are fetched: every other slot, allocated or not, is 0.
    Expired licences stay VALID (expiry is by date, checked on the licence itself).
    """
    if ttl.total_seconds() < 1 or ttl != timedelta(seconds=int(ttl.total_seconds())):
        raise InvalidInput(f"ttl is a positive whole number of seconds, not {ttl}")
    if lifetime < ttl:
        raise InvalidInput(f"lifetime {lifetime} is shorter than ttl {ttl}")
    record = get_status_list(session, list_id)
    values = bytearray(record.size)
    # The condition is written literally so the planner can match the partial index
    # ix_licence_status_list_not_valid (a bound parameter would hide it from a generic plan).
    query = select(Licence.status_index, Licence.status).where(
        Licence.status_list == list_id, text("licence.status <> 'valid'")
    )
    for index, status in session.exec(query):
        if not 0 <= index < record.size:
            raise LicenceError(
                f"a licence holds index {index} of status list {list_id!r}, whose size is "
                f"{record.size}; the allocation is corrupt"
            )
        values[index] = status_value_of(status)
    issued_at = now.astimezone(UTC).replace(microsecond=0)
    expires_at = issued_at + lifetime
    claims: dict[str, Any] = {
        "sub": uri,
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
        "ttl": int(ttl.total_seconds()),
        "status_list": encode_status_list(values, bits=record.bits),
    }
    headers = {"typ": JWT_TYP, "kid": signer.kid}
    token = jwt.encode(claims, signer.private_key, algorithm=ALGORITHM, headers=headers)
    digest = b64url_encode(hashlib.sha256(token.encode("ascii")).digest()[:16])
    return StatusListToken(
        list_id=list_id,
        uri=uri,
        token=token,
        issued_at=issued_at,
        expires_at=expires_at,
        ttl=ttl,
        entries=record.size,
        etag=f'"{digest}"',
    )


def build_status_list_token(
    session: Session,
    list_id: str,
    *,
    signer: Signer,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
    uri: str,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> str:
    """The compact JWT alone (see ``issue_status_list_token`` for the caching metadata)."""
    return issue_status_list_token(
        session, list_id, signer=signer, now=now, ttl=ttl, uri=uri, lifetime=lifetime
    ).token


@dataclass(frozen=True, slots=True)
class VerifiedStatusList:
    claims: dict[str, Any]
    statuses: StatusListView


def read_status_list_token(
    token: str, *, keys: PublicKeySet, now: datetime, uri: str | None = None
) -> VerifiedStatusList:
    """Verify a status list token offline: type, key, signature, iat/exp at ``now``, and
    ``sub`` against the ``uri`` the licence names. Raises StatusListTokenRejected."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise _rejected("malformed", f"not a JWT: {exc}") from None
    if header.get("typ") != JWT_TYP:
        raise _rejected("wrong-type", f"typ is {header.get('typ')!r}, expected {JWT_TYP!r}")
    if header.get("alg") != ALGORITHM:
        raise _rejected("wrong-algorithm", f"alg is {header.get('alg')!r}, expected EdDSA")
    kid = header.get("kid")
    if not isinstance(kid, str) or kid not in keys:
        raise _rejected("unknown-key", f"no trusted key has kid {kid!r}")
    options: Any = {
        "verify_exp": False,  # checked below against ``now``, not the wall clock
        "verify_iat": False,
        "verify_nbf": False,
        "require": ["sub", "iat", "status_list"],
    }
    try:
        claims = jwt.decode(token, keys[kid], algorithms=[ALGORITHM], options=options)
    except jwt.InvalidSignatureError:
        raise _rejected("bad-signature", "the signature does not verify") from None
    except jwt.PyJWTError as exc:
        raise _rejected("malformed", f"invalid claims: {exc}") from None
    iat, exp = claims["iat"], claims.get("exp")
    if not isinstance(iat, int) or (exp is not None and not isinstance(exp, int)):
        raise _rejected("malformed", "iat and exp are integer NumericDates")
    if datetime.fromtimestamp(iat, UTC) > now + CLOCK_SKEW:
        raise _rejected("not-yet-valid", f"issued at {iat}, in the future")
    if exp is not None and now >= datetime.fromtimestamp(exp, UTC):
        raise _rejected(
            "expired", f"expired at {datetime.fromtimestamp(exp, UTC):%Y-%m-%dT%H:%M:%SZ}"
        )
    if uri is not None and claims["sub"] != uri:
        raise _rejected("wrong-subject", f"sub is {claims['sub']!r}, the licence names {uri!r}")
    return VerifiedStatusList(claims=claims, statuses=decode_status_list(claims["status_list"]))


def read_status_from_token(
    token: str, *, keys: PublicKeySet, index: int, now: datetime, uri: str | None = None
) -> int:
    """The status value at ``index`` of a verified token (0 valid, 1 invalid, 2 suspended)."""
    return read_status_list_token(token, keys=keys, now=now, uri=uri).statuses.get(index)


def _rejected(reason: str, message: str) -> StatusListTokenRejected:
    return StatusListTokenRejected(
        f"status list token rejected ({reason}): {message}", reason=reason
    )
