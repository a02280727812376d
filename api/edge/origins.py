"""Web origins (scheme://host[:port]) as browsers serialise them, and the ones we trust."""

from __future__ import annotations

from urllib.parse import urlsplit

from api.settings import Settings

DEFAULT_PORTS = {"http": 80, "https": 443}


class BadOrigin(ValueError):
    """A configured origin that is not scheme://host[:port]."""


def normalise_origin(text: str, *, url: bool = False) -> str:
    """``text`` as a browser's Origin header spells it: lower case, no default port, no
    path; raises BadOrigin for anything else (a wildcard, a path, user info, a query).
    With ``url=True`` the text is a URL whose origin is wanted (its path is dropped)."""
    raw = text.strip()
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise BadOrigin(f"not an origin: {text!r}") from exc
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if scheme not in DEFAULT_PORTS or not host or "*" in raw:
        raise BadOrigin(f"an origin is http(s)://host[:port], got {text!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise BadOrigin(f"an origin has no user, query or fragment, got {text!r}")
    if parts.path not in ("", "/") and not url:
        raise BadOrigin(f"an origin has no path, got {text!r}")
    shown = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        shown = f"{shown}:{port}"
    return f"{scheme}://{shown}"


def cors_origins(settings: Settings) -> tuple[str, ...]:
    """The configured cross-origin callers, normalised (BadOrigin stops the app starting)."""
    return tuple(dict.fromkeys(normalise_origin(origin) for origin in settings.cors_origins))


def trusted_origins(settings: Settings) -> frozenset[str]:
    """Origins whose pages may send us unsafe requests: our own, and the CORS callers."""
    return frozenset({normalise_origin(settings.public_url, url=True), *cors_origins(settings)})


def is_https(settings: Settings) -> bool:
    return settings.public_url.lower().startswith("https://")
