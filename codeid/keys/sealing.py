"""Private signing keys at rest, sealed under the master secret.

A sealed blob is ``version (1 byte) || nonce (12) || AES-256-GCM ciphertext + tag``. The AES key
is derived from the master secret with HKDF-SHA256 (info ``codeid key sealing v1``), so the
master secret itself never keys a cipher and a later scheme can derive an independent key.
The associated data is the version byte and the kid: a blob copied onto another row fails to
unseal instead of silently signing under the wrong kid.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from codeid.errors import CodeidError, InvalidInput

log = logging.getLogger(__name__)

SEAL_VERSION = 1
MIN_MASTER_SECRET_BYTES = 32
_HKDF_INFO = b"codeid key sealing v1"
_NONCE_BYTES = 12
_TAG_BYTES = 16


class MasterSecretError(InvalidInput):
    """The master secret given (environment variable or file) is unusable."""

    code = "invalid-master-key"


class KeyUnsealError(CodeidError):
    """A sealed private key could not be opened: wrong master secret or a damaged row."""

    code = "key-unseal-failed"


class KeySealer:
    """Seals and unseals private keys; build one per master secret (HKDF runs once)."""

    def __init__(self, master_secret: bytes) -> None:
        if len(master_secret) < MIN_MASTER_SECRET_BYTES:
            raise MasterSecretError(
                f"the master secret has {len(master_secret)} bytes; "
                f"at least {MIN_MASTER_SECRET_BYTES} are required"
            )
        key = HKDF(algorithm=SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(master_secret)
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "KeySealer(<secret>)"

    def seal(self, private_raw: bytes, kid: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, private_raw, _associated_data(kid))
        return bytes([SEAL_VERSION]) + nonce + sealed

    def unseal(self, blob: bytes, kid: str) -> bytes:
        if len(blob) < 1 + _NONCE_BYTES + _TAG_BYTES:
            raise KeyUnsealError(f"sealed private key of {kid} is truncated ({len(blob)} bytes)")
        if blob[0] != SEAL_VERSION:
            raise KeyUnsealError(
                f"sealed private key of {kid} has sealing version {blob[0]}; "
                f"this build reads version {SEAL_VERSION}"
            )
        nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, _associated_data(kid))
        except InvalidTag:
            raise KeyUnsealError(
                f"cannot unseal the private key of {kid}: the master secret is not the one it "
                "was sealed with (check CODEID_MASTER_KEY), or the row was altered"
            ) from None


def _associated_data(kid: str) -> bytes:
    return bytes([SEAL_VERSION]) + kid.encode("utf-8")


def master_secret_from_text(text: str) -> bytes:
    """Decode a master secret given as base64 (standard or URL-safe, padding optional)."""
    cleaned = "".join(text.split()).replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        secret = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise MasterSecretError("the master key is not valid base64") from None
    if len(secret) < MIN_MASTER_SECRET_BYTES:
        raise MasterSecretError(
            f"the master key decodes to {len(secret)} bytes; at least "
            f"{MIN_MASTER_SECRET_BYTES} random bytes are required, e.g. the output of "
            "`python -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32))"
            ".decode())'`"
        )
    return secret


def load_or_create_master_secret(path: Path) -> bytes:
    """Read the master key file, or create it (32 random bytes, base64, mode 0600).

    Creation is atomic and never overwrites: the secret is written to a private temporary
    file, then hard-linked into place; if another process won the race, its file is used.
    """
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return _create_master_secret(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise MasterSecretError(f"cannot read the master key file {path}: {exc}") from exc
    if path.stat().st_mode & 0o077:
        log.warning("master key file %s is readable by group or others; chmod 600 it", path)
    log.warning(
        "using the generated master key file %s; in production set CODEID_MASTER_KEY instead",
        path,
    )
    try:
        return master_secret_from_text(text)
    except MasterSecretError as exc:
        raise MasterSecretError(f"master key file {path}: {exc.message}") from None


def _create_master_secret(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(MIN_MASTER_SECRET_BYTES)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(base64.b64encode(secret).decode("ascii") + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return load_or_create_master_secret(path)
    finally:
        temporary.unlink(missing_ok=True)
    log.warning(
        "generated a new master key file %s and using it; in production set CODEID_MASTER_KEY "
        "(base64 of 32 random bytes) instead, and back the key up: without it the signing "
        "keys cannot be unsealed",
        path,
    )
    return secret
