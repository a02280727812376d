"""Replace the static codes a compromised key signed: revoke them, issue new ones.

Printed static codes live for years, so after a key compromise (codeid.keys.keyring
``KeyRing.compromise``) every business still holding a live code from that key needs a new
one. The work goes entity by entity, in USCC order, a batch at a time: each batch revokes
every live static code of its entities that the key signed (reason "key compromised") and
issues each still-active entity one new static code with the ring's active key. The
``after`` cursor a batch returns lets a caller commit between batches (the CLI does) or run
them all in one transaction (the API does); the domain only flushes.

Idempotent: a code once revoked is no longer live, so a second run finds nothing to do, and
a run interrupted after some committed batches carries on where it stopped. An entity that
is no longer active has its codes revoked but gets no new one (``skipped``); it can be given
one the usual way once it is active again. Businesses fetch their current static code as
before (the portal's download issues one with the active key); the replacement made here is
on record, and its payload is returned for whoever mails out new stickers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from codeid.codes.issue import IssuedCode, issue_static_code
from codeid.codes.models import StaticCode
from codeid.entities.models import Entity, EntityStatus
from codeid.errors import InvalidInput
from codeid.keys.keyring import KeyStateConflict, Signer

REVOCATION_REASON = "key compromised"
DEFAULT_BATCH = 200


@dataclass(frozen=True, slots=True)
class Replacement:
    uscc: str
    revoked: tuple[str, ...]  # serials of the old codes
    issued: IssuedCode | None  # None when the entity is not active


@dataclass(frozen=True, slots=True)
class ReissueBatch:
    replacements: list[Replacement]
    # The last USCC handled: pass it back as ``after`` for the next batch; None when done.
    after: str | None

    @property
    def revoked(self) -> int:
        return sum(len(r.revoked) for r in self.replacements)

    @property
    def reissued(self) -> int:
        return sum(1 for r in self.replacements if r.issued is not None)

    @property
    def skipped(self) -> int:
        return sum(1 for r in self.replacements if r.issued is None)


@dataclass
class ReissueCounts:
    """What a whole run did (the sum of its batches)."""

    entities: int = 0
    revoked: int = 0
    reissued: int = 0
    skipped: int = 0  # entities not active: revoked, not replaced
    batches: int = 0

    def add(self, batch: ReissueBatch) -> None:
        self.batches += 1
        self.entities += len(batch.replacements)
        self.revoked += batch.revoked
        self.reissued += batch.reissued
        self.skipped += batch.skipped

    def as_dict(self) -> dict[str, int]:
        names = ("entities", "revoked", "reissued", "skipped", "batches")
        return {name: getattr(self, name) for name in names}


def reissue_batch(
    session: Session,
    *,
    kid: str,
    signer: Signer,
    now: datetime,
    ttl: timedelta,
    after: str = "",
    limit: int = DEFAULT_BATCH,
) -> ReissueBatch:
    """One batch: up to ``limit`` entities (USCC > ``after``) with live codes from ``kid``."""
    if signer.kid == kid:
        raise KeyStateConflict(
            f"key {kid} is the one being replaced; rotate (KeyRing.compromise does) first",
            kid=kid,
        )
    if not 1 <= limit <= 10_000:
        raise InvalidInput(f"a batch is 1 to 10000 entities, not {limit}")
    live = _live_codes(kid, now)
    usccs = list(
        session.exec(
            select(StaticCode.uscc)
            .distinct()
            .where(*live, col(StaticCode.uscc) > after)
            .order_by(col(StaticCode.uscc))
            .limit(limit)
        ).all()
    )
    if not usccs:
        return ReissueBatch([], None)
    # Locked (PostgreSQL), and the live condition checked again once a lock is granted: a
    # second run at the same time waits, then finds these revoked and leaves them alone.
    codes = session.exec(
        select(StaticCode)
        .where(*live, col(StaticCode.uscc).in_(usccs))
        .order_by(col(StaticCode.serial))
        .with_for_update()
    ).all()
    by_entity: dict[str, list[StaticCode]] = {}
    for code in codes:
        by_entity.setdefault(code.uscc, []).append(code)
    active = set(
        session.exec(
            select(Entity.uscc).where(
                col(Entity.uscc).in_(usccs), Entity.status == EntityStatus.ACTIVE.value
            )
        ).all()
    )
    replacements = []
    for uscc, old in sorted(by_entity.items()):
        for code in old:
            code.revoked_at = now
            code.revocation_reason = REVOCATION_REASON
            session.add(code)
        issued = None
        if uscc in active:
            issued = issue_static_code(session, uscc=uscc, signer=signer, now=now, ttl=ttl)
        replacements.append(Replacement(uscc, tuple(code.serial for code in old), issued))
    session.flush()
    return ReissueBatch(replacements, usccs[-1])


def iter_reissue(
    session: Session,
    *,
    kid: str,
    signer: Signer,
    now: datetime,
    ttl: timedelta,
    limit: int = DEFAULT_BATCH,
) -> Iterator[ReissueBatch]:
    """Every batch in turn, in one session (the caller decides when to commit)."""
    after = ""
    while True:
        batch = reissue_batch(
            session, kid=kid, signer=signer, now=now, ttl=ttl, after=after, limit=limit
        )
        if batch.after is None:
            return
        yield batch
        after = batch.after


def reissue_static_codes(
    session: Session,
    *,
    kid: str,
    signer: Signer,
    now: datetime,
    ttl: timedelta,
    limit: int = DEFAULT_BATCH,
) -> ReissueCounts:
    """Replace every live static code ``kid`` signed, in batches, in this session."""
    counts = ReissueCounts()
    for batch in iter_reissue(session, kid=kid, signer=signer, now=now, ttl=ttl, limit=limit):
        counts.add(batch)
    return counts


def live_code_count(session: Session, *, kid: str, now: datetime) -> int:
    """How many static codes ``kid`` signed are still live (neither revoked nor expired)."""
    query = select(func.count()).select_from(StaticCode).where(*_live_codes(kid, now))
    return session.exec(query).one()


def _live_codes(kid: str, now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        col(StaticCode.kid) == kid,
        col(StaticCode.revoked_at).is_(None),
        col(StaticCode.expires_at) > now,
    )
