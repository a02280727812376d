"""The entity registry on SQLite and PostgreSQL: CRUD, status rules, history, search."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from codeid.entities.errors import (
    DuplicateEntity,
    EntityDeregistered,
    EntityNotFound,
    InvalidEntityDate,
    InvalidEntityField,
    StatusUnchanged,
    UnknownEntityType,
)
from codeid.entities.models import EntityStatus, EntityType
from codeid.entities.service import (
    EntityData,
    add_entity,
    count_entities,
    deregister_entity,
    entity_history,
    get_entity,
    search_entities,
    set_entity_status,
    update_entity,
)
from codeid.errors import Conflict, InvalidInput, NotFound
from codeid.uscc import UsccCheckError, UsccOrganisationCheckError, random_uscc

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
HUAWEI = "914403001922038216"
TENCENT = "91440300708461136T"


def huawei(**changes: object) -> EntityData:
    values: dict[str, object] = {
        "uscc": HUAWEI,
        "name": "华为技术有限公司",
        "entity_type": "company",
        "legal_representative": "赵明路",
        "registered_address": "深圳市龙岗区坂田华为总部办公楼",
        "registration_authority": "深圳市市场监督管理局",
        "date_established": date(1987, 9, 15),
        **changes,
    }
    return EntityData(**values)  # type: ignore[arg-type]


def test_add_and_get(session: Session, engine: Engine) -> None:
    entity = add_entity(session, data=huawei(), actor="clerk-1", now=NOW)
    session.commit()
    with Session(engine) as other:
        stored = get_entity(other, " 914403001922038216 ")
        assert stored.id == entity.id
        assert stored.name == "华为技术有限公司"
        assert stored.entity_type == EntityType.COMPANY
        assert stored.status == EntityStatus.ACTIVE
        assert stored.date_established == date(1987, 9, 15)
        assert stored.created_at == NOW and stored.updated_at == NOW
        assert not stored.check_override
        [event] = entity_history(other, HUAWEI)
    assert (event.action, event.actor, event.at) == ("created", "clerk-1", NOW)
    assert event.detail == {"name": "华为技术有限公司", "entity_type": "company"}


def test_add_normalises_input(session: Session) -> None:
    entity = add_entity(
        session,
        data=huawei(
            uscc=" 91440300708461136t", name="  腾讯科技（深圳）有限公司 ", entity_type="Company"
        ),
        actor="clerk",
        now=NOW,
    )
    assert (entity.uscc, entity.name, entity.entity_type) == (
        TENCENT,
        "腾讯科技（深圳）有限公司",
        "company",
    )


def test_duplicate_uscc_is_a_conflict(session: Session) -> None:
    add_entity(session, data=huawei(), actor="clerk", now=NOW)
    with pytest.raises(DuplicateEntity, match=HUAWEI) as info:
        add_entity(session, data=huawei(uscc=HUAWEI.lower(), name="Other"), actor="c", now=NOW)
    assert isinstance(info.value, Conflict)
    assert info.value.code == "entity-duplicate"


@pytest.mark.parametrize(
    "changes, error, message",
    [
        ({"uscc": "914403001922038217"}, UsccCheckError, "expected '6'"),
        ({"name": "   "}, InvalidEntityField, "name must not be empty"),
        ({"name": "x" * 201}, InvalidEntityField, "201 characters long, at most 200"),
        ({"entity_type": "bank"}, UnknownEntityType, "'bank' is not one of: branch, company"),
        ({"date_established": date(2026, 11, 29)}, InvalidEntityDate, "in the future"),
    ],
)
def test_add_rejects_invalid_data(
    session: Session, changes: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        add_entity(session, data=huawei(**changes), actor="clerk", now=NOW)
    assert count_entities(session) == 0


def test_date_of_tomorrow_in_china_is_accepted(session: Session) -> None:
    entity = add_entity(
        session, data=huawei(date_established=NOW.date() + timedelta(days=1)), actor="c", now=NOW
    )
    assert entity.date_established == date(2026, 11, 28)


def test_check_override_is_recorded(session: Session) -> None:
    pilot = "914403001922038217"  # only the final check character is wrong
    entity = add_entity(
        session, data=huawei(uscc=pilot), actor="supervisor-7", now=NOW, override_check=True
    )
    assert entity.check_override
    events = entity_history(session, pilot)
    assert [e.action for e in events] == ["created", "uscc-check-override"]
    assert events[1].actor == "supervisor-7"
    assert events[1].detail == {"check_char": "7", "expected": "6"}


def test_override_does_not_excuse_other_faults(session: Session) -> None:
    with pytest.raises(UsccOrganisationCheckError):
        add_entity(
            session,
            data=huawei(uscc="914403001922038226"),
            actor="supervisor",
            now=NOW,
            override_check=True,
        )


def test_override_flag_on_a_valid_code_records_nothing(session: Session) -> None:
    entity = add_entity(session, data=huawei(), actor="s", now=NOW, override_check=True)
    assert not entity.check_override
    assert [e.action for e in entity_history(session, HUAWEI)] == ["created"]


def test_get_unknown_entity(session: Session) -> None:
    with pytest.raises(EntityNotFound, match=f"no entity with USCC {TENCENT}") as info:
        get_entity(session, TENCENT)
    assert isinstance(info.value, NotFound)
    assert info.value.code == "entity-not-found"
    with pytest.raises(EntityNotFound):
        entity_history(session, TENCENT)


def test_update_records_changed_fields(session: Session) -> None:
    add_entity(session, data=huawei(), actor="clerk", now=NOW)
    later = NOW + timedelta(hours=2)
    entity = update_entity(
        session,
        HUAWEI,
        changes={"registered_address": " 深圳市龙岗区坂田 ", "date_established": "1987-09-16"},
        actor="clerk-2",
        now=later,
    )
    assert entity.registered_address == "深圳市龙岗区坂田"
    assert entity.date_established == date(1987, 9, 16)
    assert entity.updated_at == later and entity.created_at == NOW
    event = entity_history(session, HUAWEI)[-1]
    assert (event.action, event.actor, event.at) == ("updated", "clerk-2", later)
    assert event.detail["fields"] == ["registered_address", "date_established"]
    assert event.detail["before"]["date_established"] == "1987-09-15"
    assert event.detail["after"] == {
        "registered_address": "深圳市龙岗区坂田",
        "date_established": "1987-09-16",
    }


def test_update_without_change_writes_nothing(session: Session) -> None:
    add_entity(session, data=huawei(), actor="clerk", now=NOW)
    entity = update_entity(
        session,
        HUAWEI,
        changes={"name": " 华为技术有限公司", "entity_type": "COMPANY"},
        actor="c",
        now=NOW + timedelta(1),
    )
    assert entity.updated_at == NOW
    assert len(entity_history(session, HUAWEI)) == 1


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"uscc": TENCENT}, "cannot update uscc"),
        ({"status": "suspended"}, "use set_entity_status"),
        ({"colour": "red"}, "cannot update colour"),
        ({"name": ""}, "name must not be empty"),
        ({"legal_representative": 42}, "legal_representative must be a string"),
    ],
)
def test_update_rejects(session: Session, changes: dict[str, object], message: str) -> None:
    add_entity(session, data=huawei(), actor="clerk", now=NOW)
    with pytest.raises(InvalidInput, match=message):
        update_entity(session, HUAWEI, changes=changes, actor="c", now=NOW)
    assert get_entity(session, HUAWEI).name == "华为技术有限公司"


def test_update_keeps_an_overridden_code(session: Session) -> None:
    pilot = "914403001922038217"
    add_entity(session, data=huawei(uscc=pilot), actor="s", now=NOW, override_check=True)
    entity = update_entity(session, pilot, changes={"name": "新名称"}, actor="c", now=NOW)
    assert entity.name == "新名称" and entity.check_override


def test_status_changes_and_their_reasons(session: Session) -> None:
    add_entity(session, data=huawei(), actor="clerk", now=NOW)
    t1, t2 = NOW + timedelta(days=1), NOW + timedelta(days=2)
    entity = set_entity_status(
        session, HUAWEI, status=EntityStatus.SUSPENDED, reason="年报未报", actor="inspector", now=t1
    )
    assert entity.status == "suspended" and entity.updated_at == t1
    with pytest.raises(StatusUnchanged, match="already suspended"):
        set_entity_status(
            session, HUAWEI, status=EntityStatus.SUSPENDED, reason="again", actor="i", now=t1
        )
    with pytest.raises(InvalidInput, match="needs a reason"):
        set_entity_status(
            session, HUAWEI, status=EntityStatus.ACTIVE, reason=" ", actor="i", now=t2
        )
    set_entity_status(session, HUAWEI, status=EntityStatus.ACTIVE, reason="补报", actor="i", now=t2)
    events = entity_history(session, HUAWEI)
    assert [e.action for e in events] == ["created", "status-changed", "status-changed"]
    assert events[1].detail == {"before": "active", "after": "suspended", "reason": "年报未报"}
    assert events[2].detail == {"before": "suspended", "after": "active", "reason": "补报"}


def test_deregistration_is_final(session: Session) -> None:
    add_entity(session, data=huawei(), actor="clerk", now=NOW)
    entity = deregister_entity(session, HUAWEI, reason="注销登记", actor="registrar", now=NOW)
    assert entity.status == EntityStatus.DEREGISTERED
    with pytest.raises(EntityDeregistered, match="deregistered and can no longer be changed"):
        update_entity(session, HUAWEI, changes={"name": "X"}, actor="c", now=NOW)
    for status in EntityStatus:
        with pytest.raises(EntityDeregistered):
            set_entity_status(session, HUAWEI, status=status, reason="r", actor="c", now=NOW)
    with pytest.raises(EntityDeregistered) as info:
        deregister_entity(session, HUAWEI, reason="again", actor="c", now=NOW)
    assert info.value.code == "entity-deregistered"
    assert get_entity(session, HUAWEI).name == "华为技术有限公司"  # still readable
    assert entity_history(session, HUAWEI)[-1].detail["after"] == "deregistered"


def _add(session: Session, name: str, rng: random.Random, **changes: object) -> str:
    code = random_uscc(rng)
    add_entity(session, data=huawei(uscc=code, name=name, **changes), actor="c", now=NOW)
    return code


def test_search_by_name_and_status(session: Session) -> None:
    rng = random.Random(3)
    pearl_b = _add(session, "Pearl River Trading", rng)
    pearl_a = _add(session, "pearl river trading", rng)
    _add(session, "Canton Pearl Foods", rng)
    _add(session, "广州珠江科技有限公司", rng)
    _add(session, "100% Real Estate", rng)
    _add(session, "1000 Real Estate", rng)
    set_entity_status(
        session, pearl_b, status=EntityStatus.SUSPENDED, reason="r", actor="c", now=NOW
    )
    found = search_entities(session, name="PEARL")
    assert sorted(e.name.lower() for e in found) == [
        "canton pearl foods",
        "pearl river trading",
        "pearl river trading",
    ]
    assert count_entities(session, name="pearl") == 3
    assert [
        e.uscc for e in search_entities(session, name="pearl", status=EntityStatus.SUSPENDED)
    ] == [pearl_b]
    assert count_entities(session, status=EntityStatus.ACTIVE) == 5
    assert [e.name for e in search_entities(session, name="珠江科技")] == ["广州珠江科技有限公司"]
    # % and _ are literal, not wildcards.
    assert [e.name for e in search_entities(session, name="0%")] == ["100% Real Estate"]
    assert search_entities(session, name="nothing like it") == []
    assert pearl_a != pearl_b


def test_search_orders_by_name_then_uscc_and_pages(session: Session) -> None:
    rng = random.Random(4)
    same = sorted(_add(session, "Alpha Trading", rng) for _ in range(3))
    _add(session, "Beta Trading", rng)
    everything = search_entities(session, name="trading")
    assert [e.uscc for e in everything[:3]] == same
    assert everything[3].name == "Beta Trading"
    page = search_entities(session, name="trading", limit=2, offset=2)
    assert [e.uscc for e in page] == [same[2], everything[3].uscc]
    assert count_entities(session) == 4
    with pytest.raises(InvalidInput, match="limit"):
        search_entities(session, limit=0)
    with pytest.raises(InvalidInput, match="offset"):
        search_entities(session, offset=-1)
