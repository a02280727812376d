"""Check-ins and call-next at the demo hall's 37 windows on PostgreSQL, against plain SQL.

    python -m bench.bench_counter [--checkins 2000] [--kiosks 8] [--tickets 3000] [--seconds 20]

Runs in a throwaway database (created and dropped here) migrated to head, with the demo hall
loaded. Check-in: a real dynamic code signed by the platform key ring is verified, its
registry state checked, consumed once, booking looked up, numbered and issued, with people
ahead and wait estimate, one transaction each; the baseline is a plain INSERT of a ticket row
per transaction with the same number of kiosk threads. Call-next: 37 windows (one thread and
connection each) call until the queue is empty; the baseline is the bare
``SELECT ... FOR UPDATE SKIP LOCKED`` + ``UPDATE`` of the same shape, one transaction each.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

import codeid.models  # noqa: F401
import counter.models  # noqa: F401
import credentials.models  # noqa: F401
from bench.throwaway import throwaway_database
from codeid.codes.issue import issue_dynamic_code
from codeid.db import make_engine
from codeid.entities.models import Entity
from codeid.keys.keyring import KeyRing
from codeid.migrate import upgrade
from codeid.uscc import random_uscc
from counter.check_in import check_in
from counter.hall import demo_hall_path, load_hall_file
from counter.models import Ticket, Window
from counter.windows import call_next

SERVER = os.environ.get(
    "CODEID_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Guangzhou
DAY = NOW.date()


@contextmanager
def migrated_database(pool_size: int) -> Iterator[Engine]:
    with throwaway_database(SERVER, prefix="codeid_bench") as url:
        engine = make_engine(url, pool_size=pool_size)
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def in_threads(workers: Sequence[Callable[[], int]]) -> tuple[int, float]:
    """Run the workers at once; (operations done, seconds); any worker error is raised."""
    barrier = threading.Barrier(len(workers) + 1)
    counts: list[int] = []
    errors: list[BaseException] = []

    def run(worker: Callable[[], int]) -> None:
        barrier.wait()
        try:
            counts.append(worker())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return sum(counts), elapsed


def setup(engine: Engine, businesses: int, master: bytes) -> list[str]:
    with Session(engine) as session:
        load_hall_file(session, demo_hall_path(), now=NOW - timedelta(days=1))
        rng = random.Random(2026)
        usccs = sorted({random_uscc(rng) for _ in range(businesses)})
        for index, uscc in enumerate(usccs):
            session.add(
                Entity(
                    uscc=uscc,
                    name=f"示例企业{index}",
                    entity_type="company",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        KeyRing(session, master_secret=master).ensure_active(NOW - timedelta(days=1))
        session.commit()
        return usccs


def bench_check_ins(engine: Engine, count: int, kiosks: int) -> tuple[float, float]:
    master = secrets.token_bytes(32)
    usccs = setup(engine, count, master)
    with Session(engine) as session:
        ring = KeyRing(session, master_secret=master)
        signer, keys = ring.active_signer(), ring.public_keys()
        payloads = [
            issue_dynamic_code(session, uscc=uscc, signer=signer, now=NOW).payload for uscc in usccs
        ]
    shares = [payloads[k::kiosks] for k in range(kiosks)]

    def kiosk(share: list[str]) -> Callable[[], int]:
        def work() -> int:
            for payload in share:
                with Session(engine) as session:
                    check_in(session, payload, keys=keys, now=NOW, location="bench")
                    session.commit()
            return len(share)

        return work

    done, seconds = in_threads([kiosk(share) for share in shares])
    full = done / seconds
    insert = text(
        "INSERT INTO ticket (day, category_code, seq, number, uscc, priority, status, recalls,"
        " issued_at, queued_at) VALUES (:day, 'Z', :seq, :number, :uscc, 'walk-in',"
        " 'baseline', 0, :now, :now)"
    )

    def plain(k: int) -> Callable[[], int]:
        def work() -> int:
            for i in range(len(shares[k])):
                seq = k * 1_000_000 + i
                with engine.begin() as conn:
                    conn.execute(
                        insert,
                        {"day": DAY, "seq": seq, "number": f"Z{seq}", "uscc": usccs[0], "now": NOW},
                    )
            return len(shares[k])

        return work

    done, seconds = in_threads([plain(k) for k in range(kiosks)])
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ticket WHERE status = 'baseline'"))
    return full, done / seconds


def fill_queue(engine: Engine, tickets: int) -> None:
    """Reset the queue to ``tickets`` waiting walk-ins spread over the categories."""
    with Session(engine) as session:
        session.execute(text("DELETE FROM ticket_event"))
        session.execute(text("DELETE FROM ticket"))
        session.execute(text("DELETE FROM ticket_counter"))
        categories = "AAAABBCCCDEF"
        for i in range(tickets):
            code = categories[i % len(categories)]
            seq = i + 1
            session.add(
                Ticket(
                    day=DAY,
                    category_code=code,
                    seq=seq,
                    number=f"{code}{seq:04d}",
                    uscc="91440106000000000X",
                    priority="walk-in",
                    status="waiting",
                    issued_at=NOW,
                    queued_at=NOW + timedelta(milliseconds=i),
                )
            )
        session.commit()


def bench_call_next(engine: Engine, tickets: int, seconds: float) -> tuple[float, float, int]:
    with Session(engine) as session:
        windows = list(session.exec(select(Window).order_by(col(Window.number))).all())

    def deadline_for() -> float:
        return time.perf_counter() + seconds

    def window(number: int) -> Callable[[], int]:
        def work() -> int:
            calls, deadline = 0, deadline_for()
            while time.perf_counter() < deadline:
                with Session(engine) as session:
                    ticket = call_next(session, number, now=NOW + timedelta(minutes=30))
                    session.commit()
                if ticket is None:
                    break
                calls += 1
            return calls

        return work

    fill_queue(engine, tickets)
    done, elapsed = in_threads([window(w.number) for w in windows])
    with Session(engine) as session:
        called = session.exec(select(Ticket).where(Ticket.status == "called")).all()
        assert len(called) == done == len({t.id for t in called}), "a ticket was called twice"
    full = done / elapsed

    pick = text(
        "SELECT id FROM ticket WHERE day = :day AND status = 'waiting'"
        " AND category_code = ANY(:categories) ORDER BY queued_at, id LIMIT 1"
        " FOR UPDATE SKIP LOCKED"
    )
    claim = text(
        "UPDATE ticket SET status = 'called', window_number = :window, called_at = :now"
        " WHERE id = :id AND status = 'waiting'"
    )

    def plain(w: Window) -> Callable[[], int]:
        def work() -> int:
            calls, deadline = 0, deadline_for()
            while time.perf_counter() < deadline:
                with engine.begin() as conn:
                    ticket_id = conn.execute(
                        pick, {"day": DAY, "categories": list(w.categories)}
                    ).scalar()
                    if ticket_id is None:
                        break
                    conn.execute(claim, {"window": w.number, "now": NOW, "id": ticket_id})
                calls += 1
            return calls

        return work

    fill_queue(engine, tickets)
    base_done, base_elapsed = in_threads([plain(w) for w in windows])
    return full, base_done / base_elapsed, len(windows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkins", type=int, default=2000, help="check-ins to time")
    parser.add_argument("--kiosks", type=int, default=8, help="concurrent check-in threads")
    parser.add_argument("--tickets", type=int, default=3000, help="queue length for call-next")
    parser.add_argument("--seconds", type=float, default=20.0, help="time bound per run")
    args = parser.parse_args()
    with migrated_database(pool_size=40) as engine:
        full, plain = bench_check_ins(engine, args.checkins, args.kiosks)
        print(f"check-in, {args.kiosks} kiosks, {args.checkins} codes on PostgreSQL")
        print(f"  check_in (verify + consume + issue)  {full:8.0f} /s")
        print(f"  baseline: plain INSERT of a ticket   {plain:8.0f} /s   x{plain / full:.1f}")
        full, plain, windows = bench_call_next(engine, args.tickets, args.seconds)
        print(f"call-next, {windows} windows at once, queue of {args.tickets} tickets")
        print(f"  call_next (rules + event)            {full:8.0f} /s")
        print(f"  baseline: SKIP LOCKED + UPDATE       {plain:8.0f} /s   x{plain / full:.1f}")


if __name__ == "__main__":
    main()
