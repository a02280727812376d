"""A named ring of Ed25519 signing keys: one active key signs, rotated-out keys still verify.

Lifecycle: ``active`` -> (rotate) ``verify-only`` -> (retire) ``retired``. A retired key is
neither published nor trusted, so codes it signed are refused as ``unknown-key``. Any key may
instead be marked ``compromised`` (an active one is rotated out first): it is not published
either, and the ring's public key set names it, so codes it signed are refused as
``key-compromised``. Build a KeyRing per unit of work (it caches the unsealed signer); the
database holds the invariant of at most one active key per ring (a partial unique index).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from codeid.errors import Conflict, NotFound
from codeid.keys.jwks import PublicKeySet, kid_for, public_raw
from codeid.keys.models import PLATFORM_RING, KeyStatus, SigningKey
from codeid.keys.sealing import KeySealer, KeyUnsealError

ALGORITHM = "EdDSA"
_TRUSTED = frozenset({KeyStatus.ACTIVE.value, KeyStatus.VERIFY_ONLY.value})


class NoActiveKey(NotFound):
    code = "no-active-key"


class KeyNotFound(NotFound):
    code = "key-not-found"


class KeyStateConflict(Conflict):
    """The key is not in a state that allows the change (e.g. retiring the active key)."""

    code = "key-state-conflict"


def ring_of(session: Session, kid: str) -> str:
    """The ring a key belongs to (a kid is unique across rings: it is the key's thumbprint)."""
    key = session.get(SigningKey, kid)
    if key is None:
        raise KeyNotFound(f"there is no signing key {kid!r}", kid=kid)
    return key.ring


@dataclass(frozen=True, slots=True)
class Signer:
    """The active private key with its kid: what issuing a code needs."""

    kid: str
    private_key: Ed25519PrivateKey = field(repr=False)

    @classmethod
    def from_private_key(cls, private_key: Ed25519PrivateKey) -> Signer:
        return cls(kid=kid_for(private_key.public_key()), private_key=private_key)

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)

    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()


class KeyRing:
    def __init__(
        self, session: Session, *, ring: str = PLATFORM_RING, master_secret: bytes
    ) -> None:
        self.session = session
        self.ring = ring
        self._sealer = KeySealer(master_secret)
        self._signer: Signer | None = None

    def __repr__(self) -> str:
        return f"KeyRing({self.ring!r})"

    def list_keys(self) -> list[SigningKey]:
        """Every key of the ring, oldest first, whatever its status."""
        query = (
            select(SigningKey)
            .where(SigningKey.ring == self.ring)
            .order_by(col(SigningKey.created_at), col(SigningKey.kid))
        )
        return list(self.session.exec(query).all())

    def active_key(self) -> SigningKey | None:
        query = select(SigningKey).where(
            SigningKey.ring == self.ring, SigningKey.status == KeyStatus.ACTIVE.value
        )
        return self.session.exec(query).first()

    def ensure_active(self, now: datetime) -> SigningKey:
        """The active key, created first if the ring has none."""
        return self.active_key() or self._add_active_key(now)

    def rotate(self, now: datetime) -> SigningKey:
        """A new active key; the previous one becomes verify-only (its codes keep verifying)."""
        previous = self.active_key()
        if previous is not None:
            previous.status = KeyStatus.VERIFY_ONLY.value
            previous.rotated_at = now
            self.session.add(previous)
            # Demote before inserting the new key: the one-active-key index checks each row.
            self.session.flush()
        self._signer = None
        return self._add_active_key(now)

    def retire(self, kid: str, now: datetime) -> SigningKey:
        """Stop trusting a verify-only key: codes it signed are refused from now on."""
        key = self.session.get(SigningKey, kid)
        if key is None or key.ring != self.ring:
            raise KeyNotFound(f"ring {self.ring!r} has no key {kid!r}", kid=kid)
        if key.status == KeyStatus.ACTIVE.value:
            raise KeyStateConflict(
                f"key {kid} is the active signing key; rotate first, then retire it", kid=kid
            )
        if key.status == KeyStatus.RETIRED.value:
            raise KeyStateConflict(f"key {kid} was already retired at {key.retired_at}", kid=kid)
        if key.status == KeyStatus.COMPROMISED.value:
            # Retiring would turn its codes' refusal from key-compromised into unknown-key.
            raise KeyStateConflict(
                f"key {kid} was marked compromised at {key.compromised_at}; it stays so", kid=kid
            )
        key.status = KeyStatus.RETIRED.value
        key.retired_at = now
        self.session.add(key)
        self.session.flush()
        return key

    def compromise(self, kid: str, now: datetime) -> SigningKey:
        """Mark a key compromised: never trusted again, its codes refused as key-compromised.

        If it is the active key, a new active key is made first (a rotation), so the ring
        keeps signing. A retired key may be marked too (its codes then get the sharper
        reason). Marking a key already compromised changes nothing and returns it, so a drill
        interrupted half-way can simply be run again.
        """
        key = self.session.get(SigningKey, kid)
        if key is None or key.ring != self.ring:
            raise KeyNotFound(f"ring {self.ring!r} has no key {kid!r}", kid=kid)
        if key.status == KeyStatus.COMPROMISED.value:
            return key
        if key.status == KeyStatus.ACTIVE.value:
            self.rotate(now)  # demotes it to verify-only and makes the new active key
        key.status = KeyStatus.COMPROMISED.value
        key.compromised_at = now
        self.session.add(key)
        self.session.flush()
        return key

    def active_signer(self) -> Signer:
        """The active key, unsealed on first use and kept on this object."""
        if self._signer is None:
            key = self.active_key()
            if key is None:
                raise NoActiveKey(f"ring {self.ring!r} has no active signing key; create one")
            raw = self._sealer.unseal(key.private_key_sealed, key.kid)
            signer = Signer(key.kid, Ed25519PrivateKey.from_private_bytes(raw))
            if public_raw(signer.public_key()) != key.public_key:
                raise KeyUnsealError(f"the sealed private key of {key.kid} is not its public key")
            self._signer = signer
        return self._signer

    def public_keys(self) -> PublicKeySet:
        """The keys verifiers should trust: the active key first, then the verify-only ones;
        and the kids of compromised keys, so their codes are refused as such."""
        keys = self.list_keys()
        trusted = [key for key in keys if key.status in _TRUSTED]
        trusted.sort(key=lambda key: key.status != KeyStatus.ACTIVE.value)
        return PublicKeySet(
            (Ed25519PublicKey.from_public_bytes(key.public_key) for key in trusted),
            compromised=(key.kid for key in keys if key.status == KeyStatus.COMPROMISED.value),
        )

    def _add_active_key(self, now: datetime) -> SigningKey:
        private_key = Ed25519PrivateKey.generate()
        kid = kid_for(private_key.public_key())
        raw = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        key = SigningKey(
            kid=kid,
            ring=self.ring,
            algorithm=ALGORITHM,
            status=KeyStatus.ACTIVE.value,
            public_key=public_raw(private_key.public_key()),
            private_key_sealed=self._sealer.seal(raw, kid),
            created_at=now,
        )
        self.session.add(key)
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise KeyStateConflict(
                f"another process changed the active key of ring {self.ring!r} at the same "
                "time; roll back and retry"
            ) from exc
        self._signer = Signer(kid, private_key)
        return key
