"""Resolving a business code shows the entity's current licences, valid ones first."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from codeid.codes.issue import issue_static_code
from codeid.codes.models import Resolution
from codeid.entities.models import Entity, EntityStatus
from codeid.keys.jwks import PublicKeySet
from codeid.keys.keyring import KeyRing, Signer
from credentials.licences import (
    amend_licence,
    issue_licence,
    revoke_licence,
    suspend_licence,
)
from credentials.resolve import LicenceView, resolve_code_with_licences
from tests.credentials.licence_world import (
    FOOD_FIELDS,
    HOLDER,
    ISSUER,
    MASTER,
    NOW,
    OTHER_HOLDER,
    World,
    food_number,
    issue_food,
    make_world,
)

DRUG_FIELDS = {
    "enterprise_name": "杭州西湖大药房有限公司",
    "legal_representative": "张三",
    "enterprise_principal": "李四",
    "quality_principal": "王五",
    "registered_address": "杭州市西湖区文三路1号",
    "warehouse_address": "杭州市西湖区文三路1号",
    "business_mode": "零售",
    "business_scope": "中成药、化学药制剂",
}


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)


@pytest.fixture
def platform(session: Session) -> tuple[Signer, PublicKeySet]:
    ring = KeyRing(session, master_secret=MASTER)
    ring.ensure_active(NOW - timedelta(days=1))
    session.commit()
    return ring.active_signer(), ring.public_keys()


def _scan(session: Session, platform: tuple[Signer, PublicKeySet], uscc: str = HOLDER) -> Any:
    signer, keys = platform
    code = issue_static_code(session, uscc=uscc, signer=signer, now=NOW, ttl=timedelta(days=30))
    return resolve_code_with_licences(
        session,
        code.payload,
        keys=keys,
        now=NOW,
        actor="clerk-7",
        location="window 3",
        channel="scan",
    )


def test_resolution_lists_current_licences_valid_first(
    session: Session, world: World, platform: tuple[Signer, PublicKeySet]
) -> None:
    common: dict[str, Any] = {"issuer": world.issuer, "actor": "a", "now": NOW}
    revoked = issue_food(session, world, food_number(1))
    revoke_licence(session, revoked.identifier, reason="closed", **common)
    expired = issue_food(
        session,
        world,
        food_number(2),
        issue_date=date(2020, 1, 1),
        valid_from=date(2020, 1, 1),
        valid_until=date(2025, 12, 31),
    )
    suspended = issue_food(session, world, food_number(3))
    suspend_licence(session, suspended.identifier, reason="inspection", **common)
    future = issue_food(session, world, food_number(4), valid_from=date(2026, 6, 1))
    old = issue_food(session, world, food_number(5))
    amended = amend_licence(
        session,
        old.identifier,
        changes={"address": "新地址"},
        reason="moved",
        signer=world.signer,
        **common,
    )
    drug = issue_licence(
        session,
        issuer=world.other,
        licence_type="drug-business",
        holder_uscc=HOLDER,
        licence_number="浙AA5710001",
        fields=DRUG_FIELDS,
        signer=world.other_signer,
        actor="b",
        now=NOW,
    )
    issue_food(session, world, food_number(6), holder=OTHER_HOLDER)
    session.commit()

    resolved = _scan(session, platform)
    assert resolved.result.ok and resolved.result.entity is not None
    assert resolved.result.entity.uscc == HOLDER
    got = [(view.identifier, view.status) for view in resolved.licences]
    # valid first (catalogue order: food-business before drug-business), then by status.
    assert got == [
        (amended.identifier, "valid"),
        (drug.identifier, "valid"),
        (future.identifier, "not-yet-valid"),
        (suspended.identifier, "suspended"),
        (expired.identifier, "expired"),
        (revoked.identifier, "revoked"),
    ]
    view = resolved.licences[0]
    assert view == LicenceView(
        identifier=amended.identifier,
        type_code="food-business",
        type_name_zh="食品经营许可证",
        type_name_en="Food Business Licence",
        licence_number=food_number(5),
        status="valid",
        valid_from=amended.valid_from,
        valid_until=amended.valid_until,
        issuer_uscc=ISSUER,
        issuer_name="西湖区市场监督管理局",
        fields=FOOD_FIELDS | {"address": "新地址"},
        version=2,
    )
    assert resolved.licences[1].issuer_name == "滨江区市场监督管理局"
    assert session.exec(select(Resolution.outcome)).all() == ["ok"]


def test_entity_without_licences_resolves_with_an_empty_list(
    session: Session, world: World, platform: tuple[Signer, PublicKeySet]
) -> None:
    resolved = _scan(session, platform, OTHER_HOLDER)
    assert resolved.result.ok and resolved.licences == []


def test_refused_code_has_no_licences(
    session: Session, world: World, platform: tuple[Signer, PublicKeySet]
) -> None:
    issue_food(session, world)
    _, keys = platform
    resolved = resolve_code_with_licences(
        session, "not a code", keys=keys, now=NOW, actor="c", location="w", channel="text"
    )
    assert not resolved.result.ok and resolved.licences == []


def test_a_suspended_entity_still_shows_its_licences(
    session: Session, world: World, platform: tuple[Signer, PublicKeySet]
) -> None:
    licence = issue_food(session, world)
    code = issue_static_code(
        session, uscc=HOLDER, signer=platform[0], now=NOW, ttl=timedelta(days=30)
    )
    entity = session.exec(select(Entity).where(Entity.uscc == HOLDER)).one()
    entity.status = EntityStatus.SUSPENDED.value
    session.add(entity)
    session.commit()
    resolved = resolve_code_with_licences(
        session, code.payload, keys=platform[1], now=NOW, actor="c", location="w", channel="scan"
    )
    assert not resolved.result.ok and resolved.result.entity is not None
    assert [view.identifier for view in resolved.licences] == [licence.identifier]
