"""Password hashing with argon2id (argon2-cffi's RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from codeid.accounts.errors import WeakPassword

UNUSABLE = "!"  # stored for accounts that sign in by other means (or not at all)
MIN_LENGTH = 10
MAX_LENGTH = 256

_hasher = PasswordHasher()
# Verified when the username is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone's")


def check_strength(password: str) -> None:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise WeakPassword(
            f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters, got {len(password)}"
        )
    if len(set(password)) < 5:
        raise WeakPassword("a password needs at least 5 different characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches; constant work whether or not there is a stored hash."""
    if len(password) > MAX_LENGTH:
        return False
    if stored is None or stored == UNUSABLE:
        _safe_verify(_DUMMY_HASH, password)
        return False
    return _safe_verify(stored, password)


def needs_rehash(stored: str) -> bool:
    return stored != UNUSABLE and _hasher.check_needs_rehash(stored)


def _safe_verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
