"""Check-in, ticket numbering, people ahead and wait estimates, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from codeid.codes.errors import AlreadyUsed, CodeExpired, NotConsumable
from codeid.codes.issue import issue_static_code
from codeid.codes.models import CodeUse
from counter.check_in import check_in
from counter.errors import CategoryNotFound, ItemNotFound, TicketNotFound
from counter.models import Booking, Ticket, TicketEvent
from counter.tickets import APPOINTMENT, WALK_IN, get_ticket, open_tickets
from counter.wait_estimate import (
    DEFAULT_SERVICE_MINUTES,
    estimated_wait_minutes,
    median_service_minutes,
    people_ahead,
    serving_windows,
)
from tests.counter.queue_world import MINUTE, NOW, add_booking, add_ticket, make_world


def test_walk_in_check_in_consumes_the_code_and_issues_a001(session: Session) -> None:
    world = make_world(session)
    payload = world.code(session)
    result = check_in(session, payload, keys=world.keys, now=NOW, location="kiosk 2")
    session.commit()
    ticket = result.ticket
    assert (ticket.number, ticket.category_code, ticket.priority) == ("A001", "A", WALK_IN)
    assert (ticket.status, ticket.uscc, ticket.queued_at) == ("waiting", world.usccs[0], NOW)
    assert result.booking is None and result.people_ahead == 0
    assert result.estimated_wait_minutes == 0.0
    use = session.exec(select(CodeUse)).one()
    assert (use.code_id, use.purpose) == (ticket.code_id, "check-in")
    event = session.exec(select(TicketEvent)).one()
    assert (event.action, event.detail) == ("issued", {"location": "kiosk 2"})


def test_replayed_code_is_refused_with_reason_and_issues_nothing(session: Session) -> None:
    world = make_world(session)
    payload = world.code(session)
    check_in(session, payload, keys=world.keys, now=NOW)
    session.commit()
    with pytest.raises(AlreadyUsed) as refused:
        check_in(session, payload, keys=world.keys, now=NOW + MINUTE)
    session.rollback()
    assert refused.value.reason == "already-used"
    assert "already used" in refused.value.message and "check-in" in refused.value.message
    assert len(session.exec(select(Ticket)).all()) == 1


def test_static_and_expired_codes_cannot_check_in(session: Session) -> None:
    world = make_world(session)
    static = issue_static_code(
        session, uscc=world.usccs[0], signer=world.signer, now=NOW, ttl=timedelta(days=30)
    )
    session.commit()
    with pytest.raises(NotConsumable):
        check_in(session, static.payload, keys=world.keys, now=NOW)
    session.rollback()
    with pytest.raises(CodeExpired):
        check_in(session, world.code(session), keys=world.keys, now=NOW + timedelta(hours=1))
    session.rollback()
    assert session.exec(select(Ticket)).all() == []


def test_walk_in_takes_the_category_of_the_item(session: Session) -> None:
    world = make_world(session)
    food = check_in(
        session, world.code(session), keys=world.keys, now=NOW, item_code="food-business-renewal"
    )
    tax = check_in(
        session, world.code(session), keys=world.keys, now=NOW, item_code="invoice-collection"
    )
    assert (food.ticket.number, food.ticket.item_code) == ("B001", "food-business-renewal")
    assert tax.ticket.number == "C001"
    with pytest.raises(ItemNotFound):
        check_in(session, world.code(session), keys=world.keys, now=NOW, item_code="nope")


def test_booking_within_its_window_gets_appointment_priority(session: Session) -> None:
    world = make_world(session)
    slot_start = NOW + 20 * MINUTE  # 20 minutes early: within early_minutes=30
    booking = add_booking(
        session,
        world.usccs[0],
        starts_at=slot_start,
        item_code="food-business-change",
        category_code="B",
    )
    result = check_in(session, world.code(session), keys=world.keys, now=NOW)
    session.commit()
    assert result.booking is not None and result.booking.id == booking.id
    ticket = result.ticket
    assert (ticket.priority, ticket.number, ticket.booking_id) == (APPOINTMENT, "B001", booking.id)
    # Arriving early does not jump the queue before the slot starts.
    assert ticket.queued_at == slot_start and ticket.issued_at == NOW
    assert result.estimated_wait_minutes >= 20
    session.expire_all()
    assert session.get(Booking, booking.id).status == "checked-in"  # type: ignore[union-attr]
    # A second check-in is a walk-in: the booking was used.
    again = check_in(session, world.code(session), keys=world.keys, now=NOW + MINUTE)
    assert again.ticket.priority == WALK_IN and again.booking is None


@pytest.mark.parametrize(
    ("offset", "status"),
    [(45, "confirmed"), (-16, "confirmed"), (0, "cancelled"), (0, "expired")],
)
def test_booking_outside_its_window_or_not_live_means_walk_in(
    session: Session, offset: int, status: str
) -> None:
    world = make_world(session)
    booking = add_booking(
        session,
        world.usccs[0],
        starts_at=NOW + offset * MINUTE,
        status=status,
        item_code="tax-registration-change",
        category_code="C",
    )
    result = check_in(session, world.code(session), keys=world.keys, now=NOW)
    assert result.booking is None and result.ticket.priority == WALK_IN
    assert session.get(Booking, booking.id).status == status  # type: ignore[union-attr]
    # A live booking today still says which queue the walk-in joins.
    expected = "C001" if status == "confirmed" else "A001"
    assert result.ticket.number == expected


def test_an_expired_hold_is_no_appointment_but_a_live_hold_is(session: Session) -> None:
    world = make_world(session)
    add_booking(session, world.usccs[0], starts_at=NOW + 10 * MINUTE, status="held")
    later = NOW + 11 * MINUTE
    held = check_in(session, world.code(session, now=later), keys=world.keys, now=later)
    assert held.ticket.priority == WALK_IN  # held_until was NOW + 10 min
    add_booking(session, world.usccs[1], starts_at=NOW + 9 * MINUTE, status="held")
    live = check_in(session, world.code(session, world.usccs[1]), keys=world.keys, now=NOW)
    assert live.ticket.priority == APPOINTMENT


def test_numbers_run_per_category_and_day_and_are_never_reused(session: Session) -> None:
    world = make_world(session)
    uscc = world.usccs[0]
    numbers = [add_ticket(session, uscc).number for _ in range(3)]
    numbers.append(add_ticket(session, uscc, category="D").number)
    assert numbers == ["A001", "A002", "A003", "D001"]
    # A ticket that leaves the queue does not give its number back.
    first = session.exec(select(Ticket).where(Ticket.number == "A003")).one()
    first.status = "completed"
    session.add(first)
    session.commit()
    assert add_ticket(session, uscc).number == "A004"
    tomorrow = add_ticket(session, uscc, now=NOW + timedelta(days=1))
    assert (tomorrow.number, tomorrow.day.isoformat()) == ("A001", "2026-03-03")
    # The local day turns at midnight in Guangzhou (16:00 UTC), not at UTC midnight.
    late = add_ticket(session, uscc, now=NOW + timedelta(hours=14))
    assert (late.number, late.day.isoformat()) == ("A002", "2026-03-03")
    with pytest.raises(CategoryNotFound):
        add_ticket(session, uscc, category="Z")


def test_concurrent_check_ins_get_distinct_consecutive_numbers(
    engine: Engine, session: Session
) -> None:
    world = make_world(session, businesses=20)
    payloads = [world.code(session, uscc) for uscc in world.usccs]
    session.commit()  # end the read, so the threads' writes are seen afterwards
    barrier = threading.Barrier(len(payloads))
    errors: list[BaseException] = []

    def kiosk(payload: str) -> None:
        try:
            barrier.wait()
            with Session(engine) as own:
                check_in(own, payload, keys=world.keys, now=NOW)
                own.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=kiosk, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(session.exec(select(Ticket.number)).all())
    assert numbers == [f"A{n:03d}" for n in range(1, 21)]


def test_one_code_scanned_at_many_kiosks_at_once_checks_in_once(
    engine: Engine, session: Session
) -> None:
    world = make_world(session)
    payload = world.code(session)
    session.commit()
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def kiosk() -> None:
        barrier.wait()
        with Session(engine) as own:
            try:
                check_in(own, payload, keys=world.keys, now=NOW)
                own.commit()
                outcomes.append("ticket")
            except AlreadyUsed:
                own.rollback()
                outcomes.append("replay")

    threads = [threading.Thread(target=kiosk) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["replay"] * 7 + ["ticket"]
    assert len(session.exec(select(Ticket)).all()) == 1


def test_people_ahead_and_wait_from_recent_service_times(session: Session) -> None:
    world = make_world(session)
    uscc = world.usccs[0]
    tickets = [add_ticket(session, uscc, now=NOW + n * MINUTE) for n in range(4)]
    assert [people_ahead(session, t) for t in tickets] == [0, 1, 2, 3]
    windows = serving_windows(session, "A")
    assert windows == 22  # demo hall: windows whose categories include A
    assert median_service_minutes(session, "A") == DEFAULT_SERVICE_MINUTES
    expected = round(3 * DEFAULT_SERVICE_MINUTES / windows, 1)
    assert estimated_wait_minutes(session, tickets[3], now=NOW + 3 * MINUTE) == expected
    # Completed services of the category teach the estimate: median of 4, 6, 20 is 6.
    for index, minutes in enumerate((4, 6, 20)):
        done = add_ticket(session, uscc, now=NOW - timedelta(hours=2), commit=False)
        done.status = "completed"
        done.started_at = NOW - timedelta(hours=1) + index * MINUTE
        done.completed_at = done.started_at + minutes * MINUTE
        session.add(done)
    session.commit()
    assert median_service_minutes(session, "A") == 6
    assert median_service_minutes(session, "B") == DEFAULT_SERVICE_MINUTES
    assert estimated_wait_minutes(session, tickets[3], now=NOW + 3 * MINUTE) == round(
        3 * 6 / windows, 1
    )


def test_walk_in_waits_for_at_most_walk_in_every_appointments(session: Session) -> None:
    world = make_world(session)
    uscc = world.usccs[0]
    for n in range(8):
        add_ticket(session, uscc, priority=APPOINTMENT, now=NOW + n * MINUTE)
    first_walk_in = add_ticket(session, uscc, now=NOW - MINUTE)
    second_walk_in = add_ticket(session, uscc, now=NOW)
    assert people_ahead(session, first_walk_in) == 3  # walk_in_every = 3
    assert people_ahead(session, second_walk_in) == 1 + 6
    last_appointment = session.exec(
        select(Ticket).where(Ticket.priority == APPOINTMENT).order_by(col(Ticket.id).desc())
    ).first()
    assert last_appointment is not None and people_ahead(session, last_appointment) == 7


def test_get_ticket_and_open_tickets(session: Session) -> None:
    world = make_world(session)
    uscc, other = world.usccs[0], world.usccs[1]
    first = add_ticket(session, uscc)
    second = add_ticket(session, uscc, category="B")
    add_ticket(session, other)
    second.status = "completed"
    session.add(second)
    session.commit()
    day = first.day
    assert get_ticket(session, " a001 ", day=day).id == first.id
    with pytest.raises(TicketNotFound, match="A009"):
        get_ticket(session, "A009", day=day)
    assert [t.number for t in open_tickets(session, uscc, day=day)] == ["A001"]
    assert open_tickets(session, uscc, day=day + timedelta(days=1)) == []
