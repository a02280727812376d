"""A business's consent that one partner may read the fields of its licences of some types.

Granted per partner and per licence types, always with an expiry, and revocable at any time
(a revocation takes effect at the partner's next call: every read looks consents up anew, see
consent_lookup). Who may grant is decided at the edge (a legal representative or licence
administrator of the business); this module keeps the rules of a consent itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from codeid.entities.service import get_entity
from codeid.uscc import normalise_uscc
from credentials.catalogue import Catalogue, default_catalogue
from credentials.partners.clients import get_client
from credentials.partners.errors import ConsentAlreadyRevoked, ConsentNotFound, InvalidConsent
from credentials.partners.models import ClientStatus, Consent, PartnerClient

MAX_TERM = timedelta(days=3 * 366)  # consent is renewed deliberately, not granted forever


def grant_consent(
    session: Session,
    *,
    uscc: str,
    client_id: str,
    licence_types: Iterable[str],
    expires_at: datetime,
    granted_by: int | None,
    now: datetime,
    purpose: str = "",
    catalogue: Catalogue | None = None,
) -> Consent:
    """A new consent for an existing entity and an active partner. Flushes only."""
    entity = get_entity(session, uscc)
    client = get_client(session, client_id)
    if client.status != ClientStatus.ACTIVE.value:
        raise InvalidConsent(f"partner {client.client_id} is disabled")
    types = _check_types(licence_types, catalogue or default_catalogue())
    if expires_at <= now:
        raise InvalidConsent("a consent's expiry must be in the future")
    if expires_at - now > MAX_TERM:
        raise InvalidConsent(f"a consent lasts at most {MAX_TERM.days} days; renew it later")
    if len(purpose) > 300:
        raise InvalidConsent("the purpose is at most 300 characters")
    assert client.id is not None
    consent = Consent(
        uscc=entity.uscc,
        client_pk=client.id,
        licence_types=types,
        purpose=purpose.strip(),
        granted_by=granted_by,
        granted_at=now,
        expires_at=expires_at,
    )
    session.add(consent)
    session.flush()
    return consent


def _check_types(licence_types: Iterable[str], catalogue: Catalogue) -> list[str]:
    types = sorted({code.strip() for code in licence_types if code.strip()})
    if not types:
        raise InvalidConsent("name at least one licence type the partner may read")
    unknown = [code for code in types if code not in catalogue]
    if unknown:
        raise InvalidConsent(f"unknown licence type {', '.join(unknown)}", unknown=unknown[0])
    return types


def get_consent(session: Session, consent_id: int, *, uscc: str) -> Consent:
    """The consent, which must belong to ``uscc`` (an id of another business is not found)."""
    consent = session.get(Consent, consent_id)
    if consent is None or consent.uscc != normalise_uscc(uscc):
        raise ConsentNotFound(f"no consent {consent_id} of {uscc}", consent_id=consent_id)
    return consent


def revoke_consent(
    session: Session, consent_id: int, *, uscc: str, revoked_by: int | None, now: datetime
) -> Consent:
    """Ends the consent at once. Revoking twice is a conflict; an expired one may still be
    revoked (the record then shows it was withdrawn, not just left to lapse)."""
    consent = get_consent(session, consent_id, uscc=uscc)
    if consent.revoked_at is not None:
        raise ConsentAlreadyRevoked(f"consent {consent_id} was revoked at {consent.revoked_at}")
    consent.revoked_at = now
    consent.revoked_by = revoked_by
    session.add(consent)
    session.flush()
    return consent


def consents_of(
    session: Session, uscc: str, *, include_ended: bool = True, now: datetime
) -> list[tuple[Consent, PartnerClient]]:
    """The business's consents with their partners, newest first (live ones only, or all)."""
    query = (
        select(Consent, PartnerClient)
        .join(PartnerClient, col(PartnerClient.id) == col(Consent.client_pk))
        .where(Consent.uscc == normalise_uscc(uscc))
    )
    if not include_ended:
        query = query.where(col(Consent.revoked_at).is_(None), col(Consent.expires_at) > now)
    rows = session.exec(query.order_by(col(Consent.granted_at).desc(), col(Consent.id).desc()))
    return [(consent, client) for consent, client in rows.all()]


def consent_state(consent: Consent, *, now: datetime) -> str:
    """The consent at ``now``: "active", "expired" or "revoked"."""
    if consent.revoked_at is not None:
        return "revoked"
    return "active" if consent.expires_at > now else "expired"
