"""The daily report on a small hand-made day; every expected figure is worked out below."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from counter.models import Booking, Case, Hall, Rating, Slot, Ticket
from counter.reports import daily_report, percentile_90, report_csv

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Guangzhou
USCC = "91350100M000100Y43"


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _ticket(session: Session, number: str, status: str, **times: Any) -> Ticket:
    window = times.pop("window", None)
    issued = _at(times.pop("issued"))
    queued = _at(times.pop("queued")) if "queued" in times else issued

    def stamp(name: str) -> datetime | None:
        return None if name not in times else _at(times[name])

    ticket = Ticket(
        day=times.get("day", DAY),
        category_code=number[0],
        seq=int(number[1:]),
        number=number,
        uscc=USCC,
        priority="appointment" if "booking_id" in times else "walk-in",
        booking_id=times.get("booking_id"),
        status=status,
        window_number=window,
        issued_at=issued,
        queued_at=queued,
        called_at=stamp("called_at"),
        started_at=stamp("started_at"),
        completed_at=stamp("completed_at"),
    )
    session.add(ticket)
    session.flush()
    return ticket


def _case(session: Session, ticket: Ticket, clerk: str, score: str | None = None) -> None:
    assert ticket.id is not None and ticket.window_number is not None
    case = Case(
        ticket_id=ticket.id,
        uscc=USCC,
        item_code="food-renewal",
        window_number=ticket.window_number,
        clerk=clerk,
        status="completed",
        opened_at=ticket.started_at or T0,
        closed_at=ticket.completed_at,
    )
    session.add(case)
    session.flush()
    if score is not None:
        assert case.id is not None
        session.add(Rating(case_id=case.id, score=score, comment="", at=T0))


def _slot(session: Session) -> int:
    slot = Slot(category_code="B", day=DAY, starts_at=_at(30), ends_at=_at(60), capacity=4)
    session.add(slot)
    session.flush()
    assert slot.id is not None
    return slot.id


def _booking(session: Session, reference: str, slot_id: int) -> int:
    booking = Booking(
        reference=reference,
        slot_id=slot_id,
        uscc=USCC,
        item_code="food-renewal",
        status="checked-in",
        created_at=T0,
        updated_at=T0,
    )
    session.add(booking)
    session.flush()
    assert booking.id is not None
    return booking.id


def _crafted_day(session: Session) -> None:
    session.add(
        Hall(name="test hall", rules={"early_minutes": 30, "late_minutes": 15}, loaded_at=T0)
    )
    # waiting / service in seconds, worked out by hand:
    b1 = _ticket(session, "B001", "completed", window=7, issued=0, started_at=10, completed_at=20)
    _case(session, b1, "li", "good")  # wait 600, service 600
    b2 = _ticket(session, "B002", "completed", window=7, issued=1, started_at=21, completed_at=26)
    _case(session, b2, "li", "poor")  # wait 1200, service 300
    b3 = _ticket(session, "B003", "completed", window=8, issued=2, started_at=5, completed_at=14)
    _case(session, b3, "wang", "good")  # wait 180, service 540
    _ticket(session, "B004", "no-show", window=8, issued=3, called_at=30)
    slot_start = 30  # the slot below
    slot_id = _slot(session)
    first = _booking(session, "R1", slot_id)
    b5 = _ticket(  # 10 minutes early: on time; waits from the slot start
        session,
        "B005",
        "completed",
        window=8,
        issued=20,
        queued=slot_start,
        started_at=35,
        completed_at=45,
        booking_id=first,
    )
    _case(session, b5, "wang")  # wait 300, service 600
    second = _booking(session, "R2", slot_id)
    b6 = _ticket(  # 10 minutes late, within late_minutes 15
        session,
        "B006",
        "completed",
        window=7,
        issued=40,
        started_at=50,
        completed_at=52,
        booking_id=second,
    )
    _case(session, b6, "wang", "average")  # wait 600, service 120
    _ticket(session, "C001", "waiting", issued=50)
    _ticket(
        session,
        "B001",
        "completed",
        window=7,
        issued=0,
        started_at=1,
        completed_at=2,
        day=DAY + timedelta(days=1),
    )  # another day: not counted
    session.commit()


def test_percentile_90_is_nearest_rank() -> None:
    assert percentile_90([]) is None
    assert percentile_90([5.0]) == 5.0
    assert percentile_90([float(v) for v in range(1, 11)]) == 9.0  # ceil(9.0) = 9th
    assert percentile_90([float(v) for v in range(1, 12)]) == 10.0  # ceil(9.9) = 10th


def test_daily_report_figures(session: Session) -> None:
    _crafted_day(session)
    report = daily_report(session, day=DAY)
    total = report["total"]

    assert report["day"] == "2026-03-02"
    assert (total["tickets"], total["completed"], total["no_shows"]) == (7, 5, 1)
    assert total["no_show_rate"] == round(1 / 7, 4)
    # waiting sorted [180, 300, 600, 600, 1200]; service sorted [120, 300, 540, 600, 600]
    assert total["waiting_seconds"] == {"count": 5, "median": 600.0, "p90": 1200.0}
    assert total["service_seconds"] == {"count": 5, "median": 540.0, "p90": 600.0}
    assert total["punctuality"] == {
        "appointments": 2,
        "on_time": 1,
        "late": 1,
        "outside_window": 0,
        "rate": 0.5,
    }
    assert total["ratings"] == {"good": 2, "average": 1, "poor": 1}

    categories = {row["key"]: row for row in report["category"]}
    assert categories["B"]["tickets"] == 6 and categories["C"]["tickets"] == 1
    assert categories["C"]["waiting_seconds"] == {"count": 0, "median": None, "p90": None}

    windows = {row["key"]: row for row in report["window"]}
    assert sorted(windows) == [7, 8]  # the waiting C001 was called nowhere
    # window 7: waiting [600, 1200, 600], service [600, 300, 120]
    assert windows[7]["waiting_seconds"] == {"count": 3, "median": 600.0, "p90": 1200.0}
    assert windows[7]["service_seconds"] == {"count": 3, "median": 300.0, "p90": 600.0}
    assert windows[7]["no_show_rate"] == 0.0
    # window 8: waiting [180, 300] -> median 240, p90 = 2nd; service [540, 600] -> 570
    assert windows[8]["waiting_seconds"] == {"count": 2, "median": 240.0, "p90": 300.0}
    assert windows[8]["service_seconds"]["median"] == 570.0
    assert windows[8]["no_show_rate"] == round(1 / 3, 4)

    clerks = {row["key"]: row for row in report["clerk"]}
    assert sorted(clerks) == ["li", "wang"]
    assert clerks["li"]["waiting_seconds"] == {"count": 2, "median": 900.0, "p90": 1200.0}
    assert clerks["li"]["ratings"] == {"good": 1, "average": 0, "poor": 1}
    # wang: waiting [180, 300, 600], service [540, 600, 120]
    assert clerks["wang"]["waiting_seconds"] == {"count": 3, "median": 300.0, "p90": 600.0}
    assert clerks["wang"]["service_seconds"] == {"count": 3, "median": 540.0, "p90": 600.0}
    assert clerks["wang"]["punctuality"]["rate"] == 0.5


def test_late_beyond_the_window_is_outside(session: Session) -> None:
    _crafted_day(session)
    hall = session.get(Hall, 1)
    assert hall is not None
    hall.rules = {"early_minutes": 5, "late_minutes": 5}  # B005 too early, B006 too late
    session.add(hall)
    session.commit()
    punctuality = daily_report(session, day=DAY)["total"]["punctuality"]
    assert (punctuality["on_time"], punctuality["outside_window"]) == (0, 2)
    assert punctuality["rate"] == 0.0


def test_report_csv_has_one_row_per_dimension_and_key(session: Session) -> None:
    _crafted_day(session)
    text = report_csv(daily_report(session, day=DAY))
    rows = list(csv.DictReader(io.StringIO(text)))

    assert [(r["dimension"], r["key"]) for r in rows] == [
        ("total", "all"),
        ("category", "B"),
        ("category", "C"),
        ("window", "7"),
        ("window", "8"),
        ("clerk", "li"),
        ("clerk", "wang"),
    ]
    total = rows[0]
    assert total["tickets"] == "7" and total["waiting_p90_s"] == "1200.0"
    assert total["punctuality"] == "0.5" and total["rating_good"] == "2"
    assert rows[2]["waiting_median_s"] == ""  # no figure: an empty cell


def test_empty_day(session: Session) -> None:
    report = daily_report(session, day=DAY)
    assert report["total"]["tickets"] == 0 and report["total"]["no_show_rate"] is None
    assert report["category"] == report["window"] == report["clerk"] == []
    assert report_csv(report).count("\n") == 2  # header and the total row
