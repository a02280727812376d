"""Why a mandate cannot be granted, revoked or used. Each has a stable ``code`` slug."""

from __future__ import annotations

from codeid.accounts.errors import Forbidden
from codeid.errors import Conflict, InvalidInput, NotFound


class MandateNotFound(NotFound):
    code = "mandate-not-found"


class NotABusinessUser(InvalidInput):
    """Mandates bind business users only; staff act through their own role."""

    code = "not-a-business-user"


class InvalidTerm(InvalidInput):
    code = "invalid-mandate-term"


class InvalidScope(InvalidInput):
    code = "invalid-mandate-scope"


class MandateExists(Conflict):
    """The user already holds a mandate for the entity overlapping the new term."""

    code = "mandate-exists"


class TooManyAdministrators(Conflict):
    code = "too-many-administrators"


class MandateAlreadyRevoked(Conflict):
    code = "mandate-already-revoked"


class OutsideAgentScope(Forbidden):
    """An agent presented the business for a service item its mandate does not cover."""

    code = "outside-agent-scope"


class MandateNotInForce(Forbidden):
    """The person acting for the business no longer (or not yet) holds the mandate."""

    code = "mandate-not-in-force"
