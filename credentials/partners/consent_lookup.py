"""Which consents are in force: the query every partner read and webhook fan-out uses."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from credentials.partners.models import Consent


def live_consents(
    session: Session, *, client_pk: int, now: datetime, uscc: str | None = None
) -> list[Consent]:
    """The client's consents not revoked and not expired (for one holder, or all)."""
    query = select(Consent).where(
        Consent.client_pk == client_pk,
        col(Consent.revoked_at).is_(None),
        col(Consent.expires_at) > now,
    )
    if uscc is not None:
        query = query.where(Consent.uscc == uscc)
    return list(session.exec(query.order_by(col(Consent.id))).all())


def consented_types(session: Session, *, client_pk: int, uscc: str, now: datetime) -> set[str]:
    """The licence types of ``uscc`` whose fields the client may read now."""
    types: set[str] = set()
    for consent in live_consents(session, client_pk=client_pk, uscc=uscc, now=now):
        types.update(consent.licence_types)
    return types
