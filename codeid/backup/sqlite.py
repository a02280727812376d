"""SQLite: copy and restore through the online backup API.

``sqlite3.Connection.backup`` with the default ``pages=-1`` copies every page in one step
under one read transaction, so the copy is the database as of one commit even while the
service keeps writing (WAL lets that writer go on). Restore uses the same API the other way,
so the target's own locks and WAL are respected instead of a file being swapped underneath.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import URL, create_engine
from sqlalchemy.pool import NullPool

from codeid.backup.errors import BackupError
from codeid.backup.tables import current_revision, row_counts

LOCK_WAIT_SECONDS = 30.0


def database_path(url: URL) -> Path:
    """The file of an SQLite URL; in-memory databases cannot be backed up or restored."""
    if not url.database or url.database == ":memory:" or url.query.get("mode") == "memory":
        raise BackupError("an in-memory SQLite database has nothing to back up or restore into")
    return Path(url.database)


def tool_version() -> str:
    return f"sqlite {sqlite3.sqlite_version}"


def copy_database(source: Path, copy: Path) -> None:
    """A consistent, self-contained copy (one file, no WAL) of a live database."""
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    # mode=rw: never create an empty database where the real one was expected.
    uri = f"{source.resolve().as_uri()}?mode=rw"
    try:
        with (
            closing(sqlite3.connect(uri, uri=True, timeout=LOCK_WAIT_SECONDS)) as src,
            closing(sqlite3.connect(copy)) as dst,
        ):
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            (verdict,) = dst.execute("PRAGMA quick_check").fetchone()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the SQLite database {source}: {exc}") from None
    if verdict != "ok":
        raise BackupError(f"the SQLite database {source} fails its integrity check: {verdict}")


def describe_copy(copy: Path) -> tuple[str | None, dict[str, int]]:
    """The Alembic revision and row counts of a copy (read plainly: no pragmas, no WAL)."""
    engine = create_engine(f"sqlite:///{copy}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return current_revision(conn), row_counts(conn)
    finally:
        engine.dispose()


def restore_database(dump: Path, target: Path) -> None:
    """Replace the target's whole content with the dump's, page by page, under its lock."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            closing(sqlite3.connect(f"{dump.resolve().as_uri()}?mode=ro", uri=True)) as src,
            closing(sqlite3.connect(target, timeout=LOCK_WAIT_SECONDS)) as dst,
        ):
            src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(
            f"cannot restore into {target}: {exc} (stop codeid while restoring)"
        ) from None
