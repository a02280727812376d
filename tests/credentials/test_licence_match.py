"""Verify by match: per-field answers, normalised, stored values never disclosed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from codeid.errors import InvalidInput
from credentials.errors import InvalidLicenceFields, LicenceNotFound
from credentials.licence_verify import match_licence
from credentials.licences import revoke_licence
from credentials.models import Licence
from tests.credentials.licence_world import (
    FOOD_FIELDS,
    FOOD_NUMBER,
    HOLDER,
    NOW,
    OTHER_HOLDER,
    World,
    food_number,
    issue_food,
    make_world,
)


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


@pytest.fixture
def licence(session: Session, world: World) -> Licence:
    return issue_food(session, world)


def test_match_answers_per_field_without_disclosing(session: Session, licence: Licence) -> None:
    answer = match_licence(
        session,
        holder_uscc=HOLDER,
        licence_type="food-business",
        fields={
            "licence_number": "ｊｙ１３３０１０６００１２３４５",  # full-width, lower case
            "operator_name": "  杭州西湖小吃店 ",
            "legal_representative": "李四",
            "online_business": "true",
        },
        now=NOW,
    )
    assert answer == {
        "licence_number": True,
        "operator_name": True,
        "legal_representative": False,
        "online_business": False,  # not on the licence
    }
    assert all(isinstance(value, bool) for value in answer.values())


def test_match_picks_the_best_of_several_valid_licences(
    session: Session, world: World, licence: Licence
) -> None:
    issue_food(
        session,
        world,
        food_number(7),
        fields=FOOD_FIELDS | {"business_premises": "杭州市滨江区江南大道8号"},
    )
    answer = match_licence(
        session,
        holder_uscc=HOLDER,
        licence_type="food-business",
        fields={"licence_number": food_number(7), "business_premises": "杭州市滨江区江南大道8号"},
        now=NOW,
    )
    assert answer == {"licence_number": True, "business_premises": True}


def test_match_refusals(session: Session, world: World, licence: Licence) -> None:
    with pytest.raises(InvalidLicenceFields, match="colour"):
        match_licence(
            session,
            holder_uscc=HOLDER,
            licence_type="food-business",
            fields={"colour": "red"},
            now=NOW,
        )
    with pytest.raises(InvalidInput, match="at least one"):
        match_licence(session, holder_uscc=HOLDER, licence_type="food-business", fields={}, now=NOW)
    with pytest.raises(LicenceNotFound, match="no valid"):
        match_licence(
            session,
            holder_uscc=OTHER_HOLDER,
            licence_type="food-business",
            fields={"licence_number": FOOD_NUMBER},
            now=NOW,
        )
    revoke_licence(session, licence.identifier, issuer=world.issuer, reason="r", actor="a", now=NOW)
    with pytest.raises(LicenceNotFound):
        match_licence(
            session,
            holder_uscc=HOLDER,
            licence_type="food-business",
            fields={"licence_number": FOOD_NUMBER},
            now=NOW,
        )


def test_match_ignores_expired_licences(session: Session, world: World) -> None:
    issue_food(session, world, valid_until=date(2026, 6, 30))
    with pytest.raises(LicenceNotFound):
        match_licence(
            session,
            holder_uscc=HOLDER,
            licence_type="food-business",
            fields={"licence_number": FOOD_NUMBER},
            now=NOW + timedelta(days=200),
        )
