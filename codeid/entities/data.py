"""What a registration or an import row says about an entity, and its validation.

Shared by the registry service and the bulk importer; pure (no database).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

from codeid.entities.errors import InvalidEntityDate, InvalidEntityField, UnknownEntityType
from codeid.entities.models import EntityType
from codeid.uscc import Uscc, parse_uscc


@dataclass(frozen=True, slots=True)
class EntityData:
    """What a registration (or an import row) says about an entity."""

    uscc: str
    name: str
    entity_type: str  # an EntityType value
    legal_representative: str = ""
    registered_address: str = ""
    registration_authority: str = ""
    date_established: date | None = None


ENTITY_FIELDS = tuple(f.name for f in fields(EntityData))
REQUIRED_FIELDS = ("uscc", "name", "entity_type")
# Fields update_entity may change; the USCC is the identity and status has its own verbs.
UPDATABLE_FIELDS = frozenset(ENTITY_FIELDS) - {"uscc"}
_MAX_LENGTHS = {
    "name": 200,
    "legal_representative": 100,
    "registered_address": 300,
    "registration_authority": 200,
}
_ENTITY_TYPES = {t.value for t in EntityType}
_TEXT_FIELDS = tuple(name for name in ENTITY_FIELDS if name not in ("uscc", "date_established"))


def entity_data_from_row(row: Mapping[str, Any]) -> EntityData:
    """An EntityData from a raw mapping (a CSV or JSON row): shape and types only.

    Missing or null text fields become ""; dates are ISO strings (YYYY-MM-DD).
    """
    unknown = [k for k in row if k not in ENTITY_FIELDS]
    if unknown:
        raise InvalidEntityField(
            f"unknown field(s): {', '.join(map(str, unknown))}; "
            f"allowed: {', '.join(ENTITY_FIELDS)}",
            fields=[str(k) for k in unknown],
        )
    values: dict[str, Any] = {}
    for name in ENTITY_FIELDS:
        value = row.get(name)
        if name == "date_established":
            values[name] = _to_date(value)
            continue
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InvalidEntityField(
                f"{name} must be a string, got {type(value).__name__}", field=name
            )
        values[name] = value  # stripped by clean_entity_data
    return EntityData(**values)


def _to_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise InvalidEntityDate(
            f"date_established must be an ISO date string, got {type(value).__name__}"
        )
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidEntityDate(
            f"date_established {value!r} is not a date in the form YYYY-MM-DD", value=value
        ) from None


def clean_entity_data(
    data: EntityData, *, today: date, allow_check_override: bool = False
) -> tuple[EntityData, Uscc]:
    """Validate ``data``; return it normalised (stripped text, canonical USCC and type, date
    parsed from an ISO string if given as one) together with the parsed USCC."""
    parsed = parse_uscc(data.uscc, allow_check_override=allow_check_override)
    texts: dict[str, str] = {}
    for name in _TEXT_FIELDS:
        value = getattr(data, name)
        if not isinstance(value, str):
            raise InvalidEntityField(
                f"{name} must be a string, got {type(value).__name__}", field=name
            )
        if "\x00" in value:  # PostgreSQL cannot store NUL in text
            raise InvalidEntityField(f"{name} contains a NUL character", field=name)
        texts[name] = value.strip()
    for name in REQUIRED_FIELDS[1:]:
        if not texts[name]:
            raise InvalidEntityField(f"{name} must not be empty", field=name)
    for name, limit in _MAX_LENGTHS.items():
        if len(texts[name]) > limit:
            raise InvalidEntityField(
                f"{name} is {len(texts[name])} characters long, at most {limit} allowed",
                field=name,
            )
    texts["entity_type"] = texts["entity_type"].lower()
    if texts["entity_type"] not in _ENTITY_TYPES:
        raise UnknownEntityType(
            f"entity_type {data.entity_type!r} is not one of: {', '.join(sorted(_ENTITY_TYPES))}",
            value=data.entity_type,
        )
    established = _to_date(data.date_established)
    # One day of slack: registrations are dated in China (UTC+8), ``today`` is the UTC date.
    if established is not None and established > today + timedelta(days=1):
        raise InvalidEntityDate(
            f"date_established {established.isoformat()} is in the future",
            value=established.isoformat(),
        )
    return EntityData(uscc=parsed.code, date_established=established, **texts), parsed
