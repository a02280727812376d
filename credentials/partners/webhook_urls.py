"""Which webhook URLs the server will call: the guard against server-side request forgery.

A partner chooses the URL, so without a guard it could make the server POST to internal
services (cloud metadata, databases, admin consoles) and read their status codes from the
attempt log. When given: http or https, a host, no credentials or fragment, and no local name
or non-public address literal (in any form a resolver accepts). Before every attempt: every
address the host resolves to must be public, since a name can later point elsewhere. Tests and
closed intranets may allow private targets (CODEID_WEBHOOK_ALLOW_PRIVATE_URLS).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from codeid.errors import InvalidInput

MAX_URL_LENGTH = 500
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


class WebhookUrlRefused(InvalidInput):
    code = "webhook-url-refused"


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL as stored, or WebhookUrlRefused."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise WebhookUrlRefused(f"a webhook URL has at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a port that is not a number in range
    except ValueError:
        raise WebhookUrlRefused("the webhook URL cannot be parsed") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookUrlRefused("a webhook URL is http:// or https:// with a host name")
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlRefused("a webhook URL may not carry credentials")
    if parts.fragment:
        raise WebhookUrlRefused("a webhook URL has no #fragment")
    if not allow_private:
        refusal = literal_host_refusal(parts.hostname)
        if refusal:
            raise WebhookUrlRefused(refusal)
    return url


def literal_host_refusal(host: str) -> str | None:
    """Why a host written as a local name or a non-public address is refused, else None."""
    host = host.rstrip(".").lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return f"{host} is a local name"
    address = _as_address(host)
    if address is not None and not is_public(address):
        return f"{host} is not a public address"
    return None


def resolved_host_refusal(host: str, port: int) -> str | None:
    """Resolve ``host``; refuse it if it has no address or any address is not public."""
    refusal = literal_host_refusal(host)
    if refusal:
        return refusal
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        return f"cannot resolve {host}: {exc}"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not is_public(address):
            return f"{host} resolves to {address}, not a public address"
    return None if infos else f"{host} has no address"


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _as_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:  # the forms a resolver also takes as IPv4: 2130706433, 127.1, 0x7f.0.0.1
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None
