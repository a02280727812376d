"""The hall set-up as data: load and validate it, read it back; service items, windows, clerks.

A hall document (the demo ships as ``counter/data/demo_hall.json``) is validated as a whole
first (counter.hall_schema, every problem with its path); only a valid document replaces the
set-up in the database, so loading the same file twice changes nothing. Slot times are in the
hall's local time zone (Asia/Shanghai) and stored as UTC.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, delete, select

from codeid.accounts.models import Role, UserAccount
from codeid.errors import InvalidInput
from counter.errors import (
    CategoryNotFound,
    HallInvalid,
    HallNotLoaded,
    ItemNotFound,
    WindowNotFound,
)
from counter.hall_schema import DEFAULT_RULES, HALL_VERSION, hall_problems
from counter.models import Clerk, Hall, ServiceCategory, ServiceItem, Window
from credentials.catalogue import Catalogue, default_catalogue

_HALL_ID = 1


@dataclass(frozen=True)
class HallSummary:
    name: str
    categories: int
    items: int
    windows: int
    removed: int  # categories, items and windows no longer in the set-up

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class HallRules:
    hold_minutes: int
    max_open_bookings: int
    early_minutes: int
    late_minutes: int
    recalls_before_no_show: int
    walk_in_every: int
    slot_minutes: int


def demo_hall_path() -> Path:
    return Path(__file__).with_name("data") / "demo_hall.json"


def load_hall_file(
    session: Session, path: Path | str, *, now: datetime, catalogue: Catalogue | None = None
) -> HallSummary:
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise HallInvalid(f"cannot read hall set-up {path}: {exc.strerror}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HallInvalid(f"hall set-up {path} is not valid JSON: {exc}") from exc
    return load_hall(session, doc, now=now, catalogue=catalogue)


def load_hall(
    session: Session, doc: Mapping[str, Any], *, now: datetime, catalogue: Catalogue | None = None
) -> HallSummary:
    """Validate the whole document, then make the database set-up equal to it. Flushes."""
    problems = hall_problems(
        dict(doc) if isinstance(doc, Mapping) else doc, catalogue or default_catalogue()
    )
    if problems:
        raise HallInvalid(f"hall set-up is invalid: {'; '.join(problems)}", problems=problems)
    hall = session.get(Hall, _HALL_ID) or Hall(id=_HALL_ID, name="", loaded_at=now)
    hall.name = doc["name"].strip()
    hall.timezone = doc.get("timezone", "Asia/Shanghai")
    hall.opening_hours = {
        day: [list(p) for p in periods] for day, periods in doc["opening_hours"].items()
    }
    hall.rules = {**DEFAULT_RULES, **doc.get("rules", {})}
    hall.loaded_at = now
    session.add(hall)
    removed = 0
    removed += _replace(
        session,
        ServiceCategory,
        ServiceCategory.code,
        [
            ServiceCategory(
                code=c["code"],
                name_zh=c["name_zh"].strip(),
                name_en=c["name_en"].strip(),
                slot_capacity=c.get("slot_capacity", 4),
            )
            for c in doc["categories"]
        ],
    )
    removed += _replace(
        session,
        ServiceItem,
        ServiceItem.code,
        [
            ServiceItem(
                code=i["code"],
                name_zh=i["name_zh"].strip(),
                name_en=i["name_en"].strip(),
                category_code=i["category"],
                department=i["department"].strip(),
                materials=[dict(m) for m in i["materials"]],
                form=[dict(f) for f in i["form"]],
            )
            for i in doc["items"]
        ],
    )
    removed += _replace(
        session,
        Window,
        Window.number,
        [
            Window(
                number=w["number"],
                name=w.get("name", ""),
                categories=list(w["categories"]),
                open=w.get("open", True),
            )
            for w in doc["windows"]
        ],
    )
    session.flush()
    return HallSummary(
        name=hall.name,
        categories=len(doc["categories"]),
        items=len(doc["items"]),
        windows=len(doc["windows"]),
        removed=removed,
    )


def _replace(session: Session, model: Any, key: Any, rows: list[Any]) -> int:
    """Upsert ``rows`` by primary key (merge) and delete the rows not among them."""
    keys = [getattr(row, key.key) for row in rows]
    result = session.exec(delete(model).where(col(key).not_in(keys)))
    for row in rows:
        session.merge(row)
    return int(result.rowcount or 0)


def get_hall(session: Session) -> Hall:
    hall = session.get(Hall, _HALL_ID)
    if hall is None:
        raise HallNotLoaded("no hall set-up is loaded; load one first (codeid hall load FILE)")
    return hall


def rules_of(hall: Hall) -> HallRules:
    return HallRules(
        **{**DEFAULT_RULES, **{k: v for k, v in hall.rules.items() if k in DEFAULT_RULES}}
    )


def read_hall(session: Session) -> dict[str, Any]:
    """The set-up as a hall document (loading it again is a no-op)."""
    hall = get_hall(session)
    categories = session.exec(select(ServiceCategory).order_by(col(ServiceCategory.code))).all()
    items = session.exec(select(ServiceItem).order_by(col(ServiceItem.code))).all()
    windows = session.exec(select(Window).order_by(col(Window.number))).all()
    return {
        "version": HALL_VERSION,
        "name": hall.name,
        "timezone": hall.timezone,
        "opening_hours": hall.opening_hours,
        "rules": rules_of(hall).__dict__.copy(),
        "categories": [
            {
                "code": c.code,
                "name_zh": c.name_zh,
                "name_en": c.name_en,
                "slot_capacity": c.slot_capacity,
            }
            for c in categories
        ],
        "items": [
            {
                "code": i.code,
                "name_zh": i.name_zh,
                "name_en": i.name_en,
                "category": i.category_code,
                "department": i.department,
                "materials": i.materials,
                "form": i.form,
            }
            for i in items
        ],
        "windows": [
            {"number": w.number, "name": w.name, "categories": w.categories, "open": w.open}
            for w in windows
        ],
    }


def hall_zone(hall: Hall) -> ZoneInfo:
    return ZoneInfo(hall.timezone)


def local_day(now: datetime, hall: Hall) -> date:
    """The hall's calendar day at ``now`` (UTC)."""
    if now.tzinfo is None:
        raise InvalidInput("now must be a timezone-aware UTC datetime")
    return now.astimezone(hall_zone(hall)).date()


def get_category(session: Session, code: str) -> ServiceCategory:
    category = session.get(ServiceCategory, code.strip().upper())
    if category is None:
        raise CategoryNotFound(f"no service category {code!r} in the hall set-up", category=code)
    return category


def get_item(session: Session, code: str) -> ServiceItem:
    item = session.get(ServiceItem, code.strip())
    if item is None:
        raise ItemNotFound(f"no service item {code!r} in the hall set-up", item=code)
    return item


def get_window(session: Session, number: int) -> Window:
    window = session.get(Window, number)
    if window is None:
        raise WindowNotFound(f"no window {number} in the hall set-up", window=number)
    return window


def register_clerk(
    session: Session, *, user: UserAccount, windows: list[int], now: datetime
) -> Clerk:
    """The desk profile of a clerk user: the windows they may act at (replaces any earlier)."""
    if user.role != Role.CLERK.value:
        raise InvalidInput(f"user {user.username!r} is a {user.role}, not a clerk")
    if not windows:
        raise InvalidInput("a clerk needs at least one window")
    for number in windows:
        get_window(session, number)
    clerk = session.exec(select(Clerk).where(Clerk.user_id == user.id)).first()
    if clerk is None:
        assert user.id is not None
        clerk = Clerk(name=user.display_name, windows=[], user_id=user.id, created_at=now)
    clerk.windows = sorted(set(windows))
    session.add(clerk)
    session.flush()
    return clerk
