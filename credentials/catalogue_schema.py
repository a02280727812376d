"""Validation of the licence catalogue file's structure (see credentials.catalogue).

Every problem is reported with where it is (``types[2] food-business, field 'x'``), so one
load tells the editor everything to fix. Unknown keys are refused: a typo such as
``"requried"`` would otherwise silently make a field optional.
"""

from __future__ import annotations

import re
from typing import Any

from codeid.uscc import InvalidUscc, parse_uscc

FIELD_TYPES = frozenset({"string", "date", "integer", "number", "boolean", "enum"})
CATALOGUE_VERSION = 1
_TYPE_KEYS = {
    "code": True,
    "name_zh": True,
    "name_en": True,
    "authority_kind": True,
    "id_type_code": True,
    "default_validity_days": True,
    "fields": True,
    "number_label_zh": False,
    "number_pattern": False,
}
_FIELD_KEYS = {
    "name": True,
    "type": True,
    "required": True,
    "label_zh": True,
    "label_en": True,
    "options": False,
    "pattern": False,
    "max_length": False,
}
_TYPE_CODE = re.compile(r"[a-z][a-z0-9-]{1,39}")  # Licence.type_code is String(40)
_AUTHORITY_KIND = re.compile(r"[a-z][a-z0-9-]{1,39}")
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_UPPER_ALNUM = re.compile(r"[0-9A-Z]+")


def catalogue_problems(doc: object) -> list[str]:
    """Every structural problem of a parsed catalogue document (empty when valid)."""
    if not isinstance(doc, dict):
        return ["the catalogue must be a JSON object with 'version' and 'types'"]
    problems: list[str] = []
    if doc.get("version") != CATALOGUE_VERSION:
        problems.append(f"'version' must be {CATALOGUE_VERSION}, got {doc.get('version')!r}")
    problems.extend(f"unknown top-level key {key!r}" for key in set(doc) - {"version", "types"})
    types = doc.get("types")
    if not isinstance(types, list) or not types:
        return [*problems, "'types' must be a non-empty list"]
    codes: dict[str, int] = {}
    id_type_codes: dict[str, int] = {}
    for index, entry in enumerate(types):
        where = f"types[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be an object")
            continue
        if isinstance(entry.get("code"), str):
            where = f"{where} {entry['code']}"
        problems.extend(_type_problems(where, entry))
        for key, seen in (("code", codes), ("id_type_code", id_type_codes)):
            value = entry.get(key)
            if isinstance(value, str) and value in seen:
                problems.append(f"{where}: duplicate {key} {value!r} (also types[{seen[value]}])")
            elif isinstance(value, str):
                seen[value] = index
    return problems


def id_type_code_problem(segment: str) -> str | None:
    """Why ``segment`` cannot be an identifier type code (USCC + 3-digit number), or None."""
    if len(segment) != 21:
        return f"must have 21 characters (a USCC and a 3-digit number), got {len(segment)}"
    if not _UPPER_ALNUM.fullmatch(segment):
        return "must use only digits and upper-case letters"
    if not segment[18:].isdigit() or segment[18:] == "000":
        return f"must end with a 3-digit type number 001-999, got {segment[18:]!r}"
    try:
        parse_uscc(segment[:18])
    except InvalidUscc as exc:
        return f"its first 18 characters are not a valid USCC: {exc.message}"
    return None


def _type_problems(where: str, entry: dict[str, Any]) -> list[str]:
    problems = _key_problems(where, entry, _TYPE_KEYS)
    code = entry.get("code")
    if "code" in entry and not (isinstance(code, str) and _TYPE_CODE.fullmatch(code)):
        problems.append(f"{where}: 'code' must be a lower-case slug (a-z, 0-9, -), got {code!r}")
    for key in ("name_zh", "name_en", "number_label_zh"):
        if key in entry and not _text(entry[key]):
            problems.append(f"{where}: {key!r} must be non-empty text")
    kind = entry.get("authority_kind")
    if "authority_kind" in entry and not (
        isinstance(kind, str) and _AUTHORITY_KIND.fullmatch(kind)
    ):
        problems.append(f"{where}: 'authority_kind' must be a slug, got {kind!r}")
    segment = entry.get("id_type_code")
    if "id_type_code" in entry:
        why = id_type_code_problem(segment) if isinstance(segment, str) else "must be text"
        if why is not None:
            problems.append(f"{where}: id_type_code {segment!r} {why}")
    days = entry.get("default_validity_days")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
        problems.append(
            f"{where}: 'default_validity_days' must be a positive integer or null, got {days!r}"
        )
    problems.extend(_pattern_problems(f"{where} number_pattern", entry.get("number_pattern")))
    fields = entry.get("fields")
    if "fields" in entry and (not isinstance(fields, list) or not fields):
        problems.append(f"{where}: 'fields' must be a non-empty list")
    elif isinstance(fields, list):
        names: set[str] = set()
        for index, spec in enumerate(fields):
            problems.extend(_field_problems(f"{where} fields[{index}]", spec, names))
    return problems


def _field_problems(where: str, spec: object, names: set[str]) -> list[str]:
    if not isinstance(spec, dict):
        return [f"{where}: must be an object"]
    name = spec.get("name")
    if isinstance(name, str):
        where = f"{where} {name!r}"
    problems = _key_problems(where, spec, _FIELD_KEYS)
    if "name" in spec and not (isinstance(name, str) and _FIELD_NAME.fullmatch(name)):
        problems.append(f"{where}: 'name' must be snake_case (a-z, 0-9, _), got {name!r}")
    elif isinstance(name, str) and name in names:
        problems.append(f"{where}: duplicate field name {name!r}")
    elif isinstance(name, str):
        names.add(name)
    kind = spec.get("type")
    if "type" in spec and kind not in FIELD_TYPES:
        problems.append(
            f"{where}: unknown field type {kind!r} (one of {', '.join(sorted(FIELD_TYPES))})"
        )
    if "required" in spec and not isinstance(spec["required"], bool):
        problems.append(f"{where}: 'required' must be true or false")
    for key in ("label_zh", "label_en"):
        if key in spec and not _text(spec[key]):
            problems.append(f"{where}: {key!r} must be non-empty text")
    options = spec.get("options")
    if kind == "enum":
        if not (isinstance(options, list) and options and all(_text(o) for o in options)):
            problems.append(f"{where}: an enum needs 'options', a non-empty list of text")
        elif len(set(options)) != len(options):
            problems.append(f"{where}: 'options' has duplicates")
    elif "options" in spec:
        problems.append(f"{where}: 'options' is only for enum fields")
    for key in ("pattern", "max_length"):
        if key in spec and kind != "string":
            problems.append(f"{where}: {key!r} is only for string fields")
    problems.extend(_pattern_problems(f"{where} pattern", spec.get("pattern")))
    limit = spec.get("max_length")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        problems.append(f"{where}: 'max_length' must be a positive integer, got {limit!r}")
    return problems


def _key_problems(where: str, entry: dict[str, Any], keys: dict[str, bool]) -> list[str]:
    missing = [key for key, required in keys.items() if required and key not in entry]
    unknown = sorted(set(entry) - set(keys))
    return [f"{where}: missing {key!r}" for key in missing] + [
        f"{where}: unknown key {key!r}" for key in unknown
    ]


def _pattern_problems(where: str, pattern: object) -> list[str]:
    if pattern is None:
        return []
    if not isinstance(pattern, str):
        return [f"{where}: must be a regular expression (text)"]
    try:
        re.compile(pattern)
    except re.error as exc:
        return [f"{where}: {pattern!r} is not a valid regular expression ({exc})"]
    return []


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())
