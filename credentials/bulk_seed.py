"""Bulk seed: many entities and their signed licences, fast (demo and load figures).

PostgreSQL gets the rows by COPY, with the tables' unique constraints and secondary indexes
dropped first and rebuilt afterwards (sorting once is far faster than maintaining an index
row by row), then ANALYZE. SQLite gets them by executemany. Both run in the caller's
transaction: like every domain function this one only flushes, and the caller commits (one
big transaction). The rows are made in ``credentials.bulk_rows`` and
``credentials.bulk_signing``; signing is the slow part, so with ``workers > 1`` forked
processes sign chunks (and encode them for COPY) while this one writes.

The seeded data behaves as if issued one by one: the issuers exist with their key rings and
are trusted for the types they issue, every licence has its own JWS and status slot, the
seed's slots follow on from those already allocated (``allocate_status_index`` takes the
first, which also serialises the seed with concurrent issuers) and the status lists record
them, so licences issued later continue after the seed. What it does not write is one event
per row: like the entity importer, it writes one EntityEvent for the whole seed, and no
LicenceEvent (nor webhook), so the seeded licences have no history.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, text, update
from sqlmodel import Session, select

from codeid.db import is_postgresql
from codeid.entities.models import Entity, EntityEvent
from codeid.errors import Conflict, InvalidInput
from codeid.keys.keyring import Signer
from credentials.bulk_rows import (
    ENTITY_COLUMNS,
    LICENCE_COLUMNS,
    SlotPlan,
    bulk_uscc,
    copy_text,
    entity_rows,
    licence_counts,
    plan_chunks,
)
from credentials.bulk_signing import LicenceMaker
from credentials.catalogue import default_catalogue
from credentials.issuers import issuer_keyring, register_issuer
from credentials.licence_jws import china_date
from credentials.models import Issuer, Licence, StatusListRecord, TrustGrant
from credentials.status_list import DEFAULT_LIST_SIZE, allocate_status_index

# authority kind -> (USCC, name) of the department that issues its types. The first two are
# the departments of the small demo (credentials.demo); a seed reuses them when present.
ISSUERS = {
    "market-regulation": ("11440100MB2C92747J", "广州市市场监督管理局"),
    "tobacco-monopoly": ("11440100MB2C930109", "广州市烟草专卖局"),
    "drug-administration": ("11440000MB2C931335", "广东省药品监督管理局"),
    "transport": ("11440100MB2C931415", "广州市交通运输局"),
    "taxation": ("11440100MB2C93168W", "国家税务总局广州市税务局"),
}
ACTOR = "bulk-seed"
ENTITY_BLOCK = 10_000


class AlreadySeeded(Conflict):
    code = "already-seeded"


@dataclass
class BulkSeedReport:
    entities: int
    licences: int  # current versions
    superseded: int  # earlier versions of amended licences, stored besides
    status_lists: int  # lists the seed's slots are in
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "entities": self.entities,
            "licences": self.licences,
            "superseded_versions": self.superseded,
            "status_lists": self.status_lists,
            "seconds": {name: round(value, 2) for name, value in self.seconds.items()},
        }


def seed_bulk(
    session: Session,
    *,
    entities: int,
    licences_per_entity: float,
    master_secret: bytes,
    now: datetime,
    workers: int = 1,
) -> BulkSeedReport:
    """Add ``entities`` bulk entities holding ``entities * licences_per_entity`` licences.
    Flushes only (the caller commits). Refused when bulk entities are already there."""
    if entities < 1 or licences_per_entity < 0:
        raise InvalidInput("a bulk seed needs at least one entity and licences per entity >= 0")
    first = bulk_uscc(0)
    if session.exec(select(Entity.id).where(Entity.uscc == first)).first() is not None:
        raise AlreadySeeded(f"bulk entities are already seeded (entity {first} exists)")
    report = BulkSeedReport(0, 0, 0, 0)
    writer = _Writer(session, workers)
    if writer.postgresql:  # a seed's COPY and index builds outlast any request's time limit
        session.connection().execute(text("SET LOCAL statement_timeout = 0"))
    with _timed(report, "issuers and trust"):
        issuer_of, signers = _issuers(session, master_secret=master_secret, now=now)
    with writer.indexes_built_after("entity", report), _timed(report, "entities"):
        tasks = ((start, min(ENTITY_BLOCK, entities - start))
                 for start in range(0, entities, ENTITY_BLOCK))  # fmt: skip
        report.entities = writer.write(
            Entity, ENTITY_COLUMNS, lambda task: list(entity_rows(task[0], task[1], now)), tasks
        )
    counts = licence_counts(entities, licences_per_entity)
    report.licences = sum(counts)
    if report.licences:
        list_id, index = allocate_status_index(session, now=now)
        size = session.get_one(StatusListRecord, list_id).size
        slots = SlotPlan(int(list_id), index, size, DEFAULT_LIST_SIZE)
        maker = LicenceMaker(
            types=default_catalogue().types(),
            issuer_of=issuer_of,
            signers=signers,
            counts=counts,
            slots=slots,
            today=china_date(now),
            now=now,
        )
        with writer.indexes_built_after("licence", report), _timed(report, "licences"):
            rows = writer.write(Licence, LICENCE_COLUMNS, maker.rows, plan_chunks(counts))
        report.superseded = rows - report.licences
        report.status_lists = _record_lists(session, slots.lists(rows), now=now)
    session.add(EntityEvent(uscc="", action="bulk-seeded", actor=ACTOR, at=now,
                            detail={"entities": entities, "first": first,
                                    "licences": report.licences}))  # fmt: skip
    session.flush()
    if writer.postgresql:
        with _timed(report, "analyze"):
            session.connection().execute(text("ANALYZE entity, licence, status_list"))
    return report


def _issuers(
    session: Session, *, master_secret: bytes, now: datetime
) -> tuple[dict[str, tuple[str, str]], dict[str, Signer]]:
    """Register the missing departments, trust each for its types. By authority kind: the
    department's (USCC, name), and its active signer."""
    catalogue = default_catalogue()
    issuer_of: dict[str, tuple[str, str]] = {}
    signers: dict[str, Signer] = {}
    for kind, (uscc, name) in ISSUERS.items():
        issuer = session.exec(select(Issuer).where(Issuer.uscc == uscc)).first()
        if issuer is None:
            issuer = register_issuer(session, uscc=uscc, name=name, authority_kind=kind,
                                     master_secret=master_secret, actor=ACTOR, now=now)  # fmt: skip
        issuer_of[kind] = (issuer.uscc, issuer.name)
        signers[kind] = issuer_keyring(session, issuer, master_secret=master_secret).active_signer()
        trusted = set(
            session.exec(select(TrustGrant.licence_type).where(TrustGrant.issuer_uscc == uscc))
        )
        for ltype in catalogue.types():
            if ltype.authority_kind == kind and ltype.code not in trusted:
                # Trusted since before the oldest seeded licence was issued.
                since = now - timedelta(days=4000)
                grant = TrustGrant(
                    issuer_uscc=uscc, licence_type=ltype.code, valid_from=since, created_at=now
                )
                session.add(grant)
    session.flush()
    return issuer_of, signers


def _record_lists(session: Session, lists: list[tuple[str, int, int]], *, now: datetime) -> int:
    """Mark the seed's slots taken: the first list's next_index, then the lists it opened."""
    table = StatusListRecord.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    for list_id, size, used in lists:
        done = connection.execute(
            update(table).where(table.c.id == list_id).values(next_index=used)
        )
        if done.rowcount == 0:
            connection.execute(
                insert(table).values(id=list_id, bits=2, size=size, next_index=used, created_at=now)
            )
    return len(lists)


Block = list[tuple[Any, ...]] | bytes  # rows, or rows already in COPY text format
# What the workers run, set in this process before they are forked, so they inherit it (a
# Signer holds a private key object, which cannot be pickled): only the tasks are pickled.
_JOB: tuple[Callable[[Any], list[tuple[Any, ...]]], bool] | None = None


def _run_job(task: Any) -> Block:
    assert _JOB is not None
    make, as_copy = _JOB
    rows = make(task)
    return copy_text(rows) if as_copy else rows


def _blocks(
    make: Callable[[Any], list[tuple[Any, ...]]],
    tasks: Iterable[Any],
    *,
    workers: int,
    as_copy: bool,
) -> Iterator[Block]:
    """``make(task)`` for every task, in order; in ``workers`` forked processes if > 1."""
    global _JOB
    _JOB = (make, as_copy)
    try:
        if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            yield from map(_run_job, tasks)
            return
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap(_run_job, tasks)
    finally:
        _JOB = None


class _Writer:
    """COPY on PostgreSQL, executemany on SQLite; in the session's transaction."""

    def __init__(self, session: Session, workers: int) -> None:
        self.session = session
        self.workers = workers
        self.postgresql = is_postgresql(session)

    def write(
        self,
        model: Any,
        columns: tuple[str, ...],
        make: Callable[[Any], list[tuple[Any, ...]]],
        tasks: Iterable[Any],
    ) -> int:
        """Write the rows ``make`` gives for each task; how many were written."""
        connection = self.session.connection()
        blocks = _blocks(make, tasks, workers=self.workers, as_copy=self.postgresql)
        if self.postgresql:
            return _copy(connection, model.__tablename__, columns, blocks)
        written = 0
        for block in blocks:
            assert not isinstance(block, bytes)
            connection.execute(
                insert(model.__table__), [dict(zip(columns, row, strict=True)) for row in block]
            )
            written += len(block)
        return written

    @contextmanager
    def indexes_built_after(self, table: str, report: BulkSeedReport) -> Iterator[None]:
        if not self.postgresql:
            yield
            return
        connection = self.session.connection()
        params = {"t": table}
        constraints = connection.execute(
            text("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                 "WHERE conrelid = CAST(:t AS regclass) AND contype = 'u'"), params,
        ).all()  # fmt: skip
        indexes = connection.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t AND indexname "
                 "NOT IN (SELECT conname FROM pg_constraint "
                 "WHERE conrelid = CAST(:t AS regclass))"), params,
        ).all()  # fmt: skip
        for name, _ in constraints:
            connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        for name, _ in indexes:
            connection.execute(text(f'DROP INDEX "{name}"'))
        yield
        with _timed(report, f"{table} indexes"):
            connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            for name, definition in constraints:
                connection.execute(
                    text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                )
            for _, definition in indexes:
                connection.execute(text(definition))


def _copy(
    connection: Connection, table: str, columns: tuple[str, ...], blocks: Iterable[Block]
) -> int:
    driver: Any = connection.connection.driver_connection
    written = 0
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for block in blocks:
            data = block if isinstance(block, bytes) else copy_text(block)
            copy.write(data)
            written += data.count(b"\n")  # escaped inside values: one per row
    return written


@contextmanager
def _timed(report: BulkSeedReport, name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    report.seconds[name] = report.seconds.get(name, 0.0) + time.perf_counter() - started
