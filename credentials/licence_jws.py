"""The signed form of a licence: a compact JWS (EdDSA) whose claims document the licence.

See docs/licence-format.md for every claim. A partner verifies it with the issuer's JWKS
alone; status comes from the status list the ``status`` claim points to (IETF Token Status
List). Dates are calendar days in China Standard Time (UTC+08:00, no daylight saving): a
licence is valid from the start of ``valid_from`` to the end of ``valid_until``, so ``nbf``
is the start of ``valid_from`` and ``exp`` the start of the day after ``valid_until``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from jwt.api_jws import PyJWS

from codeid.errors import InvalidInput
from codeid.keys.keyring import ALGORITHM, Signer
from credentials.identifier import parse_identifier
from credentials.models import Licence

TYP = "licence+jwt"
# China has kept UTC+08:00 all year since 1991; a fixed offset needs no tz database.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
STATUS_LIST_PATH = "/v1/status-lists/"
_JWS = PyJWS(algorithms=[ALGORITHM])


class MalformedLicenceJws(InvalidInput):
    """Not a licence JWS: bad encoding, wrong header, or missing and mistyped claims."""

    code = "licence-jws-malformed"


class LicenceSignatureInvalid(InvalidInput):
    code = "licence-signature-invalid"


@dataclass(frozen=True, slots=True)
class UnverifiedLicence:
    """Header and claims of a well-formed licence JWS whose signature is NOT yet checked."""

    kid: str
    claims: dict[str, Any]

    @property
    def issuer_uscc(self) -> str:
        return str(self.claims["iss"])

    @property
    def identifier(self) -> str:
        return str(self.claims["jti"])

    @property
    def licence_type(self) -> str:
        return str(self.claims["licence"]["type"])


def china_date(moment: datetime) -> date:
    """The calendar day in China at ``moment`` (the day licence dates are compared with)."""
    return moment.astimezone(CHINA_TZ).date()


def day_start(day: date) -> int:
    """NumericDate (seconds since the epoch) of 00:00 China time on ``day``."""
    return int(datetime.combine(day, time(0), CHINA_TZ).timestamp())


def status_list_uri(list_id: str, base_url: str = "") -> str:
    """Where the status list token lives; relative to the service unless a base URL is given."""
    return f"{base_url.rstrip('/')}{STATUS_LIST_PATH}{list_id}"


def licence_claims(
    licence: Licence, *, issuer_name: str, now: datetime, status_base_url: str = ""
) -> dict[str, Any]:
    """The claims that document ``licence`` (one version)."""
    body: dict[str, Any] = {
        "type": licence.type_code,
        "type_code": parse_identifier(licence.identifier).type_code,
        "number": licence.licence_number,
        "version": licence.version,
        "issuer_name": issuer_name,
        "issue_date": licence.issue_date.isoformat(),
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "fields": licence.fields,
    }
    if licence.previous_identifier:
        body["previous"] = licence.previous_identifier
    claims: dict[str, Any] = {
        "iss": licence.issuer_uscc,
        "sub": licence.holder_uscc,
        "jti": licence.identifier,
        "iat": int(now.astimezone(UTC).timestamp()),
        "nbf": day_start(licence.valid_from),
    }
    if licence.valid_until is not None:
        claims["exp"] = day_start(licence.valid_until + timedelta(days=1))
    claims["licence"] = body
    claims["status"] = {
        "status_list": {
            "idx": licence.status_index,
            "uri": status_list_uri(licence.status_list, status_base_url),
        }
    }
    return claims


def sign_licence_claims(claims: dict[str, Any], signer: Signer) -> str:
    return jwt.encode(
        claims,
        signer.private_key,
        algorithm=ALGORITHM,
        headers={"kid": signer.kid, "typ": TYP},
    )


def read_unverified(token: str) -> UnverifiedLicence:
    """Parse a licence JWS without checking its signature (to find issuer and key)."""
    try:
        decoded = _JWS.decode_complete(token.strip(), options={"verify_signature": False})
        claims = json.loads(decoded["payload"])
    except (jwt.PyJWTError, ValueError) as exc:
        raise MalformedLicenceJws(f"not a compact JWS: {exc}") from None
    header = decoded["header"]
    if header.get("alg") != ALGORITHM:
        raise MalformedLicenceJws(f"alg is {header.get('alg')!r}; licences are signed EdDSA")
    if header.get("typ") != TYP:
        raise MalformedLicenceJws(f"typ is {header.get('typ')!r}; a licence JWS has {TYP!r}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise MalformedLicenceJws("the JWS header has no kid")
    if not isinstance(claims, dict):
        raise MalformedLicenceJws("the JWS payload is not a JSON object")
    _check_claims(claims)
    return UnverifiedLicence(kid=kid, claims=claims)


def verify_signature(token: str, key: Ed25519PublicKey) -> None:
    try:
        _JWS.decode(token.strip(), key=key, algorithms=[ALGORITHM])
    except jwt.InvalidSignatureError:
        raise LicenceSignatureInvalid("the signature does not match the issuer's key") from None
    except jwt.PyJWTError as exc:
        raise MalformedLicenceJws(f"not a verifiable JWS: {exc}") from None


def _check_claims(claims: dict[str, Any]) -> None:
    problems = [
        f"{name} must be a {kind.__name__}"
        for name, kind in (("iss", str), ("sub", str), ("jti", str), ("iat", int), ("nbf", int))
        if not isinstance(claims.get(name), kind)
    ]
    body = claims.get("licence")
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        problems.append("licence must be an object with a type")
    status = claims.get("status")
    entry = status.get("status_list") if isinstance(status, dict) else None
    if not (
        isinstance(entry, dict)
        and isinstance(entry.get("idx"), int)
        and isinstance(entry.get("uri"), str)
    ):
        problems.append("status.status_list must hold idx (integer) and uri (string)")
    if problems:
        raise MalformedLicenceJws("licence claims: " + "; ".join(problems))
