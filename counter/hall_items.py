"""Checks of a hall's service items: codes, category, materials, and form fields' sources.

A form field is filled from an entity field, a licence (a catalogue field of its type, or the
licence's own number, dates and issuer), or by the clerk; a field's type must match what its
source gives (or be text). Called by counter.hall_schema.hall_problems.
"""

from __future__ import annotations

import re
from typing import Any

from codeid.entities.data import ENTITY_FIELDS
from counter.hall_checker import Checker
from credentials.catalogue import FIELD_TYPES

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

_ITEM = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
_FIELD = re.compile(r"[a-z][a-z0-9_]{0,39}")


def check_items(c: Checker, value: Any, categories: set[str]) -> None:
    """Check the ``items`` list; ``categories`` are the hall's valid category codes."""
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


def _materials(c: Checker, where: str, value: Any) -> None:
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


def _form(c: Checker, where: str, value: Any) -> None:
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


def _source(c: Checker, where: str, value: Any) -> str | None:
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
