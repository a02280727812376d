"""Cross-origin request protection (CSRF) for unsafe methods, as a pure ASGI middleware.

The pages call the API with bearer tokens kept in sessionStorage, which a foreign page can
neither read nor have the browser attach, so classic CSRF finds nothing to ride on today.
This guard keeps it that way should a cookie or HTTP authentication ever appear: a foreign
page can still make a browser send a "simple request" (a form post: urlencoded, multipart or
text/plain, no preflight), and such requests are refused here before any route runs.

An unsafe request (anything but GET, HEAD, OPTIONS) is refused with 403 ``csrf-refused``
when its ``Origin`` header is present and is neither our own origin (``public_url``) nor a
configured CORS caller, or, without an Origin, when the browser marks it ``Sec-Fetch-Site:
cross-site`` or ``same-site``. A request carrying neither header comes from no browser
(partners' servers, the CLI, tests) and passes. ``Origin: null`` (sandboxed frames, some
redirects) is refused: it names no one we trust.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.edge.origins import BadOrigin, normalise_origin
from api.problems import problem

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FOREIGN_SITES = frozenset({"cross-site", "same-site"})


class OriginGuard:
    def __init__(self, app: ASGIApp, *, trusted: frozenset[str]) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        reason = self.refusal(scope)
        if reason is None:
            await self.app(scope, receive, send)
            return
        response = problem(
            403,
            "csrf-refused",
            f"cross-origin request refused: {reason}",
            instance=str(scope.get("path", "")),
        )
        await response(scope, receive, send)

    def refusal(self, scope: Scope) -> str | None:
        """Why this unsafe request is refused, or None to let it through."""
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        fetch_site = (headers.get("sec-fetch-site") or "").strip().lower() or None
        host = (headers.get("host") or "").strip().lower() or None
        if fetch_site == "same-origin":
            return None  # the browser itself says the page is ours
        if origin is not None:
            if self._trusted(origin) or _same_host(origin, scope.get("scheme", "http"), host):
                return None  # our pages (by any name they were opened), or a CORS caller
            return f"origin {origin[:100]!r} is not allowed"
        if fetch_site in FOREIGN_SITES:
            return f"the browser marks it {fetch_site}"
        return None

    def _trusted(self, origin: str) -> bool:
        try:
            return normalise_origin(origin) in self.trusted
        except BadOrigin:
            return False


def _same_host(origin: str, scheme: str, host: str | None) -> bool:
    """The page's origin is the scheme, host and port this request was sent to.

    A foreign page cannot choose the Host header of a request its browser sends to us, so
    an Origin equal to it is our own page, opened by whatever name reached us (127.0.0.1 or
    localhost, an address or a host name). Behind a TLS proxy the request arrives as http:
    the https origin then has to be ``public_url``.
    """
    if not host:
        return False
    try:
        return normalise_origin(origin) == normalise_origin(f"{scheme}://{host}")
    except BadOrigin:
        return False
