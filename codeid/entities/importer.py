"""Bulk import of entities: validate every row, upsert whole batches or nothing.

Semantics
- Idempotent: a USCC already registered is updated in place, never duplicated; rows are
  applied in file order, so within one file the last row for a USCC wins.
- All-or-nothing per batch (``batch_size`` rows; ``None`` = the whole input is one batch).
  If any row of a batch is rejected, nothing of that batch is written; the report lists
  every rejected row with its line number, USCC, reason code and message.
- Bulk import never accepts a USCC check-character override (rejected as "uscc-check"),
  nor changes a deregistered entity ("entity-deregistered"), nor touches status.

Transactions
- ``batch_size=None``: the importer only flushes; the caller commits (or rolls back).
- ``batch_size=N``: the importer calls ``session.commit()`` after each applied batch (and
  once at the end), so earlier good batches stay even if a later one is rejected. Work
  the caller left pending in the session is committed with the first batch.
- Each batch runs in a SAVEPOINT and is written chunk by chunk as it streams (memory stays
  bounded for millions of rows); a rejected row rolls the savepoint back, and the rest of
  the batch is only validated, no longer written.

Writes are set-based Core statements (codeid.entities.upsert), not ORM objects: per
chunk one SELECT of the chunk's USCCs (to tell inserted / updated / unchanged apart and
find deregistered entities) and one ``INSERT ... ON CONFLICT (uscc) DO UPDATE`` of the rows
that change something. Unchanged rows are not rewritten, so a re-import keeps updated_at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain, islice
from time import perf_counter
from typing import Any

from sqlmodel import Session

from codeid.entities.data import EntityData, clean_entity_data, entity_data_from_row
from codeid.entities.errors import EntityDeregistered, MalformedImportRow
from codeid.entities.models import EntityEvent, EntityStatus
from codeid.entities.readers import ROW_ERROR_KEY
from codeid.entities.upsert import Upserter, data_values, existing
from codeid.errors import CodeidError
from codeid.uscc import normalise_uscc

CHUNK_SIZE = 2000  # rows per SELECT/upsert round trip; well under SQLite's 32766 parameters
_DEREGISTERED = EntityStatus.DEREGISTERED.value

RawRows = Iterable[tuple[int, dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class RejectedRow:
    line: int
    uscc: str | None
    code: str
    message: str


@dataclass(slots=True)
class ImportReport:
    rows: int = 0  # data rows read, in every batch
    inserted: int = 0  # the counts cover applied batches only
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    batches_applied: int = 0
    batches_rejected: int = 0
    seconds: float = 0.0


def import_entities(
    session: Session,
    rows: RawRows,
    *,
    actor: str,
    now: datetime,
    batch_size: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ImportReport:
    """Import ``(line_number, raw_row)`` pairs (see codeid.entities.readers); see module doc.

    ``on_progress`` is called with the number of rows read so far after each chunk.
    """
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    started = perf_counter()
    report = ImportReport()
    upsert = Upserter(session.connection())
    remaining = iter(rows)
    while True:
        batch = islice(remaining, batch_size) if batch_size else remaining
        first = next(batch, None)
        if first is None:
            break
        _BatchImport(session, report, upsert, actor, now, on_progress).run(
            chain([first], batch),
            chunk_size=chunk_size,
            batch_number=report.batches_applied + report.batches_rejected + 1,
        )
        if batch_size is None:
            break
        session.commit()
    if batch_size is not None:
        session.commit()
    report.seconds = perf_counter() - started
    return report


class _BatchImport:
    """One all-or-nothing batch, streamed in chunks inside a savepoint."""

    def __init__(
        self,
        session: Session,
        report: ImportReport,
        upsert: Upserter,
        actor: str,
        now: datetime,
        on_progress: Callable[[int], None] | None,
    ) -> None:
        self.session, self.report, self.upsert = session, report, upsert
        self.actor, self.now, self.on_progress = actor, now, on_progress
        self.today = now.date()
        self.counts = {"inserted": 0, "updated": 0, "unchanged": 0}
        self.rejected = 0
        self.first_line = self.last_line = 0

    def run(
        self, rows: Iterator[tuple[int, dict[str, Any]]], *, chunk_size: int, batch_number: int
    ) -> None:
        savepoint = self.session.begin_nested()
        try:
            for chunk in _chunks(rows, chunk_size):
                self._chunk(chunk)
                if self.on_progress is not None:
                    self.on_progress(self.report.rows)
            if self.rejected:
                savepoint.rollback()
                self.report.batches_rejected += 1
                return
            # One event per batch, not per row: a million events would double the import
            # time. An entity's updated_at equals the ``at`` of the batch that last wrote it.
            self.session.add(
                EntityEvent(
                    uscc="",
                    action="imported",
                    actor=self.actor,
                    at=self.now,
                    detail={
                        "batch": batch_number,
                        "first_line": self.first_line,
                        "last_line": self.last_line,
                        **self.counts,
                    },
                )
            )
            savepoint.commit()
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            raise
        self.report.batches_applied += 1
        self.report.inserted += self.counts["inserted"]
        self.report.updated += self.counts["updated"]
        self.report.unchanged += self.counts["unchanged"]
        # Core writes bypass the identity map; reload anything the caller holds.
        self.session.expire_all()

    def _reject(self, line: int, uscc: str | None, error: CodeidError) -> None:
        self.rejected += 1
        self.report.rejected.append(RejectedRow(line, uscc, error.code, error.message))

    def _chunk(self, chunk: list[tuple[int, dict[str, Any]]]) -> None:
        self.first_line = self.first_line or chunk[0][0]
        self.last_line = chunk[-1][0]
        self.report.rows += len(chunk)
        valid: list[tuple[int, EntityData]] = []
        for line, raw in chunk:
            try:
                valid.append((line, _validate(raw, self.today)))
            except CodeidError as error:
                self._reject(line, _raw_uscc(raw), error)
        if not valid:
            return
        conn = self.session.connection()
        state = existing(conn, list({data.uscc: None for _, data in valid}))
        writes: dict[str, EntityData] = {}
        for line, data in valid:
            uscc = data.uscc
            before = state.get(uscc)
            if before is not None and before[1] == _DEREGISTERED:
                self._reject(
                    line,
                    uscc,
                    EntityDeregistered(f"entity {uscc} is deregistered and can no longer change"),
                )
                continue
            values = data_values(data)
            if before is None:
                self.counts["inserted"] += 1
            elif before[0] == values:
                self.counts["unchanged"] += 1
                continue
            else:
                self.counts["updated"] += 1
            state[uscc] = (values, before[1] if before else EntityStatus.ACTIVE.value)
            writes[uscc] = data
        if writes and not self.rejected:
            self.upsert.write(conn, list(writes.values()), now=self.now)


def _validate(raw: dict[str, Any], today: date) -> EntityData:
    if ROW_ERROR_KEY in raw:
        raise MalformedImportRow(str(raw[ROW_ERROR_KEY]))
    data, _ = clean_entity_data(entity_data_from_row(raw), today=today)
    return data


def _raw_uscc(raw: dict[str, Any]) -> str | None:
    value = raw.get("uscc")
    return (normalise_uscc(value) or None) if isinstance(value, str) else None


def _chunks(
    rows: Iterator[tuple[int, dict[str, Any]]], size: int
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    while chunk := list(islice(rows, size)):
        yield chunk
