"""Licences to watch: one issuer, two holders (kept apart from licence_world so webhook tests
depend only on the domain's public functions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from codeid.entities.models import Entity
from codeid.keys.keyring import Signer
from credentials.issuers import issuer_keyring, register_issuer
from credentials.licences import issue_licence
from credentials.models import Issuer, Licence
from credentials.trust import grant_trust

MASTER = bytes(range(1, 33))
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
HOLDER = "91350100M000100Y43"
OTHER_HOLDER = "91110000600037341L"
ISSUER = "11330100536600821P"
FOOD_FIELDS = {
    "operator_name": "杭州西湖小吃店",
    "legal_representative": "张三",
    "address": "浙江省杭州市西湖区文三路1号",
    "business_premises": "浙江省杭州市西湖区文三路1号",
    "main_business_form": "餐饮服务经营者",
    "business_items": "热食类食品制售",
}


@dataclass
class World:
    issuer: Issuer
    signer: Signer


def make_world(session: Session) -> World:
    for uscc in (HOLDER, OTHER_HOLDER):
        session.add(
            Entity(
                uscc=uscc,
                name=f"Entity {uscc[-4:]}",
                entity_type="company",
                status="active",
                created_at=NOW,
                updated_at=NOW,
            )
        )
    before = NOW - timedelta(days=30)
    issuer = register_issuer(
        session,
        uscc=ISSUER,
        name="西湖区市场监督管理局",
        authority_kind="market-regulation",
        master_secret=MASTER,
        actor="admin",
        now=before,
    )
    grant_trust(
        session,
        issuer_uscc=ISSUER,
        licence_type="food-business",
        valid_from=before,
        valid_until=None,
        actor="admin",
        now=before,
    )
    session.commit()
    signer = issuer_keyring(session, issuer, master_secret=MASTER).active_signer()
    return World(issuer, signer)


def issue_food(
    session: Session,
    world: World,
    number: str = "JY13301060012345",
    *,
    holder: str = HOLDER,
    now: datetime = NOW,
) -> Licence:
    licence = issue_licence(
        session,
        issuer=world.issuer,
        licence_type="food-business",
        holder_uscc=holder,
        licence_number=number,
        fields=FOOD_FIELDS,
        signer=world.signer,
        actor="clerk-1",
        now=now,
    )
    session.commit()
    return licence
