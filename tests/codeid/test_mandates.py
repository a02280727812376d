"""Mandates: who binds, appoints, authorises and revokes, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from codeid.accounts.errors import Forbidden
from codeid.accounts.models import Role, UserAccount, UserStatus
from codeid.entities.errors import EntityNotFound
from codeid.mandates.acting import (
    EXPIRED,
    HOLDER_DISABLED,
    IN_FORCE,
    NOT_YET_VALID,
    REVOKED,
    acting_mandate,
    covers,
    describe,
    get_mandate,
    mandate_state,
)
from codeid.mandates.errors import (
    InvalidScope,
    InvalidTerm,
    MandateAlreadyRevoked,
    MandateExists,
    MandateNotFound,
    NotABusinessUser,
    TooManyAdministrators,
)
from codeid.mandates.listing import entities_of, list_mandates, visible_mandates
from codeid.mandates.lookup import live_mandates
from codeid.mandates.models import MAX_LICENCE_ADMINISTRATORS, Mandate, MandateRole
from codeid.mandates.service import (
    appoint_administrator,
    authorise_agent,
    bind_legal_representative,
    revoke_mandate,
)
from tests.codeid.mandate_world import (
    DAY,
    HOUR,
    NOW,
    OTHER_USCC,
    USCC,
    add_entity,
    add_user,
    with_legal_rep,
)


def test_an_administrator_binds_the_legal_representative_and_a_new_one_ends_the_old(
    session: Session,
) -> None:
    add_entity(session)
    admin = add_user(session, "root", Role.ADMIN)
    first, second = add_user(session, "zhang"), add_user(session, "li")
    old = bind_legal_representative(session, uscc=USCC, user=first, by=admin, now=NOW)
    assert (old.role, old.granted_by, old.scope) == ("legal-representative", admin.id, [])
    with pytest.raises(MandateExists):
        bind_legal_representative(session, uscc=USCC, user=first, by=admin, now=NOW + HOUR)

    new = bind_legal_representative(
        session, uscc=USCC.lower(), user=second, by=admin, now=NOW + HOUR
    )
    session.commit()
    assert old.revoked_at == NOW + HOUR and old.revoked_by == admin.id
    assert "replaced" in old.revocation_reason
    assert new.uscc == USCC and mandate_state(session, new, now=NOW + HOUR) == IN_FORCE
    assert live_mandates(session, user_id=first.id or 0, now=NOW + HOUR) == []


def test_only_administrators_bind_and_only_business_users_hold(session: Session) -> None:
    rep, _ = with_legal_rep(session)
    clerk = add_user(session, "clerk-1", Role.CLERK)
    stranger = add_user(session, "wang")
    with pytest.raises(Forbidden):
        bind_legal_representative(session, uscc=USCC, user=stranger, by=rep, now=NOW)
    with pytest.raises(NotABusinessUser):
        bind_legal_representative(session, uscc=USCC, user=clerk, by=None, now=NOW)
    with pytest.raises(EntityNotFound):
        bind_legal_representative(session, uscc=OTHER_USCC, user=stranger, by=None, now=NOW)


def test_becoming_legal_representative_ends_ones_other_mandate(session: Session) -> None:
    rep, _ = with_legal_rep(session)
    deputy = add_user(session, "deputy")
    admin_mandate = appoint_administrator(session, uscc=USCC, user=deputy, by=rep, now=NOW)
    bind_legal_representative(session, uscc=USCC, user=deputy, by=None, now=NOW + HOUR)
    assert admin_mandate.revoked_at == NOW + HOUR
    [live] = live_mandates(session, user_id=deputy.id or 0, uscc=USCC, now=NOW + HOUR)
    assert live.role == MandateRole.LEGAL_REPRESENTATIVE.value


def test_at_most_five_administrators_in_force(session: Session) -> None:
    rep, _ = with_legal_rep(session)
    admins = [
        appoint_administrator(
            session, uscc=USCC, user=add_user(session, f"adm{i}"), by=rep, now=NOW
        )
        for i in range(MAX_LICENCE_ADMINISTRATORS)
    ]
    sixth = add_user(session, "adm6")
    with pytest.raises(TooManyAdministrators) as refused:
        appoint_administrator(session, uscc=USCC, user=sixth, by=rep, now=NOW)
    assert refused.value.code == "too-many-administrators"

    revoke_mandate(session, admins[0].id or 0, by=rep, now=NOW + HOUR, reason="left")
    appoint_administrator(session, uscc=USCC, user=sixth, by=rep, now=NOW + HOUR)
    with pytest.raises(TooManyAdministrators):
        appoint_administrator(
            session, uscc=USCC, user=add_user(session, "adm7"), by=rep, now=NOW + HOUR
        )


def test_an_ended_term_frees_an_administrator_place(session: Session) -> None:
    rep, _ = with_legal_rep(session)
    for i in range(MAX_LICENCE_ADMINISTRATORS):
        until = NOW + DAY if i == 0 else None
        user = add_user(session, f"adm{i}")
        appoint_administrator(session, uscc=USCC, user=user, by=rep, now=NOW, valid_until=until)
    late = add_user(session, "late")
    with pytest.raises(TooManyAdministrators):
        appoint_administrator(session, uscc=USCC, user=late, by=rep, now=NOW + HOUR)
    appoint_administrator(session, uscc=USCC, user=late, by=rep, now=NOW + 2 * DAY)


def test_administrators_are_appointed_only_by_the_legal_representative(session: Session) -> None:
    rep, _ = with_legal_rep(session)
    admin_user = add_user(session, "adm")
    appoint_administrator(session, uscc=USCC, user=admin_user, by=rep, now=NOW)
    platform_admin = add_user(session, "root", Role.ADMIN)
    for by in (admin_user, platform_admin, add_user(session, "nobody")):
        with pytest.raises(Forbidden):
            appoint_administrator(
                session, uscc=USCC, user=add_user(session, f"x{by.id}"), by=by, now=NOW
            )


def test_agents_are_authorised_for_a_term_and_a_clean_scope(session: Session) -> None:
    rep, _ = with_legal_rep(session)
    admin_user = add_user(session, "adm")
    appoint_administrator(session, uscc=USCC, user=admin_user, by=rep, now=NOW)
    agent = add_user(session, "agent")
    mandate = authorise_agent(
        session,
        uscc=USCC,
        user=agent,
        by=admin_user,
        scope=[" food-business-renewal", "address-change", "address-change"],
        valid_from=NOW - DAY,  # a term cannot start in the past: it starts now
        valid_until=NOW + 30 * DAY,
        now=NOW,
        known_items={"food-business-renewal", "address-change"},
    )
    assert mandate.scope == ["address-change", "food-business-renewal"]
    assert mandate.valid_from == NOW and mandate.granted_by == admin_user.id
    assert covers(mandate, "address-change") and not covers(mandate, "deregistration")

    other = add_user(session, "agent2")

    def authorise(scope: list[str], until: datetime, known: set[str] | None = None) -> None:
        authorise_agent(
            session, uscc=USCC, user=other, by=rep, scope=scope, valid_from=NOW,
            valid_until=until, now=NOW, known_items=known,
        )  # fmt: skip

    with pytest.raises(InvalidTerm):
        authorise([], NOW)
    with pytest.raises(InvalidTerm):
        authorise([], datetime(2030, 1, 1))  # naive: which zone?
    with pytest.raises(InvalidScope):
        authorise(["x"], NOW + DAY, known={"y"})
    with pytest.raises(InvalidScope):
        authorise([" "], NOW + DAY)
    with pytest.raises(Forbidden):
        authorise_agent(  # an agent does not authorise agents
            session, uscc=USCC, user=other, by=agent, scope=[], valid_from=NOW,
            valid_until=NOW + DAY, now=NOW,
        )  # fmt: skip


def test_a_future_term_is_not_live_until_it_starts(session: Session) -> None:
    rep, _ = with_legal_rep(session)
    agent = add_user(session, "agent")
    mandate = authorise_agent(
        session, uscc=USCC, user=agent, by=rep, scope=[], valid_from=NOW + DAY,
        valid_until=NOW + 2 * DAY, now=NOW,
    )  # fmt: skip
    assert mandate_state(session, mandate, now=NOW) == NOT_YET_VALID
    assert acting_mandate(session, user_id=agent.id or 0, uscc=USCC, now=NOW) is None
    assert acting_mandate(session, user_id=agent.id or 0, uscc=USCC, now=NOW + DAY) == mandate
    assert mandate_state(session, mandate, now=NOW + 2 * DAY) == EXPIRED
    # The user holds that term already: an overlapping mandate is refused.
    with pytest.raises(MandateExists):
        appoint_administrator(session, uscc=USCC, user=agent, by=rep, now=NOW)


def test_who_may_revoke_what(session: Session) -> None:
    rep, rep_mandate = with_legal_rep(session)
    admin_user, admin2_user = add_user(session, "adm"), add_user(session, "adm2")
    admin = appoint_administrator(session, uscc=USCC, user=admin_user, by=rep, now=NOW)
    admin2 = appoint_administrator(session, uscc=USCC, user=admin2_user, by=rep, now=NOW)
    agent = authorise_agent(
        session, uscc=USCC, user=add_user(session, "agent"), by=rep, scope=[],
        valid_from=NOW, valid_until=NOW + DAY, now=NOW,
    )  # fmt: skip
    with pytest.raises(Forbidden):  # administrators do not revoke each other
        revoke_mandate(session, admin2.id or 0, by=admin_user, now=NOW)
    with pytest.raises(Forbidden):  # nor the legal representative
        revoke_mandate(session, rep_mandate.id or 0, by=admin_user, now=NOW)
    with pytest.raises(Forbidden):  # who ends only when another is bound, or by the platform
        revoke_mandate(session, rep_mandate.id or 0, by=rep, now=NOW)
    [ended] = revoke_mandate(session, agent.id or 0, by=admin_user, now=NOW + HOUR, reason="done")
    assert ended.revoked_by == admin_user.id and ended.revocation_reason == "done"
    with pytest.raises(MandateAlreadyRevoked):
        revoke_mandate(session, agent.id or 0, by=rep, now=NOW + HOUR)
    revoke_mandate(session, admin.id or 0, by=rep, now=NOW + HOUR)
    with pytest.raises(Forbidden):  # a revoked administrator has no power left
        revoke_mandate(session, admin2.id or 0, by=admin_user, now=NOW + HOUR)
    revoke_mandate(session, rep_mandate.id or 0, by=add_user(session, "root", Role.ADMIN), now=NOW)
    with pytest.raises(MandateNotFound):
        revoke_mandate(session, 999_999, by=None, now=NOW)


def test_revoking_an_administrator_keeps_its_agents_unless_asked(session: Session) -> None:
    rep, _ = with_legal_rep(session)
    admins, agents = [], []

    def agent_by(by: UserAccount, name: str) -> Mandate:
        return authorise_agent(
            session, uscc=USCC, user=add_user(session, name), by=by, scope=[], valid_from=NOW,
            valid_until=NOW + DAY, now=NOW,
        )  # fmt: skip

    for name in ("a", "b"):
        admin_user = add_user(session, f"adm-{name}")
        admins.append(appoint_administrator(session, uscc=USCC, user=admin_user, by=rep, now=NOW))
        agents.append(agent_by(admin_user, f"ag-{name}"))
    by_rep = agent_by(rep, "ag-rep")

    ended = revoke_mandate(session, admins[0].id or 0, by=rep, now=NOW + HOUR)
    assert ended == [admins[0]] and agents[0].revoked_at is None

    ended = revoke_mandate(session, admins[1].id or 0, by=rep, now=NOW + HOUR, include_agents=True)
    assert ended == [admins[1], agents[1]]
    assert agents[1].revoked_at == NOW + HOUR and by_rep.revoked_at is None


def test_what_each_holder_sees(session: Session) -> None:
    rep, _ = with_legal_rep(session)
    admin_user = add_user(session, "adm")
    appoint_administrator(session, uscc=USCC, user=admin_user, by=rep, now=NOW)
    agent_user = add_user(session, "agent")
    agent = authorise_agent(
        session, uscc=USCC, user=agent_user, by=admin_user, scope=["address-change"],
        valid_from=NOW, valid_until=NOW + DAY, now=NOW,
    )  # fmt: skip
    everything = list_mandates(session, USCC)
    assert len(everything) == 3
    assert visible_mandates(session, USCC, viewer=rep, now=NOW) == everything
    assert visible_mandates(session, USCC, viewer=admin_user, now=NOW) == everything
    assert visible_mandates(session, USCC, viewer=agent_user, now=NOW) == [agent]
    with pytest.raises(Forbidden):
        visible_mandates(session, USCC, viewer=add_user(session, "nosy"), now=NOW)

    [(entity, mandate)] = entities_of(session, user_id=agent_user.id or 0, now=NOW)
    assert (entity.uscc, mandate) == (USCC, agent)
    [view] = describe(session, [agent], now=NOW)
    assert (view.display_name, view.scope, view.state) == (
        "agent 先生",
        ["address-change"],
        IN_FORCE,
    )
    assert get_mandate(session, agent.id or 0) == agent


def test_states_revoked_and_holder_disabled(session: Session) -> None:
    rep, mandate = with_legal_rep(session)
    assert mandate_state(session, mandate, now=NOW) == IN_FORCE
    rep.status = UserStatus.DISABLED.value
    session.add(rep)
    session.flush()
    assert mandate_state(session, mandate, now=NOW) == HOLDER_DISABLED
    assert describe(session, [mandate], now=NOW)[0].state == HOLDER_DISABLED
    revoke_mandate(session, mandate.id or 0, by=None, now=NOW + HOUR)
    assert mandate_state(session, mandate, now=NOW) == HOLDER_DISABLED  # judged as of then
    assert mandate_state(session, mandate, now=NOW + HOUR) == REVOKED


def test_concurrent_appointments_never_exceed_five(engine: Engine) -> None:
    """While one legal-representative session appoints the fifth administrator (not yet
    committed), another appoints a sixth: the entity row lock makes it wait, then count five."""
    with Session(engine, expire_on_commit=False) as session:
        rep, _ = with_legal_rep(session)
        for i in range(MAX_LICENCE_ADMINISTRATORS - 1):
            user = add_user(session, f"adm{i}")
            appoint_administrator(session, uscc=USCC, user=user, by=rep, now=NOW)
        fifth, sixth = add_user(session, "fifth"), add_user(session, "sixth")
        session.commit()
    outcome: list[str] = []

    def appoint_sixth() -> None:
        with Session(engine, expire_on_commit=False) as own:
            try:
                appoint_administrator(own, uscc=USCC, user=sixth, by=rep, now=NOW + HOUR)
                own.commit()
                outcome.append("ok")
            except TooManyAdministrators:
                outcome.append("refused")

    with Session(engine, expire_on_commit=False) as first:
        appoint_administrator(first, uscc=USCC, user=fifth, by=rep, now=NOW + HOUR)
        other = threading.Thread(target=appoint_sixth)
        other.start()
        other.join(timeout=0.5)  # it must be waiting for our lock, not done
        assert outcome == []
        first.commit()
    other.join()
    assert outcome == ["refused"]
