"""The root of every domain error, so callers can catch broadly or narrowly.

Each error carries a stable ``code`` (a slug). The API turns it into an RFC 9457
problem ``type``; the CLI prints it with the message. No HTTP status lives here: the
edge maps error classes to statuses in one table.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CodeidError(Exception):
    """Base of all domain errors."""

    code: ClassVar[str] = "error"
    # A refusal that is itself a change to keep (e.g. revoking a sign-in whose refresh token
    # was replayed): the unit of work commits what it did before raising.
    keeps_changes: ClassVar[bool] = False

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(CodeidError):
    """The caller sent something that cannot be accepted as it is."""

    code = "invalid-input"


class NotFound(CodeidError):
    code = "not-found"


class Conflict(CodeidError):
    """The request clashes with the current state (duplicate, wrong status)."""

    code = "conflict"
