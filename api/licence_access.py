"""Who may read which licences (their fields, not just whether they are valid).

Administrators and clerks read any; a department reads the licences it issued; a business
user those of the entities it acts for. A partner client reads a licence only when its token
holds ``licences:read`` and the holder has a live consent for that partner and licence type
(credentials.partners.consent); otherwise it is told only valid / not valid through the verify
and match calls. Consents are looked up on every call, so a revocation applies at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from api.auth import STAFF, Forbidden, Principal, require_entity_access
from codeid.accounts.models import Role
from credentials.models import Licence
from credentials.partners.clients import find_client
from credentials.partners.consent_lookup import consented_types

READ_SCOPE = "licences:read"


def partner_consented_types(
    session: Session, principal: Principal, uscc: str, *, now: datetime
) -> set[str]:
    """The licence types of ``uscc`` whose fields this partner may read now (empty for a
    token without ``licences:read``, and for anyone who is not a partner)."""
    if principal.client_id is None or READ_SCOPE not in principal.scopes:
        return set()
    client = find_client(session, principal.client_id)
    if client is None or client.id is None:
        return set()
    return consented_types(session, client_pk=client.id, uscc=uscc, now=now)


def may_read(session: Session, principal: Principal, licence: Licence, *, now: datetime) -> bool:
    if principal.role in STAFF:
        return True
    if principal.role == Role.ISSUER.value:
        return principal.issuer_uscc == licence.issuer_uscc
    if principal.role == Role.BUSINESS.value:
        try:
            require_entity_access(session, principal, licence.holder_uscc, now)
        except Forbidden:
            return False
        return True
    if principal.kind == "client":
        types = partner_consented_types(session, principal, licence.holder_uscc, now=now)
        return licence.type_code in types
    return False


def require_licence_read(
    session: Session, principal: Principal, licence: Licence, *, now: datetime
) -> None:
    if not may_read(session, principal, licence, now=now):
        raise Forbidden(f"you may not read licence {licence.identifier}")


def readable_licences(
    session: Session, principal: Principal, licences: Iterable[Licence], *, now: datetime
) -> list[Licence]:
    return [lic for lic in licences if may_read(session, principal, lic, now=now)]
