"""A business with a static code and two licences, for the partner API tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from api.runtime import Runtime
from codeid.codes.payload import CodeKind
from codeid.entities.data import EntityData
from codeid.entities.service import add_entity
from credentials.issuers import register_issuer
from credentials.licences import issue_licence
from credentials.trust import grant_trust

USCC = "914403001922038216"
NAME = "华为技术有限公司"
OTHER_USCC = "91440300708461136T"
GZ_AMR = "11440100MB2C92747J"
FOOD_NUMBER = "JY14401060000001"
FOOD_FIELDS: dict[str, Any] = {
    "operator_name": "华为技术有限公司食堂",
    "legal_representative": "赵明路",
    "address": "深圳市龙岗区坂田华为总部办公楼",
    "business_premises": "深圳市龙岗区坂田华为基地B区",
    "main_business_form": "餐饮服务经营者",
    "business_items": "热食类食品制售",
}
BUSINESS_FIELDS: dict[str, Any] = {
    "name": NAME,
    "entity_type": "有限责任公司",
    "legal_representative": "赵明路",
    "date_established": "1987-09-15",
    "business_scope": "通信设备研发、生产",
    "address": "深圳市龙岗区坂田华为总部办公楼",
    "registration_authority": "深圳市市场监督管理局",
}
SECRET_VALUES = [FOOD_NUMBER, *FOOD_FIELDS.values(), "通信设备研发、生产"]


@dataclass(frozen=True)
class World:
    payload: str  # a static code of USCC
    food: str  # identifier of its food-business licence
    business: str  # identifier of its business licence


def make_world(runtime: Runtime, now: datetime) -> World:
    with runtime.session() as session:
        for uscc, name in ((USCC, NAME), (OTHER_USCC, "深圳市腾讯计算机系统有限公司")):
            data = EntityData(uscc=uscc, name=name, entity_type="company")
            add_entity(session, data=data, actor="test", now=now)
        issuer = register_issuer(
            session,
            uscc=GZ_AMR,
            name="广州市市场监督管理局",
            authority_kind="market-regulation",
            master_secret=runtime.master_secret,
            actor="test",
            now=now - timedelta(days=1),
        )
        identifiers = []
        for licence_type, number, fields in (
            ("food-business", FOOD_NUMBER, FOOD_FIELDS),
            ("business-licence", "91440300MA5F00001X", BUSINESS_FIELDS),
        ):
            grant_trust(
                session,
                issuer_uscc=GZ_AMR,
                licence_type=licence_type,
                valid_from=now - timedelta(days=1),
                valid_until=None,
                actor="test",
                now=now - timedelta(days=1),
            )
            licence = issue_licence(
                session,
                issuer=issuer,
                licence_type=licence_type,
                holder_uscc=USCC,
                licence_number=number,
                fields=fields,
                signer=runtime.issuer_signer(session, issuer),
                actor="test",
                now=now,
            )
            identifiers.append(licence.identifier)
        payload = runtime.issue_code(session, uscc=USCC, kind=CodeKind.STATIC, now=now).payload
    return World(payload, identifiers[0], identifiers[1])
