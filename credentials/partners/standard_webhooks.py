"""The Standard Webhooks 1.0 symmetric scheme: ``whsec_`` secrets, ``v1`` HMAC-SHA256 signatures.

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}`` (the exact body bytes sent);
the key is the base64-decoded part of the secret after ``whsec_``. The signature header may hold
several space-separated ``v1,<base64>`` entries (secret rotation); one match is enough.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

from codeid.errors import InvalidInput

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32  # the spec asks for 24 to 64 random bytes
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64
TOLERANCE = timedelta(minutes=5)


class WebhookSignatureInvalid(InvalidInput):
    """A delivery whose headers or signature do not hold (a receiver's check)."""

    code = "webhook-signature-invalid"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidInput("a webhook secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("a webhook secret is base64 after whsec_") from None
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise InvalidInput(f"a webhook secret has {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes")
    return key


def signature(secret: str, *, message_id: str, timestamp: int, body: str) -> str:
    """One ``v1,<base64>`` signature."""
    content = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secret: str, *, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The three ``webhook-*`` headers of one attempt."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(
            secret, message_id=message_id, timestamp=timestamp, body=body
        ),
    }


def verify(secret: str, *, headers: Mapping[str, str], body: str, now: datetime) -> None:
    """Raise WebhookSignatureInvalid unless the headers sign ``body`` with ``secret`` within
    the replay tolerance of ``now``."""
    lowered = {name.lower(): value for name, value in headers.items()}
    message_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    given = lowered.get("webhook-signature", "")
    if not (message_id and stamp.isdigit() and given):
        raise WebhookSignatureInvalid("the webhook-id, -timestamp or -signature header is missing")
    if abs(now.timestamp() - int(stamp)) > TOLERANCE.total_seconds():
        raise WebhookSignatureInvalid("the webhook timestamp is outside the tolerance")
    expected = signature(secret, message_id=message_id, timestamp=int(stamp), body=body)
    wanted = expected.encode("ascii")
    if not any(hmac.compare_digest(wanted, entry.encode()) for entry in given.split(" ")):
        raise WebhookSignatureInvalid("no webhook signature matches")
