"""Fill a service item's form and check its materials from the entity and its e-licences.

Only licences whose effective status at ``now`` is valid fill fields or satisfy materials.
When several valid licences of one type exist, the first in display order wins (catalogue
order, then licence number), so the choice is stable. Every filled field says where its value
came from; a value taken from a signed licence is read-only (the clerk may override it only
with a recorded reason, see counter.cases). A field whose licence is missing or not valid is
left empty with a note saying why, so the clerk knows what to ask for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from codeid.entities.models import Entity
from codeid.entities.service import get_entity
from counter.models import ServiceItem
from credentials.resolve import LicenceView, current_licence_views

VALID = "valid"

SATISFIED = "satisfied"
MISSING = "missing"
NOT_VALID = "not-valid"
TO_CHECK = "to-check"


def fill_form(
    session: Session, item: ServiceItem, uscc: str, *, now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The item's filled form and its materials checklist for the entity ``uscc`` at ``now``."""
    entity = get_entity(session, uscc)
    views = current_licence_views(session, entity.uscc, now=now)
    return build_form(item.form, entity, views), build_checklist(item.materials, views)


def build_form(
    template: Sequence[dict[str, Any]], entity: Entity, views: Sequence[LicenceView]
) -> list[dict[str, Any]]:
    """Pure: each template field with ``value``, ``source``, ``read_only`` and ``note``."""
    return [_fill_field(spec, entity, views) for spec in template]


def _fill_field(
    spec: dict[str, Any], entity: Entity, views: Sequence[LicenceView]
) -> dict[str, Any]:
    source = dict(spec.get("source") or {"kind": "clerk"})
    field: dict[str, Any] = {
        "name": spec["name"],
        "label_zh": spec.get("label_zh", ""),
        "label_en": spec.get("label_en", ""),
        "type": spec.get("type", "text"),
        "required": bool(spec.get("required", False)),
        "value": None,
        "source": source,
        "read_only": False,
        "note": None,
        "override_reason": None,
    }
    kind = source.get("kind")
    if kind == "entity":
        name = str(source.get("field", ""))
        if hasattr(entity, name) and name not in {"id", "check_override"}:
            field["value"] = _plain(getattr(entity, name))
            source["uscc"] = entity.uscc
        else:
            field["note"] = f"the entity record has no field {name!r}"
    elif kind == "licence":
        _fill_from_licence(field, source, views)
    else:
        field["source"] = {"kind": "clerk"}
    return field


def _fill_from_licence(
    field: dict[str, Any], source: dict[str, Any], views: Sequence[LicenceView]
) -> None:
    type_code = str(source.get("licence_type", ""))
    name = str(source.get("field", ""))
    view = _valid_view(views, type_code)
    if view is None:
        source["identifier"] = None
        field["note"] = _no_valid_licence(views, type_code)
        return
    source["identifier"] = view.identifier
    source["licence_number"] = view.licence_number
    field["read_only"] = True
    value = _licence_meta(view).get(name, view.fields.get(name))
    field["value"] = _plain(value)
    if value is None:
        field["note"] = f"licence {view.identifier} does not state {name!r}"


def _licence_meta(view: LicenceView) -> dict[str, Any]:
    """Pseudo-fields: the licence's own data beside its catalogue fields."""
    return {
        "licence_number": view.licence_number,
        "valid_from": view.valid_from,
        "valid_until": view.valid_until,
        "issuer_name": view.issuer_name,
    }


def build_checklist(
    materials: Sequence[dict[str, Any]], views: Sequence[LicenceView]
) -> list[dict[str, Any]]:
    """Pure: each required material with its ``state``, the ``licence`` used and ``why``."""
    return [_check_material(material, views) for material in materials]


def _check_material(material: dict[str, Any], views: Sequence[LicenceView]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "material": dict(material),
        "state": TO_CHECK,
        "licence": None,
        "status": None,
        "why": "a document: the clerk checks the paper or scan",
    }
    if material.get("kind") != "licence":
        return entry
    type_code = str(material.get("licence_type", ""))
    view = _valid_view(views, type_code)
    if view is not None:
        entry.update(
            state=SATISFIED,
            licence=view.identifier,
            status=VALID,
            why=f"no paper needed: e-licence {view.identifier} ({view.licence_number}) is valid",
        )
        return entry
    held = [v for v in views if v.type_code == type_code]
    if not held:
        entry.update(state=MISSING, why=f"no {type_code} licence on record for the entity")
        return entry
    best = held[0]  # views are ordered by status: the least bad comes first
    entry.update(
        state=NOT_VALID,
        licence=best.identifier,
        status=best.status,
        why=f"{type_code} licence {best.identifier} ({best.licence_number}) is {best.status}"
        + _period(best),
    )
    return entry


def _valid_view(views: Sequence[LicenceView], type_code: str) -> LicenceView | None:
    return next((v for v in views if v.type_code == type_code and v.status == VALID), None)


def _no_valid_licence(views: Sequence[LicenceView], type_code: str) -> str:
    held = [v for v in views if v.type_code == type_code]
    if not held:
        return f"no {type_code} licence on record: ask the clerk to fill it in"
    best = held[0]
    return f"{type_code} licence {best.identifier} is {best.status}{_period(best)}: not used"


def _period(view: LicenceView) -> str:
    if view.status == "expired" and view.valid_until is not None:
        return f" (valid until {view.valid_until.isoformat()})"
    if view.status == "not-yet-valid":
        return f" (valid from {view.valid_from.isoformat()})"
    return ""


def _plain(value: Any) -> Any:
    """JSON-friendly: dates as ISO strings, the rest unchanged."""
    return value.isoformat() if isinstance(value, date) else value
