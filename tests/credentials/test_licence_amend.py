"""Amending licences: new versions, refusals, concurrent changes (exactly one wins), both DBs."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from codeid.errors import InvalidInput
from credentials.catalogue import default_catalogue
from credentials.errors import (
    ConcurrentChange,
    IdentifierCheckError,
    InvalidLicenceDates,
    InvalidLicenceFields,
    IssuerNotTrusted,
    LicenceExists,
    LicenceNotFound,
    LicenceStateConflict,
    NotYourLicence,
)
from credentials.identifier import make_identifier
from credentials.licences import (
    amend_licence,
    get_licence,
    issue_licence,
    licence_history,
    list_licences,
    revoke_licence,
    suspend_licence,
)
from credentials.models import Licence, LicenceEvent, LicenceStatus
from credentials.status_list import STATUS_INVALID, STATUS_VALID, status_value
from tests.credentials.licence_world import (
    FOOD_FIELDS,
    FOOD_NUMBER,
    HOLDER,
    ISSUER,
    NOW,
    OTHER_HOLDER,
    World,
    amend_address,
    issue_food,
    make_world,
    signed_claims,
)

FOOD = default_catalogue().get("food-business")


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


# --- amend ----------------------------------------------------------------------------


def test_amend_makes_a_new_version_and_supersedes_the_old(session: Session, world: World) -> None:
    old = issue_food(session, world)
    new = amend_licence(
        session,
        old.identifier,
        issuer=world.issuer,
        changes={"address": "杭州市西湖区文二路2号", "valid_until": "2030-12-31"},
        reason="moved premises",
        signer=world.signer,
        actor="clerk-2",
        now=NOW + timedelta(days=10),
    )
    session.commit()

    assert new.version == 2 and new.serial == old.serial
    assert new.identifier == make_identifier(
        type_code=FOOD.id_type_code, issuer_code=ISSUER, serial=old.serial, version=2
    )
    assert new.previous_identifier == old.identifier
    assert new.fields == {**FOOD_FIELDS, "address": "杭州市西湖区文二路2号"}
    assert new.valid_until == date(2030, 12, 31) and new.valid_from == old.valid_from
    assert new.issue_date == date(2026, 3, 12)
    assert (new.status_list, new.status_index) != (old.status_list, old.status_index)
    assert get_licence(session, old.identifier).status == LicenceStatus.SUPERSEDED.value
    assert status_value(old) == STATUS_INVALID and status_value(new) == STATUS_VALID

    claims = signed_claims(session, new)
    assert claims["jti"] == new.identifier
    assert claims["licence"]["previous"] == old.identifier
    assert claims["licence"]["version"] == 2
    assert claims["status"]["status_list"]["idx"] == new.status_index

    history = licence_history(session, new.identifier)
    assert [(e.identifier, e.action) for e in history] == [
        (old.identifier, "issued"),
        (old.identifier, "superseded"),
        (new.identifier, "amended"),
    ]
    amended = history[2]
    assert (amended.actor, amended.reason) == ("clerk-2", "moved premises")
    assert amended.detail == {
        "previous": old.identifier,
        "changed": ["address", "valid_until"],
    }
    assert history[1].detail == {"by": new.identifier}
    assert licence_history(session, old.identifier) == history

    current = list_licences(session, holder_uscc=HOLDER)
    assert [lic.identifier for lic in current] == [new.identifier]
    every = list_licences(session, holder_uscc=HOLDER, include_history=True)
    assert [lic.version for lic in every] == [2, 1]


def test_amend_removes_an_optional_field_with_none(session: Session, world: World) -> None:
    old = issue_food(session, world, fields={**FOOD_FIELDS, "online_business": True})
    new = amend_licence(
        session,
        old.identifier,
        issuer=world.issuer,
        changes={"online_business": None},
        reason="",
        signer=world.signer,
        actor="a",
        now=NOW,
    )
    assert "online_business" not in new.fields and old.fields["online_business"] is True


def test_amend_refusals(session: Session, world: World) -> None:
    licence = issue_food(session, world)

    def amend(identifier: str, changes: dict[str, Any], **kwargs: Any) -> Licence:
        arguments: dict[str, Any] = {"issuer": world.issuer, "signer": world.signer} | kwargs
        return amend_licence(
            session, identifier, changes=changes, reason="r", actor="a", now=NOW, **arguments
        )

    with pytest.raises(InvalidInput, match="does not change"):
        amend(licence.identifier, {"address": FOOD_FIELDS["address"]})
    with pytest.raises(InvalidLicenceFields, match="required"):
        amend(licence.identifier, {"operator_name": None})
    with pytest.raises(InvalidLicenceFields, match="unknown field"):
        amend(licence.identifier, {"colour": "red"})
    with pytest.raises(InvalidLicenceDates):
        amend(licence.identifier, {"valid_until": "2020-01-01"})
    with pytest.raises(InvalidLicenceDates, match="YYYY-MM-DD"):
        amend(licence.identifier, {"valid_until": "31/12/2030"})
    with pytest.raises(NotYourLicence, match=ISSUER):
        amend(licence.identifier, {"address": "x"}, issuer=world.other, signer=world.other_signer)
    with pytest.raises(IdentifierCheckError):
        amend(licence.identifier[:-1] + ("0" if licence.identifier[-1] != "0" else "1"), {})
    missing = make_identifier(
        type_code=FOOD.id_type_code, issuer_code=ISSUER, serial="1", version=1
    )
    with pytest.raises(LicenceNotFound):
        amend(missing, {"address": "x"})

    amend(licence.identifier, {"address": "新地址"})
    session.commit()
    with pytest.raises(LicenceStateConflict, match="superseded"):
        amend(licence.identifier, {"address": "again"})


@pytest.mark.parametrize("action", [suspend_licence, revoke_licence])
def test_amend_needs_a_valid_licence(session: Session, world: World, action: Any) -> None:
    licence = issue_food(session, world)
    action(session, licence.identifier, issuer=world.issuer, reason="r", actor="a", now=NOW)
    with pytest.raises(LicenceStateConflict, match=licence.status):
        amend_licence(
            session,
            licence.identifier,
            issuer=world.issuer,
            changes={"address": "x"},
            reason="r",
            signer=world.signer,
            actor="a",
            now=NOW,
        )


def test_amend_after_trust_ends_is_refused(session: Session, world: World) -> None:
    from credentials.trust import revoke_trust

    licence = issue_food(session, world)
    revoke_trust(session, issuer_uscc=ISSUER, licence_type="food-business", actor="admin", now=NOW)
    with pytest.raises(IssuerNotTrusted):
        amend_licence(
            session,
            licence.identifier,
            issuer=world.issuer,
            changes={"address": "x"},
            reason="r",
            signer=world.signer,
            actor="a",
            now=NOW + timedelta(seconds=1),
        )


# --- concurrent amendments ------------------------------------------------------------


def _versions(engine: Engine) -> list[tuple[int, str, str]]:
    with Session(engine) as session:
        rows = session.exec(
            select(Licence)
            .where(Licence.licence_number == FOOD_NUMBER)
            .order_by(col(Licence.version))
        ).all()
        return [(row.version, row.status, row.fields["address"]) for row in rows]


def test_interleaved_amendments_one_wins(engine: Engine, session: Session, world: World) -> None:
    licence = issue_food(session, world)
    with Session(engine) as first, Session(engine) as second:
        # Both read version 1 before either writes (held: the identity map keeps what a
        # session has loaded only while it is referenced).
        held = [get_licence(first, licence.identifier), get_licence(second, licence.identifier)]
        amend_address(first, world, licence.identifier, "first")
        first.commit()
        with pytest.raises(ConcurrentChange, match="reload"):
            amend_address(second, world, licence.identifier, "second")
        second.rollback()
    assert len(held) == 2
    assert _versions(engine) == [(1, "superseded", FOOD_FIELDS["address"]), (2, "valid", "first")]


def test_concurrent_amendments_in_threads_exactly_one_wins(
    engine: Engine, session: Session, world: World
) -> None:
    licence = issue_food(session, world)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def worker(address: str) -> None:
        with Session(engine) as own:
            try:
                held = get_licence(own, licence.identifier)
                barrier.wait(timeout=10)
                amend_address(own, world, held.identifier, address)
                own.commit()
                outcomes[address] = "won"
            except ConcurrentChange:
                own.rollback()
                outcomes[address] = "conflict"

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["conflict", "won"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "won")
    assert _versions(engine) == [(1, "superseded", FOOD_FIELDS["address"]), (2, "valid", winner)]
    with Session(engine) as fresh:
        events = fresh.exec(select(LicenceEvent.action).order_by(col(LicenceEvent.id))).all()
        assert list(events) == ["issued", "superseded", "amended"]


def test_concurrent_issues_of_one_number_make_one_licence(
    engine: Engine, session: Session, world: World
) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker(holder: str) -> None:
        with Session(engine) as own:
            issuer = own.merge(world.issuer)
            try:
                barrier.wait(timeout=10)
                issue_licence(
                    own,
                    issuer=issuer,
                    licence_type="food-business",
                    holder_uscc=holder,
                    licence_number=FOOD_NUMBER,
                    fields=FOOD_FIELDS,
                    signer=world.signer,
                    actor=holder,
                    now=NOW,
                )
                own.commit()
                outcomes.append("won")
            except (LicenceExists, ConcurrentChange) as refused:
                own.rollback()
                outcomes.append(refused.code)

    threads = [threading.Thread(target=worker, args=(h,)) for h in (HOLDER, OTHER_HOLDER)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2 and outcomes.count("won") == 1
    with Session(engine) as fresh:
        assert fresh.exec(select(func.count()).select_from(Licence)).one() == 1


def test_concurrent_status_changes_do_not_both_win(
    engine: Engine, session: Session, world: World
) -> None:
    licence = issue_food(session, world)
    with Session(engine) as first, Session(engine) as second:
        held = [get_licence(first, licence.identifier), get_licence(second, licence.identifier)]
        suspend_licence(
            first, licence.identifier, issuer=world.issuer, reason="a", actor="a", now=NOW
        )
        first.commit()
        with pytest.raises(ConcurrentChange):
            revoke_licence(
                second, licence.identifier, issuer=world.issuer, reason="b", actor="b", now=NOW
            )
        second.rollback()
    assert len(held) == 2
    assert _versions(engine)[0][1] == "suspended"
