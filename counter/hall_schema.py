"""Validation of a hall set-up document (see counter.hall), against the licence catalogue.

Every problem names the path of the bad element (``items[3].form[2].source.licence_type:
unknown licence type 'x'``), so one load tells the editor everything to fix. Unknown keys are
refused: a typo such as ``"requried"`` would otherwise silently make a field optional.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from codeid.entities.data import ENTITY_FIELDS
from credentials.catalogue import FIELD_TYPES, Catalogue

HALL_VERSION = 1
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_RULES: dict[str, int] = {
    "hold_minutes": 10,  # a booking is held this long until confirmed
    "max_open_bookings": 3,  # held or confirmed, not yet past, per business
    "early_minutes": 30,  # check-in may be this early for the slot's start ...
    "late_minutes": 15,  # ... or this late and still get appointment priority
    "recalls_before_no_show": 3,
    "walk_in_every": 3,  # after this many appointment tickets, one walk-in is served
    "slot_minutes": 30,
}
# Form sources: an entity field (type), or a licence's own data beside its catalogue fields.
ENTITY_FIELD_TYPES = {
    name: "date" if name == "date_established" else "string" for name in ENTITY_FIELDS
}
LICENCE_META_FIELDS = {
    "licence_number": "string",
    "valid_from": "date",
    "valid_until": "date",
    "issuer_name": "string",
}
SOURCE_KINDS = ("entity", "licence", "clerk")

_TOP_KEYS = {"version", "name", "timezone", "opening_hours", "rules", "categories"}
_TOP_KEYS |= {"items", "windows"}
_CATEGORY = re.compile(r"[A-Z][A-Z0-9]{0,3}")  # also the ticket prefix
_ITEM = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
_FIELD = re.compile(r"[a-z][a-z0-9_]{0,39}")
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


class _Checker:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.problems: list[str] = []

    def add(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}" if where else what)

    def keys(
        self, where: str, obj: Mapping[str, Any], required: set[str], optional: set[str]
    ) -> None:
        for key in sorted(required - set(obj)):
            self.add(where, f"missing key {key!r}")
        for key in sorted(set(obj) - required - optional):
            self.add(where, f"unknown key {key!r}")

    def text(self, where: str, value: Any, limit: int) -> None:
        if not isinstance(value, str) or not value.strip():
            self.add(where, f"must be non-empty text, got {value!r}")
        elif len(value) > limit:
            self.add(where, f"at most {limit} characters, got {len(value)}")

    def obj(self, where: str, value: Any) -> bool:
        if not isinstance(value, dict):
            self.add(where, f"must be an object, got {type(value).__name__}")
            return False
        return True

    def array(self, where: str, value: Any, *, non_empty: bool = True) -> list[Any]:
        if not isinstance(value, list) or (non_empty and not value):
            self.add(where, "must be a non-empty list" if non_empty else "must be a list")
            return []
        return value


def hall_problems(doc: object, catalogue: Catalogue) -> list[str]:
    """Every problem of a parsed hall document (empty when valid)."""
    c = _Checker(catalogue)
    if not c.obj("", doc):
        return ["the hall set-up must be a JSON object"]
    assert isinstance(doc, dict)
    c.keys("", doc, _TOP_KEYS - {"rules", "timezone"}, {"rules", "timezone"})
    if "version" in doc and doc["version"] != HALL_VERSION:
        c.add("version", f"must be {HALL_VERSION}, got {doc.get('version')!r}")
    c.text("name", doc.get("name"), 200)
    _timezone(c, doc.get("timezone", "Asia/Shanghai"))
    _opening_hours(c, doc.get("opening_hours"))
    _rules(c, doc.get("rules", {}))
    categories = _categories(c, doc.get("categories"))
    _items(c, doc.get("items"), categories)
    _windows(c, doc.get("windows"), categories)
    return c.problems


def _timezone(c: _Checker, value: Any) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        c.add("timezone", f"unknown time zone {value!r}")


def minutes_of(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def _opening_hours(c: _Checker, value: Any) -> None:
    if not c.obj("opening_hours", value):
        return
    for key in sorted(set(value) - set(WEEKDAYS)):
        c.add("opening_hours", f"unknown day {key!r} (days are {', '.join(WEEKDAYS)})")
    for day in WEEKDAYS:
        where = f"opening_hours.{day}"
        periods = c.array(where, value.get(day, []), non_empty=False)
        end_before = -1
        for index, period in enumerate(periods):
            at = f"{where}[{index}]"
            if not (
                isinstance(period, list)
                and len(period) == 2
                and all(isinstance(t, str) and _HHMM.fullmatch(t) for t in period)
            ):
                c.add(at, f'must be ["HH:MM", "HH:MM"], got {period!r}')
                continue
            start, end = minutes_of(period[0]), minutes_of(period[1])
            if start >= end:
                c.add(at, f"opens at {period[0]} but closes at {period[1]}")
            elif start < end_before:
                c.add(at, "overlaps or precedes the period before it")
            end_before = max(end_before, end)


def _rules(c: _Checker, value: Any) -> None:
    if not c.obj("rules", value):
        return
    for key in sorted(set(value) - set(DEFAULT_RULES)):
        c.add("rules", f"unknown rule {key!r} (rules are {', '.join(DEFAULT_RULES)})")
    for key in DEFAULT_RULES:
        rule = value.get(key, DEFAULT_RULES[key])
        if isinstance(rule, bool) or not isinstance(rule, int) or not 1 <= rule <= 1440:
            c.add(f"rules.{key}", f"must be a whole number from 1 to 1440, got {rule!r}")


def _categories(c: _Checker, value: Any) -> set[str]:
    codes: set[str] = set()
    for index, entry in enumerate(c.array("categories", value)):
        where = f"categories[{index}]"
        if not c.obj(where, entry):
            continue
        c.keys(where, entry, {"code", "name_zh", "name_en"}, {"slot_capacity"})
        code = entry.get("code")
        if not isinstance(code, str) or not _CATEGORY.fullmatch(code):
            c.add(
                f"{where}.code",
                f"must be 1-4 upper-case letters/digits (a ticket prefix), got {code!r}",
            )
        elif code in codes:
            c.add(f"{where}.code", f"duplicate category {code!r}")
        else:
            codes.add(code)
        c.text(f"{where}.name_zh", entry.get("name_zh"), 100)
        c.text(f"{where}.name_en", entry.get("name_en"), 100)
        capacity = entry.get("slot_capacity", 4)
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 1000:
            c.add(
                f"{where}.slot_capacity", f"must be a whole number from 1 to 1000, got {capacity!r}"
            )
    return codes


def _items(c: _Checker, value: Any, categories: set[str]) -> None:
    codes: set[str] = set()
    for index, entry in enumerate(c.array("items", value)):
        where = f"items[{index}]"
        if not c.obj(where, entry):
            continue
        required = {"code", "name_zh", "name_en", "category", "department", "materials", "form"}
        c.keys(where, entry, required, set())
        code = entry.get("code")
        if not isinstance(code, str) or not _ITEM.fullmatch(code):
            c.add(f"{where}.code", f"must be a lower-case slug of 2-40 characters, got {code!r}")
        elif code in codes:
            c.add(f"{where}.code", f"duplicate service item {code!r}")
        else:
            codes.add(code)
        c.text(f"{where}.name_zh", entry.get("name_zh"), 200)
        c.text(f"{where}.name_en", entry.get("name_en"), 200)
        c.text(f"{where}.department", entry.get("department"), 200)
        if entry.get("category") not in categories:
            c.add(f"{where}.category", f"unknown category {entry.get('category')!r}")
        _materials(c, f"{where}.materials", entry.get("materials"))
        _form(c, f"{where}.form", entry.get("form"))


def _materials(c: _Checker, where: str, value: Any) -> None:
    seen: set[str] = set()
    for index, entry in enumerate(c.array(where, value, non_empty=False)):
        at = f"{where}[{index}]"
        if not c.obj(at, entry):
            continue
        kind = entry.get("kind")
        if kind == "licence":
            c.keys(at, entry, {"kind", "licence_type"}, {"name_zh", "name_en"})
            key = str(entry.get("licence_type"))
            if entry.get("licence_type") not in c.catalogue:
                c.add(f"{at}.licence_type", f"unknown licence type {entry.get('licence_type')!r}")
        elif kind == "document":
            c.keys(at, entry, {"kind", "name_zh", "name_en"}, set())
            c.text(f"{at}.name_zh", entry.get("name_zh"), 200)
            c.text(f"{at}.name_en", entry.get("name_en"), 200)
            key = str(entry.get("name_zh"))
        else:
            c.add(f"{at}.kind", f"must be 'licence' or 'document', got {kind!r}")
            continue
        if key in seen:
            c.add(at, f"material {key!r} is listed twice")
        seen.add(key)


def _form(c: _Checker, where: str, value: Any) -> None:
    names: set[str] = set()
    for index, entry in enumerate(c.array(where, value)):
        at = f"{where}[{index}]"
        if not c.obj(at, entry):
            continue
        c.keys(
            at, entry, {"name", "label_zh", "label_en", "type", "required", "source"}, {"options"}
        )
        name = entry.get("name")
        if not isinstance(name, str) or not _FIELD.fullmatch(name):
            c.add(f"{at}.name", f"must be a snake_case name, got {name!r}")
        elif name in names:
            c.add(f"{at}.name", f"duplicate field {name!r}")
        else:
            names.add(name)
        c.text(f"{at}.label_zh", entry.get("label_zh"), 100)
        c.text(f"{at}.label_en", entry.get("label_en"), 100)
        kind = entry.get("type")
        if kind not in FIELD_TYPES:
            c.add(f"{at}.type", f"must be one of {', '.join(sorted(FIELD_TYPES))}, got {kind!r}")
        if not isinstance(entry.get("required"), bool):
            c.add(f"{at}.required", f"must be true or false, got {entry.get('required')!r}")
        options = entry.get("options")
        if kind == "enum" and not (
            isinstance(options, list) and options and all(isinstance(o, str) for o in options)
        ):
            c.add(f"{at}.options", "an enum field needs a non-empty list of text options")
        elif kind != "enum" and options is not None:
            c.add(f"{at}.options", "only an enum field has options")
        source_type = _source(c, f"{at}.source", entry.get("source"))
        if source_type is not None and kind in FIELD_TYPES and kind not in (source_type, "string"):
            c.add(f"{at}.type", f"is {kind!r} but its source gives a {source_type!r}")


def _source(c: _Checker, where: str, value: Any) -> str | None:
    """Check a field's source; the type of value it gives, when known."""
    if not c.obj(where, value):
        return None
    kind = value.get("kind")
    if kind == "clerk":
        c.keys(where, value, {"kind"}, set())
        return None
    if kind == "entity":
        c.keys(where, value, {"kind", "field"}, set())
        field = value.get("field")
        if field not in ENTITY_FIELD_TYPES:
            c.add(
                f"{where}.field",
                f"unknown entity field {field!r} (fields: {', '.join(ENTITY_FIELDS)})",
            )
            return None
        return ENTITY_FIELD_TYPES[field]
    if kind == "licence":
        c.keys(where, value, {"kind", "licence_type", "field"}, set())
        code = value.get("licence_type")
        if code not in c.catalogue:
            c.add(f"{where}.licence_type", f"unknown licence type {code!r}")
            return None
        licence_type = c.catalogue.get(code)
        field = value.get("field")
        spec = licence_type.field(field) if isinstance(field, str) else None
        if spec is not None:
            return spec.type
        if field in LICENCE_META_FIELDS:
            return LICENCE_META_FIELDS[field]
        known = [f.name for f in licence_type.fields] + list(LICENCE_META_FIELDS)
        c.add(f"{where}.field", f"a {code} has no field {field!r} (fields: {', '.join(known)})")
        return None
    c.add(f"{where}.kind", f"must be one of {', '.join(SOURCE_KINDS)}, got {kind!r}")
    return None


def _windows(c: _Checker, value: Any, categories: set[str]) -> None:
    numbers: set[int] = set()
    for index, entry in enumerate(c.array("windows", value)):
        where = f"windows[{index}]"
        if not c.obj(where, entry):
            continue
        c.keys(where, entry, {"number", "categories"}, {"name", "open"})
        number = entry.get("number")
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 9999:
            c.add(f"{where}.number", f"must be a whole number from 1 to 9999, got {number!r}")
        elif number in numbers:
            c.add(f"{where}.number", f"duplicate window {number}")
        else:
            numbers.add(number)
        if "name" in entry and not isinstance(entry["name"], str):
            c.add(f"{where}.name", "must be text")
        if "open" in entry and not isinstance(entry["open"], bool):
            c.add(f"{where}.open", "must be true or false")
        served = c.array(f"{where}.categories", entry.get("categories"))
        for position, code in enumerate(served):
            if code not in categories:
                c.add(f"{where}.categories[{position}]", f"unknown category {code!r}")
        if len(set(map(str, served))) != len(served):
            c.add(f"{where}.categories", "lists a category twice")
