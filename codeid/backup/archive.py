"""The backup archive: one plain tar holding ``manifest.json`` and the database dump.

The manifest says what the dump is (backend, schema revision, time, row counts) and carries
the dump's size and SHA-256, so a truncated or altered archive is refused before anything is
restored. The checksum catches damage, not a forger who rewrites both files: keep backups
where only operators can write.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from codeid.backup.errors import BackupCorrupt, BackupError, BackupExists, BackupNotFound

FORMAT = "codeid-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_MANIFEST_MAX_BYTES = 1 << 20
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Manifest:
    backend: str  # "sqlite" or "postgresql"
    revision: str  # the Alembic revision of the backed-up schema
    created_at: datetime
    row_counts: dict[str, int]
    dump_name: str
    dump_bytes: int
    dump_sha256: str
    tool: str  # what wrote the dump: "sqlite 3.40.1", "pg_dump (PostgreSQL) 15.20"
    codeid_version: str
    # The master key unseals the private signing keys and is never in a backup.
    master_key_included: bool = field(default=False)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        return {"format": FORMAT, "version": FORMAT_VERSION, **data}

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        """Parse and check a manifest; anything unexpected means the archive is damaged."""
        try:
            if data.get("format") != FORMAT or data.get("version") != FORMAT_VERSION:
                raise BackupCorrupt("not a codeid backup (unknown manifest format)")
            counts = data["row_counts"]
            manifest = cls(
                backend=str(data["backend"]),
                revision=str(data["revision"]),
                created_at=datetime.fromisoformat(data["created_at"]),
                row_counts={str(k): int(v) for k, v in counts.items()},
                dump_name=str(data["dump_name"]),
                dump_bytes=int(data["dump_bytes"]),
                dump_sha256=str(data["dump_sha256"]),
                tool=str(data["tool"]),
                codeid_version=str(data["codeid_version"]),
                master_key_included=bool(data.get("master_key_included", False)),
            )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise BackupCorrupt(f"the backup manifest is damaged: {exc!r}") from None
        if DUMP_NAMES.get(manifest.backend) != manifest.dump_name:
            raise BackupCorrupt(f"the manifest names an unknown backend {manifest.backend!r}")
        return manifest


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_archive(path: Path, manifest: Manifest, dump: Path) -> None:
    """Write the archive (mode 0600) without ever overwriting: staged, then linked into place."""
    if path.exists():
        raise _taken(path)
    staged = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            with tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as tar:
                body = json.dumps(manifest.to_json(), indent=2, sort_keys=True).encode()
                tar.addfile(_member(MANIFEST_NAME, len(body), manifest), io.BytesIO(body))
                with dump.open("rb") as source:
                    tar.addfile(_member(manifest.dump_name, manifest.dump_bytes, manifest), source)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(staged, path)
        except FileExistsError:
            raise _taken(path) from None
        except OSError:  # a filesystem without hard links: check, then rename
            if path.exists():
                raise _taken(path) from None
            os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)


def _taken(path: Path) -> BackupExists:
    return BackupExists(f"{path} already exists; backups are never overwritten")


def _member(name: str, size: int, manifest: Manifest) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(manifest.created_at.timestamp())
    return info


def read_manifest(path: Path) -> Manifest:
    """The archive's manifest, after checking the dump against its size and checksum."""
    try:
        with opened_archive(path) as (manifest, _dump):
            return manifest
    except OSError as exc:  # no room or no permission for the scratch copy
        raise BackupError(f"cannot check the backup {path}: {exc}") from exc


@contextmanager
def opened_archive(path: Path, *, workdir: Path | None = None) -> Iterator[tuple[Manifest, Path]]:
    """Yield the manifest and the dump copied into a private temporary directory (under
    ``workdir`` when given), only once the dump matches the manifest's size and SHA-256."""
    if not path.is_file():
        raise BackupNotFound(f"no backup file at {path}")
    with tempfile.TemporaryDirectory(prefix=".codeid-restore-", dir=workdir) as scratch:
        dump = Path(scratch) / "dump"
        try:
            manifest = _extract(path, dump)
        except (tarfile.TarError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BackupCorrupt(f"{path} is not a readable codeid backup: {exc}") from None
        except OSError as exc:
            raise BackupError(f"cannot read the backup {path}: {exc}") from exc
        yield manifest, dump


def _extract(path: Path, dump: Path) -> Manifest:
    with tarfile.open(path, mode="r:") as tar:
        members = {member.name: member for member in tar.getmembers()}
        info = members.get(MANIFEST_NAME)
        if info is None or not info.isfile() or info.size > _MANIFEST_MAX_BYTES:
            raise BackupCorrupt(f"{path} holds no codeid backup manifest")
        manifest = Manifest.from_json(json.loads(_read_member(tar, info)))
        if set(members) != {MANIFEST_NAME, manifest.dump_name}:
            unexpected = sorted(set(members) - {MANIFEST_NAME})
            raise BackupCorrupt(f"{path} holds unexpected members: {unexpected}")
        member = members[manifest.dump_name]
        if not member.isfile() or member.size != manifest.dump_bytes:
            raise BackupCorrupt(
                f"the dump is {member.size} bytes, the manifest says {manifest.dump_bytes}"
            )
        source = tar.extractfile(member)
        assert source is not None  # a regular file always has a body
        digest = hashlib.sha256()
        size = 0
        with dump.open("wb") as target:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
    if size != manifest.dump_bytes or digest.hexdigest() != manifest.dump_sha256:
        raise BackupCorrupt(
            "the dump does not match the manifest's SHA-256: the backup is damaged or altered"
        )
    return manifest


def _read_member(tar: tarfile.TarFile, info: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(info)
    assert handle is not None
    return handle.read()
