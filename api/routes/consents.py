"""A business's consents to partners, and the partners it may pick from.

Only the business itself grants or revokes: a business user holding a live mandate for it as
legal representative or licence administrator (agents act at the counter, they do not share
the business's data). Administrators may list a business's consents. ``GET /v1/partners``
lists active partners (id, name, scopes) to signed-in business users and administrators, so
a business can choose whom to consent to; it is not public, to keep the partner list off
the open web.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from sqlmodel import Session

from api.auth import Allow, Forbidden, Principal, require_entity_access
from api.counter_schemas import MAX_ID
from api.deps import NowDep, SessionDep
from api.partner_schemas import ConsentIn, ConsentOut, PartnerOut
from codeid.accounts.models import Role
from codeid.mandates.lookup import live_mandates
from codeid.mandates.models import MandateRole
from codeid.uscc import normalise_uscc
from credentials.partners.clients import list_clients
from credentials.partners.consent import (
    consent_state,
    consents_of,
    grant_consent,
    revoke_consent,
)
from credentials.partners.models import Consent, PartnerClient

router = APIRouter(prefix="/v1", tags=["partners"])
BusinessDep = Annotated[Principal, Depends(Allow(Role.BUSINESS))]
ListerDep = Annotated[Principal, Depends(Allow(Role.ADMIN, Role.BUSINESS))]
ConsentId = Annotated[int, Path(ge=1, le=MAX_ID)]
GRANTORS = frozenset(
    {MandateRole.LEGAL_REPRESENTATIVE.value, MandateRole.LICENCE_ADMINISTRATOR.value}
)


def require_grantor(session: Session, principal: Principal, uscc: str, now: datetime) -> int:
    """The user id of a legal representative or licence administrator of ``uscc``."""
    require_entity_access(session, principal, uscc, now)  # a live mandate of any kind
    assert principal.user_id is not None
    mandates = live_mandates(session, user_id=principal.user_id, uscc=uscc, now=now)
    if not any(mandate.role in GRANTORS for mandate in mandates):
        raise Forbidden(
            "only the legal representative or a licence administrator may grant or revoke "
            f"consent for {uscc}"
        )
    return principal.user_id


def consent_out(consent: Consent, client: PartnerClient, *, now: datetime) -> ConsentOut:
    assert consent.id is not None
    return ConsentOut(
        id=consent.id,
        uscc=consent.uscc,
        client_id=client.client_id,
        partner_name=client.name,
        licence_types=list(consent.licence_types),
        purpose=consent.purpose,
        state=consent_state(consent, now=now),
        granted_by=consent.granted_by,
        granted_at=consent.granted_at,
        expires_at=consent.expires_at,
        revoked_at=consent.revoked_at,
        revoked_by=consent.revoked_by,
    )


@router.post("/entities/{uscc}/consents", status_code=201, response_model=ConsentOut)
def grant(
    uscc: str, body: ConsentIn, principal: BusinessDep, session: SessionDep, now: NowDep
) -> ConsentOut:
    """Let one partner read the fields of this business's licences of the given types."""
    uscc = normalise_uscc(uscc)
    user_id = require_grantor(session, principal, uscc, now)
    consent = grant_consent(
        session,
        uscc=uscc,
        client_id=body.client_id,
        licence_types=body.licence_types,
        expires_at=body.expires_at,
        purpose=body.purpose,
        granted_by=user_id,
        now=now,
    )
    client = session.get(PartnerClient, consent.client_pk)
    assert client is not None
    return consent_out(consent, client, now=now)


@router.get("/entities/{uscc}/consents", response_model=list[ConsentOut])
def list_consents(
    uscc: str,
    principal: ListerDep,
    session: SessionDep,
    now: NowDep,
    active_only: bool = False,
) -> list[ConsentOut]:
    """The business's consents, newest first, each with its partner's name and its state."""
    uscc = normalise_uscc(uscc)
    require_entity_access(session, principal, uscc, now)
    rows = consents_of(session, uscc, include_ended=not active_only, now=now)
    return [consent_out(consent, client, now=now) for consent, client in rows]


def _revoke(
    session: Session, principal: Principal, uscc: str, consent_id: int, now: datetime
) -> ConsentOut:
    uscc = normalise_uscc(uscc)
    user_id = require_grantor(session, principal, uscc, now)
    consent = revoke_consent(session, consent_id, uscc=uscc, revoked_by=user_id, now=now)
    client = session.get(PartnerClient, consent.client_pk)
    assert client is not None
    return consent_out(consent, client, now=now)


@router.post("/entities/{uscc}/consents/{consent_id}/revoke", response_model=ConsentOut)
def revoke(
    uscc: str, consent_id: ConsentId, principal: BusinessDep, session: SessionDep, now: NowDep
) -> ConsentOut:
    """End a consent at once: the partner's next call no longer sees those fields."""
    return _revoke(session, principal, uscc, consent_id, now)


@router.delete("/entities/{uscc}/consents/{consent_id}", status_code=204)
def delete(
    uscc: str, consent_id: ConsentId, principal: BusinessDep, session: SessionDep, now: NowDep
) -> Response:
    """The same as POST .../revoke (the consent is kept, marked revoked, for the record)."""
    _revoke(session, principal, uscc, consent_id, now)
    return Response(status_code=204)


@router.get("/partners", response_model=list[PartnerOut])
def partners(_caller: ListerDep, session: SessionDep) -> list[PartnerOut]:
    """Active partners a business may consent to."""
    return [
        PartnerOut(client_id=c.client_id, name=c.name, scopes=list(c.scopes))
        for c in list_clients(session, active_only=True)
    ]
