"""Back up a database into one archive, and restore an archive into an empty database.

SQLite goes through the online backup API, PostgreSQL through pg_dump / pg_restore; both
end in the same archive (a dump and a manifest, see ``archive.py``). A restore checks the
archive's checksum, the backend and the schema revision before it touches the target, refuses
a target that already has tables unless forced, checks the restored row counts against the
manifest, and then migrates an older schema to this codeid's head.

The master key is never part of a backup: the sealed private keys in the dump open only
with the master key of the installation that sealed them.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

from sqlalchemy import URL
from sqlalchemy.engine import make_url

from codeid.backup import postgres, sqlite
from codeid.backup.archive import DUMP_NAMES, Manifest, file_digest, opened_archive, write_archive
from codeid.backup.errors import BackupError, BackupExists, BackupMismatch, RestoreTargetNotEmpty
from codeid.backup.tables import (
    current_revision,
    head_revision,
    is_known_revision,
    row_counts,
    table_names,
)
from codeid.db import make_engine
from codeid.migrate import upgrade


@dataclass(frozen=True)
class RestoreReport:
    backend: str
    backup_created_at: datetime
    backup_revision: str
    revision: str  # the schema revision after the restore (head: older backups are migrated)
    upgraded: bool
    replaced_tables: int  # tables the target had before a forced restore (0 if it was empty)
    row_counts: dict[str, int]  # as restored, before any migration


def backend_of(url: URL) -> str:
    if url.drivername.startswith("sqlite"):
        return "sqlite"
    if url.drivername.startswith("postgres"):
        return "postgresql"
    raise BackupError(f"cannot back up a {url.drivername} database (SQLite and PostgreSQL only)")


def create_backup(path: Path, *, database_url: str, now: datetime) -> Manifest:
    """Write a consistent backup of the database to ``path`` (a new file) and return its
    manifest."""
    try:
        return _create_backup(path, database_url=database_url, now=now)
    except OSError as exc:  # disk full, no permission: one readable line, not a traceback
        raise BackupError(f"cannot write the backup {path}: {exc}") from exc


def _create_backup(path: Path, *, database_url: str, now: datetime) -> Manifest:
    url = make_url(database_url)
    backend = backend_of(url)
    if path.exists():
        raise BackupExists(f"{path} already exists; backups are never overwritten")
    if not path.parent.is_dir():
        raise BackupError(f"the directory {path.parent} does not exist")
    with tempfile.TemporaryDirectory(prefix=".codeid-backup-", dir=path.parent) as scratch:
        dump = Path(scratch) / DUMP_NAMES[backend]
        if backend == "sqlite":
            sqlite.copy_database(sqlite.database_path(url), dump)
            revision, counts = sqlite.describe_copy(dump)
            tool = sqlite.tool_version()
        else:
            engine = make_engine(database_url, pool_size=1)
            try:
                revision, counts, tool = postgres.dump_database(engine, url, dump)
            finally:
                engine.dispose()
        if revision is None:
            raise BackupError("the database has no codeid schema (no Alembic revision)")
        digest, size = file_digest(dump)
        manifest = Manifest(
            backend=backend,
            revision=revision,
            created_at=now,
            row_counts=counts,
            dump_name=dump.name,
            dump_bytes=size,
            dump_sha256=digest,
            tool=tool,
            codeid_version=_codeid_version(),
        )
        write_archive(path, manifest, dump)
    return manifest


def restore_backup(path: Path, *, database_url: str, force: bool = False) -> RestoreReport:
    """Restore the archive at ``path`` into the database; with ``force``, replace whatever
    the database holds (its tables are dropped), otherwise it must have no tables at all."""
    try:
        return _restore_backup(path, database_url=database_url, force=force)
    except OSError as exc:
        raise BackupError(f"cannot restore {path}: {exc}") from exc


def _restore_backup(path: Path, *, database_url: str, force: bool) -> RestoreReport:
    url = make_url(database_url)
    backend = backend_of(url)
    workdir = None
    if backend == "sqlite":  # stage the dump beside the target: that disk must hold it anyway
        workdir = sqlite.database_path(url).resolve().parent
        workdir.mkdir(parents=True, exist_ok=True)
    with opened_archive(path, workdir=workdir) as (manifest, dump):
        _check_fits(manifest, backend)
        engine = make_engine(database_url, pool_size=1)
        try:
            with engine.connect() as conn:
                existing = table_names(conn)
            if existing and not force:
                raise RestoreTargetNotEmpty(
                    f"the target database already has {len(existing)} tables; restore into an "
                    "empty database, or pass --force to replace its content"
                )
            engine.dispose()
            if backend == "sqlite":
                sqlite.restore_database(dump, sqlite.database_path(url))
            else:
                if existing:
                    postgres.drop_all(engine)
                postgres.restore_database(dump, url)
            engine.dispose()  # pooled connections may have seen the database before
            with engine.connect() as conn:
                counts, revision = row_counts(conn), current_revision(conn)
            _check_restored(manifest, counts, revision)
            upgraded = manifest.revision != head_revision()
            if upgraded:
                upgrade(engine)
        finally:
            engine.dispose()
    return RestoreReport(
        backend=backend,
        backup_created_at=manifest.created_at,
        backup_revision=manifest.revision,
        revision=head_revision(),
        upgraded=upgraded,
        replaced_tables=len(existing),
        row_counts=counts,
    )


def _check_fits(manifest: Manifest, backend: str) -> None:
    if manifest.backend != backend:
        raise BackupMismatch(
            f"this is a {manifest.backend} backup and the configured database is {backend}; "
            f"restore it into a {manifest.backend} database (no cross-backend restore)"
        )
    if not is_known_revision(manifest.revision):
        raise BackupMismatch(
            f"the backup's schema revision {manifest.revision!r} is unknown to this codeid "
            "(a newer version took it); restore it with that version or a later one"
        )


def _check_restored(manifest: Manifest, counts: dict[str, int], revision: str | None) -> None:
    if revision != manifest.revision:
        raise BackupError(
            f"the restored schema is at revision {revision!r}, the manifest says "
            f"{manifest.revision!r}"
        )
    if counts != manifest.row_counts:
        differing = sorted(
            name
            for name in set(counts) | set(manifest.row_counts)
            if counts.get(name) != manifest.row_counts.get(name)
        )
        raise BackupError(f"the restored row counts differ from the manifest in {differing}")


def _codeid_version() -> str:
    try:
        return metadata.version("codeid")
    except metadata.PackageNotFoundError:
        return "unknown"
