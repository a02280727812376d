"""Case lifecycle: open with an auto-filled form, override with reasons, complete or reject,
and one rating per completed case by its business."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from codeid.codes.issue import issue_dynamic_code
from codeid.db import make_engine
from codeid.errors import InvalidInput
from codeid.keys.keyring import KeyRing
from counter.cases import (
    complete_case,
    get_case,
    open_case,
    rate_case,
    reject_case,
    update_case_fields,
)
from counter.check_in import check_in
from counter.errors import (
    AlreadyRated,
    CaseAlreadyOpen,
    CaseNotFound,
    CaseStateConflict,
    FormIncomplete,
    ItemNotFound,
    NotYourCase,
    OverrideReasonRequired,
    TicketStateConflict,
    UnknownFormField,
    WrongWindow,
)
from counter.hall import demo_hall_path, load_hall_file
from counter.models import Case, Rating, Ticket, TicketEvent
from counter.reports import daily_report
from counter.windows import call_next
from tests.counter.case_world import ITEM, add_ticket, counter_world
from tests.credentials.licence_world import (
    FOOD_NUMBER,
    HOLDER,
    MASTER,
    NOW,
    OTHER_HOLDER,
    TODAY,
    issue_food,
    make_world,
)

CALLED = NOW + timedelta(minutes=12)
OPENED = NOW + timedelta(minutes=13)
DONE = OPENED + timedelta(minutes=7, seconds=30)


def _opened(session: Session) -> tuple[Case, Ticket, str]:
    _, identifier = counter_world(session)
    ticket = add_ticket(session, seq=1)
    assert ticket.id is not None
    case = open_case(session, ticket.id, item_code=ITEM, window_number=7, clerk="li", now=OPENED)
    session.commit()
    return case, ticket, identifier


def _field(case: Case, name: str) -> dict[str, object]:
    return next(field for field in case.form if field["name"] == name)


def test_open_case_starts_service_and_fills_form(session: Session) -> None:
    case, ticket, identifier = _opened(session)
    session.refresh(ticket)

    assert case.status == "opened" and case.uscc == HOLDER and case.window_number == 7
    assert ticket.status == "serving" and ticket.started_at == OPENED
    assert case.waiting_seconds == 13 * 60  # issued NOW, service started 13 minutes later
    number = _field(case, "food_licence_number")
    assert number["value"] == FOOD_NUMBER and number["read_only"] is True
    assert number["source"]["identifier"] == identifier  # type: ignore[index]
    assert [m["state"] for m in case.materials] == ["satisfied", "missing", "to-check"]
    assert get_case(session, case.id or 0).form == case.form  # stored, not just returned


def test_open_case_refuses_wrong_window_state_item_and_duplicates(session: Session) -> None:
    _, ticket, _ = _opened(session)
    assert ticket.id is not None
    with pytest.raises(CaseAlreadyOpen):
        open_case(session, ticket.id, item_code=ITEM, window_number=7, clerk="li", now=DONE)
    other = add_ticket(session, seq=2, window=8)
    assert other.id is not None
    with pytest.raises(WrongWindow, match="window 8, not window 7"):
        open_case(session, other.id, item_code=ITEM, window_number=7, clerk="li", now=DONE)
    waiting = add_ticket(session, seq=3, status="waiting", window=None)
    assert waiting.id is not None
    with pytest.raises(TicketStateConflict, match="is waiting"):
        open_case(session, waiting.id, item_code=ITEM, window_number=7, clerk="li", now=DONE)
    with pytest.raises(ItemNotFound):
        open_case(session, other.id, item_code="no-such-item", window_number=8, clerk="", now=DONE)
    session.refresh(other)
    assert other.status == "called"  # a refused open does not start service


def test_two_opens_at_once_for_a_serving_ticket_make_one_case(
    engine: Engine, session: Session
) -> None:
    """A clerk's retry racing the first attempt (its answer lost): the ticket row is locked,
    so the second open waits and finds the first's case."""
    counter_world(session)
    ticket = add_ticket(session, seq=1, status="serving", started_at=CALLED)
    assert ticket.id is not None
    ticket_id = ticket.id
    own_engine = make_engine(engine.url.render_as_string(hide_password=False), pool_size=4)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def clerk() -> None:
        barrier.wait()
        try:
            with Session(own_engine, expire_on_commit=False) as own:
                open_case(own, ticket_id, item_code=ITEM, window_number=7, clerk="li", now=OPENED)
                own.commit()
            outcomes.append("opened")
        except CaseAlreadyOpen:
            outcomes.append("already-open")

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        own_engine.dispose()
    assert sorted(outcomes) == ["already-open", "opened"]
    session.expire_all()
    assert len(session.exec(select(Case).where(Case.ticket_id == ticket_id)).all()) == 1


def test_read_only_fields_change_only_with_a_recorded_reason(session: Session) -> None:
    case, _, _ = _opened(session)
    assert case.id is not None
    with pytest.raises(OverrideReasonRequired, match="premises"):
        update_case_fields(
            session,
            case.id,
            values={"contact_phone": "020-1", "premises": "广州市天河区体育西路1号"},
            reasons={"premises": "  "},
            clerk="li",
            now=DONE,
        )
    session.rollback()
    assert get_case(session, case.id).status == "opened"
    assert _field(get_case(session, case.id), "contact_phone")["value"] is None  # all or nothing
    with pytest.raises(UnknownFormField, match="'colour'"):
        update_case_fields(
            session, case.id, values={"colour": "red"}, reasons={}, clerk="li", now=DONE
        )

    old = _field(case, "premises")["value"]
    updated = update_case_fields(
        session,
        case.id,
        values={"premises": "广州市天河区体育西路1号", "contact_phone": "020-1"},
        reasons={"premises": "moved last week; licence amendment pending"},
        clerk="wang",
        now=DONE,
    )
    session.commit()
    session.expire_all()
    stored = get_case(session, case.id)
    premises = _field(stored, "premises")
    assert updated.status == stored.status == "in-progress"
    assert premises["value"] == "广州市天河区体育西路1号"
    assert premises["override_reason"] == "moved last week; licence amendment pending"
    assert premises["previous_value"] == old and premises["overridden_by"] == "wang"
    assert _field(stored, "contact_phone")["value"] == "020-1"
    assert _field(stored, "contact_phone")["override_reason"] is None
    # Re-sending a read-only field's current value needs no reason.
    update_case_fields(
        session,
        case.id,
        values={"food_licence_number": FOOD_NUMBER},
        reasons={},
        clerk="li",
        now=DONE,
    )


def test_complete_needs_required_fields_and_completes_the_ticket(session: Session) -> None:
    case, ticket, _ = _opened(session)
    assert case.id is not None
    with pytest.raises(FormIncomplete, match="contact_phone"):
        complete_case(session, case.id, clerk="li", now=DONE)
    done = _completed_from(session, case.id)
    session.refresh(ticket)
    assert done.status == "completed" and done.closed_at == DONE
    assert done.service_seconds == 7 * 60 + 30
    assert ticket.status == "completed" and ticket.completed_at == DONE
    with pytest.raises(CaseStateConflict, match="is completed"):
        complete_case(session, case.id, clerk="li", now=DONE)
    with pytest.raises(CaseStateConflict):
        update_case_fields(
            session, case.id, values={"contact_phone": "1"}, reasons={}, clerk="li", now=DONE
        )
    events = session.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).all()
    actions = [event.action for event in events]
    assert "started" in actions and "completed" in actions


def _completed_from(session: Session, case_id: int) -> Case:
    update_case_fields(
        session, case_id, values={"contact_phone": "020-1234"}, reasons={}, clerk="li", now=DONE
    )
    done = complete_case(session, case_id, clerk="li", now=DONE)
    session.commit()
    return done


def test_reject_needs_a_reason_and_ends_the_visit(session: Session) -> None:
    case, ticket, _ = _opened(session)
    assert case.id is not None
    with pytest.raises(InvalidInput, match="reason"):
        reject_case(session, case.id, reason=" ", clerk="li", now=DONE)
    rejected = reject_case(
        session,
        case.id,
        reason="food licence renewal needs the premises plan",
        clerk="li",
        now=DONE,
    )
    session.commit()
    session.refresh(ticket)
    assert rejected.status == "rejected"
    assert rejected.rejection_reason == "food licence renewal needs the premises plan"
    assert ticket.status == "completed"
    with pytest.raises(CaseStateConflict, match="only a completed case can be rated"):
        rate_case(session, case.id, uscc=HOLDER, score="poor", comment="", now=DONE)
    with pytest.raises(CaseStateConflict):
        reject_case(session, case.id, reason="again", clerk="li", now=DONE)


def test_rating_once_by_the_business_of_a_completed_case(session: Session) -> None:
    case, _, _ = _opened(session)
    assert case.id is not None
    with pytest.raises(CaseStateConflict):
        rate_case(session, case.id, uscc=HOLDER, score="good", comment="", now=DONE)
    _completed_from(session, case.id)
    with pytest.raises(NotYourCase):
        rate_case(session, case.id, uscc=OTHER_HOLDER, score="good", comment="", now=DONE)
    with pytest.raises(InvalidInput, match="'excellent'"):
        rate_case(session, case.id, uscc=HOLDER, score="excellent", comment="", now=DONE)
    rating = rate_case(session, case.id, uscc=HOLDER, score="good", comment=" 很快 ", now=DONE)
    session.commit()
    assert (rating.score, rating.comment) == ("good", "很快")
    with pytest.raises(AlreadyRated):
        rate_case(session, case.id, uscc=HOLDER, score="poor", comment="changed", now=DONE)
    session.rollback()
    stored = session.get(Rating, case.id)
    assert stored is not None and stored.score == "good"


def test_get_case_unknown(session: Session) -> None:
    with pytest.raises(CaseNotFound):
        get_case(session, 987654)


def test_demo_hall_flow_check_in_call_open_complete_rate_report(session: Session) -> None:
    world = make_world(session)
    licence = issue_food(session, world)
    load_hall_file(session, demo_hall_path(), now=NOW - timedelta(days=1))
    ring = KeyRing(session, master_secret=MASTER)
    ring.ensure_active(NOW - timedelta(days=1))
    session.commit()
    payload = issue_dynamic_code(session, uscc=HOLDER, signer=ring.active_signer(), now=NOW)
    arrived = check_in(
        session,
        payload.payload,
        keys=ring.public_keys(),
        now=NOW,
        item_code="food-business-renewal",
    )
    called = call_next(session, 11, now=CALLED, clerk="li")
    assert called is not None and called.id is not None and called.id == arrived.ticket.id
    case = open_case(
        session,
        called.id,
        item_code="food-business-renewal",
        window_number=11,
        clerk="li",
        now=OPENED,
    )
    assert _field(case, "valid_until")["value"] == str(licence.valid_until)
    assert _field(case, "operator_name")["read_only"] is True
    assert [m["state"] for m in case.materials] == ["missing", "satisfied", "to-check", "to-check"]
    update_case_fields(
        session,
        case.id or 0,
        values={"food_safety_manager": "王五", "contact_phone": "020-8888"},
        reasons={},
        clerk="li",
        now=DONE,
    )
    complete_case(session, case.id or 0, clerk="li", now=DONE)
    rate_case(session, case.id or 0, uscc=HOLDER, score="good", comment="", now=DONE)
    session.commit()

    total = daily_report(session, day=TODAY)["total"]
    assert (total["tickets"], total["completed"]) == (1, 1)
    assert total["waiting_seconds"]["median"] == 13 * 60
    assert total["service_seconds"]["median"] == 7 * 60 + 30
    assert total["ratings"]["good"] == 1
