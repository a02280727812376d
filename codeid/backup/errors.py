"""Why a backup could not be taken or restored (each a stable ``code`` slug)."""

from __future__ import annotations

from codeid.errors import CodeidError, Conflict, InvalidInput, NotFound


class BackupError(CodeidError):
    """The root of backup and restore failures."""

    code = "backup-failed"


class BackupNotFound(BackupError, NotFound):
    code = "backup-not-found"


class BackupExists(BackupError, Conflict):
    """Backups are never overwritten: the path is taken."""

    code = "backup-exists"


class BackupCorrupt(BackupError, InvalidInput):
    """The archive is unreadable, truncated or altered: its dump fails the manifest's checksum."""

    code = "backup-corrupt"


class BackupMismatch(BackupError, InvalidInput):
    """The backup cannot go into this database (other backend, schema newer than this codeid)."""

    code = "backup-mismatch"


class RestoreTargetNotEmpty(BackupError, Conflict):
    """The target database already holds tables; restoring would mix or destroy data."""

    code = "restore-target-not-empty"


class BackupToolMissing(BackupError):
    """pg_dump or pg_restore is not on PATH."""

    code = "backup-tool-missing"


class BackupToolFailed(BackupError):
    """pg_dump or pg_restore ran and failed (its last error line is in the message)."""

    code = "backup-tool-failed"
