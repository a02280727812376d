"""The display board: the numbers last called to each window today, for a page to poll.

Built from the append-only TicketEvent log ('called' and 'recalled'), so a recall flashes the
number again and the board needs no state of its own. The API can stream it as server-sent
events by polling this function.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from counter.hall import get_hall, local_day
from counter.models import Ticket, TicketEvent, Window

CALL_ACTIONS = ("called", "recalled")


def board_feed(
    session: Session, *, now: datetime, limit_per_window: int = 3, recent: int = 10
) -> dict[str, Any]:
    """{"windows": [{window, name, open, last_called: [numbers, newest first]}], "recent":
    [{number, window, action, at}, newest first], "updated_at"}."""
    hall = get_hall(session)
    day = local_day(now, hall)
    day_start = datetime.combine(day, time(0), ZoneInfo(hall.timezone)).astimezone(UTC)
    query = (
        select(TicketEvent.window_number, TicketEvent.action, TicketEvent.at, Ticket.number)
        .join(Ticket, col(Ticket.id) == col(TicketEvent.ticket_id))
        .where(
            col(TicketEvent.action).in_(CALL_ACTIONS),
            col(TicketEvent.at) >= day_start,
            col(TicketEvent.at) <= now,
        )
        .order_by(col(TicketEvent.at).desc(), col(TicketEvent.id).desc())
    )
    last_called: dict[int, list[str]] = {}
    latest: list[dict[str, Any]] = []
    for window_number, action, at, number in session.exec(query):
        if window_number is None:
            continue
        if len(latest) < recent:
            latest.append(
                {"number": number, "window": window_number, "action": action, "at": at.isoformat()}
            )
        numbers = last_called.setdefault(window_number, [])
        # A recall shows the number again, not twice in the list.
        if number not in numbers and len(numbers) < limit_per_window:
            numbers.append(number)
    windows = session.exec(select(Window).order_by(col(Window.number))).all()
    return {
        "windows": [
            {
                "window": window.number,
                "name": window.name,
                "open": window.open,
                "last_called": last_called.get(window.number, []),
            }
            for window in windows
        ],
        "recent": latest,
        "updated_at": now.isoformat(),
    }
