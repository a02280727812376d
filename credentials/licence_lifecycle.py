"""Status changes of a licence version: suspend, resume, revoke (by its issuer only).

The JWS is not re-signed: status travels in the status list the licence points to, so a
verifier sees the change as soon as it fetches the list. Expiry is by date, never stored.
Transitions: valid -> suspended -> valid (resume); valid | suspended -> revoked (final).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from credentials.errors import LicenceStateConflict
from credentials.licence_records import add_event, check_reason, owned_licence, writing
from credentials.models import Issuer, Licence, LicenceStatus

_VALID = LicenceStatus.VALID.value
_SUSPENDED = LicenceStatus.SUSPENDED.value
_REVOKED = LicenceStatus.REVOKED.value


def suspend_licence(
    session: Session, identifier: str, *, issuer: Issuer, reason: str, actor: str, now: datetime
) -> Licence:
    """valid -> suspended; a reason is required."""
    return _change(
        session, identifier, issuer, {_VALID}, _SUSPENDED, "suspended", reason, actor, now
    )


def resume_licence(
    session: Session, identifier: str, *, issuer: Issuer, reason: str, actor: str, now: datetime
) -> Licence:
    """suspended -> valid; the reason may be empty."""
    return _change(session, identifier, issuer, {_SUSPENDED}, _VALID, "resumed", reason, actor, now)


def revoke_licence(
    session: Session, identifier: str, *, issuer: Issuer, reason: str, actor: str, now: datetime
) -> Licence:
    """valid | suspended -> revoked (final); a reason is required."""
    return _change(
        session, identifier, issuer, {_VALID, _SUSPENDED}, _REVOKED, "revoked", reason, actor, now
    )


def _change(
    session: Session,
    identifier: str,
    issuer: Issuer,
    allowed: set[str],
    target: str,
    action: str,
    reason: str,
    actor: str,
    now: datetime,
) -> Licence:
    check_reason(reason, actor, required=action != "resumed")
    licence = owned_licence(session, identifier, issuer)
    if licence.status not in allowed:
        hint = " (the current version is its successor)" if licence.status == "superseded" else ""
        raise LicenceStateConflict(
            f"licence {licence.identifier} is {licence.status}{hint}; only a "
            f"{' or '.join(sorted(allowed))} licence can be {action}",
            identifier=licence.identifier,
            status=licence.status,
        )
    before = licence.status
    with writing(licence.identifier):
        licence.status = target
        licence.updated_at = now
        session.add(licence)
        add_event(session, licence, action, actor=actor, now=now, reason=reason, before=before)
        session.flush()
    return licence
