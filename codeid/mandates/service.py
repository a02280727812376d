"""Granting and revoking mandates: who may act for a business, and who decides that.

- An administrator of the platform binds an entity's legal representative; binding a new one
  ends the previous one's mandate at once.
- The legal representative appoints licence administrators, at most five in force at a time.
- The legal representative or a licence administrator authorises agents, for all business
  (empty scope) or for named service items, always for a term (valid_from .. valid_until).
- Revocation takes effect at once. The legal representative may revoke administrators and
  agents; a licence administrator may revoke agents only; a platform administrator (or the
  operator at the command line, ``by=None``) any mandate.
- Revoking an administrator does **not** end the agents it authorised: an authorisation is the
  business's act, made by someone entitled at the time, and ending it silently would stop an
  agent mid-errand. The listing shows who granted each mandate, and ``include_agents=True``
  ends them in the same step when the business wants that. Likewise a new legal representative
  inherits the administrators its predecessor appointed.
- A user holds at most one mandate for an entity over any period (terms may not overlap), so
  every code names a single capacity; a user who becomes legal representative gives up any
  other mandate it held for that entity.

Functions flush, never commit. ``by`` is the acting user; who may do what is decided here.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from codeid.accounts.errors import Forbidden
from codeid.accounts.models import Role, UserAccount, UserStatus
from codeid.entities.models import Entity
from codeid.entities.service import get_entity
from codeid.errors import InvalidInput
from codeid.mandates.acting import IN_FORCE, get_mandate, term_state
from codeid.mandates.errors import (
    MandateAlreadyRevoked,
    MandateExists,
    TooManyAdministrators,
)
from codeid.mandates.lookup import live_mandates
from codeid.mandates.models import MAX_LICENCE_ADMINISTRATORS, Mandate, MandateRole
from codeid.mandates.rules import check_holder, check_term, clean_scope, utc
from codeid.uscc import normalise_uscc

__all__ = [
    "appoint_administrator",
    "authorise_agent",
    "bind_legal_representative",
    "get_mandate",
    "revoke_mandate",
]

MAX_REASON = 200
LEGAL_REP = MandateRole.LEGAL_REPRESENTATIVE.value
ADMINISTRATOR = MandateRole.LICENCE_ADMINISTRATOR.value
AGENT = MandateRole.AGENT.value


def bind_legal_representative(
    session: Session,
    *,
    uscc: str,
    user: UserAccount,
    by: UserAccount | None,
    now: datetime,
    valid_until: datetime | None = None,
) -> Mandate:
    """Make ``user`` the entity's legal representative (platform administrators only)."""
    if by is not None and by.role != Role.ADMIN.value:
        raise Forbidden("only a platform administrator binds a legal representative")
    entity = _locked_entity(session, uscc)
    check_holder(user)
    valid_until = check_term(now, valid_until, now=now)
    current = _unrevoked(session, entity.uscc, role=LEGAL_REP)
    if any(m.user_id == user.id and term_state(m, now=now) == IN_FORCE for m in current):
        raise MandateExists(f"{user.username} is already the legal representative of {uscc}")
    for previous in current:
        _end(previous, by=by, reason="replaced by a new legal representative", now=now)
    for own in _unrevoked(session, entity.uscc, user_id=user.id):
        _end(own, by=by, reason="became the legal representative", now=now)
    return _grant(session, entity.uscc, user, LEGAL_REP, by=by, now=now, valid_until=valid_until)


def appoint_administrator(
    session: Session,
    *,
    uscc: str,
    user: UserAccount,
    by: UserAccount,
    now: datetime,
    valid_until: datetime | None = None,
) -> Mandate:
    """The legal representative appoints a licence administrator (at most five in force)."""
    entity = _locked_entity(session, uscc)
    _require_capacity(session, by, entity.uscc, {LEGAL_REP}, "appoint licence administrators", now)
    check_holder(user)
    valid_until = check_term(now, valid_until, now=now)
    _check_no_overlap(session, entity.uscc, user, now, valid_until)
    unrevoked = _unrevoked(session, entity.uscc, role=ADMINISTRATOR)
    live = [m for m in unrevoked if term_state(m, now=now) == IN_FORCE]
    if len(live) >= MAX_LICENCE_ADMINISTRATORS:
        raise TooManyAdministrators(
            f"{entity.uscc} already has {len(live)} licence administrators, the most allowed; "
            "revoke one first",
            limit=MAX_LICENCE_ADMINISTRATORS,
        )
    return _grant(
        session, entity.uscc, user, ADMINISTRATOR, by=by, now=now, valid_until=valid_until
    )


def authorise_agent(
    session: Session,
    *,
    uscc: str,
    user: UserAccount,
    by: UserAccount,
    scope: Sequence[str],
    valid_from: datetime,
    valid_until: datetime,
    now: datetime,
    known_items: Collection[str] | None = None,
) -> Mandate:
    """Authorise an agent for all business (empty scope) or named service items, for a term.

    A term cannot start in the past: an earlier ``valid_from`` starts it now. ``known_items``
    (the hall's service item codes, when the caller knows them) refuses unknown codes.
    """
    entity = _locked_entity(session, uscc)
    _require_capacity(session, by, entity.uscc, {LEGAL_REP, ADMINISTRATOR}, "authorise agents", now)
    check_holder(user)
    start = max(utc(valid_from), now)
    until = check_term(start, valid_until, now=now, required=True)
    items = clean_scope(scope, known_items)
    _check_no_overlap(session, entity.uscc, user, start, until)
    return _grant(
        session,
        entity.uscc,
        user,
        AGENT,
        by=by,
        now=now,
        valid_from=start,
        valid_until=until,
        scope=items,
    )


def revoke_mandate(
    session: Session,
    mandate_id: int,
    *,
    by: UserAccount | None,
    now: datetime,
    reason: str = "",
    include_agents: bool = False,
) -> list[Mandate]:
    """End a mandate at once; with ``include_agents``, also the agents its holder authorised.

    Returns the mandates ended (the one asked for first).
    """
    reason = reason.strip()
    if len(reason) > MAX_REASON or not reason.isprintable():
        raise InvalidInput(f"a revocation reason is one line of at most {MAX_REASON} characters")
    mandate = get_mandate(session, mandate_id)
    if mandate.revoked_at is not None:
        raise MandateAlreadyRevoked(
            f"mandate {mandate_id} was already revoked at {mandate.revoked_at.isoformat()}",
            mandate_id=mandate_id,
        )
    _require_may_revoke(session, by, mandate, now)
    ended = [mandate]
    if include_agents and mandate.role != AGENT:
        ended += [
            agent
            for agent in _unrevoked(session, mandate.uscc, role=AGENT)
            if agent.granted_by == mandate.user_id
        ]
    for each in ended:
        _end(each, by=by, reason=reason or "revoked", now=now)
    session.flush()
    return ended


# ---- rules ----


def _require_capacity(
    session: Session, by: UserAccount, uscc: str, roles: set[str], what: str, now: datetime
) -> Mandate:
    """The live mandate in one of ``roles`` through which ``by`` may do ``what``."""
    if by.role == Role.BUSINESS.value and by.status == UserStatus.ACTIVE.value:
        for mandate in live_mandates(session, user_id=_id(by), uscc=uscc, now=now):
            if mandate.role in roles:
                return mandate
    names = " or ".join(sorted(role.replace("-", " ") for role in roles))
    raise Forbidden(f"only the {names} of {uscc} may {what}")


def _require_may_revoke(
    session: Session, by: UserAccount | None, mandate: Mandate, now: datetime
) -> None:
    if by is None or by.role == Role.ADMIN.value:
        return
    if mandate.role == LEGAL_REP:
        raise Forbidden("a legal representative's mandate ends when an administrator binds another")
    allowed = {LEGAL_REP} if mandate.role == ADMINISTRATOR else {LEGAL_REP, ADMINISTRATOR}
    what = f"revoke {mandate.role.replace('-', ' ')}s"
    _require_capacity(session, by, mandate.uscc, allowed, what, now)


def _check_no_overlap(
    session: Session, uscc: str, user: UserAccount, start: datetime, end: datetime | None
) -> None:
    for other in _unrevoked(session, uscc, user_id=user.id):
        other_end = other.valid_until
        if (other_end is None or start < other_end) and (end is None or other.valid_from < end):
            raise MandateExists(
                f"{user.username} already holds mandate {other.id} ({other.role}) for {uscc} "
                "over that term; revoke it first",
                mandate_id=other.id,
            )


# ---- rows ----


def _locked_entity(session: Session, uscc: str) -> Entity:
    """The entity, its row locked for this transaction (a no-op UPDATE: PostgreSQL's row lock,
    SQLite's write lock), so concurrent grants for one entity are counted one at a time. The
    UPDATE comes before the read: on SQLite a read-then-write could fail if another writer
    committed in between (see counter.tickets.lock_for_write)."""
    code = normalise_uscc(uscc)
    session.execute(update(Entity).where(col(Entity.uscc) == code).values(uscc=col(Entity.uscc)))
    return get_entity(session, code)


def _unrevoked(
    session: Session, uscc: str, *, role: str | None = None, user_id: int | None = None
) -> list[Mandate]:
    query = select(Mandate).where(Mandate.uscc == uscc, col(Mandate.revoked_at).is_(None))
    if role is not None:
        query = query.where(Mandate.role == role)
    if user_id is not None:
        query = query.where(Mandate.user_id == user_id)
    return list(session.exec(query.order_by(col(Mandate.id))).all())


def _grant(
    session: Session,
    uscc: str,
    user: UserAccount,
    role: str,
    *,
    by: UserAccount | None,
    now: datetime,
    valid_until: datetime | None,
    valid_from: datetime | None = None,
    scope: list[str] | None = None,
) -> Mandate:
    mandate = Mandate(
        uscc=uscc,
        user_id=_id(user),
        role=role,
        scope=scope or [],
        valid_from=valid_from or now,
        valid_until=valid_until,
        granted_by=by.id if by is not None else None,
        created_at=now,
    )
    session.add(mandate)
    session.flush()
    return mandate


def _end(mandate: Mandate, *, by: UserAccount | None, reason: str, now: datetime) -> None:
    mandate.revoked_at = now
    mandate.revoked_by = by.id if by is not None else None
    mandate.revocation_reason = reason[:MAX_REASON]


def _id(user: UserAccount) -> int:
    assert user.id is not None
    return user.id
