"""Reading the access log: an administrator's search and a business's view of its own entity.

Pages run newest first and are keyed by entry id (``cursor`` = the last id of the previous
page), so a page never shifts while new entries are appended at the top.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from codeid.audit.models import AccessEvent
from codeid.errors import InvalidInput

MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class AccessFilter:
    """Every criterion is optional; given ones must all hold (``until`` is exclusive)."""

    uscc: str | None = None
    actor: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccessPage:
    items: list[AccessEvent]
    next_cursor: int | None  # pass back as ``cursor`` for the next (older) page


def search(
    session: Session,
    *,
    uscc: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: int | None = None,
) -> AccessPage:
    """Entries matching every given criterion, newest first."""
    where = AccessFilter(uscc, actor, action, outcome, since, until)
    return _page(session, where, limit=limit, cursor=cursor)


def for_entity(
    session: Session,
    uscc: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: int | None = None,
) -> AccessPage:
    """Who accessed one entity's data (a business user's view of its own entity)."""
    where = AccessFilter(uscc=uscc, since=since, until=until)
    return _page(session, where, limit=limit, cursor=cursor)


def _page(session: Session, where: AccessFilter, *, limit: int, cursor: int | None) -> AccessPage:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", limit=limit)
    for name, moment in (("since", where.since), ("until", where.until)):
        # The column stores UTC; a time without an offset would be a guess.
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput(f"{name} needs a UTC offset (e.g. 2026-11-27T00:00:00Z)")
    query = select(AccessEvent)
    if where.uscc is not None:
        query = query.where(AccessEvent.subject_uscc == where.uscc)
    if where.actor is not None:
        query = query.where(AccessEvent.actor == where.actor)
    if where.action is not None:
        query = query.where(AccessEvent.action == where.action)
    if where.outcome is not None:
        query = query.where(AccessEvent.outcome == where.outcome)
    if where.since is not None:
        query = query.where(col(AccessEvent.at) >= where.since)
    if where.until is not None:
        query = query.where(col(AccessEvent.at) < where.until)
    if cursor is not None:
        query = query.where(col(AccessEvent.id) < cursor)
    # One row more than asked tells whether an older page exists.
    rows = list(session.exec(query.order_by(col(AccessEvent.id).desc()).limit(limit + 1)).all())
    items = rows[:limit]
    return AccessPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)
