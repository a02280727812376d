"""An agent at the counter: its code puts its mandate on the ticket, the window sees who acts
and for what, and business outside its scope (or after revocation) is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import Session

from codeid.accounts.models import Role, UserAccount
from codeid.accounts.users import create_user
from codeid.codes.errors import MandateRevoked
from codeid.codes.issue import issue_dynamic_code
from codeid.mandates.errors import MandateNotInForce, OutsideAgentScope
from codeid.mandates.models import Mandate
from codeid.mandates.service import authorise_agent, bind_legal_representative, revoke_mandate
from counter.cases import open_case
from counter.check_in import check_in
from counter.models import Ticket
from counter.resolve import resolve_for_counter
from counter.windows import call_next
from tests.counter.queue_world import MINUTE, NOW, World, add_booking, make_world

SCOPE = "address-change"  # category A, served at window 1
OUTSIDE = "deregistration"  # category A too: the window could serve it, the agent may not


@dataclass
class Agency:
    world: World
    uscc: str
    rep: Mandate
    agent: Mandate

    def code(self, session: Session, mandate: Mandate, *, at: timedelta = MINUTE) -> str:
        issued = issue_dynamic_code(
            session, uscc=self.uscc, signer=self.world.signer, now=NOW + at, mandate_id=mandate.id
        )
        return issued.payload


def _user(session: Session, name: str) -> UserAccount:
    return create_user(
        session, username=name, role=Role.BUSINESS, display_name=f"{name}-名", now=NOW
    )


@pytest.fixture
def agency(session: Session) -> Agency:
    world = make_world(session)
    uscc = world.usccs[0]
    boss = _user(session, "boss")
    rep = bind_legal_representative(session, uscc=uscc, user=boss, by=None, now=NOW - MINUTE)
    agent = authorise_agent(
        session, uscc=uscc, user=_user(session, "runner"), by=boss, scope=[SCOPE],
        valid_from=NOW - MINUTE, valid_until=NOW + timedelta(days=7), now=NOW - MINUTE,
    )  # fmt: skip
    session.commit()
    return Agency(world, uscc, rep, agent)


def _called(session: Session, agency: Agency, payload: str, item: str | None = None) -> Ticket:
    checked = check_in(
        session, payload, keys=agency.world.keys, now=NOW + 2 * MINUTE, item_code=item
    )
    session.commit()
    called = call_next(session, 1, now=NOW + 5 * MINUTE, clerk="李敏")
    session.commit()
    assert called is not None and called.id == checked.ticket.id
    return called


def test_the_ticket_and_the_window_know_who_acts(session: Session, agency: Agency) -> None:
    payload = agency.code(session, agency.agent)
    seen = resolve_for_counter(
        session, payload, keys=agency.world.keys, now=NOW + 2 * MINUTE, actor="t", location="",
        channel="scan",
    )  # fmt: skip
    assert seen.resolved.result.ok and seen.acting is not None
    assert (seen.acting.id, seen.acting.role, seen.acting.display_name, seen.acting.scope) == (
        agency.agent.id,
        "agent",
        "runner-名",
        [SCOPE],
    )
    assert seen.acting.valid_until == agency.agent.valid_until
    ticket = _called(session, agency, payload, SCOPE)
    assert ticket.mandate_id == agency.agent.id
    case = open_case(
        session, ticket.id or 0, item_code=SCOPE, window_number=1, clerk="李敏",
        now=NOW + 6 * MINUTE,
    )  # fmt: skip
    assert case.item_code == SCOPE


def test_a_case_outside_the_agents_scope_is_refused(session: Session, agency: Agency) -> None:
    ticket = _called(session, agency, agency.code(session, agency.agent))  # walk-in, no item
    with pytest.raises(OutsideAgentScope) as refused:
        open_case(
            session, ticket.id or 0, item_code=OUTSIDE, window_number=1, clerk="李敏",
            now=NOW + 6 * MINUTE,
        )  # fmt: skip
    assert refused.value.code == "outside-agent-scope"
    session.rollback()
    open_case(
        session, ticket.id or 0, item_code=SCOPE, window_number=1, clerk="李敏",
        now=NOW + 6 * MINUTE,
    )  # fmt: skip


def test_an_agent_naming_an_item_outside_its_scope_cannot_check_in(
    session: Session, agency: Agency
) -> None:
    payload = agency.code(session, agency.agent)
    with pytest.raises(OutsideAgentScope):
        check_in(session, payload, keys=agency.world.keys, now=NOW + 2 * MINUTE, item_code=OUTSIDE)
    session.rollback()  # nothing happened: the code is not used up
    check_in(session, payload, keys=agency.world.keys, now=NOW + 2 * MINUTE, item_code=SCOPE)


def test_a_booking_outside_the_scope_is_refused_at_check_in(
    session: Session, agency: Agency
) -> None:
    add_booking(session, agency.uscc, starts_at=NOW + 5 * MINUTE, item_code=OUTSIDE)
    with pytest.raises(OutsideAgentScope):
        check_in(
            session, agency.code(session, agency.agent), keys=agency.world.keys, now=NOW + MINUTE
        )


def test_the_legal_representative_acts_for_everything(session: Session, agency: Agency) -> None:
    ticket = _called(session, agency, agency.code(session, agency.rep), OUTSIDE)
    assert ticket.mandate_id == agency.rep.id
    open_case(
        session, ticket.id or 0, item_code=OUTSIDE, window_number=1, clerk="李敏",
        now=NOW + 6 * MINUTE,
    )  # fmt: skip


def test_revoked_after_check_in_no_case_opens(session: Session, agency: Agency) -> None:
    ticket = _called(session, agency, agency.code(session, agency.agent), SCOPE)
    revoke_mandate(session, agency.agent.id or 0, by=None, now=NOW + 3 * MINUTE, reason="fired")
    session.commit()
    with pytest.raises(MandateNotInForce) as refused:
        open_case(
            session, ticket.id or 0, item_code=SCOPE, window_number=1, clerk="李敏",
            now=NOW + 6 * MINUTE,
        )  # fmt: skip
    assert refused.value.details["state"] == "revoked"


def test_a_revoked_agents_code_does_not_check_in(session: Session, agency: Agency) -> None:
    payload = agency.code(session, agency.agent)
    revoke_mandate(session, agency.agent.id or 0, by=None, now=NOW + MINUTE)
    session.commit()
    with pytest.raises(MandateRevoked):
        check_in(session, payload, keys=agency.world.keys, now=NOW + 2 * MINUTE, item_code=SCOPE)
    seen = resolve_for_counter(
        session, payload, keys=agency.world.keys, now=NOW + 2 * MINUTE, actor="t", location="",
        channel="scan",
    )  # fmt: skip
    assert seen.resolved.result.reason == "mandate-revoked"
    assert seen.acting is not None and seen.acting.state == "revoked"
