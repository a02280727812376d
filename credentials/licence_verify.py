"""Verify a licence (its JWS or its identifier), and match submitted fields against one.

Verification is an ordinary outcome, not an error: the verdict names the first reason the
licence fails, checked in this order (REASONS):

  malformed             not a licence JWS (encoding, header, claims)
  malformed-identifier  an identifier with a wrong root, segment, character or check char
  unknown-licence       a well-formed identifier (or a JWS) of no licence stored here
  unknown-issuer        ``iss`` is not a registered issuer
  unknown-key           the header ``kid`` is not a current (active or verify-only) key of
                        that issuer; retired keys are no longer trusted
  bad-signature         the signature does not verify under that key
  issuer-not-trusted    the issuer is not trusted for the licence type at ``now`` (even
                        though the signature is good)
  revoked / superseded / suspended   the stored status of this version
  not-yet-valid / expired            its validity dates against ``now`` (China calendar)
  ok

An identifier is checked first (``malformed-identifier``), then its stored JWS is verified
exactly like a presented one. ``unknown-licence`` for a presented JWS comes after the trust
check, since it needs the verified ``jti``.
"""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from codeid.errors import InvalidInput
from codeid.uscc import normalise_uscc
from credentials.catalogue import Catalogue, default_catalogue
from credentials.errors import InvalidLicenceFields, InvalidLicenceIdentifier, LicenceNotFound
from credentials.identifier import parse_identifier
from credentials.issuers import issuer_public_keys
from credentials.licence_jws import (
    LicenceSignatureInvalid,
    MalformedLicenceJws,
    china_date,
    read_unverified,
    verify_signature,
)
from credentials.licence_records import VALID, effective_status
from credentials.models import Issuer, Licence, LicenceStatus
from credentials.trust import trust_problem

OK = "ok"
REASONS = (
    "malformed",
    "malformed-identifier",
    "unknown-licence",
    "unknown-issuer",
    "unknown-key",
    "bad-signature",
    "issuer-not-trusted",
    "revoked",
    "superseded",
    "suspended",
    "not-yet-valid",
    "expired",
    OK,
)
NUMBER_FIELD = "licence_number"


@dataclass(frozen=True, slots=True)
class LicenceVerdict:
    valid: bool
    reason: str  # one of REASONS
    message: str
    # Set once the signature is verified: the stored licence (None when unknown here) and
    # the verified claims.
    licence: Licence | None
    claims: dict[str, Any] | None


def verify_licence(session: Session, jws_or_identifier: str, *, now: datetime) -> LicenceVerdict:
    """Verify a compact JWS or an identifier; see the module doc for the reasons."""
    text = jws_or_identifier.strip()
    if text.count(".") == 2:  # a compact JWS; an identifier has nine dots
        return _verify_jws(session, text, now=now, expected_identifier=None)
    if not text[:1].isdigit():  # identifiers start with the root 1.2.156...
        return _refused("malformed", "neither a compact JWS nor a licence identifier")
    try:
        identifier = parse_identifier(text).text
    except InvalidLicenceIdentifier as exc:
        return _refused("malformed-identifier", exc.message)
    stored = session.exec(select(Licence).where(Licence.identifier == identifier)).first()
    if stored is None:
        return _refused("unknown-licence", f"no licence with identifier {identifier} is known")
    return _verify_jws(session, stored.jws, now=now, expected_identifier=identifier)


def _verify_jws(
    session: Session, token: str, *, now: datetime, expected_identifier: str | None
) -> LicenceVerdict:
    try:
        unverified = read_unverified(token)
    except MalformedLicenceJws as exc:
        return _refused("malformed", exc.message)
    iss = unverified.issuer_uscc
    issuer = session.exec(select(Issuer).where(Issuer.uscc == iss)).first()
    if issuer is None:
        return _refused("unknown-issuer", f"issuer {iss} is not registered")
    key = issuer_public_keys(session, issuer.uscc).get(unverified.kid)
    if key is None:
        return _refused(
            "unknown-key", f"key {unverified.kid} is not a current key of issuer {issuer.uscc}"
        )
    try:
        verify_signature(token, key)
    except LicenceSignatureInvalid as exc:
        return _refused("bad-signature", exc.message)
    except MalformedLicenceJws as exc:
        return _refused("malformed", exc.message)
    claims = unverified.claims
    identifier = unverified.identifier
    if expected_identifier is not None and identifier != expected_identifier:
        return _refused("malformed", f"the stored JWS of {expected_identifier} names {identifier}")
    problem = trust_problem(
        session, issuer_uscc=issuer.uscc, licence_type=unverified.licence_type, at=now
    )
    if problem is not None:
        return _refused("issuer-not-trusted", problem, claims=claims)
    licence = session.exec(select(Licence).where(Licence.identifier == identifier)).first()
    if licence is None or licence.issuer_uscc != issuer.uscc:
        return _refused(
            "unknown-licence",
            f"licence {identifier} is signed by {issuer.uscc} but not known here",
            claims=claims,
        )
    status = effective_status(licence, today=china_date(now))
    if status != VALID:
        return _refused(status, _status_message(licence, status), licence, claims)
    return LicenceVerdict(
        valid=True,
        reason=OK,
        message=f"licence {identifier} ({licence.type_code} {licence.licence_number}) is valid",
        licence=licence,
        claims=claims,
    )


def _status_message(licence: Licence, status: str) -> str:
    what = f"licence {licence.identifier}"
    if status == LicenceStatus.SUPERSEDED.value:
        return f"{what} was amended; a later version replaces it"
    if status == "not-yet-valid":
        return f"{what} is valid from {licence.valid_from}"
    if status == "expired":
        return f"{what} expired after {licence.valid_until}"
    return f"{what} is {status}"


def _refused(
    reason: str,
    message: str,
    licence: Licence | None = None,
    claims: dict[str, Any] | None = None,
) -> LicenceVerdict:
    return LicenceVerdict(False, reason, message, licence, claims)


def match_licence(
    session: Session,
    *,
    holder_uscc: str,
    licence_type: str,
    fields: Mapping[str, Any],
    now: datetime,
    catalogue: Catalogue | None = None,
) -> dict[str, bool]:
    """Per submitted field, whether it equals the holder's valid licence of that type.

    ``licence_number`` may be submitted besides the type's fields. Values are compared
    after normalisation (Unicode NFKC, so full-width becomes ASCII; spaces collapsed; case
    folded), in constant time. Stored values are never returned. When the holder has several
    valid licences of the type, the answer is that of the one matching most fields.
    """
    ltype = (catalogue or default_catalogue()).get(licence_type)
    if not fields:
        raise InvalidInput("submit at least one field to match")
    known = {spec.name for spec in ltype.fields} | {NUMBER_FIELD}
    unknown = sorted(set(fields) - known)
    if unknown:
        problems = [f"unknown field {name!r}" for name in unknown]
        raise InvalidLicenceFields(
            f"cannot match {', '.join(unknown)}: a {ltype.code} has {', '.join(sorted(known))}",
            problems=problems,
            licence_type=ltype.code,
        )
    holder = normalise_uscc(holder_uscc)
    query = select(Licence).where(
        Licence.holder_uscc == holder,
        Licence.type_code == ltype.code,
        Licence.status == VALID,
    )
    today = china_date(now)
    candidates = [
        licence
        for licence in session.exec(query).all()
        if effective_status(licence, today=today) == VALID
    ]
    if not candidates:
        raise LicenceNotFound(f"entity {holder} holds no valid {ltype.code} licence", holder=holder)
    submitted = {name: _normalise(value) for name, value in fields.items()}
    answers = [_compare(submitted, licence) for licence in candidates]
    return max(answers, key=lambda answer: sum(answer.values()))


def _compare(submitted: Mapping[str, str], licence: Licence) -> dict[str, bool]:
    result: dict[str, bool] = {}
    for name, value in submitted.items():
        stored = licence.licence_number if name == NUMBER_FIELD else licence.fields.get(name)
        result[name] = stored is not None and hmac.compare_digest(
            _normalise(stored).encode(), value.encode()
        )
    return result


def _normalise(value: Any) -> str:
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()
