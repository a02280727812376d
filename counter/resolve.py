"""Resolve a business code at the counter: the entity, its licences, today's bookings and
its open tickets, so the clerk sees at one glance why the business is here, and, for a code
issued to a person acting for the business, who that is and for what (their mandate)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from codeid.codes.payload import CodeClaims
from codeid.keys.jwks import PublicKeySet
from codeid.mandates.acting import MandateView, describe, find_mandate
from counter.bookings import bookings_for
from counter.hall import local_day
from counter.models import Booking, Hall, Ticket
from counter.tickets import open_tickets
from credentials.resolve import ResolvedWithLicences, resolve_code_with_licences


@dataclass(frozen=True, slots=True)
class CounterResolution:
    resolved: ResolvedWithLicences
    bookings_today: list[Booking]
    open_tickets: list[Ticket]
    # The mandate the code names (also when the code is refused because of it), else None.
    acting: MandateView | None = None


def resolve_for_counter(
    session: Session,
    payload: str,
    *,
    keys: PublicKeySet,
    now: datetime,
    actor: str,
    location: str,
    channel: str,
) -> CounterResolution:
    """resolve_code_with_licences, plus the entity's bookings and open tickets for the hall's
    local day. A refused code still shows them when the entity is known (e.g. suspended)."""
    resolved = resolve_code_with_licences(
        session, payload, keys=keys, now=now, actor=actor, location=location, channel=channel
    )
    entity = resolved.result.entity
    acting = acting_view(session, resolved.result.claims, now=now)
    hall = session.get(Hall, 1)
    if entity is None or hall is None:  # no hall set up: no bookings or tickets can exist
        return CounterResolution(resolved, [], [], acting)
    day = local_day(now, hall)
    return CounterResolution(
        resolved,
        bookings_for(session, entity.uscc, day=day),
        open_tickets(session, entity.uscc, day=day),
        acting,
    )


def acting_view(
    session: Session, claims: CodeClaims | None, *, now: datetime
) -> MandateView | None:
    """Who the verified code was issued to, when it names a mandate of its entity."""
    if claims is None or claims.mandate_id is None:
        return None
    mandate = find_mandate(session, claims.mandate_id)
    if mandate is None or mandate.uscc != claims.uscc:
        return None
    return describe(session, [mandate], now=now)[0]
