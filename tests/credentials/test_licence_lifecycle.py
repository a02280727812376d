"""Suspend, resume, revoke: every transition and refusal; expiry by date (both DBs)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from codeid.errors import InvalidInput
from credentials.catalogue import default_catalogue
from credentials.errors import (
    LicenceStateConflict,
    NotYourLicence,
)
from credentials.licence_jws import (
    china_date,
)
from credentials.licences import (
    effective_status,
    get_licence,
    licence_history,
    licence_today,
    resume_licence,
    revoke_licence,
    suspend_licence,
)
from credentials.status_list import STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID, status_value
from tests.credentials.licence_world import (
    NOW,
    World,
    amend_address,
    event_actions,
    issue_food,
    make_world,
)

FOOD = default_catalogue().get("food-business")


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


# --- suspend, resume, revoke ----------------------------------------------------------


def test_suspend_resume_revoke_transitions(session: Session, world: World) -> None:
    licence = issue_food(session, world)
    jws = licence.jws
    later = NOW + timedelta(hours=1)

    suspended = suspend_licence(
        session, licence.identifier, issuer=world.issuer, reason="inspection", actor="i", now=later
    )
    assert suspended.status == "suspended" and status_value(suspended) == STATUS_SUSPENDED
    resumed = resume_licence(
        session, licence.identifier, issuer=world.issuer, reason="", actor="i", now=later
    )
    assert resumed.status == "valid" and status_value(resumed) == STATUS_VALID
    suspend_licence(
        session, licence.identifier, issuer=world.issuer, reason="again", actor="i", now=later
    )
    revoked = revoke_licence(
        session, licence.identifier, issuer=world.issuer, reason="closed", actor="j", now=later
    )
    session.commit()
    assert revoked.status == "revoked" and status_value(revoked) == STATUS_INVALID
    assert revoked.jws == jws  # status travels in the status list, not in the JWS
    history = licence_history(session, licence.identifier)
    assert [(e.action, e.reason, e.detail["before"]) for e in history[1:]] == [
        ("suspended", "inspection", "valid"),
        ("resumed", "", "suspended"),
        ("suspended", "again", "valid"),
        ("revoked", "closed", "suspended"),
    ]
    assert history[-1].actor == "j" and history[-1].at == later


def test_revoke_a_valid_licence(session: Session, world: World) -> None:
    licence = issue_food(session, world)
    revoke_licence(
        session, licence.identifier, issuer=world.issuer, reason="fraud", actor="a", now=NOW
    )
    assert get_licence(session, licence.identifier).status == "revoked"


def test_status_change_refusals(session: Session, world: World) -> None:
    licence = issue_food(session, world)
    ident = licence.identifier
    common: dict[str, Any] = {"issuer": world.issuer, "actor": "a", "now": NOW}

    with pytest.raises(LicenceStateConflict, match="only a suspended"):
        resume_licence(session, ident, reason="", **common)
    with pytest.raises(InvalidInput, match="reason"):
        revoke_licence(session, ident, reason="  ", **common)
    with pytest.raises(InvalidInput, match="reason"):
        suspend_licence(session, ident, reason="", **common)
    with pytest.raises(InvalidInput, match="at most 300"):
        revoke_licence(session, ident, reason="x" * 301, **common)
    for action in (suspend_licence, resume_licence, revoke_licence):
        with pytest.raises(NotYourLicence):
            action(session, ident, issuer=world.other, reason="r", actor="a", now=NOW)

    suspend_licence(session, ident, reason="r", **common)
    with pytest.raises(LicenceStateConflict, match="is suspended"):
        suspend_licence(session, ident, reason="r", **common)
    revoke_licence(session, ident, reason="r", **common)
    for action in (suspend_licence, resume_licence, revoke_licence):
        with pytest.raises(LicenceStateConflict, match="is revoked"):
            action(session, ident, reason="r", **common)
    assert event_actions(session, ident) == ["issued", "suspended", "revoked"]


def test_superseded_version_cannot_change_status(session: Session, world: World) -> None:
    old = issue_food(session, world)
    amend_address(session, world, old.identifier, "elsewhere")
    for action in (suspend_licence, revoke_licence):
        with pytest.raises(LicenceStateConflict, match="superseded"):
            action(session, old.identifier, issuer=world.issuer, reason="r", actor="a", now=NOW)


def test_effective_status_follows_the_dates(session: Session, world: World) -> None:
    licence = issue_food(
        session, world, valid_from=date(2026, 4, 1), valid_until=date(2026, 12, 31)
    )
    assert effective_status(licence, today=date(2026, 3, 31)) == "not-yet-valid"
    assert effective_status(licence, today=date(2026, 4, 1)) == "valid"
    assert effective_status(licence, today=date(2026, 12, 31)) == "valid"
    assert effective_status(licence, today=date(2027, 1, 1)) == "expired"
    # The day is China's: 16:00 UTC on 31 December is already 1 January in Beijing.
    assert china_date(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == date(2027, 1, 1)
    assert china_date(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == date(2026, 12, 31)
    assert licence_today(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == date(2027, 1, 1)
    suspend_licence(
        session, licence.identifier, issuer=world.issuer, reason="r", actor="a", now=NOW
    )
    assert effective_status(licence, today=date(2027, 1, 1)) == "suspended"
