"""Errors of the entity registry and its bulk import (USCC errors live in codeid.uscc)."""

from __future__ import annotations

from codeid.errors import Conflict, InvalidInput, NotFound


class EntityNotFound(NotFound):
    code = "entity-not-found"


class DuplicateEntity(Conflict):
    code = "entity-duplicate"


class EntityDeregistered(Conflict):
    """Deregistration is final: the entity can be read, never changed again."""

    code = "entity-deregistered"


class StatusUnchanged(Conflict):
    code = "entity-status-unchanged"


class InvalidEntityField(InvalidInput):
    """A field is missing, of the wrong type, too long or not allowed here."""

    code = "entity-field"


class UnknownEntityType(InvalidInput):
    code = "entity-type"


class InvalidEntityDate(InvalidInput):
    code = "entity-date"


class ImportFormatError(InvalidInput):
    """The import file as a whole cannot be read (format, encoding, header)."""

    code = "import-format"


class MalformedImportRow(InvalidInput):
    """One line of an import file is not a record (bad JSON, wrong number of fields)."""

    code = "import-row"
