"""Queue position and wait estimate of a waiting ticket.

People ahead follow the calling order of counter.windows (appointments first, one walk-in
after every ``walk_in_every`` of them); the wait is people ahead x the category's median
service time / open windows serving it. Both are estimates, given to the business at check-in
(counter.check_in).
"""

from __future__ import annotations

import statistics
from datetime import datetime

from sqlmodel import Session, col, func, select

from counter.hall import get_hall, rules_of
from counter.models import Ticket, Window
from counter.tickets import APPOINTMENT, WALK_IN

# Until a category has completed services to learn from, assume this many minutes each.
DEFAULT_SERVICE_MINUTES = 8.0
SERVICE_HISTORY = 20


def people_ahead(session: Session, ticket: Ticket) -> int:
    """Waiting tickets of the category that will be called before this one (an estimate).

    Appointments go first, but after every ``walk_in_every`` of them one walk-in is served,
    so a walk-in with k walk-ins ahead waits for at most (k + 1) * walk_in_every appointments.
    """
    if ticket.status != "waiting":
        return 0
    waiting = select(func.count()).where(
        Ticket.day == ticket.day,
        Ticket.status == "waiting",
        Ticket.category_code == ticket.category_code,
        col(Ticket.id) != ticket.id,
    )
    earlier = waiting.where(
        (col(Ticket.queued_at) < ticket.queued_at)
        | ((col(Ticket.queued_at) == ticket.queued_at) & (col(Ticket.id) < (ticket.id or 0)))
    )
    if ticket.priority == APPOINTMENT:
        return int(session.exec(earlier.where(Ticket.priority == APPOINTMENT)).one())
    walk_ins_before = int(session.exec(earlier.where(Ticket.priority == WALK_IN)).one())
    appointments = int(session.exec(waiting.where(Ticket.priority == APPOINTMENT)).one())
    every = rules_of(get_hall(session)).walk_in_every
    return walk_ins_before + min(appointments, (walk_ins_before + 1) * every)


def median_service_minutes(session: Session, category_code: str) -> float:
    """Median of the category's last completed service times, or a default without history."""
    query = (
        select(Ticket.started_at, Ticket.completed_at)
        .where(
            Ticket.category_code == category_code,
            Ticket.status == "completed",
            col(Ticket.started_at).is_not(None),
            col(Ticket.completed_at).is_not(None),
        )
        .order_by(col(Ticket.completed_at).desc())
        .limit(SERVICE_HISTORY)
    )
    minutes = [
        (done - started).total_seconds() / 60
        for started, done in session.exec(query).all()
        if started is not None and done is not None
    ]
    return statistics.median(minutes) if minutes else DEFAULT_SERVICE_MINUTES


def serving_windows(session: Session, category_code: str) -> int:
    windows = session.exec(select(Window).where(col(Window.open).is_(True))).all()
    return sum(1 for window in windows if category_code in window.categories)


def estimated_wait_minutes(
    session: Session, ticket: Ticket, *, now: datetime, ahead: int | None = None
) -> float:
    """People ahead x median service time / open windows serving the category."""
    ahead = people_ahead(session, ticket) if ahead is None else ahead
    wait = 0.0
    if ahead:
        windows = max(1, serving_windows(session, ticket.category_code))
        wait = ahead * median_service_minutes(session, ticket.category_code) / windows
    # An appointment before its slot waits at least until the slot starts.
    if ticket.priority == APPOINTMENT and ticket.queued_at > now:
        wait = max(wait, (ticket.queued_at - now).total_seconds() / 60)
    return round(wait, 1)
