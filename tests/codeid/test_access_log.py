"""The access log on SQLite and PostgreSQL: one hash chain, tampering found, searching."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, select

from codeid.audit.log import GENESIS, Access, append, entry_hash, record, verify_chain
from codeid.audit.models import AccessChainHead, AccessEvent
from codeid.audit.search import for_entity, search
from codeid.errors import InvalidInput

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
HUAWEI = "914403001922038216"
TENCENT = "91440300708461136T"
TABLE = AccessEvent.__table__  # type: ignore[attr-defined]


def read(actor: str = "user:1", uscc: str | None = HUAWEI, **changes: Any) -> Access:
    values: dict[str, Any] = {
        "actor_kind": actor.split(":")[0],
        "actor": actor,
        "actor_role": "clerk",
        "action": "entity.read",
        "outcome": "ok",
        "purpose": "counter service",
        "subject_uscc": uscc,
        "fields": ("name", "uscc"),
        **changes,
    }
    return Access(**values)


def write_log(engine: Engine, count: int) -> None:
    """``count`` entries, one a minute, alternating between two entities and two actors."""
    for i in range(count):
        actor, uscc = ("user:1", HUAWEI) if i % 2 == 0 else ("client:cid_bank", TENCENT)
        record(engine, [read(actor, uscc, resource=f"n{i + 1}")], now=NOW + timedelta(minutes=i))


def sql(engine: Engine, statement: Any) -> None:
    """Change the table behind the log's back, as someone with database access could."""
    with engine.begin() as conn:
        conn.execute(statement)


def test_append_chains_entries_in_order(engine: Engine, session: Session) -> None:
    written = append(session, [read(), read("client:cid_bank", outcome="no-consent")], now=NOW)
    session.commit()
    record(engine, [read(fields=("uscc", "name", "uscc"))], now=NOW + timedelta(seconds=1))

    events = list(session.exec(select(AccessEvent).order_by(col(AccessEvent.id))).all())
    assert [e.id for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.entry_hash for e in events[:-1]]
    assert all(entry_hash(e, e.prev_hash) == e.entry_hash for e in events)
    assert events[2].fields == ["name", "uscc"]  # names only, once each
    assert written[1].outcome == "no-consent"
    report = verify_chain(session)
    assert report.intact and report.checked == 3


def test_an_empty_log_is_intact(session: Session) -> None:
    report = verify_chain(session)
    assert report.intact and report.checked == 0


def test_concurrent_appends_form_one_unbroken_chain(engine: Engine, session: Session) -> None:
    threads, per_thread = 8, 10
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def appender(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                record(engine, [read(f"user:{n}", resource=f"{n}-{i}")], now=NOW)
        except BaseException as exc:  # reported below, a thread cannot fail the test itself
            errors.append(exc)

    workers = [threading.Thread(target=appender, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    report = verify_chain(session)
    assert report.intact and report.checked == threads * per_thread
    resources = session.exec(select(AccessEvent.resource)).all()
    assert len(set(resources)) == threads * per_thread  # nothing lost, nothing doubled


@pytest.mark.parametrize(
    "change",
    [
        {"purpose": "curiosity"},
        {"fields": ["name", "uscc", "legal_representative"]},
        {"outcome": "ok-ish"},
        {"actor": "user:2"},
        {"at": NOW - timedelta(days=1)},
    ],
    ids=lambda change: next(iter(change)),
)
def test_an_edited_entry_is_named(engine: Engine, session: Session, change: dict[str, Any]) -> None:
    write_log(engine, 5)
    sql(engine, update(TABLE).where(TABLE.c.id == 3).values(**change))
    report = verify_chain(session)
    assert not report.intact
    assert report.first_broken_id == 3 and report.checked == 2
    assert "content" in report.reason


def test_an_edited_entry_with_its_hash_redone_breaks_the_next_link(
    engine: Engine, session: Session
) -> None:
    write_log(engine, 5)
    event = session.get(AccessEvent, 3)
    assert event is not None
    event.purpose = "curiosity"
    forged = entry_hash(event, event.prev_hash)
    session.rollback()
    sql(engine, update(TABLE).where(TABLE.c.id == 3).values(purpose="curiosity", entry_hash=forged))
    report = verify_chain(session)
    assert report.first_broken_id == 4 and "link" in report.reason


def test_a_deleted_middle_entry_is_named(engine: Engine, session: Session) -> None:
    write_log(engine, 5)
    sql(engine, delete(TABLE).where(TABLE.c.id == 3))
    report = verify_chain(session)
    assert report.first_broken_id == 3 and "missing" in report.reason


def test_deleting_the_last_entries_is_found_through_the_head(
    engine: Engine, session: Session
) -> None:
    write_log(engine, 5)
    sql(engine, delete(TABLE).where(TABLE.c.id >= 4))
    report = verify_chain(session)
    assert report.checked == 3
    assert report.first_broken_id == 4 and "removed" in report.reason


def test_deleted_first_entries_are_named(engine: Engine, session: Session) -> None:
    write_log(engine, 3)
    sql(engine, delete(TABLE).where(TABLE.c.id <= 2))
    assert verify_chain(session).first_broken_id == 1
    head = session.get(AccessChainHead, 1)
    assert head is not None and head.last_id == 3


def test_reordered_entries_are_found(engine: Engine, session: Session) -> None:
    write_log(engine, 5)
    # Swap entries 2 and 3 (ids are part of each hash, so moving a row is changing it).
    sql(engine, update(TABLE).where(TABLE.c.id == 2).values(id=1000))
    sql(engine, update(TABLE).where(TABLE.c.id == 3).values(id=2))
    sql(engine, update(TABLE).where(TABLE.c.id == 1000).values(id=3))
    report = verify_chain(session)
    assert report.first_broken_id == 2 and not report.intact


def test_appending_after_tampering_does_not_heal_the_chain(
    engine: Engine, session: Session
) -> None:
    write_log(engine, 4)
    sql(engine, update(TABLE).where(TABLE.c.id == 2).values(outcome="forbidden"))
    write_log(engine, 2)
    report = verify_chain(session)
    assert report.first_broken_id == 2


def test_search_filters_and_pages_newest_first(engine: Engine, session: Session) -> None:
    write_log(engine, 7)  # odd entries: user:1 on Huawei; even: the bank on Tencent
    record(engine, [read("user:9", outcome="forbidden")], now=NOW + timedelta(hours=1))

    huawei = search(session, uscc=HUAWEI)
    assert [e.id for e in huawei.items] == [8, 7, 5, 3, 1] and huawei.next_cursor is None
    assert [e.id for e in search(session, actor="client:cid_bank").items] == [6, 4, 2]
    assert [e.id for e in search(session, outcome="forbidden").items] == [8]
    assert search(session, action="code.verify").items == []
    window = search(session, since=NOW + timedelta(minutes=2), until=NOW + timedelta(minutes=4))
    assert [e.id for e in window.items] == [4, 3]  # since inclusive, until exclusive

    first = search(session, limit=3)
    assert [e.id for e in first.items] == [8, 7, 6] and first.next_cursor == 6
    second = search(session, limit=3, cursor=first.next_cursor)
    assert [e.id for e in second.items] == [5, 4, 3]
    last = search(session, limit=3, cursor=3)
    assert [e.id for e in last.items] == [2, 1] and last.next_cursor is None

    mine = for_entity(session, TENCENT, limit=2)
    assert [e.id for e in mine.items] == [6, 4] and mine.next_cursor == 4
    assert {e.subject_uscc for e in mine.items} == {TENCENT}


def test_search_refuses_naive_times_and_bad_limits(session: Session) -> None:
    with pytest.raises(InvalidInput, match="UTC offset"):
        search(session, since=datetime(2026, 11, 27))
    with pytest.raises(InvalidInput, match="limit"):
        search(session, limit=0)
