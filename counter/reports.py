"""Daily report of the hall: per category, window and clerk, and for the whole day.

Figures per group: tickets issued, completed and no-shows (rate = no-shows / tickets),
waiting time (check-in, or the slot start for an early appointment -> service started,
see counter.cases.waiting_seconds) and service time (service started ->
completed) in seconds as median and 90th percentile, appointment punctuality, ratings.

- Median: the middle value (mean of the two middle values for an even count).
- 90th percentile: nearest rank, the ceil(0.9 * n)-th smallest value (a value that occurred).
- Punctuality: of the tickets checked in with a booking, ``on_time`` checked in from
  ``early_minutes`` before the slot start up to the start, ``late`` after the start up to
  ``late_minutes`` after it, ``outside_window`` otherwise; the rate is on_time / appointments.
- A ticket counts for a window when it was called to one, for a clerk when a case was opened
  for it (the clerk of its latest case).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any

from sqlmodel import Session, col, select

from counter.cases import waiting_seconds
from counter.models import Booking, Case, Hall, Rating, Slot, Ticket

DIMENSIONS = ("category", "window", "clerk")
SCORES = ("good", "average", "poor")
DEFAULT_EARLY_MINUTES = 30
DEFAULT_LATE_MINUTES = 15
COLUMNS = (
    "dimension",
    "key",
    "tickets",
    "completed",
    "no_shows",
    "no_show_rate",
    "waiting_median_s",
    "waiting_p90_s",
    "service_median_s",
    "service_p90_s",
    "appointments",
    "on_time",
    "late",
    "outside_window",
    "punctuality",
    "rating_good",
    "rating_average",
    "rating_poor",
)


@dataclass(slots=True)
class _Visit:
    """One ticket with what the report needs about it."""

    ticket: Ticket
    clerk: str | None = None
    score: str | None = None
    slot_start: datetime | None = None


def percentile_90(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def daily_report(session: Session, *, day: date) -> dict[str, Any]:
    """The report for the hall's local ``day`` (tickets are numbered per local day)."""
    visits = _visits(session, day)
    early, late = _window_minutes(session)
    punctual = _punctuality_judge(early, late)
    report: dict[str, Any] = {
        "day": day.isoformat(),
        "total": _figures(visits, punctual),
    }
    keys: dict[str, Callable[[_Visit], Any]] = {
        "category": lambda v: v.ticket.category_code,
        "window": lambda v: v.ticket.window_number,
        "clerk": lambda v: v.clerk,
    }
    for dimension in DIMENSIONS:
        groups: dict[Any, list[_Visit]] = {}
        for visit in visits:
            key = keys[dimension](visit)
            if key is not None and key != "":
                groups.setdefault(key, []).append(visit)
        report[dimension] = [
            {"key": key, **_figures(groups[key], punctual)} for key in sorted(groups)
        ]
    return report


def report_csv(report: dict[str, Any]) -> str:
    """CSV text: a header, the whole day (dimension ``total``), then one row per group."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = [("total", "all", report["total"])]
    rows += [(dim, str(row["key"]), row) for dim in DIMENSIONS for row in report[dim]]
    for dimension, key, figures in rows:
        flat = _flatten(figures)
        writer.writerow([dimension, key, *(_cell(flat.get(name)) for name in COLUMNS[2:])])
    return out.getvalue()


def _visits(session: Session, day: date) -> list[_Visit]:
    tickets = session.exec(
        select(Ticket).where(Ticket.day == day).order_by(col(Ticket.category_code), col(Ticket.seq))
    ).all()
    visits = {ticket.id: _Visit(ticket) for ticket in tickets}
    cases = session.exec(
        select(Case, Rating.score)
        .join(Ticket, col(Ticket.id) == col(Case.ticket_id))
        .join(Rating, col(Rating.case_id) == col(Case.id), isouter=True)
        .where(Ticket.day == day)
        .order_by(col(Case.id))
    ).all()
    for case, score in cases:  # the latest case of a ticket wins
        visit = visits[case.ticket_id]
        visit.clerk = case.clerk or visit.clerk
        visit.score = score or visit.score
    slots = session.exec(
        select(Ticket.id, Slot.starts_at)
        .join(Booking, col(Booking.id) == col(Ticket.booking_id))
        .join(Slot, col(Slot.id) == col(Booking.slot_id))
        .where(Ticket.day == day)
    ).all()
    for ticket_id, starts_at in slots:
        visits[ticket_id].slot_start = starts_at
    return list(visits.values())


def _window_minutes(session: Session) -> tuple[int, int]:
    hall = session.get(Hall, 1)
    rules = hall.rules if hall is not None else {}
    return (
        int(rules.get("early_minutes", DEFAULT_EARLY_MINUTES)),
        int(rules.get("late_minutes", DEFAULT_LATE_MINUTES)),
    )


def _punctuality_judge(early: int, late: int) -> Callable[[_Visit], str]:
    def judge(visit: _Visit) -> str:
        assert visit.slot_start is not None
        offset = visit.ticket.issued_at - visit.slot_start
        if -timedelta(minutes=early) <= offset <= timedelta(0):
            return "on_time"
        if timedelta(0) < offset <= timedelta(minutes=late):
            return "late"
        return "outside_window"

    return judge


def _figures(visits: Sequence[_Visit], punctual: Callable[[_Visit], str]) -> dict[str, Any]:
    tickets = [v.ticket for v in visits]
    no_shows = sum(1 for t in tickets if t.status == "no-show")
    waiting = [
        waiting_seconds(t.issued_at, t.queued_at, t.started_at)
        for t in tickets
        if t.started_at is not None
    ]
    service = [
        (t.completed_at - t.started_at).total_seconds()
        for t in tickets
        if t.started_at is not None and t.completed_at is not None
    ]
    booked = [v for v in visits if v.slot_start is not None]
    judged = [punctual(v) for v in booked]
    on_time = judged.count("on_time")
    return {
        "tickets": len(tickets),
        "completed": sum(1 for t in tickets if t.status == "completed"),
        "no_shows": no_shows,
        "no_show_rate": _rate(no_shows, len(tickets)),
        "waiting_seconds": _spread(waiting),
        "service_seconds": _spread(service),
        "punctuality": {
            "appointments": len(booked),
            "on_time": on_time,
            "late": judged.count("late"),
            "outside_window": judged.count("outside_window"),
            "rate": _rate(on_time, len(booked)),
        },
        "ratings": {score: sum(1 for v in visits if v.score == score) for score in SCORES},
    }


def _spread(values: Sequence[float]) -> dict[str, Any]:
    return {
        "count": len(values),
        "median": median(values) if values else None,
        "p90": percentile_90(values),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _flatten(figures: dict[str, Any]) -> dict[str, Any]:
    punctuality = figures["punctuality"]
    return {
        "tickets": figures["tickets"],
        "completed": figures["completed"],
        "no_shows": figures["no_shows"],
        "no_show_rate": figures["no_show_rate"],
        "waiting_median_s": figures["waiting_seconds"]["median"],
        "waiting_p90_s": figures["waiting_seconds"]["p90"],
        "service_median_s": figures["service_seconds"]["median"],
        "service_p90_s": figures["service_seconds"]["p90"],
        "appointments": punctuality["appointments"],
        "on_time": punctuality["on_time"],
        "late": punctuality["late"],
        "outside_window": punctuality["outside_window"],
        "punctuality": punctuality["rate"],
        **{f"rating_{score}": figures["ratings"][score] for score in SCORES},
    }


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
