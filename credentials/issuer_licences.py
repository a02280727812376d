"""A department's own licences, newest first, for its desk: by status, type or holder.

Pages are keyed by row id (``cursor`` = the last id of the previous page), so a page never
shifts while the department keeps issuing at the top.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from codeid.errors import InvalidInput
from codeid.uscc import normalise_uscc
from credentials.models import Licence, LicenceStatus

MAX_LIMIT = 200
CURRENT = "current"  # every status but superseded: the versions that count today
STATUSES = (CURRENT, *(status.value for status in LicenceStatus))


@dataclass(frozen=True, slots=True)
class LicencePage:
    items: list[Licence]
    next_cursor: int | None  # pass back as ``cursor`` for the next (older) page


def issuer_licences(
    session: Session,
    *,
    issuer_uscc: str,
    status: str = CURRENT,
    licence_type: str | None = None,
    holder_uscc: str | None = None,
    limit: int = 50,
    cursor: int | None = None,
) -> LicencePage:
    """Licences this department issued, newest first; ``status`` is a stored status or
    ``current`` (all but superseded versions)."""
    if status not in STATUSES:
        raise InvalidInput(f"unknown licence status {status!r}; one of {', '.join(STATUSES)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit is 1 to {MAX_LIMIT}")
    query = select(Licence).where(Licence.issuer_uscc == normalise_uscc(issuer_uscc))
    if status == CURRENT:
        query = query.where(Licence.status != LicenceStatus.SUPERSEDED.value)
    else:
        query = query.where(Licence.status == status)
    if licence_type:
        query = query.where(Licence.type_code == licence_type)
    if holder_uscc:
        query = query.where(Licence.holder_uscc == normalise_uscc(holder_uscc))
    if cursor is not None:
        query = query.where(col(Licence.id) < cursor)
    rows = list(session.exec(query.order_by(col(Licence.id).desc()).limit(limit + 1)).all())
    more = len(rows) > limit
    items = rows[:limit]
    return LicencePage(items, items[-1].id if more and items else None)
