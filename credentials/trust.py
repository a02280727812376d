"""The trust registry: which issuer may issue which licence type, and when.

A grant covers ``valid_from <= at < valid_until`` (no end when ``valid_until`` is None) and
stops at ``revoked_at``. Revoking keeps the row, so ``is_trusted`` still answers truthfully
about a moment before the revocation; verification asks about ``now``, so a revoked grant
refuses every licence of that issuer and type from then on, however good its signature.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from codeid.errors import InvalidInput
from credentials.catalogue import Catalogue, default_catalogue
from credentials.errors import IssuerNotTrusted
from credentials.issuers import get_issuer, issuer_jwks
from credentials.models import Issuer, IssuerStatus, TrustGrant

TRUST_LIST_VERSION = 1


def grant_trust(
    session: Session,
    *,
    issuer_uscc: str,
    licence_type: str,
    valid_from: datetime,
    valid_until: datetime | None,
    actor: str,
    now: datetime,
    catalogue: Catalogue | None = None,
) -> TrustGrant:
    """Trust the issuer for the type over the period (``actor`` is for the caller's audit)."""
    issuer = get_issuer(session, issuer_uscc)
    licence_type = (catalogue or default_catalogue()).get(licence_type).code
    for name, moment in (("valid_from", valid_from), ("valid_until", valid_until)):
        if moment is not None and moment.tzinfo is None:
            raise InvalidInput(f"{name} must be a timezone-aware datetime")
    if valid_until is not None and valid_until <= valid_from:
        raise InvalidInput(
            f"valid_until ({_iso(valid_until)}) must be after valid_from ({_iso(valid_from)})"
        )
    grant = TrustGrant(
        issuer_uscc=issuer.uscc,
        licence_type=licence_type,
        valid_from=valid_from,
        valid_until=valid_until,
        created_at=now,
    )
    session.add(grant)
    session.flush()
    return grant


def revoke_trust(
    session: Session, *, issuer_uscc: str, licence_type: str, actor: str, now: datetime
) -> int:
    """End every unrevoked grant of the issuer for the type at ``now``; how many were ended."""
    issuer = get_issuer(session, issuer_uscc)
    grants = _grants(session, issuer.uscc, licence_type)
    count = 0
    for grant in grants:
        if grant.revoked_at is None:
            grant.revoked_at = now
            session.add(grant)
            count += 1
    session.flush()
    return count


def trust_problem(
    session: Session, *, issuer_uscc: str, licence_type: str, at: datetime
) -> str | None:
    """Why the issuer is not trusted for the type at ``at`` (a sentence), or None if it is."""
    issuer = session.exec(select(Issuer).where(Issuer.uscc == issuer_uscc)).first()
    if issuer is None:
        return f"issuer {issuer_uscc} is not registered"
    who = f"issuer {issuer.uscc} ({issuer.name})"
    if issuer.status != IssuerStatus.ACTIVE.value:
        return f"{who} is {issuer.status}"
    grants = _grants(session, issuer.uscc, licence_type)
    if any(_covers(grant, at) for grant in grants):
        return None
    what = f"{who} is not trusted to issue {licence_type} licences at {_iso(at)}"
    return f"{what}: {_why_not(grants, at)}"


def is_trusted(session: Session, *, issuer_uscc: str, licence_type: str, at: datetime) -> bool:
    return trust_problem(session, issuer_uscc=issuer_uscc, licence_type=licence_type, at=at) is None


def require_trusted(session: Session, *, issuer_uscc: str, licence_type: str, at: datetime) -> None:
    problem = trust_problem(session, issuer_uscc=issuer_uscc, licence_type=licence_type, at=at)
    if problem is not None:
        raise IssuerNotTrusted(problem, issuer=issuer_uscc, licence_type=licence_type)


def trust_list(session: Session, *, now: datetime) -> dict[str, Any]:
    """Every active issuer with its keys and its current and future grants, as one document."""
    issuers = session.exec(
        select(Issuer).where(Issuer.status == IssuerStatus.ACTIVE.value).order_by(col(Issuer.uscc))
    ).all()
    grants = session.exec(
        select(TrustGrant).order_by(
            col(TrustGrant.issuer_uscc), col(TrustGrant.licence_type), col(TrustGrant.valid_from)
        )
    ).all()
    by_issuer: dict[str, list[dict[str, Any]]] = {}
    for grant in grants:
        ended = grant.valid_until is not None and grant.valid_until <= now
        revoked = grant.revoked_at is not None and grant.revoked_at <= now
        if not (ended or revoked):
            by_issuer.setdefault(grant.issuer_uscc, []).append(
                {
                    "licence_type": grant.licence_type,
                    "valid_from": _iso(grant.valid_from),
                    "valid_until": None if grant.valid_until is None else _iso(grant.valid_until),
                }
            )
    return {
        "version": TRUST_LIST_VERSION,
        "issued_at": _iso(now),
        "issuers": [
            {
                "uscc": issuer.uscc,
                "name": issuer.name,
                "authority_kind": issuer.authority_kind,
                "jwks": issuer_jwks(session, issuer.uscc),
                "grants": by_issuer.get(issuer.uscc, []),
            }
            for issuer in issuers
        ],
    }


def _grants(session: Session, issuer_uscc: str, licence_type: str) -> Sequence[TrustGrant]:
    return session.exec(
        select(TrustGrant)
        .where(TrustGrant.issuer_uscc == issuer_uscc, TrustGrant.licence_type == licence_type)
        .order_by(col(TrustGrant.valid_from))
    ).all()


def _covers(grant: TrustGrant, at: datetime) -> bool:
    return (
        grant.valid_from <= at
        and (grant.valid_until is None or at < grant.valid_until)
        and (grant.revoked_at is None or at < grant.revoked_at)
    )


def _why_not(grants: Sequence[TrustGrant], at: datetime) -> str:
    """The most telling reason among the grants that do not cover ``at``."""
    if not grants:
        return "no trust grant"
    revoked = [g.revoked_at for g in grants if g.revoked_at is not None and g.revoked_at <= at]
    if revoked:
        return f"its grant was revoked at {_iso(max(revoked))}"
    upcoming = [g.valid_from for g in grants if g.valid_from > at]
    if upcoming:
        return f"its grant starts at {_iso(min(upcoming))}"
    ended = [g.valid_until for g in grants if g.valid_until is not None]
    return f"its grant ended at {_iso(max(ended))}" if ended else "no grant covers that time"


def _iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``, as in the other published documents."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
