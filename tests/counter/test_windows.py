"""Calling the queue and acting on tickets at windows, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from codeid.db import make_engine
from codeid.errors import InvalidInput
from counter.check_in import check_in
from counter.errors import (
    CategoryNotFound,
    TicketStateConflict,
    WindowClosed,
    WindowNotFound,
    WrongWindow,
)
from counter.models import Ticket, TicketEvent, Window
from counter.ticket_actions import (
    complete_ticket,
    no_show,
    park,
    recall,
    resume,
    start_service,
    transfer,
)
from counter.tickets import APPOINTMENT
from counter.windows import call_next
from tests.counter.queue_world import MINUTE, NOW, add_ticket, make_world

# Demo hall: window 1 serves A then F; 11 serves B then A; 18 serves C only.
A_F, B_A, C_ONLY = 1, 11, 18
LATER = NOW + 30 * MINUTE


def _id(ticket: Ticket) -> int:
    assert ticket.id is not None
    return ticket.id


def _call(session: Session, window: int) -> Ticket:
    ticket = call_next(session, window, now=LATER, clerk="clerk-1")
    assert ticket is not None
    return ticket


def test_call_next_takes_the_oldest_and_logs_the_call(session: Session) -> None:
    world = make_world(session)
    uscc = world.usccs[0]
    second = add_ticket(session, uscc, now=NOW + MINUTE)
    first = add_ticket(session, uscc, now=NOW)
    called = _call(session, A_F)
    session.commit()
    assert (called.id, called.status, called.window_number) == (first.id, "called", A_F)
    assert called.called_at == LATER
    event = session.exec(select(TicketEvent).where(TicketEvent.action == "called")).one()
    assert (event.ticket_id, event.window_number, event.actor) == (first.id, A_F, "clerk-1")
    assert _call(session, A_F).id == second.id
    assert call_next(session, A_F, now=LATER) is None  # queue empty


def test_due_appointments_go_first_but_not_before_their_slot(session: Session) -> None:
    world = make_world(session)
    uscc = world.usccs[0]
    walk_in = add_ticket(session, uscc, now=NOW)
    future = add_ticket(session, uscc, priority=APPOINTMENT, now=NOW, queued_at=LATER + 10 * MINUTE)
    due = add_ticket(session, uscc, priority=APPOINTMENT, now=NOW + 5 * MINUTE, queued_at=LATER)
    assert [_call(session, A_F).id for _ in range(3)] == [due.id, walk_in.id, future.id]


def test_a_walk_in_is_served_after_walk_in_every_appointments(session: Session) -> None:
    world = make_world(session)
    uscc = world.usccs[0]
    walk_ins = [add_ticket(session, uscc, now=NOW + n * MINUTE) for n in range(2)]
    appointments = [
        add_ticket(session, uscc, priority=APPOINTMENT, now=NOW + n * MINUTE) for n in range(5)
    ]
    order = [_call(session, A_F).id for _ in range(7)]
    a, w = [_id(t) for t in appointments], [_id(t) for t in walk_ins]
    assert order == [a[0], a[1], a[2], w[0], a[3], a[4], w[1]]


def test_windows_serve_their_categories_in_order_of_preference(session: Session) -> None:
    world = make_world(session)
    uscc = world.usccs[0]
    older_a = add_ticket(session, uscc, category="A", now=NOW)
    newer_b = add_ticket(session, uscc, category="B", now=NOW + MINUTE)
    assert call_next(session, C_ONLY, now=LATER) is None  # serves C only
    assert _call(session, B_A).id == newer_b.id  # B preferred at window 18
    assert _call(session, B_A).id == older_a.id


def test_closed_and_unknown_windows_cannot_call(session: Session) -> None:
    make_world(session)
    window = session.get(Window, A_F)
    assert window is not None
    window.open = False
    session.add(window)
    session.commit()
    with pytest.raises(WindowClosed):
        call_next(session, A_F, now=LATER)
    session.rollback()
    with pytest.raises(WindowNotFound):
        call_next(session, 99, now=LATER)


def test_a_window_acts_only_on_its_own_called_ticket(session: Session) -> None:
    world = make_world(session)
    waiting = add_ticket(session, world.usccs[0])
    # Not yet called anywhere: its state is the reason, as when a case is opened for it.
    with pytest.raises(TicketStateConflict, match="it is waiting"):
        start_service(session, _id(waiting), window_number=A_F, now=LATER)
    called = _call(session, A_F)
    for action in (start_service, complete_ticket, recall, park):
        with pytest.raises(WrongWindow, match=f"at window {A_F}, not window 2"):
            action(session, _id(called), window_number=2, now=LATER)
    with pytest.raises(TicketStateConflict, match="cannot resume"):
        resume(session, _id(called), window_number=A_F, now=LATER)


def test_recalls_then_no_show(session: Session) -> None:
    world = make_world(session)
    add_ticket(session, world.usccs[0])
    ticket_id = _id(_call(session, A_F))
    with pytest.raises(TicketStateConflict, match="recalled 0 of 3 times"):
        no_show(session, ticket_id, window_number=A_F, now=LATER)
    for expected in (1, 2, 3):
        assert recall(session, ticket_id, window_number=A_F, now=LATER).recalls == expected
    gone = recall(session, ticket_id, window_number=A_F, now=LATER + MINUTE)
    assert (gone.status, gone.completed_at) == ("no-show", LATER + MINUTE)
    with pytest.raises(TicketStateConflict):
        recall(session, ticket_id, window_number=A_F, now=LATER)
    actions = session.exec(
        select(TicketEvent.action).where(TicketEvent.ticket_id == ticket_id)
    ).all()
    assert Counter(actions) == {"issued": 1, "called": 1, "recalled": 3, "no-show": 1}


def test_explicit_no_show_after_the_recalls(session: Session) -> None:
    world = make_world(session)
    add_ticket(session, world.usccs[0])
    ticket_id = _id(_call(session, A_F))
    for _ in range(3):
        recall(session, ticket_id, window_number=A_F, now=LATER)
    assert no_show(session, ticket_id, window_number=A_F, now=LATER).status == "no-show"


def test_transfer_to_a_category_keeps_the_place_in_the_queue(session: Session) -> None:
    world = make_world(session)
    uscc = world.usccs[0]
    moving = add_ticket(session, uscc, category="A", now=NOW)
    newer_c = add_ticket(session, uscc, category="C", now=NOW + MINUTE)
    start_service(session, _id(_call(session, A_F)), window_number=A_F, now=LATER)
    moved = transfer(session, _id(moving), window_number=A_F, to_category="C", now=LATER)
    assert (moved.status, moved.category_code, moved.number) == ("waiting", "C", "A001")
    assert (moved.window_number, moved.queued_at, moved.started_at) == (None, NOW, None)
    assert _call(session, C_ONLY).id == moving.id  # ahead of C001, issued after it
    assert _call(session, C_ONLY).id == newer_c.id
    with pytest.raises(CategoryNotFound):
        transfer(session, _id(moving), window_number=C_ONLY, to_category="Q", now=LATER)


def test_transfer_to_a_window_reserves_the_ticket_for_it(session: Session) -> None:
    world = make_world(session)
    uscc = world.usccs[0]
    moving = add_ticket(session, uscc, now=NOW)
    other = add_ticket(session, uscc, now=NOW + MINUTE)
    _call(session, A_F)
    with pytest.raises(InvalidInput, match="needs a category or a window"):
        transfer(session, _id(moving), window_number=A_F, now=LATER)
    with pytest.raises(InvalidInput, match="already at window"):
        transfer(session, _id(moving), window_number=A_F, to_window=A_F, now=LATER)
    transfer(session, _id(moving), window_number=A_F, to_window=C_ONLY, now=LATER)
    assert _call(session, 2).id == other.id  # window 2 serves A but the ticket is not its
    assert call_next(session, 3, now=LATER) is None
    assert _call(session, C_ONLY).id == moving.id  # C-only window takes the A ticket sent to it
    events = session.exec(select(TicketEvent).where(TicketEvent.action == "transferred")).all()
    assert [(e.detail["from_window"], e.detail["to_window"]) for e in events] == [(1, 18)]


def test_park_and_resume_return_to_the_same_state(session: Session) -> None:
    world = make_world(session)
    uscc = world.usccs[0]
    first = add_ticket(session, uscc, now=NOW)
    add_ticket(session, uscc, now=NOW + MINUTE)
    ticket_id = _id(_call(session, A_F))
    assert ticket_id == first.id
    assert park(session, ticket_id, window_number=A_F, now=LATER).status == "parked"
    assert _call(session, A_F).id != ticket_id  # a parked ticket is not called again
    assert resume(session, ticket_id, window_number=A_F, now=LATER).status == "called"
    start_service(session, ticket_id, window_number=A_F, now=LATER)
    park(session, ticket_id, window_number=A_F, now=LATER)
    assert resume(session, ticket_id, window_number=A_F, now=LATER).status == "serving"


def test_start_and_complete(session: Session) -> None:
    world = make_world(session)
    add_ticket(session, world.usccs[0])
    ticket_id = _id(_call(session, A_F))
    assert start_service(session, ticket_id, window_number=A_F, now=LATER).status == "serving"
    with pytest.raises(TicketStateConflict, match="cannot recall ticket A001: it is serving"):
        recall(session, ticket_id, window_number=A_F, now=LATER)
    done = complete_ticket(session, ticket_id, window_number=A_F, now=LATER + 7 * MINUTE)
    assert (done.status, done.started_at, done.completed_at) == (
        "completed",
        LATER,
        LATER + 7 * MINUTE,
    )
    with pytest.raises(TicketStateConflict, match="it is completed"):
        complete_ticket(session, ticket_id, window_number=A_F, now=LATER)
    session.commit()
    actions = session.exec(
        select(TicketEvent.action)
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(col(TicketEvent.id))
    ).all()
    assert actions == ["issued", "called", "started", "completed"]


def test_checked_in_ticket_flows_through_a_window(session: Session) -> None:
    world = make_world(session)
    result = check_in(session, world.code(session), keys=world.keys, now=NOW)
    session.commit()
    called = call_next(session, A_F, now=NOW + MINUTE)
    assert called is not None and called.number == result.ticket.number


def test_fifty_windows_calling_at_once_never_share_a_ticket(
    engine: Engine, session: Session
) -> None:
    world = make_world(session)
    for number in range(38, 51):  # the demo hall has 37 windows
        session.add(Window(number=number, name=f"{number}号窗口", categories=["A"]))
    session.commit()
    for n in range(120):
        add_ticket(session, world.usccs[n % 3], now=NOW + n * timedelta(seconds=5), commit=False)
    session.commit()
    windows = [w for w in session.exec(select(Window)).all() if "A" in w.categories]
    assert len(windows) == 35  # 22 demo windows serve A, plus 13 added
    windows += [w for w in session.exec(select(Window)).all() if "A" not in w.categories][:15]
    assert len(windows) == 50
    session.commit()  # end the read, so the threads' writes are seen afterwards
    # Each window its own connection: a pool as large as the number of windows.
    own_engine = make_engine(engine.url.render_as_string(hide_password=False), pool_size=50)
    barrier = threading.Barrier(len(windows))
    calls: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def window_thread(number: int) -> None:
        try:
            barrier.wait()
            while True:
                with Session(own_engine, expire_on_commit=False) as own:
                    ticket = call_next(own, number, now=LATER)
                    own.commit()
                if ticket is None:
                    return
                calls.append((_id(ticket), number))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=window_thread, args=(w.number,)) for w in windows]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        own_engine.dispose()
    assert errors == []
    called_ids = [ticket_id for ticket_id, _ in calls]
    assert len(called_ids) == len(set(called_ids)) == 120  # every ticket called exactly once
    session.expire_all()
    tickets = session.exec(select(Ticket)).all()
    assert {t.status for t in tickets} == {"called"}
    assert {(_id(t), t.window_number) for t in tickets} == set(calls)
    events = session.exec(select(TicketEvent).where(TicketEvent.action == "called")).all()
    assert sorted(e.ticket_id for e in events) == sorted(called_ids)
    assert len({number for _, number in calls}) > 1  # the work was actually shared
