"""One signed POST of a delivery, and what came back (no database here).

Redirects are never followed (a 3xx is a failed attempt: the partner should fix its URL), the
answer's body is never downloaded (only its status and Retry-After count), and every failure
of the attempt becomes its recorded error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from credentials.partners.standard_webhooks import signed_headers
from credentials.partners.webhook_urls import resolved_host_refusal

TIMEOUT_SECONDS = 15.0  # the spec's lower bound; a slow receiver holds a worker this long
USER_AGENT = "codeid-webhooks/1"


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed delivery: what to send, or why it will not be sent."""

    delivery_id: int
    message_id: str
    url: str
    body: str
    client_id: str
    secret: str = field(default="", repr=False)
    refusal: str = ""  # set: give up without sending


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None = None
    error: str = ""
    duration_ms: int = 0
    retry_after: timedelta | None = None
    sent: bool = True  # False: refused before any request left
    final: bool = False  # give up now, whatever the attempt count

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def http_client() -> httpx.Client:
    """The worker's client: short timeouts, no redirects (a 3xx is a failed attempt)."""
    return httpx.Client(
        timeout=httpx.Timeout(TIMEOUT_SECONDS),
        follow_redirects=False,
        headers={"user-agent": USER_AGENT},
    )


def send(job: Job, *, client: httpx.Client, now: datetime, allow_private: bool) -> Outcome:
    """One signed POST. Only the status is read: the answer's body is never downloaded."""
    parts = urlsplit(job.url)
    if not allow_private:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        refusal = resolved_host_refusal(parts.hostname or "", port)
        if refusal:
            return Outcome(error=f"not sent: {refusal}", sent=False)
    headers = {"content-type": "application/json"} | signed_headers(
        job.secret, message_id=job.message_id, timestamp=int(now.timestamp()), body=job.body
    )
    started = time.monotonic()
    try:
        with client.stream(
            "POST", job.url, content=job.body.encode(), headers=headers, follow_redirects=False
        ) as response:
            code = response.status_code
            retry_after = _retry_after(response.headers.get("retry-after"), now)
    except httpx.TimeoutException:
        return Outcome(error="timed out", duration_ms=_since(started))
    except Exception as exc:  # any failure of this one attempt (network, TLS, a URL httpx
        # refuses) is recorded and retried; letting it escape would retry it unrecorded forever
        return Outcome(error=f"{type(exc).__name__}: {exc}"[:300], duration_ms=_since(started))
    error = "" if 200 <= code < 300 else f"HTTP {code}"
    return Outcome(code, error, _since(started), retry_after)


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    if not value:
        return None
    if value.strip().isdigit():
        return timedelta(seconds=int(value.strip()))
    try:
        return parsedate_to_datetime(value) - now
    except (TypeError, ValueError):
        return None


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
