"""Which mandates are in force: the one query every "may this person act for it" check uses."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, or_, select

from codeid.mandates.models import Mandate


def live_mandates(
    session: Session, *, user_id: int, now: datetime, uscc: str | None = None
) -> list[Mandate]:
    """The user's mandates not revoked and within their term (for one entity, or all)."""
    query = select(Mandate).where(
        Mandate.user_id == user_id,
        col(Mandate.revoked_at).is_(None),
        col(Mandate.valid_from) <= now,
        or_(col(Mandate.valid_until).is_(None), col(Mandate.valid_until) > now),
    )
    if uscc is not None:
        query = query.where(Mandate.uscc == uscc)
    return list(session.exec(query.order_by(col(Mandate.id))).all())
