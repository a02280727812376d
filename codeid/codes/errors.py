"""Why a business code is refused, and why one cannot be issued.

Every refusal is a ``CodeRejected`` with a stable ``reason`` slug (what a scanner shows and
the resolution log records) and a ``code`` (``code-<reason>``, for the API's problem type).
Refusals raised after the signature checked out (not-yet-valid, expired, revoked, ...) carry
the verified ``claims``, so the log can say which entity and code were refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from codeid.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from codeid.codes.payload import CodeClaims
    from codeid.entities.models import Entity


class CodeRejected(InvalidInput):
    reason: ClassVar[str] = "rejected"
    code = "code-rejected"

    def __init__(self, message: str, *, claims: CodeClaims | None = None, **details: Any) -> None:
        super().__init__(message, **details)
        self.claims = claims


class NotACodeidCode(CodeRejected):
    reason = "not-codeid"
    code = "code-not-codeid"


class UnsupportedVersion(CodeRejected):
    reason = "unsupported-version"
    code = "code-unsupported-version"


class MalformedCode(CodeRejected):
    reason = "malformed"
    code = "code-malformed"


class UnknownKey(CodeRejected):
    reason = "unknown-key"
    code = "code-unknown-key"


class KeyCompromised(CodeRejected):
    """Signed with a key the registry marked compromised: whoever holds the leaked key could
    have made it, so the code proves nothing (its claims are not trusted, nor returned)."""

    reason = "key-compromised"
    code = "code-key-compromised"


class BadSignature(CodeRejected):
    reason = "bad-signature"
    code = "code-bad-signature"


class NotYetValid(CodeRejected):
    reason = "not-yet-valid"
    code = "code-not-yet-valid"


class CodeExpired(CodeRejected):
    reason = "expired"
    code = "code-expired"


class CodeRevoked(CodeRejected):
    reason = "revoked"
    code = "code-revoked"


class AlreadyUsed(CodeRejected):
    reason = "already-used"
    code = "code-already-used"


class EntityUnknown(CodeRejected):
    """A genuine code whose USCC is not (or no longer) in the registry."""

    reason = "unknown-entity"
    code = "code-unknown-entity"


class EntityRefusal(CodeRejected):
    """A genuine code refused for its entity's sake: the entity is carried along, so the
    window sees whose code it is."""

    def __init__(
        self,
        message: str,
        *,
        claims: CodeClaims | None = None,
        entity: Entity | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message, claims=claims, **details)
        self.entity = entity


class EntityNotActive(EntityRefusal):
    reason = "entity-not-active"
    code = "code-entity-not-active"


class MandateRejected(EntityRefusal):
    """A genuine dynamic code naming a person acting for the business, who may not (now).

    The entity itself is fine, so it is carried along: the window sees whose code it is."""

    reason = "mandate-rejected"
    code = "code-mandate-rejected"


class MandateUnknown(MandateRejected):
    """The named mandate is not on record, or is a mandate for another entity."""

    reason = "mandate-unknown"
    code = "code-mandate-unknown"


class MandateRevoked(MandateRejected):
    reason = "mandate-revoked"
    code = "code-mandate-revoked"


class MandateOutOfTerm(MandateRejected):
    """The code's time is before the mandate's term starts or after it ends."""

    reason = "mandate-out-of-term"
    code = "code-mandate-out-of-term"


class MandateHolderDisabled(MandateRejected):
    reason = "mandate-holder-disabled"
    code = "code-mandate-holder-disabled"


# Issuing and managing codes (the caller's request, not a scanned code, is wrong).


class CannotIssueUnknownEntity(NotFound):
    code = "entity-not-found"


class CannotIssueInactiveEntity(Conflict):
    code = "entity-not-active"


class StaticCodeNotFound(NotFound):
    code = "static-code-not-found"


class AlreadyRevoked(Conflict):
    code = "already-revoked"


class NotConsumable(InvalidInput):
    """Only dynamic codes are consumed; a static code is meant to be shown again and again."""

    code = "not-consumable"
