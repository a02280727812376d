"""Form filling and the materials checklist from an entity and its real, signed e-licences."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from codeid.entities.service import get_entity
from counter.forms import fill_form
from credentials.licences import issue_licence, revoke_licence, suspend_licence
from tests.counter.case_world import counter_world, food_item
from tests.credentials.licence_world import (
    FOOD_FIELDS,
    FOOD_NUMBER,
    HOLDER,
    NOW,
    TODAY,
    food_number,
    issue_food,
)


def _by_name(form: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(field["name"]): field for field in form}


def test_form_is_filled_from_entity_and_valid_licence_with_sources(session: Session) -> None:
    _, identifier = counter_world(session)
    form, _ = fill_form(session, food_item(), HOLDER, now=NOW)
    fields = _by_name(form)
    entity = get_entity(session, HOLDER)

    assert fields["entity_name"]["value"] == entity.name
    assert fields["entity_name"]["source"] == {"kind": "entity", "field": "name", "uscc": HOLDER}
    assert fields["entity_name"]["read_only"] is False
    assert fields["uscc"]["value"] == HOLDER

    number = fields["food_licence_number"]
    assert number["value"] == FOOD_NUMBER
    assert number["read_only"] is True
    assert number["source"] == {
        "kind": "licence",
        "licence_type": "food-business",
        "field": "licence_number",
        "identifier": identifier,
        "licence_number": FOOD_NUMBER,
    }
    premises = fields["premises"]
    assert premises["value"] == FOOD_FIELDS["business_premises"]
    assert premises["read_only"] is True and premises["note"] is None

    scope = fields["business_scope"]  # no business licence on record
    assert scope["value"] is None and scope["read_only"] is False
    assert "no business-licence licence on record" in str(scope["note"])

    phone = fields["contact_phone"]
    assert phone["source"] == {"kind": "clerk"} and phone["value"] is None
    assert [f["name"] for f in form] == [
        "entity_name",
        "uscc",
        "food_licence_number",
        "premises",
        "business_scope",
        "contact_phone",
    ]


def test_materials_satisfied_missing_and_documents_to_check(session: Session) -> None:
    _, identifier = counter_world(session)
    _, materials = fill_form(session, food_item(), HOLDER, now=NOW)
    food, business, document = materials

    assert food["state"] == "satisfied" and food["licence"] == identifier
    assert "no paper needed" in food["why"] and identifier in food["why"]
    assert business["state"] == "missing" and business["licence"] is None
    assert "business-licence" in business["why"]
    assert document["state"] == "to-check"
    assert document["material"]["name_zh"] == "法定代表人身份证"


def test_suspended_licence_leaves_fields_empty_and_material_not_valid(session: Session) -> None:
    world, identifier = counter_world(session)
    suspend_licence(
        session, identifier, issuer=world.issuer, reason="inspection", actor="a", now=NOW
    )
    session.commit()
    form, materials = fill_form(session, food_item(), HOLDER, now=NOW)
    premises = _by_name(form)["premises"]

    assert premises["value"] is None and premises["read_only"] is False
    assert premises["source"]["identifier"] is None  # type: ignore[index]
    assert f"{identifier} is suspended" in str(premises["note"])
    food = materials[0]
    assert food["state"] == "not-valid" and food["status"] == "suspended"
    assert food["licence"] == identifier and "suspended" in food["why"]


def test_expired_and_revoked_licences_are_not_valid_and_say_which(session: Session) -> None:
    world, identifier = counter_world(session)
    revoke_licence(session, identifier, issuer=world.issuer, reason="closed", actor="a", now=NOW)
    session.commit()
    _, materials = fill_form(session, food_item(), HOLDER, now=NOW)
    assert (materials[0]["state"], materials[0]["status"]) == ("not-valid", "revoked")

    expired = issue_food(
        session,
        world,
        food_number(7),
        issue_date=TODAY - timedelta(days=400),
        valid_from=TODAY - timedelta(days=400),
        valid_until=TODAY - timedelta(days=1),
    )
    _, materials = fill_form(session, food_item(), HOLDER, now=NOW)
    food = materials[0]
    assert (food["state"], food["status"], food["licence"]) == (
        "not-valid",
        "expired",
        expired.identifier,  # expired is listed before revoked
    )
    assert f"valid until {(TODAY - timedelta(days=1)).isoformat()}" in food["why"]


def test_a_valid_licence_wins_over_a_suspended_one(session: Session) -> None:
    world, identifier = counter_world(session)
    suspend_licence(session, identifier, issuer=world.issuer, reason="check", actor="a", now=NOW)
    second = issue_food(session, world, food_number(42))
    business = issue_licence(
        session,
        issuer=world.issuer,
        licence_type="business-licence",
        holder_uscc=HOLDER,
        licence_number=HOLDER,
        fields={
            "name": "杭州西湖小吃店",
            "entity_type": "有限责任公司",
            "legal_representative": "张三",
            "date_established": "2020-05-01",
            "business_scope": "餐饮服务",
            "address": "浙江省杭州市西湖区文三路1号",
            "registration_authority": "西湖区市场监督管理局",
        },
        signer=world.signer,
        actor="a",
        now=NOW,
    )
    session.commit()
    form, materials = fill_form(session, food_item(), HOLDER, now=NOW)
    fields = _by_name(form)

    assert fields["food_licence_number"]["value"] == food_number(42)
    assert fields["premises"]["source"]["identifier"] == second.identifier  # type: ignore[index]
    assert fields["business_scope"]["value"] == "餐饮服务"
    assert [m["state"] for m in materials] == ["satisfied", "satisfied", "to-check"]
    assert materials[1]["licence"] == business.identifier


def test_licence_not_yet_valid_does_not_fill(session: Session) -> None:
    world, _ = counter_world(session)
    form, materials = fill_form(session, food_item(), HOLDER, now=NOW - timedelta(days=3650))
    assert _by_name(form)["premises"]["value"] is None
    assert materials[0]["status"] == "not-yet-valid"
    assert world.issuer.uscc  # the world is real: the licence exists, only not yet valid
