"""The hall set-up: the demo file against the real catalogue, loading, errors with paths, clerks."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from codeid.accounts.models import Role
from codeid.accounts.users import create_user
from codeid.entities.data import ENTITY_FIELDS
from codeid.errors import InvalidInput
from counter.errors import (
    CategoryNotFound,
    HallInvalid,
    HallNotLoaded,
    ItemNotFound,
    WindowNotFound,
)
from counter.hall import (
    demo_hall_path,
    get_category,
    get_hall,
    get_item,
    get_window,
    load_hall,
    load_hall_file,
    local_day,
    read_hall,
    register_clerk,
    rules_of,
)
from counter.hall_schema import hall_problems
from counter.models import ServiceItem, Window
from credentials.catalogue import default_catalogue

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.fixture
def demo() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(demo_hall_path().read_text(encoding="utf-8"))
    return doc


def test_demo_hall_is_valid_and_looks_like_a_real_hall(demo: dict[str, Any]) -> None:
    assert hall_problems(demo, default_catalogue()) == []
    assert (demo_hall_path().parent / "__init__.py").is_file()  # shipped as package data
    assert [c["code"] for c in demo["categories"]] == ["A", "B", "C", "D", "E", "F"]
    assert len(demo["items"]) >= 10
    assert sorted(w["number"] for w in demo["windows"]) == list(range(1, 38))
    assert demo["opening_hours"]["mon"] == [["09:00", "12:00"], ["13:30", "17:30"]]
    assert demo["opening_hours"]["sat"] == [["09:00", "12:00"]]
    assert "sun" not in demo["opening_hours"]
    assert demo["rules"] == {
        "hold_minutes": 10,
        "max_open_bookings": 3,
        "early_minutes": 30,
        "late_minutes": 15,
        "recalls_before_no_show": 3,
        "walk_in_every": 3,
        "slot_minutes": 30,
    }
    names = {i["name_en"] for i in demo["items"]}
    assert {
        "Change of registered address",
        "Food business licence renewal",
        "Tax registration change",
        "Special equipment use registration",
    } <= names
    sources = [f["source"] for i in demo["items"] for f in i["form"]]
    licence_types = {s["licence_type"] for s in sources if s["kind"] == "licence"}
    licence_types |= {
        m["licence_type"] for i in demo["items"] for m in i["materials"] if m["kind"] == "licence"
    }
    assert licence_types == {t.code for t in default_catalogue()}  # every type is used
    assert {s["field"] for s in sources if s["kind"] == "entity"} <= set(ENTITY_FIELDS)
    assert any(s["kind"] == "clerk" for s in sources)
    # Every window's categories exist, and every category is served by some window.
    served = {c for w in demo["windows"] for c in w["categories"]}
    assert served == {c["code"] for c in demo["categories"]}


def test_load_read_round_trip_and_idempotence(session: Session, demo: dict[str, Any]) -> None:
    with pytest.raises(HallNotLoaded):
        read_hall(session)
    summary = load_hall_file(session, demo_hall_path(), now=NOW)
    assert (summary.categories, summary.items, summary.windows, summary.removed) == (
        6,
        len(demo["items"]),
        37,
        0,
    )
    session.commit()
    first = read_hall(session)
    assert first["name"] == demo["name"]
    assert first["timezone"] == "Asia/Shanghai"
    assert get_window(session, 12).categories == ["B", "A"]
    item = get_item(session, "food-business-renewal")
    assert item.category_code == "B"
    assert item.materials[1] == {"kind": "licence", "licence_type": "food-business"}

    again = load_hall(session, first, now=NOW)  # reading back gives a loadable document
    session.commit()
    assert again.removed == 0
    assert read_hall(session) == first
    assert session.exec(select(ServiceItem)).all().__len__() == len(demo["items"])


def test_reload_replaces_the_set_up(session: Session, demo: dict[str, Any]) -> None:
    load_hall(session, demo, now=NOW)
    session.commit()
    changed = copy.deepcopy(demo)
    changed["items"] = [i for i in changed["items"] if i["code"] != "deregistration"]
    changed["windows"] = changed["windows"][:30]
    changed["categories"][0]["slot_capacity"] = 9
    changed["rules"]["hold_minutes"] = 5
    summary = load_hall(session, changed, now=NOW)
    session.commit()
    assert summary.removed == 1 + 7
    with pytest.raises(ItemNotFound, match="deregistration"):
        get_item(session, "deregistration")
    assert len(session.exec(select(Window)).all()) == 30
    assert get_category(session, "a").slot_capacity == 9
    assert rules_of(get_hall(session)).hold_minutes == 5


def _break(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set doc[path] (dotted, with [n] indices); value DELETE removes the key."""
    parts = path.replace("]", "").replace("[", ".").split(".")
    target: Any = doc
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    if value == "DELETE":
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "items[4].form[2].source.licence_type",
            "x",
            "items[4].form[2].source.licence_type: unknown licence type 'x'",
        ),
        (
            "items[4].form[4].source.field",
            "shop_name",
            "items[4].form[4].source.field: a food-business has no field 'shop_name'",
        ),
        (
            "items[0].form[0].source.field",
            "phone",
            "items[0].form[0].source.field: unknown entity field 'phone'",
        ),
        (
            "items[0].materials[0].licence_type",
            "fishing",
            "items[0].materials[0].licence_type: unknown licence type 'fishing'",
        ),
        ("items[1].category", "Q", "items[1].category: unknown category 'Q'"),
        ("items[0].form[1].requried", True, "items[0].form[1]: unknown key 'requried'"),
        ("items[0].form[1].required", "yes", "items[0].form[1].required: must be true or false"),
        (
            "items[2].code",
            "address-change",
            "items[2].code: duplicate service item 'address-change'",
        ),
        ("windows[3].categories[0]", "Z", "windows[3].categories[0]: unknown category 'Z'"),
        ("windows[5].number", 1, "windows[5].number: duplicate window 1"),
        ("categories[2].code", "c", "categories[2].code: must be 1-4 upper-case"),
        (
            "opening_hours.mon[1]",
            ["13:30", "12:00"],
            "opening_hours.mon[1]: opens at 13:30 but closes at 12:00",
        ),
        (
            "opening_hours.mon[0]",
            ["9:00", "12:00"],
            'opening_hours.mon[0]: must be ["HH:MM", "HH:MM"]',
        ),
        ("opening_hours.holiday", [], "opening_hours: unknown day 'holiday'"),
        ("rules.hold_minutes", 0, "rules.hold_minutes: must be a whole number from 1 to 1440"),
        ("rules.hold", 5, "rules: unknown rule 'hold'"),
        ("timezone", "Mars/Olympus", "timezone: unknown time zone 'Mars/Olympus'"),
        ("items[0].department", "DELETE", "items[0]: missing key 'department'"),
        (
            "items[0].form[6].type",
            "integer",
            "items[0].form[6].type: is 'integer' but its source gives a 'date'",
        ),
    ],
)
def test_invalid_set_up_names_the_path(
    session: Session, demo: dict[str, Any], path: str, value: Any, message: str
) -> None:
    _break(demo, path, value)
    with pytest.raises(HallInvalid) as caught:
        load_hall(session, demo, now=NOW)
    assert any(p.startswith(message) for p in caught.value.problems), caught.value.problems
    assert message in caught.value.message
    with pytest.raises(HallNotLoaded):  # nothing was written
        get_hall(session)


def test_every_problem_is_reported_at_once(demo: dict[str, Any]) -> None:
    demo["items"][0]["category"] = "Q"
    demo["windows"][0]["categories"] = []
    del demo["version"]
    problems = hall_problems(demo, default_catalogue())
    assert len(problems) == 3
    assert hall_problems([], default_catalogue()) == ["the hall set-up must be a JSON object"]


def test_load_hall_file_errors(session: Session, tmp_path: Path) -> None:
    with pytest.raises(HallInvalid, match="cannot read hall set-up"):
        load_hall_file(session, tmp_path / "missing.json", now=NOW)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(HallInvalid, match="is not valid JSON"):
        load_hall_file(session, bad, now=NOW)


def test_lookups_and_local_day(session: Session) -> None:
    load_hall_file(session, demo_hall_path(), now=NOW)
    hall = get_hall(session)
    with pytest.raises(ItemNotFound) as caught:
        get_item(session, "no-such-item")
    assert caught.value.code == "service-item-not-found"
    with pytest.raises(WindowNotFound, match="no window 99"):
        get_window(session, 99)
    with pytest.raises(CategoryNotFound):
        get_category(session, "Q")
    # 16:00 UTC is already midnight in Guangzhou.
    assert local_day(datetime(2026, 11, 27, 15, 59, tzinfo=UTC), hall) == date(2026, 11, 27)
    assert local_day(datetime(2026, 11, 27, 16, 0, tzinfo=UTC), hall) == date(2026, 11, 28)


def test_clerk_desk_profiles(session: Session) -> None:
    load_hall_file(session, demo_hall_path(), now=NOW)
    user = create_user(session, username="li.min", display_name=" 李敏 ", role=Role.CLERK, now=NOW)
    clerk = register_clerk(session, user=user, windows=[3, 1, 3], now=NOW)
    session.commit()
    assert (clerk.name, clerk.windows, clerk.user_id) == ("李敏", [1, 3], user.id)
    again = register_clerk(session, user=user, windows=[2], now=NOW)
    assert again.id == clerk.id and again.windows == [2]  # one desk profile per clerk
    with pytest.raises(WindowNotFound):
        register_clerk(session, user=user, windows=[38], now=NOW)
    with pytest.raises(InvalidInput, match="at least one window"):
        register_clerk(session, user=user, windows=[], now=NOW)
    admin = create_user(session, username="root", role=Role.ADMIN, now=NOW)
    with pytest.raises(InvalidInput, match="not a clerk"):
        register_clerk(session, user=admin, windows=[1], now=NOW)
