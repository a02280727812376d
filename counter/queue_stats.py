"""How the queues stand now: waiting tickets per service category and how long they wait.

Read by the metrics endpoint at each scrape (api.observability.metrics). The wait of a
ticket is counted as the reports count it (counter.cases.waiting_seconds): from check-in, or
from the slot start for a business that checked in early for its appointment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from counter.cases import waiting_seconds
from counter.errors import HallNotLoaded
from counter.hall import get_hall, local_day
from counter.models import ServiceCategory, Ticket


@dataclass(frozen=True, slots=True)
class CategoryQueue:
    category: str
    waiting: int
    oldest_seconds: float  # 0 when nobody waits
    mean_seconds: float  # 0 when nobody waits


def queue_stats(session: Session, *, now: datetime) -> list[CategoryQueue]:
    """Every category of the hall (waiting or not), for the hall's day at ``now``; none
    without a hall."""
    try:
        day = local_day(now, get_hall(session))
    except HallNotLoaded:
        return []
    waits: dict[str, list[float]] = {
        code: [] for code in session.exec(select(ServiceCategory.code)).all()
    }
    rows = session.exec(
        select(Ticket.category_code, Ticket.issued_at, Ticket.queued_at).where(
            Ticket.day == day, col(Ticket.status) == "waiting"
        )
    )
    for category, issued_at, queued_at in rows:
        waits.setdefault(category, []).append(waiting_seconds(issued_at, queued_at, now))
    return [
        CategoryQueue(
            category=code,
            waiting=len(seconds),
            oldest_seconds=max(seconds, default=0.0),
            mean_seconds=sum(seconds) / len(seconds) if seconds else 0.0,
        )
        for code, seconds in sorted(waits.items())
    ]
