"""Issuing departments: registration, their key rings and JWKS.

A department is known by its own USCC (government bodies have one). Its signing keys live in
the key ring ``issuer:<uscc>`` (same lifecycle as the platform ring: rotate, verify-only,
retire). People act for it as issuer users (codeid.accounts, ``issuer_uscc``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from codeid.errors import InvalidInput
from codeid.keys.jwks import PublicKeySet, jwks_document
from codeid.keys.keyring import KeyRing
from codeid.keys.models import KeyStatus, SigningKey
from codeid.uscc import normalise_uscc, parse_uscc
from credentials.errors import IssuerExists, IssuerNotFound
from credentials.models import Issuer, IssuerStatus

_AUTHORITY_KIND = re.compile(r"[a-z][a-z0-9-]{1,39}")


def issuer_ring(uscc: str) -> str:
    return f"issuer:{uscc}"


def register_issuer(
    session: Session,
    *,
    uscc: str,
    name: str,
    authority_kind: str,
    master_secret: bytes,
    actor: str,
    now: datetime,
) -> Issuer:
    """A new issuer with an active signing key.

    ``actor`` is accepted for the audit trail the API keeps; the issuer row has no column
    for it.
    """
    code = parse_uscc(uscc).code
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput(f"issuer name must have 1 to 200 characters, got {len(name)}")
    if not _AUTHORITY_KIND.fullmatch(authority_kind):
        raise InvalidInput(
            f"authority kind must be a lower-case slug such as market-regulation, "
            f"got {authority_kind!r}"
        )
    if _find(session, code) is not None:
        raise IssuerExists(f"issuer {code} is already registered", uscc=code)
    issuer = Issuer(
        uscc=code,
        name=name,
        authority_kind=authority_kind,
        ring=issuer_ring(code),
        status=IssuerStatus.ACTIVE.value,
        created_at=now,
    )
    try:
        # A savepoint, so losing a registration race leaves the caller's session usable.
        with session.begin_nested():
            session.add(issuer)
            session.flush()
    except IntegrityError as exc:
        raise IssuerExists(f"issuer {code} is already registered", uscc=code) from exc
    issuer_keyring(session, issuer, master_secret=master_secret).ensure_active(now)
    return issuer


def get_issuer(session: Session, uscc: str) -> Issuer:
    issuer = _find(session, normalise_uscc(uscc))
    if issuer is None:
        raise IssuerNotFound(f"no issuer is registered with USCC {uscc!r}", uscc=uscc)
    return issuer


def list_issuers(session: Session) -> list[Issuer]:
    return list(session.exec(select(Issuer).order_by(col(Issuer.uscc))).all())


def issuer_keyring(session: Session, issuer: Issuer, *, master_secret: bytes) -> KeyRing:
    return KeyRing(session, ring=issuer.ring, master_secret=master_secret)


def issuer_public_keys(session: Session, uscc: str) -> PublicKeySet:
    """Keys to verify this issuer's licences: active first, then verify-only (never retired
    or compromised ones).

    Read straight from the key rows: publishing public keys needs no master secret.
    """
    issuer = get_issuer(session, uscc)
    keys = session.exec(
        select(SigningKey)
        .where(
            SigningKey.ring == issuer.ring,
            col(SigningKey.status).in_([KeyStatus.ACTIVE.value, KeyStatus.VERIFY_ONLY.value]),
        )
        .order_by(col(SigningKey.created_at), col(SigningKey.kid))
    ).all()
    ordered = sorted(keys, key=lambda key: key.status != KeyStatus.ACTIVE.value)
    return PublicKeySet(Ed25519PublicKey.from_public_bytes(key.public_key) for key in ordered)


def issuer_jwks(session: Session, uscc: str) -> dict[str, Any]:
    return dict(jwks_document(issuer_public_keys(session, uscc)))


def _find(session: Session, uscc: str) -> Issuer | None:
    return session.exec(select(Issuer).where(Issuer.uscc == uscc)).first()
