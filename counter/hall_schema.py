"""Validation of a hall set-up document (see counter.hall), against the licence catalogue.

Every problem names the path of the bad element (``items[3].form[2].source.licence_type:
unknown licence type 'x'``), so one load tells the editor everything to fix. Unknown keys are
refused: a typo such as ``"requried"`` would otherwise silently make a field optional.

This module holds the document's structure checks (version, name, time zone, opening hours,
rules, categories, windows); service items with their materials and form sources are checked
in counter.hall_items, the problem collector is counter.hall_checker.Checker.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from counter.hall_checker import Checker
from counter.hall_items import check_items
from credentials.catalogue import Catalogue

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
_TOP_KEYS = {"version", "name", "timezone", "opening_hours", "rules", "categories"}
_TOP_KEYS |= {"items", "windows"}
_CATEGORY = re.compile(r"[A-Z][A-Z0-9]{0,3}")  # also the ticket prefix
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def hall_problems(doc: object, catalogue: Catalogue) -> list[str]:
    """Every problem of a parsed hall document (empty when valid)."""
    c = Checker(catalogue)
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
    check_items(c, doc.get("items"), categories)
    _windows(c, doc.get("windows"), categories)
    return c.problems


def _timezone(c: Checker, value: Any) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        c.add("timezone", f"unknown time zone {value!r}")


def minutes_of(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def _opening_hours(c: Checker, value: Any) -> None:
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


def _rules(c: Checker, value: Any) -> None:
    if not c.obj("rules", value):
        return
    for key in sorted(set(value) - set(DEFAULT_RULES)):
        c.add("rules", f"unknown rule {key!r} (rules are {', '.join(DEFAULT_RULES)})")
    for key in DEFAULT_RULES:
        rule = value.get(key, DEFAULT_RULES[key])
        if isinstance(rule, bool) or not isinstance(rule, int) or not 1 <= rule <= 1440:
            c.add(f"rules.{key}", f"must be a whole number from 1 to 1440, got {rule!r}")


def _categories(c: Checker, value: Any) -> set[str]:
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


def _windows(c: Checker, value: Any, categories: set[str]) -> None:
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
