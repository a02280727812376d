"""Call next: which ticket a window gets, race-free (the other window actions are in
counter.ticket_actions).

Calling is race-free on both databases. PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED``
picks the first waiting ticket no other window is taking, then a conditional UPDATE
(``WHERE status = 'waiting'``) claims it. SQLite has no row locks: the call first takes the
database write lock (see counter.tickets.lock_for_write), so calls run one at a time, and the
same conditional UPDATE with a rowcount check guards the claim; a lost claim picks again.

Order of the queue for a window: tickets transferred to this window first; then the window's
categories in its order of preference; within a category, appointments that are due (their
slot has started) first, except that after ``walk_in_every`` appointments called at this
window the next call takes a walk-in; otherwise oldest place in the queue (queued_at) first.
Every call appends a TicketEvent. Functions flush only.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, bindparam, case, literal, select, update
from sqlmodel import Session, col

from codeid.types import UTCDateTime
from counter.errors import (
    TicketStateConflict,
    WindowClosed,
)
from counter.hall import get_hall, get_window, local_day, rules_of
from counter.models import Ticket, TicketEvent
from counter.tickets import (
    APPOINTMENT,
    WALK_IN,
    lock_for_write,
    record_event,
)

# A claim is lost only if another window took the ticket between pick and update, which the
# locks above rule out; the bound just keeps a surprise from looping forever.
MAX_CLAIM_ATTEMPTS = 20


def call_next(
    session: Session, window_number: int, *, now: datetime, clerk: str = ""
) -> Ticket | None:
    """Call the next ticket to the window; None when its queue is empty."""
    lock_for_write(session)
    window = get_window(session, window_number)
    if not window.open:
        raise WindowClosed(f"window {window_number} is closed", window=window_number)
    hall = get_hall(session)
    day = local_day(now, hall)
    session.flush()  # what the ORM queries these replace did first (autoflush)
    walk_in_turn = _walk_in_turn(session, window_number, day, rules_of(hall).walk_in_every)
    pick = _pick_statement(window.number, tuple(window.categories), walk_in_turn)
    for _ in range(MAX_CLAIM_ATTEMPTS):
        ticket_id = session.execute(pick, {"day": day, "now": now}).scalar()
        if ticket_id is None:
            return None
        # Claim and read back in one statement (UPDATE ... RETURNING).
        claim = {"ticket_id": ticket_id, "window": window_number, "now": now}
        ticket: Ticket | None = session.execute(_CLAIM, claim, execution_options=_FRESH).scalar()
        if ticket is not None:
            record_event(
                session,
                ticket,
                "called",
                now=now,
                window_number=window_number,
                actor=clerk,
                detail={"priority": ticket.priority},
            )
            return ticket
    raise TicketStateConflict(f"window {window_number}: the queue is too busy, call again")


# Every call runs these, so they are built once with bound parameters (and the pick once per
# window and turn) instead of being composed anew for each call: composing them cost more
# Python time than the database spent answering.
_TICKETS = Ticket.__table__  # type: ignore[attr-defined]
_EVENTS = TicketEvent.__table__  # type: ignore[attr-defined]
_FRESH = {"populate_existing": True}
_CLAIM = (
    update(Ticket)
    .where(col(Ticket.id) == bindparam("ticket_id"), col(Ticket.status) == "waiting")
    .values(status="called", window_number=bindparam("window"), called_at=bindparam("now"),
            recalls=0)
    .returning(Ticket)
)  # fmt: skip
_LAST_CALLED = (
    select(_TICKETS.c.priority)
    .select_from(_TICKETS.join(_EVENTS, _EVENTS.c.ticket_id == _TICKETS.c.id))
    .where(
        _EVENTS.c.window_number == bindparam("window"),
        _EVENTS.c.action == "called",
        _TICKETS.c.day == bindparam("day"),
    )
    .order_by(_EVENTS.c.id.desc())
    .limit(bindparam("every", type_=Integer()))
)


def _walk_in_turn(session: Session, window_number: int, day: date, every: int) -> bool:
    """Whether the last ``every`` calls at this window were all appointments."""
    if every <= 0:
        return False
    params = {"window": window_number, "day": day, "every": every}
    last = session.execute(_LAST_CALLED, params).scalars().all()
    return len(last) == every and all(priority == APPOINTMENT for priority in last)


@lru_cache(maxsize=1024)
def _pick_statement(
    number: int, categories: tuple[str, ...], walk_in_turn: bool
) -> Select[tuple[int]]:
    """The first waiting ticket for the window at ``:day`` (``:now`` for due appointments)."""
    t = _TICKETS.c
    reserved = t.window_number == number
    eligible = reserved
    preference: ColumnElement[Any] = literal(0)
    if categories:
        eligible = eligible | (t.window_number.is_(None) & t.category_code.in_(categories))
        preference = case(
            {code: rank for rank, code in enumerate(categories)},
            value=t.category_code,
            else_=len(categories),
        )
    if walk_in_turn:
        first = case((t.priority == WALK_IN, 0), else_=1)
    else:
        due = (t.priority == APPOINTMENT) & (t.queued_at <= bindparam("now", type_=UTCDateTime()))
        first = case((due, 0), else_=1)
    query: Select[tuple[int]] = (
        select(t.id)
        .where(t.day == bindparam("day"), t.status == "waiting", eligible)
        .order_by(case((reserved, 0), else_=1), preference, first, t.queued_at, t.id)
        .limit(1)
    )
    # Rendered only on PostgreSQL; SQLite ignores FOR UPDATE (it holds the write lock).
    return query.with_for_update(skip_locked=True)
