"""Offline verification: a payload and the published public keys are all it needs.

Checks run in a fixed order and the first failure is raised, so a scanner shows one stable
reason: not-codeid, unsupported-version, malformed (the parse, see codeid.codes.payload),
key-compromised, unknown-key, bad-signature, not-yet-valid, expired. Registry checks (revoked,
unknown entity, entity not active, already used) need the database and live in
codeid.codes.state.

key-compromised needs a key set that names the compromised kids: the registry's own
(KeyRing.public_keys). A JWK Set only lists trusted keys, so an offline verifier holding a
fresh one refuses such a code as unknown-key; one holding a JWK Set saved before the
compromise still trusts the key, which is why the registry's online check is the authority.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature

from codeid.codes.errors import (
    BadSignature,
    CodeExpired,
    KeyCompromised,
    NotYetValid,
    UnknownKey,
)
from codeid.codes.payload import CodeClaims, parse_code
from codeid.errors import InvalidInput
from codeid.keys.jwks import PublicKeySet

DEFAULT_LEEWAY = timedelta(seconds=5)


def verify_code(
    payload: str,
    *,
    keys: PublicKeySet,
    now: datetime,
    leeway: timedelta = DEFAULT_LEEWAY,
) -> CodeClaims:
    """The claims of a genuine, currently valid code; raises a CodeRejected subclass otherwise.

    ``leeway`` absorbs clock skew between the issuing server and the verifier, in both
    directions (a code issued "in the future" and one expired a moment ago).
    """
    if now.tzinfo is None:
        raise InvalidInput("now must be timezone-aware (UTC)")
    parsed = parse_code(payload)
    claims = parsed.claims
    if claims.kid in keys.compromised:
        raise KeyCompromised(
            f"the code is signed with key {claims.kid}, which was marked compromised: "
            "anyone holding that key could have made it",
            kid=claims.kid,
        )
    public_key = keys.get(claims.kid)
    if public_key is None:
        raise UnknownKey(
            f"the code is signed with key {claims.kid}, which is not a trusted key "
            "(retired, or not issued by this registry)",
            kid=claims.kid,
        )
    try:
        public_key.verify(parsed.signature, parsed.to_be_signed)
    except InvalidSignature:
        raise BadSignature(
            "the signature does not match the code: it was altered or forged", kid=claims.kid
        ) from None
    if now + leeway < claims.issued_at:
        raise NotYetValid(
            f"the code is issued at {claims.issued_at.isoformat()}, later than now "
            f"({now.isoformat()}); check the clocks",
            claims=claims,
        )
    if now - leeway >= claims.expires_at:
        raise CodeExpired(f"the code expired at {claims.expires_at.isoformat()}", claims=claims)
    return claims
