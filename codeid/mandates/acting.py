"""Who is acting for a business, and may they do this: the checks made when a mandate is used.

A mandate is *in force* when it is not revoked, ``now`` is within its term and its holder's
account is active. Codes naming a mandate (codeid.codes.state), check-in and case opening
(counter) all ask ``mandate_state``, so a revocation takes effect everywhere at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from codeid.accounts.models import UserAccount, UserStatus
from codeid.mandates.errors import MandateNotFound, MandateNotInForce, OutsideAgentScope
from codeid.mandates.lookup import live_mandates
from codeid.mandates.models import Mandate, MandateRole

IN_FORCE = "in-force"
REVOKED = "revoked"
NOT_YET_VALID = "not-yet-valid"
EXPIRED = "expired"
HOLDER_DISABLED = "holder-disabled"

# The strongest capacity first: the mandate a user acts under when it holds several.
_RANK = {
    MandateRole.LEGAL_REPRESENTATIVE.value: 0,
    MandateRole.LICENCE_ADMINISTRATOR.value: 1,
    MandateRole.AGENT.value: 2,
}


@dataclass(frozen=True, slots=True)
class MandateView:
    """A mandate as the business and the window see it: whose, in what capacity, for what."""

    id: int
    uscc: str
    role: str
    user_id: int
    username: str
    display_name: str
    scope: list[str]  # service item codes; empty = all business
    valid_from: datetime
    valid_until: datetime | None
    granted_by: int | None
    revoked_at: datetime | None
    revocation_reason: str
    state: str  # in-force, revoked, not-yet-valid, expired, holder-disabled


# Mandate ids are database INTEGERs; a code may carry any uint32, so larger ids are
# looked up as "no such mandate" rather than sent to PostgreSQL (which would fail).
MAX_STORED_ID = 2_147_483_647


def find_mandate(session: Session, mandate_id: int) -> Mandate | None:
    if not 1 <= mandate_id <= MAX_STORED_ID:
        return None
    return session.get(Mandate, mandate_id)


def get_mandate(session: Session, mandate_id: int) -> Mandate:
    mandate = find_mandate(session, mandate_id)
    if mandate is None:
        raise MandateNotFound(f"no mandate {mandate_id}", mandate_id=mandate_id)
    return mandate


def term_state(mandate: Mandate, *, now: datetime) -> str:
    """Revoked, before or after its term, or in force, judged by the mandate row alone."""
    if mandate.revoked_at is not None and mandate.revoked_at <= now:
        return REVOKED
    if now < mandate.valid_from:
        return NOT_YET_VALID
    if mandate.valid_until is not None and now >= mandate.valid_until:
        return EXPIRED
    return IN_FORCE


def mandate_state(session: Session, mandate: Mandate, *, now: datetime) -> str:
    """term_state, and HOLDER_DISABLED when the holder's account is disabled."""
    state = term_state(mandate, now=now)
    if state != IN_FORCE:
        return state
    holder = session.get(UserAccount, mandate.user_id)
    if holder is None or holder.status != UserStatus.ACTIVE.value:
        return HOLDER_DISABLED
    return IN_FORCE


def covers(mandate: Mandate, item_code: str) -> bool:
    """Whether the mandate allows acting on a service item (an agent only within its scope)."""
    if mandate.role != MandateRole.AGENT.value or not mandate.scope:
        return True
    return item_code in mandate.scope


def acting_mandate(session: Session, *, user_id: int, uscc: str, now: datetime) -> Mandate | None:
    """The live mandate a user acts for ``uscc`` under: the strongest capacity, then the
    widest scope (empty = all), then the newest."""
    mandates = live_mandates(session, user_id=user_id, uscc=uscc, now=now)
    if not mandates:
        return None
    return min(
        mandates,
        key=lambda m: (_RANK.get(m.role, len(_RANK)), bool(m.scope), -len(m.scope), -(m.id or 0)),
    )


def require_acting_for(
    session: Session, mandate_id: int, *, uscc: str, item_code: str | None, now: datetime
) -> Mandate:
    """The mandate a ticket was presented under, still in force for ``uscc`` and covering
    ``item_code`` (when one is known); MandateNotInForce / OutsideAgentScope otherwise."""
    mandate = get_mandate(session, mandate_id)
    state = mandate_state(session, mandate, now=now) if mandate.uscc == uscc else "other-entity"
    if state != IN_FORCE:
        raise MandateNotInForce(
            f"mandate {mandate_id} of the person acting for {uscc} is not in force ({state})",
            mandate_id=mandate_id,
            state=state,
            uscc=uscc,
        )
    if item_code is not None and not covers(mandate, item_code):
        raise OutsideAgentScope(
            f"the agent acting for {uscc} is authorised for {', '.join(mandate.scope)}, "
            f"not for {item_code}",
            mandate_id=mandate_id,
            item_code=item_code,
            uscc=uscc,
        )
    return mandate


def describe(session: Session, mandates: Iterable[Mandate], *, now: datetime) -> list[MandateView]:
    """Views of mandates with their holders' names and states (one query for the users)."""
    rows = list(mandates)
    ids = {m.user_id for m in rows}
    users = (
        {u.id: u for u in session.exec(select(UserAccount).where(col(UserAccount.id).in_(ids)))}
        if ids
        else {}
    )
    views = []
    for mandate in rows:
        assert mandate.id is not None
        holder = users.get(mandate.user_id)
        state = term_state(mandate, now=now)
        if state == IN_FORCE and (holder is None or holder.status != UserStatus.ACTIVE.value):
            state = HOLDER_DISABLED
        views.append(
            MandateView(
                id=mandate.id,
                uscc=mandate.uscc,
                role=mandate.role,
                user_id=mandate.user_id,
                username=holder.username if holder else "",
                display_name=holder.display_name if holder else "",
                scope=list(mandate.scope),
                valid_from=mandate.valid_from,
                valid_until=mandate.valid_until,
                granted_by=mandate.granted_by,
                revoked_at=mandate.revoked_at,
                revocation_reason=mandate.revocation_reason,
                state=state,
            )
        )
    return views
