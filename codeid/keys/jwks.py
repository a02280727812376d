"""Public keys as RFC 8037 OKP JWKs, key ids, and the key set a verifier trusts.

The kid is the RFC 7638 JWK thumbprint (SHA-256 over ``{"crv","kty","x"}``) cut to its first
8 bytes, written base64url without padding (11 characters). It goes into every QR code, so it
is short: 8 bytes is ample to tell apart the handful of keys a ring ever holds (the kid only
selects a key; the signature is what authenticates). Being a thumbprint, anyone can recompute
it from the published JWK with standard tooling, and a JWKS whose kid does not match its key is
refused. In the COSE header the kid travels as those 8 raw bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from codeid.errors import InvalidInput

KID_BYTES = 8
_ED25519_PUBLIC_BYTES = 32


class JwksError(InvalidInput, ValueError):
    """A JWK Set that cannot be trusted as given (also a ValueError, like a JSON error)."""

    code = "invalid-jwks"


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding, as JOSE requires."""
    if "=" in text or "+" in text or "/" in text:
        raise ValueError("not unpadded base64url")
    try:
        padded = text + "=" * (-len(text) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def public_raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def thumbprint(public_key: Ed25519PublicKey) -> bytes:
    """RFC 7638 JWK thumbprint (SHA-256) of the key's OKP JWK."""
    members = {"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(public_raw(public_key))}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(canonical.encode("ascii")).digest()


def kid_for(public_key: Ed25519PublicKey) -> str:
    return b64url_encode(thumbprint(public_key)[:KID_BYTES])


def kid_to_bytes(kid: str) -> bytes:
    """The 8 raw bytes carried in the COSE ``kid`` header."""
    raw = b64url_decode(kid)
    if len(raw) != KID_BYTES:
        raise ValueError(f"a kid is {KID_BYTES} bytes, not {len(raw)}")
    return raw


class PublicKeySet(Mapping[str, Ed25519PublicKey]):
    """The keys a verifier trusts, by kid. Kids are derived here, so they always match.

    ``compromised`` names kids the registry has marked compromised: they are never trusted
    (a key given both ways is left out), and a verifier that knows them refuses their codes
    as ``key-compromised`` rather than ``unknown-key``. The published JWK Set carries only
    the trusted keys, so an offline verifier knows no compromised kids and refuses such a
    code as ``unknown-key``.
    """

    def __init__(
        self, keys: Iterable[Ed25519PublicKey] = (), *, compromised: Iterable[str] = ()
    ) -> None:
        self.compromised: frozenset[str] = frozenset(compromised)
        self._keys: dict[str, Ed25519PublicKey] = {
            kid: key for key in keys if (kid := kid_for(key)) not in self.compromised
        }

    def __getitem__(self, kid: str) -> Ed25519PublicKey:
        return self._keys[kid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        if self.compromised:
            return f"PublicKeySet({list(self._keys)}, compromised={sorted(self.compromised)})"
        return f"PublicKeySet({list(self._keys)})"


def jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url_encode(public_raw(public_key)),
        "kid": kid_for(public_key),
        "use": "sig",
        "alg": "EdDSA",
    }


def jwks_document(keys: PublicKeySet) -> dict[str, list[dict[str, str]]]:
    """The JWK Set to publish (e.g. at /.well-known/jwks.json): trusted keys only, never a
    compromised one (JWKS has no member to list revoked keys)."""
    return {"keys": [jwk(key) for key in keys.values()]}


def public_key_set_from_jwks(doc: object) -> PublicKeySet:
    """Trust the Ed25519 signing keys of a JWK Set.

    Keys of another type or curve are skipped, as RFC 7517 §5 asks; an OKP/Ed25519 entry that
    is malformed, claims another use or algorithm, or whose kid is not its thumbprint is an
    error rather than silently dropped, so a broken publication is noticed.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise JwksError('a JWK Set is a JSON object with a "keys" array')
    keys: list[Ed25519PublicKey] = []
    for index, entry in enumerate(doc["keys"]):
        if not isinstance(entry, dict):
            raise JwksError(f"keys[{index}] is not a JSON object")
        if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
            continue
        keys.append(_ed25519_from_jwk(index, entry))
    key_set = PublicKeySet(keys)
    if len(key_set) != len(keys):
        raise JwksError("the JWK Set lists the same key twice")
    if not key_set:
        raise JwksError("the JWK Set has no Ed25519 (OKP) signing key")
    return key_set


def _ed25519_from_jwk(index: int, entry: dict[str, Any]) -> Ed25519PublicKey:
    where = f"keys[{index}]"
    if "d" in entry:
        raise JwksError(f"{where} contains a private key (d); publish public keys only")
    if entry.get("use", "sig") != "sig":
        raise JwksError(f'{where} has use {entry.get("use")!r}; signing keys have "sig"')
    if entry.get("alg", "EdDSA") != "EdDSA":
        raise JwksError(f'{where} has alg {entry.get("alg")!r}; expected "EdDSA"')
    x = entry.get("x")
    if not isinstance(x, str):
        raise JwksError(f"{where} has no x (the public key)")
    try:
        raw = b64url_decode(x)
    except ValueError:
        raise JwksError(f"{where}.x is not base64url") from None
    if len(raw) != _ED25519_PUBLIC_BYTES:
        raise JwksError(f"{where}.x is {len(raw)} bytes; an Ed25519 public key is 32")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise JwksError(f"{where}.x is not an Ed25519 public key") from None
    kid = entry.get("kid")
    if kid != kid_for(public_key):
        raise JwksError(
            f"{where} has kid {kid!r} but its key's thumbprint kid is {kid_for(public_key)!r}"
        )
    return public_key
