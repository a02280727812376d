"""`codeid backup` and `codeid restore` on SQLite and PostgreSQL, run in-process.

A world (entity, static code, licence, ticket) is backed up, restored into a new empty
database, and the code resolves there to the entity and its licence with the same master key.
Damaged archives, busy targets and other backends are refused before the target is touched.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, inspect
from sqlalchemy.engine import make_url
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from api.app import create_app
from api.cli.main import app as cli_app
from api.cli.main import main as cli_main
from api.runtime import Runtime
from api.settings import Settings
from codeid.backup import (
    BackupCorrupt,
    BackupExists,
    BackupMismatch,
    BackupToolMissing,
    RestoreTargetNotEmpty,
    create_backup,
    read_manifest,
    restore_backup,
)
from codeid.backup.archive import opened_archive, write_archive
from codeid.backup.postgres import connection_params
from codeid.backup.tables import current_revision, head_revision
from codeid.codes.payload import CodeKind
from codeid.db import make_engine, transaction
from codeid.entities.models import Entity, EntityEvent
from codeid.migrate import upgrade
from counter.hall import demo_hall_path, load_hall_file
from counter.models import Ticket
from counter.tickets import WALK_IN, issue_ticket
from credentials.issuers import register_issuer
from credentials.licence_verify import verify_licence
from credentials.licences import issue_licence
from credentials.resolve import resolve_code_with_licences
from credentials.trust import grant_trust
from tests.conftest import _throwaway_postgres
from tests.credentials.licence_world import FOOD_FIELDS, FOOD_NUMBER, HOLDER, ISSUER, NOW

LATER = NOW + timedelta(hours=1)


def new_master_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@dataclass
class Install:
    """One codeid installation: a database, a data directory and a master key."""

    url: str
    data_dir: Path
    master_key: str

    def env(self) -> dict[str, str]:
        return {
            "CODEID_DATABASE_URL": self.url,
            "CODEID_DATA_DIR": str(self.data_dir),
            "CODEID_MASTER_KEY": self.master_key,
        }

    def runtime(self) -> Runtime:
        settings = Settings(
            data_dir=self.data_dir, database_url=self.url, master_key=self.master_key
        )
        return Runtime(settings)

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(cli_app, list(args), env=self.env())


@pytest.fixture
def fresh_database(database_url: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Make new empty databases on the backend under test (dropped at the end)."""
    with ExitStack() as stack:

        def make() -> str:
            if database_url.startswith("sqlite"):
                return f"sqlite:///{tmp_path / secrets.token_hex(4) / 'codeid.db'}"
            database = _throwaway_postgres()
            stack.callback(next, database, None)  # drops it
            return next(database)

        yield make


@pytest.fixture
def source(engine: Engine, database_url: str, tmp_path: Path) -> Install:
    """The installation under test (the shared, migrated test database)."""
    return Install(database_url, tmp_path / "source", new_master_key())


@pytest.fixture
def target(fresh_database: Callable[[], str], tmp_path: Path, source: Install) -> Install:
    """A new installation with an empty database and the source's master key."""
    return Install(fresh_database(), tmp_path / "target", source.master_key)


@dataclass
class World:
    code: str
    licence_identifier: str
    licence_jws: str
    ticket_number: str


def seed(install: Install) -> World:
    runtime = install.runtime()
    runtime.prepare()
    with runtime.session() as session:
        session.add(
            Entity(
                uscc=HOLDER,
                name="杭州西湖小吃店",
                entity_type="company",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        issuer = register_issuer(
            session,
            uscc=ISSUER,
            name="西湖区市场监督管理局",
            authority_kind="market-regulation",
            master_secret=runtime.master_secret,
            actor="admin",
            now=NOW - timedelta(days=1),
        )
        grant_trust(
            session,
            issuer_uscc=ISSUER,
            licence_type="food-business",
            valid_from=NOW - timedelta(days=1),
            valid_until=None,
            actor="admin",
            now=NOW - timedelta(days=1),
        )
        licence = issue_licence(
            session,
            issuer=issuer,
            licence_type="food-business",
            holder_uscc=HOLDER,
            licence_number=FOOD_NUMBER,
            fields=FOOD_FIELDS,
            signer=runtime.issuer_signer(session, issuer),
            actor="admin",
            now=NOW,
        )
        code = runtime.issue_code(session, uscc=HOLDER, kind=CodeKind.STATIC, now=NOW)
        load_hall_file(session, demo_hall_path(), now=NOW - timedelta(days=1))
        ticket = issue_ticket(
            session,
            uscc=HOLDER,
            category_code="A",
            item_code=None,
            booking_id=None,
            priority=WALK_IN,
            code_id=None,
            now=NOW,
        )
    runtime.engine.dispose()
    return World(code.payload, licence.identifier, licence.jws, ticket.number)


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return {
                "entity": session.exec(select(func.count()).select_from(Entity)).one(),
                "ticket": session.exec(select(func.count()).select_from(Ticket)).one(),
            }
    finally:
        engine.dispose()


def table_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return len(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_backup_restore_resolves_the_code_to_entity_and_licence(
    source: Install, target: Install, tmp_path: Path
) -> None:
    world = seed(source)
    archive = tmp_path / "codeid.backup"

    taken = source.cli("backup", str(archive))
    assert taken.exit_code == 0, taken.output
    manifest = read_manifest(archive)
    assert manifest.backend == ("sqlite" if source.url.startswith("sqlite") else "postgresql")
    assert manifest.revision == head_revision() and manifest.master_key_included is False
    for table in ("entity", "static_code", "licence", "ticket", "issuer", "signing_key"):
        assert manifest.row_counts[table] >= 1, table
    assert archive.stat().st_mode & 0o077 == 0  # sealed keys and personal data: owner only

    restored = target.cli("restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert '"signing_keys": "ok"' in restored.stdout and '"upgraded": false' in restored.stdout

    runtime = target.runtime()
    with runtime.session() as session:
        seen = resolve_code_with_licences(
            session,
            world.code,
            keys=runtime.keyring(session).public_keys(),
            now=LATER,
            actor="test",
            location="restored",
            channel="cli",
        )
        assert seen.result.ok and seen.result.entity is not None
        assert seen.result.entity.uscc == HOLDER and seen.result.entity.name == "杭州西湖小吃店"
        assert [view.identifier for view in seen.licences] == [world.licence_identifier]
        assert seen.licences[0].status == "valid"
        # The department's keys came along: its signature still checks out here.
        assert verify_licence(session, world.licence_jws, now=LATER).reason == "ok"
        ticket = session.exec(select(Ticket).where(Ticket.uscc == HOLDER)).one()
        assert ticket.number == world.ticket_number
        # The restored platform key still signs (its private half unseals with this master key).
        fresh = runtime.issue_code(session, uscc=HOLDER, kind=CodeKind.STATIC, now=LATER)
        again = resolve_code_with_licences(
            session,
            fresh.payload,
            keys=runtime.keyring(session).public_keys(),
            now=LATER,
            actor="test",
            location="restored",
            channel="cli",
        )
        assert again.result.ok and seen.result.claims is not None
        assert fresh.kid == seen.result.claims.kid
    runtime.engine.dispose()


def test_restore_refuses_a_database_that_has_tables_unless_forced(
    source: Install, target: Install, tmp_path: Path
) -> None:
    seed(source)
    archive = tmp_path / "codeid.backup"
    assert source.cli("backup", str(archive)).exit_code == 0
    before = counts(source.url)

    onto_itself = source.cli("restore", str(archive))
    assert isinstance(onto_itself.exception, RestoreTargetNotEmpty)
    assert counts(source.url) == before

    assert target.cli("restore", str(archive)).exit_code == 0
    extra = make_engine(target.url)
    with transaction(extra) as session:
        session.add(
            Entity(
                uscc="91110000600037341L",
                name="added after the restore",
                entity_type="company",
                created_at=NOW,
                updated_at=NOW,
            )
        )
    extra.dispose()
    refused = target.cli("restore", str(archive))
    assert isinstance(refused.exception, RestoreTargetNotEmpty)
    assert counts(target.url)["entity"] == before["entity"] + 1

    forced = target.cli("restore", "--force", str(archive))
    assert forced.exit_code == 0, forced.output
    assert counts(target.url) == before
    assert '"replaced_tables": 0' not in forced.stdout


def test_damaged_backups_are_refused_and_the_target_left_alone(
    source: Install, target: Install, tmp_path: Path
) -> None:
    seed(source)
    archive = tmp_path / "codeid.backup"
    manifest = create_backup(archive, database_url=source.url, now=NOW)
    with tarfile.open(archive) as tar:
        member = tar.getmember(manifest.dump_name)
        middle = member.offset_data + member.size // 2
    data = archive.read_bytes()

    flipped = tmp_path / "flipped.backup"
    flipped.write_bytes(data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :])
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(data[:middle])
    renamed = tmp_path / "newer.backup"  # a manifest naming a revision this codeid lacks
    with opened_archive(archive) as (original, dump):
        write_archive(renamed, replace(original, revision="ffffffffffff"), dump)

    for bad, error in (
        (flipped, BackupCorrupt),
        (truncated, BackupCorrupt),
        (renamed, BackupMismatch),
    ):
        assert isinstance(target.cli("restore", str(bad)).exception, error), bad.name
    assert isinstance(target.cli("restore", "--check", str(flipped)).exception, BackupCorrupt)
    assert table_count(target.url) == 0
    assert target.cli("restore", "--check", str(archive)).exit_code == 0


def test_refusals_are_one_line_and_non_zero(
    source: Install, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    seed(source)
    archive = tmp_path / "codeid.backup"
    create_backup(archive, database_url=source.url, now=NOW)
    for name, value in source.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["codeid", "restore", str(archive)])
    with pytest.raises(SystemExit) as exited:
        cli_main()
    err = capsys.readouterr().err
    assert exited.value.code == 1
    assert err.startswith("codeid: restore-target-not-empty: ") and err.count("\n") == 1

    monkeypatch.setattr(sys, "argv", ["codeid", "backup", str(archive)])
    with pytest.raises(SystemExit) as exited:
        cli_main()
    assert exited.value.code == 1 and "codeid: backup-exists: " in capsys.readouterr().err


def test_no_cross_backend_restore(source: Install, tmp_path: Path) -> None:
    seed(source)
    archive = tmp_path / "codeid.backup"
    create_backup(archive, database_url=source.url, now=NOW)
    elsewhere = tmp_path / "other" / "codeid.db"
    other = (
        "postgresql+psycopg://postgres@127.0.0.1:1/never"  # refused before any connection
        if source.url.startswith("sqlite")
        else f"sqlite:///{elsewhere}"
    )
    with pytest.raises(BackupMismatch, match="no cross-backend restore"):
        restore_backup(archive, database_url=other)
    assert not elsewhere.exists()


def test_an_older_schema_is_restored_and_upgraded_to_head(
    fresh_database: Callable[[], str], tmp_path: Path
) -> None:
    old_url, new_url = fresh_database(), fresh_database()
    if old_url.startswith("sqlite"):
        Path(old_url.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    old = make_engine(old_url)
    upgrade(old, "0001")
    old.dispose()
    archive = tmp_path / "old.backup"
    assert create_backup(archive, database_url=old_url, now=NOW).revision == "0001"

    report = restore_backup(archive, database_url=new_url)
    assert report.backup_revision == "0001" and report.upgraded
    assert report.revision == head_revision()
    engine = make_engine(new_url)
    try:
        with engine.connect() as conn:
            assert current_revision(conn) == head_revision()
    finally:
        engine.dispose()


class PairWriter(threading.Thread):
    """Commits an entity and its event together, over and over, like a busy service."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = make_engine(url)
        self.pairs = 0
        self.halt = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.halt.is_set():
                uscc = f"W{self.pairs:017d}"
                with transaction(self.engine) as session:
                    session.add(
                        Entity(
                            uscc=uscc,
                            name="writer",
                            entity_type="company",
                            created_at=NOW,
                            updated_at=NOW,
                        )
                    )
                    session.flush()
                    session.add(EntityEvent(uscc=uscc, action="writer", at=NOW))
                self.pairs += 1
        except BaseException as exc:  # reported by the test
            self.error = exc

    def wait_for(self, pairs: int) -> None:
        deadline = time.monotonic() + 60
        while self.pairs < pairs and self.error is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.error is None and self.pairs >= pairs

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=30)
        self.engine.dispose()


def test_a_backup_taken_while_the_service_writes_is_consistent(
    source: Install, target: Install, tmp_path: Path
) -> None:
    writer = PairWriter(source.url)
    writer.start()
    try:
        writer.wait_for(3)
        manifest = create_backup(tmp_path / "busy.backup", database_url=source.url, now=NOW)
        writer.wait_for(writer.pairs + 3)
    finally:
        writer.stop()
    assert writer.error is None
    in_backup = manifest.row_counts["entity"]
    # Taken mid-stream: some pairs before it, more after it.
    assert 3 <= in_backup < writer.pairs
    assert manifest.row_counts["entity_event"] == in_backup  # never half a transaction

    report = restore_backup(tmp_path / "busy.backup", database_url=target.url)
    assert report.row_counts == manifest.row_counts  # the counts are those of the dump itself
    assert counts(target.url)["entity"] == in_backup


def test_without_the_same_master_key_the_restored_keys_stay_sealed(
    source: Install, target: Install, tmp_path: Path
) -> None:
    seed(source)
    archive = tmp_path / "codeid.backup"
    create_backup(archive, database_url=source.url, now=NOW)
    stranger = replace(target, master_key=new_master_key())

    restored = stranger.cli("restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert '"signing_keys": "unusable with this master key (key-unseal-failed)' in restored.stdout
    assert restored.stderr.startswith("codeid: warning: unusable")

    settings = Settings(
        data_dir=stranger.data_dir,
        database_url=stranger.url,
        master_key=stranger.master_key,
        webhook_worker=False,
    )
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["ready"] is False
    assert any("KeyUnsealError" in str(check) for check in ready.json()["checks"].values())


def test_backups_are_never_overwritten(source: Install, tmp_path: Path) -> None:
    existing = tmp_path / "taken.backup"
    existing.write_bytes(b"an older backup")
    with pytest.raises(BackupExists):
        create_backup(existing, database_url=source.url, now=NOW)
    assert existing.read_bytes() == b"an older backup"


def test_pg_dump_missing_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no PostgreSQL client here
    url = "postgresql+psycopg://postgres@127.0.0.1:1/never"
    with pytest.raises(BackupToolMissing, match="pg_dump is not on PATH"):
        create_backup(tmp_path / "x.backup", database_url=url, now=NOW)
    assert list(tmp_path.iterdir()) == []


def test_the_password_travels_in_pgpassword_never_in_the_arguments() -> None:
    url = make_url(
        "postgresql+psycopg://ops%20user:s3cr%27t%20pw@db.internal:6432/codeid?sslmode=require"
    )
    conninfo, env = connection_params(url)
    assert env == {"PGPASSWORD": "s3cr't pw"}
    assert "s3cr" not in conninfo
    assert "host=db.internal" in conninfo and "port=6432" in conninfo
    assert "dbname=codeid" in conninfo and "sslmode=require" in conninfo
    assert "user='ops user'" in conninfo

    in_query = make_url("postgresql://u@/codeid?host=/run/postgresql&password=hidden")
    conninfo, env = connection_params(in_query)
    assert env == {"PGPASSWORD": "hidden"} and "hidden" not in conninfo
    assert "host=/run/postgresql" in conninfo
