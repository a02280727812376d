"""A small world for licence tests: two holders, two trusted issuers with real key rings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt
from sqlmodel import Session

from codeid.entities.models import Entity, EntityStatus
from codeid.keys.keyring import Signer
from credentials.issuers import issuer_keyring, issuer_public_keys, register_issuer
from credentials.licences import amend_licence, issue_licence, licence_history
from credentials.models import Issuer, Licence
from credentials.trust import grant_trust

MASTER = bytes(range(1, 33))
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 on 2 March 2026 in China
TODAY = date(2026, 3, 2)
HOLDER = "91350100M000100Y43"
OTHER_HOLDER = "91110000600037341L"
GONE_HOLDER = "91440106847879380E"  # deregistered
ISSUER = "11330100536600821P"
OTHER_ISSUER = "11330100948461688L"
TRUSTED_TYPES = ("food-business", "business-licence", "drug-business")
FOOD_NUMBER = "JY13301060012345"
FOOD_FIELDS: dict[str, Any] = {
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
    other: Issuer
    other_signer: Signer


def make_world(session: Session) -> World:
    for uscc, status in (
        (HOLDER, EntityStatus.ACTIVE),
        (OTHER_HOLDER, EntityStatus.ACTIVE),
        (GONE_HOLDER, EntityStatus.DEREGISTERED),
    ):
        session.add(
            Entity(
                uscc=uscc,
                name=f"Entity {uscc[-4:]}",
                entity_type="company",
                status=status.value,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    issuers = []
    for uscc, name in ((ISSUER, "西湖区市场监督管理局"), (OTHER_ISSUER, "滨江区市场监督管理局")):
        issuer = register_issuer(
            session,
            uscc=uscc,
            name=name,
            authority_kind="market-regulation",
            master_secret=MASTER,
            actor="admin",
            now=NOW - timedelta(days=30),
        )
        for licence_type in TRUSTED_TYPES:
            grant_trust(
                session,
                issuer_uscc=uscc,
                licence_type=licence_type,
                valid_from=NOW - timedelta(days=30),
                valid_until=None,
                actor="admin",
                now=NOW - timedelta(days=30),
            )
        issuers.append(issuer)
    session.commit()
    first, second = issuers
    return World(first, signer_of(session, first), second, signer_of(session, second))


def signer_of(session: Session, issuer: Issuer) -> Signer:
    return issuer_keyring(session, issuer, master_secret=MASTER).active_signer()


def food_number(n: int) -> str:
    return f"JY{n:014d}"


def issue_food(
    session: Session,
    world: World,
    number: str = FOOD_NUMBER,
    *,
    holder: str = HOLDER,
    now: datetime = NOW,
    **kwargs: Any,
) -> Licence:
    arguments: dict[str, Any] = {"fields": FOOD_FIELDS, "actor": "clerk-1"} | kwargs
    licence = issue_licence(
        session,
        issuer=world.issuer,
        licence_type="food-business",
        holder_uscc=holder,
        licence_number=number,
        signer=world.signer,
        now=now,
        **arguments,
    )
    session.commit()
    return licence


def signed_claims(session: Session, licence: Licence) -> dict[str, Any]:
    """The licence's claims, checked against its issuer's published keys."""
    kid = jwt.get_unverified_header(licence.jws)["kid"]
    key = issuer_public_keys(session, licence.issuer_uscc)[kid]
    options: Any = {"verify_exp": False, "verify_nbf": False}
    claims: dict[str, Any] = jwt.decode(licence.jws, key, algorithms=["EdDSA"], options=options)
    return claims


def event_actions(session: Session, identifier: str) -> list[str]:
    return [event.action for event in licence_history(session, identifier)]


def amend_address(session: Session, world: World, identifier: str, address: str) -> Licence:
    return amend_licence(
        session,
        identifier,
        issuer=world.issuer,
        changes={"address": address},
        reason=f"set {address}",
        signer=world.signer,
        actor="a",
        now=NOW,
    )
