"""Errors of the licence layer; each has a stable ``code`` slug (see codeid.errors)."""

from __future__ import annotations

from codeid.errors import CodeidError, Conflict, InvalidInput, NotFound


class LicenceError(CodeidError):
    code = "licence-error"


class UnknownLicenceType(NotFound):
    code = "licence-type-unknown"


class InvalidLicenceFields(InvalidInput):
    """Fields do not fit the type's schema; ``details["problems"]`` lists every problem."""

    code = "licence-fields-invalid"


class InvalidLicenceIdentifier(InvalidInput):
    code = "licence-identifier-invalid"


class IdentifierRootError(InvalidLicenceIdentifier):
    code = "licence-identifier-invalid-root"


class IdentifierSegmentsError(InvalidLicenceIdentifier):
    code = "licence-identifier-invalid-segments"


class IdentifierCharacterError(InvalidLicenceIdentifier):
    code = "licence-identifier-invalid-character"


class IdentifierCheckError(InvalidLicenceIdentifier):
    """Wrong check character; ``details["expected"]`` holds the right one."""

    code = "licence-identifier-invalid-check"


class IssuerNotFound(NotFound):
    code = "issuer-not-found"


class IssuerExists(Conflict):
    code = "issuer-exists"


class IssuerNotTrusted(Conflict):
    code = "issuer-not-trusted"


class NotYourLicence(CodeidError):
    """A department tried to change a licence another department issued."""

    code = "forbidden-issuer"


class LicenceNotFound(NotFound):
    code = "licence-not-found"


class LicenceStateConflict(Conflict):
    code = "licence-state"


class ConcurrentChange(Conflict):
    code = "licence-concurrent-change"


class CatalogueError(InvalidInput):
    """The licence-type data file is malformed (raised at load, names the culprit)."""

    code = "licence-catalogue-invalid"


# --- added by the licence store (issue, amend, import) ---


class LicenceExists(Conflict):
    """The issuer already issued a licence with this number (amend it instead)."""

    code = "licence-exists"


class LicenceIdentityChanged(Conflict):
    """An import row names an existing licence number with another holder or type."""

    code = "licence-identity-changed"


class MalformedLicenceRow(InvalidInput):
    """An import line is not a licence record (bad JSON, missing or unknown keys)."""

    code = "licence-import-row"


class StatusListNotFound(NotFound):
    code = "status-list-not-found"


class InvalidStatusList(InvalidInput):
    """A status list (``{"bits", "lst"}``) that cannot be decoded, or values it cannot hold."""

    code = "status-list-invalid"


class StatusIndexOutOfRange(InvalidStatusList):
    code = "status-index-out-of-range"


class StatusListTokenRejected(InvalidInput):
    """A status list token that must not be trusted; ``details["reason"]`` says why."""

    code = "status-list-token-rejected"


class InvalidLicenceDates(InvalidInput):
    """Issue date or validity period unacceptable (e.g. valid_until not after valid_from)."""

    code = "licence-dates-invalid"
