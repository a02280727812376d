"""A small counter world for case, form and report tests: the licence world plus a service
item with a form template and materials, and tickets put straight into the queue tables."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from counter.models import ServiceCategory, ServiceItem, Ticket, Window
from tests.credentials.licence_world import HOLDER, NOW, TODAY, World, issue_food, make_world

ITEM = "food-renewal"
FORM: list[dict[str, Any]] = [
    {
        "name": "entity_name",
        "label_zh": "名称",
        "label_en": "Name",
        "type": "text",
        "required": True,
        "source": {"kind": "entity", "field": "name"},
    },
    {
        "name": "uscc",
        "label_zh": "统一社会信用代码",
        "label_en": "USCC",
        "type": "text",
        "required": True,
        "source": {"kind": "entity", "field": "uscc"},
    },
    {
        "name": "food_licence_number",
        "label_zh": "许可证编号",
        "label_en": "Licence number",
        "type": "text",
        "required": True,
        "source": {"kind": "licence", "licence_type": "food-business", "field": "licence_number"},
    },
    {
        "name": "premises",
        "label_zh": "经营场所",
        "label_en": "Business premises",
        "type": "text",
        "required": True,
        "source": {
            "kind": "licence",
            "licence_type": "food-business",
            "field": "business_premises",
        },
    },
    {
        "name": "business_scope",
        "label_zh": "经营范围",
        "label_en": "Business scope",
        "type": "text",
        "required": False,
        "source": {
            "kind": "licence",
            "licence_type": "business-licence",
            "field": "business_scope",
        },
    },
    {
        "name": "contact_phone",
        "label_zh": "联系电话",
        "label_en": "Contact phone",
        "type": "text",
        "required": True,
        "source": {"kind": "clerk"},
    },
]
MATERIALS: list[dict[str, Any]] = [
    {"kind": "licence", "licence_type": "food-business", "name_zh": "食品经营许可证"},
    {"kind": "licence", "licence_type": "business-licence", "name_zh": "营业执照"},
    {"kind": "document", "name_zh": "法定代表人身份证", "name_en": "ID card of the legal rep."},
]


def food_item() -> ServiceItem:
    return ServiceItem(
        code=ITEM,
        name_zh="食品经营许可证延续",
        name_en="Food business licence renewal",
        category_code="B",
        department="市场监督管理局",
        materials=MATERIALS,
        form=FORM,
    )


def counter_world(session: Session) -> tuple[World, str]:
    """The licence world, a valid food licence for HOLDER and the hall rows a case needs.

    Returns the world and the food licence's identifier.
    """
    world = make_world(session)
    licence = issue_food(session, world)
    session.add(ServiceCategory(code="B", name_zh="食品", name_en="Food"))
    session.add(food_item())
    session.add(Window(number=7, categories=["B"]))
    session.add(Window(number=8, categories=["B"]))
    session.commit()
    return world, licence.identifier


def add_ticket(
    session: Session,
    *,
    seq: int,
    status: str = "called",
    window: int | None = 7,
    issued_at: datetime = NOW,
    called_after: timedelta = timedelta(minutes=12),
    uscc: str = HOLDER,
    category: str = "B",
    **extra: Any,
) -> Ticket:
    """A ticket as check-in and call-next would leave it (until those land, put in directly)."""
    called = issued_at + called_after if status != "waiting" else None
    ticket = Ticket(
        day=extra.pop("day", TODAY),
        category_code=category,
        seq=seq,
        number=f"{category}{seq:03d}",
        uscc=uscc,
        item_code=ITEM,
        priority=extra.pop("priority", "walk-in"),
        status=status,
        window_number=window,
        issued_at=issued_at,
        queued_at=issued_at,
        called_at=called,
        **extra,
    )
    session.add(ticket)
    session.commit()
    return ticket
