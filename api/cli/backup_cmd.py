"""codeid backup PATH / codeid restore PATH [--force] [--check]"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer

from api.cli.output import emit, say
from api.runtime import Runtime
from codeid.backup import create_backup, read_manifest, restore_backup
from codeid.clock import utcnow
from codeid.errors import CodeidError


def backup(
    path: Path = typer.Argument(..., help="The new archive to write (never overwritten)."),
) -> None:
    """Back up the configured database (SQLite or PostgreSQL) to PATH: one tar holding the
    dump and a manifest (revision, row counts, SHA-256). The master key is NOT in it."""
    runtime = Runtime()
    manifest = create_backup(path, database_url=runtime.settings.database_url, now=utcnow())
    emit({"path": str(path), **manifest.to_json(), "master_key": _master_key_note(runtime)})


def restore(
    path: Path = typer.Argument(..., help="An archive written by `codeid backup`."),
    force: bool = typer.Option(
        False, "--force", help="Replace the content of a database that already has tables."
    ),
    check: bool = typer.Option(
        False, "--check", help="Only verify the archive (checksum, manifest); touch no database."
    ),
) -> None:
    """Restore PATH into the configured database, which must be empty (or --force); then
    migrate it to this version's schema and check that the signing keys unseal."""
    if check:
        emit({"path": str(path), "verified": True, **read_manifest(path).to_json()})
        return
    runtime = Runtime()
    report = restore_backup(path, database_url=runtime.settings.database_url, force=force)
    keys = _signing_keys(runtime)
    emit({"path": str(path), **dataclasses.asdict(report), "signing_keys": keys})
    if keys != "ok":
        say(f"codeid: warning: {keys}")


def _master_key_note(runtime: Runtime) -> str:
    settings = runtime.settings
    where = (
        "CODEID_MASTER_KEY" if settings.master_key is not None else str(settings.master_key_file)
    )
    return f"not included: keep a copy of {where} apart; without it the keys stay sealed"


def _signing_keys(runtime: Runtime) -> str:
    """Whether the restored platform signing key opens with this installation's master key
    (the same check as /readyz); never creates a master key."""
    settings = runtime.settings
    if settings.master_key is None and not settings.master_key_file.is_file():
        return (
            f"no master key (CODEID_MASTER_KEY or {settings.master_key_file}): put the original "
            "one in place, or the restored signing keys cannot be used"
        )
    try:
        with runtime.session() as session:
            runtime.keyring(session).active_signer()
    except CodeidError as exc:
        return f"unusable with this master key ({exc.code}): {exc.message}"
    return "ok"
