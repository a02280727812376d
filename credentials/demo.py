"""Demo departments and licences for the demo entities, so a scan shows real-looking licences."""

from __future__ import annotations

import random
from datetime import date, datetime

from sqlmodel import Session, select

from codeid.entities.models import Entity
from credentials.issuers import issuer_keyring, register_issuer
from credentials.licences import issue_licence
from credentials.trust import grant_trust

# Departments of a Guangzhou service hall (USCC check characters computed, not real codes).
MARKET_REGULATION = ("11440100MB2C92747J", "广州市市场监督管理局", "market-regulation")
TOBACCO = ("11440100MB2C930109", "广州市烟草专卖局", "tobacco-monopoly")
GRANTS = {
    MARKET_REGULATION: ("business-licence", "food-business", "food-production"),
    TOBACCO: ("tobacco-retail",),
}


def seed_licence_demo(
    session: Session, *, master_secret: bytes, now: datetime, seed: int = 20261127
) -> dict[str, object]:
    """Register the demo departments and licence every demo entity; returns a summary."""
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    issuers = {}
    for department, types in GRANTS.items():
        uscc, name, kind = department
        issuer = register_issuer(
            session,
            uscc=uscc,
            name=name,
            authority_kind=kind,
            master_secret=master_secret,
            actor="demo",
            now=now,
        )
        for licence_type in types:
            grant_trust(
                session,
                issuer_uscc=uscc,
                licence_type=licence_type,
                valid_from=now,
                valid_until=None,
                actor="demo",
                now=now,
            )
        issuers[department] = issuer

    signers = {
        d: issuer_keyring(session, i, master_secret=master_secret).active_signer()
        for d, i in issuers.items()
    }
    licences = 0
    for entity in session.exec(select(Entity).order_by(Entity.uscc)).all():
        for licence_type, number, fields, department in _licences_for(entity, rng):
            issue_licence(
                session,
                issuer=issuers[department],
                licence_type=licence_type,
                holder_uscc=entity.uscc,
                licence_number=number,
                fields=fields,
                signer=signers[department],
                actor="demo",
                now=now,
            )
            licences += 1
    return {"issuers": sorted(i.uscc for i in issuers.values()), "licences": licences}


def _licences_for(
    entity: Entity, rng: random.Random
) -> list[tuple[str, str, dict[str, object], tuple[str, str, str]]]:
    address = entity.registered_address or "广州市天河区天河路1号"
    result: list[tuple[str, str, dict[str, object], tuple[str, str, str]]] = [
        (
            "business-licence",
            entity.uscc,
            {
                "name": entity.name,
                "entity_type": entity.entity_type,
                "legal_representative": entity.legal_representative or "未登记",
                "date_established": (entity.date_established or date(2010, 1, 1)).isoformat(),
                "business_scope": "一般项目：" + entity.name[-6:] + "相关业务",
                "address": address,
                "registration_authority": entity.registration_authority or "广州市市场监督管理局",
            },
            MARKET_REGULATION,
        )
    ]
    if any(word in entity.name for word in ("餐饮", "食品", "粮油", "便利店")):
        result.append(
            (
                "food-business",
                "JY1" + entity.uscc[2:8] + f"{rng.randrange(10**7):07d}",
                {
                    "operator_name": entity.name,
                    "legal_representative": entity.legal_representative or "未登记",
                    "address": address,
                    "business_premises": address,
                    "main_business_form": "餐饮服务经营者"
                    if "餐饮" in entity.name
                    else "食品销售经营者",
                    "business_items": "预包装食品销售（含冷藏冷冻食品）；热食类食品制售",
                },
                MARKET_REGULATION,
            )
        )
    if any(word in entity.name for word in ("烟酒", "便利店")):
        result.append(
            (
                "tobacco-retail",
                entity.uscc[2:8] + f"{rng.randrange(10**6):06d}",
                {
                    "enterprise_name": entity.name,
                    "principal": entity.legal_representative or "未登记",
                    "business_premises": address,
                    "permitted_scope": "卷烟、雪茄烟零售",
                    "supply_unit": "广东省烟草公司广州市公司",
                },
                TOBACCO,
            )
        )
    return result
