"""Appointments: slots from opening hours, holds, confirm, cancel, reschedule, limits, races."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from codeid.entities.errors import EntityNotFound
from codeid.entities.models import Entity
from codeid.errors import InvalidInput
from codeid.uscc import random_uscc
from counter.booking_create import book
from counter.booking_lifecycle import (
    cancel_booking,
    confirm_booking,
    expire_holds,
    reschedule_booking,
)
from counter.bookings import CANCELLED, CONFIRMED, EXPIRED, HELD, bookings_for, get_booking
from counter.errors import (
    BookingNotFound,
    BookingStateConflict,
    ItemNotFound,
    NoFreeSlot,
    SlotFull,
    SlotUnavailable,
    TooManyBookings,
)
from counter.hall import demo_hall_path, load_hall_file
from counter.models import Booking, Slot
from counter.slots import ensure_slots, list_slots

# Monday 30 November 2026, 08:30 in Guangzhou (00:30 UTC): before opening.
NOW = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)
MONDAY = date(2026, 11, 30)
MINUTE = timedelta(minutes=1)
SPECIAL = "special-equipment-registration"  # category D, 2 places per slot
ADDRESS = "address-change"  # category A, 6 places per slot


def _world(session: Session, businesses: int = 4, seed: int = 1) -> list[str]:
    load_hall_file(session, demo_hall_path(), now=NOW - timedelta(days=3))
    rng = random.Random(seed)
    usccs = [random_uscc(rng) for _ in range(businesses)]
    for index, uscc in enumerate(usccs):
        session.add(
            Entity(
                uscc=uscc,
                name=f"广州市天河区示例贸易有限公司{index}",
                entity_type="company",
                created_at=NOW,
                updated_at=NOW,
            )
        )
    session.commit()
    return usccs


def _slot(session: Session, booking: Booking) -> Slot:
    slot = session.get(Slot, booking.slot_id)
    assert slot is not None
    session.refresh(slot)
    return slot


def test_slots_follow_opening_hours_in_local_time(session: Session) -> None:
    _world(session)
    assert ensure_slots(session, day=MONDAY, now=NOW) == 6 * (6 + 8)
    assert ensure_slots(session, day=MONDAY, now=NOW) == 0  # idempotent
    slots = list_slots(session, category_code="A", day=MONDAY)
    assert len(slots) == 14
    # 09:00 in Guangzhou is 01:00 UTC; the afternoon starts at 13:30 (05:30 UTC).
    assert slots[0].starts_at == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert slots[0].ends_at == datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
    assert slots[5].ends_at == datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
    assert slots[6].starts_at == datetime(2026, 11, 30, 5, 30, tzinfo=UTC)
    assert slots[-1].ends_at == datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    assert {(s.capacity, s.booked) for s in slots} == {(6, 0)}
    assert list_slots(session, category_code="D", day=MONDAY)[0].capacity == 2
    assert ensure_slots(session, day=date(2026, 12, 5), now=NOW) == 6 * 6  # Saturday morning
    assert ensure_slots(session, day=date(2026, 12, 6), now=NOW) == 0  # Sunday: closed
    with pytest.raises(InvalidInput, match="in the past"):
        ensure_slots(session, day=date(2026, 11, 29), now=NOW)


def test_book_holds_the_first_free_slot_then_confirm(session: Session) -> None:
    a, *_ = _world(session)
    booking = book(session, uscc=a.lower(), item_code=SPECIAL, agent="陈芳", now=NOW)
    session.commit()
    assert (booking.status, booking.uscc, booking.agent) == (HELD, a, "陈芳")
    assert booking.held_until == NOW + 10 * MINUTE
    assert len(booking.reference) == 10
    slot = _slot(session, booking)
    assert (slot.category_code, slot.day, slot.booked) == ("D", MONDAY, 1)
    assert slot.starts_at == datetime(2026, 11, 30, 1, 0, tzinfo=UTC)

    confirmed = confirm_booking(session, booking.reference.lower(), now=NOW + 9 * MINUTE)
    assert (confirmed.status, confirmed.held_until) == (CONFIRMED, None)
    assert confirm_booking(session, booking.reference, now=NOW + 20 * MINUTE).status == CONFIRMED
    session.commit()
    assert get_booking(session, booking.reference).status == CONFIRMED
    assert _slot(session, booking).booked == 1  # confirming keeps the one place
    with pytest.raises(BookingNotFound):
        get_booking(session, "NOSUCHREF1")


def test_full_slot_refuses_and_first_free_moves_on(session: Session) -> None:
    a, b, c, _ = _world(session)
    first = book(session, uscc=a, item_code=SPECIAL, now=NOW)
    book(session, uscc=b, item_code=SPECIAL, slot_id=first.slot_id, now=NOW)
    with pytest.raises(SlotFull, match=r"is full") as caught:
        book(session, uscc=c, item_code=SPECIAL, slot_id=first.slot_id, now=NOW)
    assert caught.value.code == "slot-full"
    later = book(session, uscc=c, item_code=SPECIAL, now=NOW)
    assert later.slot_id != first.slot_id
    assert _slot(session, first).booked == 2
    assert _slot(session, later).starts_at == _slot(session, first).starts_at + 30 * MINUTE


def test_a_hold_expires_and_frees_its_place(session: Session) -> None:
    a, b, *_ = _world(session)
    held = book(session, uscc=a, item_code=SPECIAL, now=NOW)
    kept = book(session, uscc=b, item_code=SPECIAL, slot_id=held.slot_id, now=NOW)
    confirm_booking(session, kept.reference, now=NOW + MINUTE)
    session.commit()
    assert expire_holds(session, now=NOW + 9 * MINUTE) == 0
    assert expire_holds(session, now=NOW + 10 * MINUTE) == 1  # held_until reached
    session.commit()
    assert get_booking(session, held.reference).status == EXPIRED
    assert get_booking(session, kept.reference).status == CONFIRMED
    assert _slot(session, held).booked == 1
    with pytest.raises(BookingStateConflict, match="is expired and cannot be confirmed"):
        confirm_booking(session, held.reference, now=NOW + 11 * MINUTE)
    assert expire_holds(session, now=NOW + 30 * MINUTE) == 0  # freed once only
    assert _slot(session, held).booked == 1


def test_stale_holds_give_way_to_a_new_booking_without_a_sweep(session: Session) -> None:
    a, b, c, _ = _world(session)
    first = book(session, uscc=a, item_code=SPECIAL, now=NOW)
    book(session, uscc=b, item_code=SPECIAL, slot_id=first.slot_id, now=NOW)
    session.commit()
    with pytest.raises(BookingStateConflict, match="has expired"):
        confirm_booking(session, first.reference, now=NOW + 10 * MINUTE)
    session.rollback()
    third = book(session, uscc=c, item_code=SPECIAL, slot_id=first.slot_id, now=NOW + 11 * MINUTE)
    session.commit()
    assert third.slot_id == first.slot_id
    assert _slot(session, first).booked == 1  # two stale holds out, one new hold in
    assert {b.status for b in session.exec(select(Booking)).all()} == {EXPIRED, HELD}


def test_cancel_frees_the_place_once(session: Session) -> None:
    a, *_ = _world(session)
    booking = book(session, uscc=a, item_code=SPECIAL, now=NOW)
    confirm_booking(session, booking.reference, now=NOW)
    assert cancel_booking(session, booking.reference, now=NOW + MINUTE).status == CANCELLED
    session.commit()
    assert _slot(session, booking).booked == 0
    with pytest.raises(BookingStateConflict, match="is cancelled and cannot be cancelled"):
        cancel_booking(session, booking.reference, now=NOW + MINUTE)
    with pytest.raises(BookingStateConflict):
        confirm_booking(session, booking.reference, now=NOW + MINUTE)
    assert _slot(session, booking).booked == 0


def test_reschedule_moves_the_place(session: Session) -> None:
    a, b, c, _ = _world(session)
    booking = book(session, uscc=a, item_code=SPECIAL, now=NOW)
    confirm_booking(session, booking.reference, now=NOW)
    old_slot = booking.slot_id
    afternoon = list_slots(session, category_code="D", day=MONDAY)[6]
    assert afternoon.id is not None
    moved = reschedule_booking(session, booking.reference, slot_id=afternoon.id, now=NOW)
    session.commit()
    assert (moved.slot_id, moved.status) == (afternoon.id, CONFIRMED)
    assert _slot(session, moved).booked == 1
    old = session.get(Slot, old_slot)
    assert old is not None
    session.refresh(old)
    assert old.booked == 0

    # A full target is refused and the booking keeps its place.
    book(session, uscc=b, item_code=SPECIAL, slot_id=old_slot, now=NOW)
    book(session, uscc=c, item_code=SPECIAL, slot_id=old_slot, now=NOW)
    session.commit()
    with pytest.raises(SlotFull):
        reschedule_booking(session, booking.reference, slot_id=old_slot, now=NOW)
    session.rollback()
    assert get_booking(session, booking.reference).slot_id == afternoon.id
    # Another category's slot, or one that has started, cannot be taken.
    other = list_slots(session, category_code="A", day=MONDAY)[0]
    assert other.id is not None
    with pytest.raises(InvalidInput, match="is for category A, the item is in D"):
        reschedule_booking(session, booking.reference, slot_id=other.id, now=NOW)
    started = list_slots(session, category_code="D", day=MONDAY)[1]
    assert started.id is not None
    with pytest.raises(SlotUnavailable, match="started at"):
        reschedule_booking(session, booking.reference, slot_id=started.id, now=NOW + 70 * MINUTE)
    cancel_booking(session, booking.reference, now=NOW)
    with pytest.raises(BookingStateConflict):
        reschedule_booking(session, booking.reference, slot_id=old_slot, now=NOW)


def test_max_open_bookings(session: Session) -> None:
    a, *_ = _world(session)
    bookings = [book(session, uscc=a, item_code=ADDRESS, now=NOW) for _ in range(3)]
    with pytest.raises(TooManyBookings, match="already has 3 open bookings; at most 3") as caught:
        book(session, uscc=a, item_code=SPECIAL, now=NOW)
    assert caught.value.code == "too-many-bookings"
    cancel_booking(session, bookings[0].reference, now=NOW)
    book(session, uscc=a, item_code=SPECIAL, now=NOW)
    # Expired holds are not open; confirmed bookings are, until their slot has ended.
    later = NOW + 10 * MINUTE
    fresh = [book(session, uscc=a, item_code=SPECIAL, now=later) for _ in range(3)]
    for booking in fresh:
        confirm_booking(session, booking.reference, now=later)
    with pytest.raises(TooManyBookings):
        book(session, uscc=a, item_code=SPECIAL, now=later)
    evening = datetime(2026, 11, 30, 9, 31, tzinfo=UTC)  # after the last slot ended
    tomorrow = book(session, uscc=a, item_code=ADDRESS, day=date(2026, 12, 1), now=evening)
    assert _slot(session, tomorrow).day == date(2026, 12, 1)


def test_bookings_for_a_day_and_refusals(session: Session) -> None:
    a, b, *_ = _world(session)
    today = book(session, uscc=a, item_code=ADDRESS, now=NOW)
    tuesday = book(session, uscc=a, item_code=ADDRESS, day=date(2026, 12, 1), now=NOW)
    book(session, uscc=b, item_code=ADDRESS, now=NOW)
    session.commit()
    assert [x.reference for x in bookings_for(session, a)] == [today.reference, tuesday.reference]
    assert [x.reference for x in bookings_for(session, a, day=MONDAY)] == [today.reference]
    assert bookings_for(session, a, day=date(2026, 12, 2)) == []
    with pytest.raises(NoFreeSlot, match="no free slot for category A on 2026-12-06"):
        book(session, uscc=a, item_code=ADDRESS, day=date(2026, 12, 6), now=NOW)
    with pytest.raises(ItemNotFound):
        book(session, uscc=a, item_code="fishing-permit", now=NOW)
    with pytest.raises(EntityNotFound):
        book(session, uscc=random_uscc(random.Random(99)), item_code=ADDRESS, now=NOW)
    late = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)  # 17:05: the last slot has started
    with pytest.raises(NoFreeSlot, match="have all started"):
        book(session, uscc=b, item_code=ADDRESS, now=late)


def _race(engine: Engine, calls: list[dict[str, object]]) -> Counter[str]:
    """Run one booking per thread, all released at once, each in its own session."""
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(len(calls))

    def run(kwargs: dict[str, object]) -> None:
        barrier.wait()
        with Session(engine, expire_on_commit=False) as session:
            try:
                book(session, now=NOW, **kwargs)  # type: ignore[arg-type]
                session.commit()
                outcome = "booked"
            except (SlotFull, TooManyBookings) as exc:
                session.rollback()
                outcome = exc.code
            except Exception as exc:  # counted, so the assertion shows it
                session.rollback()
                outcome = type(exc).__name__
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=run, args=(kwargs,)) for kwargs in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_concurrent_bookings_never_exceed_capacity(session: Session, engine: Engine) -> None:
    usccs = _world(session, businesses=30, seed=7)
    ensure_slots(session, day=MONDAY, now=NOW)
    slot = list_slots(session, category_code="A", day=MONDAY)[2]
    slot.capacity = 5
    session.add(slot)
    session.commit()
    calls: list[dict[str, object]] = [
        {"uscc": uscc, "item_code": ADDRESS, "slot_id": slot.id} for uscc in usccs
    ]
    assert _race(engine, calls) == {"booked": 5, "slot-full": 25}
    session.refresh(slot)
    assert slot.booked == 5
    assert len(session.exec(select(Booking).where(Booking.slot_id == slot.id)).all()) == 5


def test_concurrent_bookings_of_one_business_respect_its_limit(
    session: Session, engine: Engine
) -> None:
    a, *_ = _world(session, businesses=1)
    calls: list[dict[str, object]] = [{"uscc": a, "item_code": ADDRESS} for _ in range(12)]
    assert _race(engine, calls) == {"booked": 3, "too-many-bookings": 9}
    assert len(bookings_for(session, a)) == 3
    assert sum(s.booked for s in list_slots(session, category_code="A", day=MONDAY)) == 3
