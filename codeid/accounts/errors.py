"""Why a sign-in, a token or an account change was refused."""

from __future__ import annotations

from codeid.errors import CodeidError, Conflict, InvalidInput, NotFound


class Unauthenticated(CodeidError):
    """No credentials, or credentials that identify no one (HTTP 401)."""

    code = "unauthenticated"


class Forbidden(CodeidError):
    """Known caller, not allowed to do this (HTTP 403)."""

    code = "forbidden"


class InvalidCredentials(Unauthenticated):
    code = "invalid-credentials"


class TokenInvalid(Unauthenticated):
    code = "token-invalid"


class TokenExpired(Unauthenticated):
    code = "token-expired"


class RefreshTokenReused(Unauthenticated):
    """A refresh token was presented a second time: the whole login is revoked."""

    code = "refresh-token-reused"
    keeps_changes = True


class UserNotFound(NotFound):
    code = "user-not-found"


class UsernameTaken(Conflict):
    code = "username-taken"


class WeakPassword(InvalidInput):
    code = "weak-password"
