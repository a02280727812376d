"""Backups: a consistent dump of the database with a checked manifest, and its restore.

See docs/backup.md. The master key is never in a backup; keep it apart.
"""

from codeid.backup.archive import Manifest, read_manifest
from codeid.backup.errors import (
    BackupCorrupt,
    BackupError,
    BackupExists,
    BackupMismatch,
    BackupNotFound,
    BackupToolFailed,
    BackupToolMissing,
    RestoreTargetNotEmpty,
)
from codeid.backup.service import RestoreReport, create_backup, restore_backup

__all__ = [
    "BackupCorrupt",
    "BackupError",
    "BackupExists",
    "BackupMismatch",
    "BackupNotFound",
    "BackupToolFailed",
    "BackupToolMissing",
    "Manifest",
    "RestoreReport",
    "RestoreTargetNotEmpty",
    "create_backup",
    "read_manifest",
    "restore_backup",
]
