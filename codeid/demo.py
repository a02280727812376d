"""A small, real-looking demo data set: market entities of a Guangzhou service hall."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from sqlmodel import Session, func, select

from codeid.entities.models import Entity
from codeid.entities.service import EntityData, add_entity
from codeid.uscc import random_uscc

# Administrative divisions of Guangzhou's districts (GB/T 2260).
DISTRICTS = {
    "440103": "荔湾区",
    "440104": "越秀区",
    "440105": "海珠区",
    "440106": "天河区",
    "440111": "白云区",
    "440112": "黄埔区",
    "440113": "番禺区",
    "440114": "花都区",
}
ROADS = [
    "天河路",
    "体育西路",
    "中山大道",
    "环市东路",
    "江南大道",
    "广州大道",
    "黄埔大道",
    "解放北路",
]
TRADE_NAMES = ["宏达", "信诚", "粤海", "南方", "珠江", "汇丰源", "嘉禾", "德润", "瑞丰", "恒泰"]
INDUSTRIES = [
    ("餐饮管理", "company"),
    ("食品贸易", "company"),
    ("医药连锁", "company"),
    ("电梯工程", "company"),
    ("道路运输", "company"),
    ("信息科技", "company"),
    ("便利店", "sole_trader"),
    ("烟酒商行", "sole_trader"),
    ("粮油店", "sole_trader"),
]
SURNAMES = "陈李黄张梁林刘吴罗何郑谢"
GIVEN = ["志明", "丽华", "建国", "伟强", "嘉欣", "俊杰", "美玲", "国华", "晓东", "慧敏"]

# Real, published codes (their check characters verify), so the demo shows real ones too.
REAL = [
    EntityData(
        uscc="914403001922038216",
        name="华为技术有限公司",
        entity_type="company",
        legal_representative="赵明路",
        registered_address="深圳市龙岗区坂田华为总部办公楼",
        registration_authority="深圳市市场监督管理局",
        date_established=date(1987, 9, 15),
    ),
    EntityData(
        uscc="91440300708461136T",
        name="深圳市腾讯计算机系统有限公司",
        entity_type="company",
        legal_representative="马化腾",
        registered_address="深圳市南山区粤海街道麻岭社区科技中一路腾讯大厦35层",
        registration_authority="深圳市市场监督管理局",
        date_established=date(1998, 11, 11),
    ),
]


def demo_entities(count: int, *, seed: int = 20261127) -> Iterator[EntityData]:
    yield from REAL
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    for _ in range(max(0, count - len(REAL))):
        division, district = rng.choice(list(DISTRICTS.items()))
        trade = rng.choice(TRADE_NAMES)
        industry, kind = rng.choice(INDUSTRIES)
        if kind == "sole_trader":
            name = f"广州市{district}{trade}{industry}"
            category = "2"
        else:
            name = f"广州{trade}{industry}有限公司"
            category = "1"
        yield EntityData(
            uscc=random_uscc(rng, authority="9", category=category, division=division),
            name=name,
            entity_type=kind,
            legal_representative=rng.choice(SURNAMES) + rng.choice(GIVEN),
            registered_address=f"广州市{district}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
            registration_authority=f"广州市{district}市场监督管理局",
            date_established=date(2000, 1, 1) + timedelta(days=rng.randint(0, 9000)),
        )


def seed_demo(session: Session, *, count: int, now: datetime, if_empty: bool) -> int:
    """Add the demo entities; returns how many were added (0 when skipped)."""
    if if_empty and session.exec(select(func.count()).select_from(Entity)).one() > 0:
        return 0
    added = 0
    seen: set[str] = set()
    for data in demo_entities(count):
        if data.uscc in seen:
            continue
        seen.add(data.uscc)
        add_entity(session, data=data, actor="demo", now=now)
        added += 1
    return added
