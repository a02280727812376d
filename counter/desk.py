"""A clerk's desk: each of the clerk's windows with the ticket at it, its open case, and how
many tickets it could call, so the window page shows (and after a reload restores) where
the clerk left off."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, func, select

from counter.cases import OPEN_STATES
from counter.hall import get_hall, local_day
from counter.models import Case, Ticket, Window

AT_WINDOW = ("called", "serving")


@dataclass(frozen=True, slots=True)
class DeskWindow:
    window: Window
    waiting: int  # waiting tickets this window may call (its categories, or sent to it)
    current: Ticket | None  # the latest ticket called to or served at the window
    case: Case | None  # the current ticket's open case


def desk_windows(session: Session, numbers: Iterable[int], *, now: datetime) -> list[DeskWindow]:
    """The windows ``numbers`` that exist, in number order, as of the hall's day at ``now``."""
    day = local_day(now, get_hall(session))
    windows = session.exec(
        select(Window).where(col(Window.number).in_(list(numbers))).order_by(col(Window.number))
    ).all()
    return [_desk_window(session, window, day=day) for window in windows]


def _desk_window(session: Session, window: Window, *, day: date) -> DeskWindow:
    eligible = col(Ticket.window_number) == window.number
    if window.categories:
        eligible = eligible | (
            col(Ticket.window_number).is_(None) & col(Ticket.category_code).in_(window.categories)
        )
    waiting = session.exec(
        select(func.count()).where(Ticket.day == day, Ticket.status == "waiting", eligible)
    ).one()
    current = session.exec(
        select(Ticket)
        .where(
            Ticket.day == day,
            Ticket.window_number == window.number,
            col(Ticket.status).in_(AT_WINDOW),
        )
        .order_by(col(Ticket.called_at).desc(), col(Ticket.id).desc())
        .limit(1)
    ).first()
    case = None
    if current is not None:
        case = session.exec(
            select(Case).where(Case.ticket_id == current.id, col(Case.status).in_(OPEN_STATES))
        ).first()
    return DeskWindow(window=window, waiting=int(waiting), current=current, case=case)
