"""Why a partner client, its credentials or a consent was refused."""

from __future__ import annotations

from codeid.accounts.errors import Unauthenticated
from codeid.errors import Conflict, InvalidInput, NotFound


class ClientNotFound(NotFound):
    code = "client-not-found"


class InvalidClient(Unauthenticated):
    """Client authentication failed: unknown client, wrong secret, bad or replayed assertion.

    The token endpoint answers it as RFC 6749 ``invalid_client``; the message says why, for
    the server's log and the client's developer, never which part of a secret was wrong.
    """

    code = "invalid-client"


class ClientDisabled(Unauthenticated):
    """A token of a client that has since been disabled."""

    code = "client-disabled"


class InvalidScope(InvalidInput):
    code = "invalid-scope"


class InvalidClientKeys(InvalidInput):
    """A client's JWK Set for private_key_jwt that cannot be used as given."""

    code = "invalid-client-jwks"


class ConsentNotFound(NotFound):
    code = "consent-not-found"


class InvalidConsent(InvalidInput):
    code = "invalid-consent"


class ConsentAlreadyRevoked(Conflict):
    code = "consent-already-revoked"
