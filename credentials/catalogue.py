"""Licence types as data: the catalogue file, its validation at load, field checks.

The shipped catalogue is ``licence_types.json`` next to this module. A type's fields are a
small schema (string, date, integer, number, boolean, enum); ``check_fields`` validates and
normalises a licence's fields against it so the stored and signed values are canonical (dates
as ``YYYY-MM-DD``, numbers as JSON numbers). Loading refuses a malformed file with every
problem listed, so a bad edit fails at start, not at the first licence of that type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from credentials.catalogue_schema import FIELD_TYPES, catalogue_problems
from credentials.errors import CatalogueError, InvalidLicenceFields, UnknownLicenceType

__all__ = [
    "DEFAULT_PATH",
    "FIELD_TYPES",
    "Catalogue",
    "CatalogueError",
    "FieldSpec",
    "LicenceType",
    "default_catalogue",
    "load_catalogue",
]

DEFAULT_PATH = Path(__file__).with_name("licence_types.json")
DEFAULT_MAX_LENGTH = 1000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
_TRUE = frozenset({"true", "1", "yes", "是"})
_FALSE = frozenset({"false", "0", "no", "否"})


class _Problem(Exception):
    """One field's value is unacceptable; collected into InvalidLicenceFields."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    required: bool
    label_zh: str
    label_en: str
    options: tuple[str, ...] = ()
    pattern: str | None = None  # full match, strings only
    max_length: int | None = None  # strings only; DEFAULT_MAX_LENGTH when unset

    def normalise(self, value: Any) -> Any:
        """The canonical value, or None when absent (None or blank); raises _Problem."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return getattr(self, f"_as_{self.type}")(value)

    def _as_string(self, value: Any) -> str:
        if not isinstance(value, str):
            raise _Problem(f"expected text, got {type(value).__name__}")
        text = value.strip()
        limit = self.max_length or DEFAULT_MAX_LENGTH
        if len(text) > limit:
            raise _Problem(f"{len(text)} characters, at most {limit} allowed")
        if self.pattern is not None and not re.fullmatch(self.pattern, text):
            raise _Problem(f"{text!r} does not have the expected form ({self.pattern})")
        return text

    def _as_date(self, value: Any) -> str:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, str) and _DATE.fullmatch(value.strip()):
            try:
                return date.fromisoformat(value.strip()).isoformat()
            except ValueError as exc:
                raise _Problem(f"{value!r} is not a real date ({exc})") from None
        raise _Problem(f"expected a date YYYY-MM-DD, got {value!r}")

    def _as_integer(self, value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            return int(value)
        raise _Problem(f"expected an integer, got {value!r}")

    def _as_number(self, value: Any) -> int | float:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value == value and abs(value) != float("inf"):
            return int(value) if value.is_integer() else value
        if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            return float(value) if "." in value else int(value)
        raise _Problem(f"expected a number, got {value!r}")

    def _as_boolean(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _Problem(f"expected true or false, got {value!r}")

    def _as_enum(self, value: Any) -> str:
        if isinstance(value, str) and value.strip() in self.options:
            return value.strip()
        raise _Problem(f"{value!r} is not one of {', '.join(self.options)}")

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
        }
        if self.options:
            doc["options"] = list(self.options)
        if self.type == "string":
            doc["max_length"] = self.max_length or DEFAULT_MAX_LENGTH
        if self.pattern is not None:
            doc["pattern"] = self.pattern
        return doc


@dataclass(frozen=True)
class LicenceType:
    code: str
    name_zh: str
    name_en: str
    authority_kind: str
    id_type_code: str
    fields: tuple[FieldSpec, ...]
    default_validity_days: int | None
    number_label_zh: str = "许可证编号"
    number_pattern: str | None = None  # full match for the licence number, when known

    def field(self, name: str) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.name == name), None)

    def check_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Validated, normalised fields in schema order; InvalidLicenceFields lists all faults."""
        problems: list[str] = []
        known = {spec.name for spec in self.fields}
        problems.extend(
            f"unknown field {name!r} (a {self.code} has: {', '.join(sorted(known))})"
            for name in sorted(set(values) - known)
        )
        result: dict[str, Any] = {}
        for spec in self.fields:
            try:
                value = spec.normalise(values.get(spec.name))
            except _Problem as exc:
                problems.append(f"field {spec.name!r} ({spec.label_zh}): {exc}")
                continue
            if value is not None:
                result[spec.name] = value
            elif spec.required:
                problems.append(f"field {spec.name!r} ({spec.label_zh}) is required")
        if problems:
            raise InvalidLicenceFields(
                f"fields of {self.code} ({self.name_zh}) are invalid: {'; '.join(problems)}",
                problems=problems,
                licence_type=self.code,
            )
        return result

    def check_number(self, number: str) -> str:
        """The licence number, stripped; refused when it does not have this type's form."""
        text = number.strip()
        problem = None
        if not text or len(text) > 64:
            problem = "a licence number has 1 to 64 characters"
        elif self.number_pattern is not None and not re.fullmatch(self.number_pattern, text):
            problem = f"{text!r} is not a {self.number_label_zh} ({self.number_pattern})"
        if problem is not None:
            raise InvalidLicenceFields(
                f"licence number of {self.code}: {problem}",
                problems=[problem],
                licence_type=self.code,
            )
        return text

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "authority_kind": self.authority_kind,
            "id_type_code": self.id_type_code,
            "default_validity_days": self.default_validity_days,
            "number_label_zh": self.number_label_zh,
            "number_pattern": self.number_pattern,
            "fields": [spec.as_json() for spec in self.fields],
        }


class Catalogue:
    def __init__(self, types: Sequence[LicenceType]) -> None:
        self._by_code = {t.code: t for t in types}
        self._by_id_type = {t.id_type_code: t for t in types}
        if len(self._by_code) != len(types) or len(self._by_id_type) != len(types):
            raise CatalogueError("licence type codes and id_type_codes must be unique")

    def get(self, code: str) -> LicenceType:
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownLicenceType(
                f"unknown licence type {code!r}; known types: {', '.join(self._by_code)}",
                licence_type=code,
            ) from None

    def by_id_type_code(self, segment: str) -> LicenceType:
        try:
            return self._by_id_type[segment]
        except KeyError:
            raise UnknownLicenceType(
                f"no licence type in the catalogue has identifier type code {segment!r}",
                id_type_code=segment,
            ) from None

    def types(self) -> list[LicenceType]:
        return list(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[LicenceType]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def as_json(self) -> list[dict[str, Any]]:
        return [t.as_json() for t in self]


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and validate a catalogue file; CatalogueError lists every problem found."""
    path = path or DEFAULT_PATH
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(f"cannot read licence catalogue {path}: {exc.strerror}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"licence catalogue {path} is not valid JSON: {exc}") from exc
    problems = catalogue_problems(doc)
    if problems:
        raise CatalogueError(
            f"licence catalogue {path.name} is invalid: {'; '.join(problems)}",
            problems=problems,
            path=str(path),
        )
    return Catalogue([_licence_type(entry) for entry in doc["types"]])


@cache
def default_catalogue() -> Catalogue:
    """The shipped catalogue, loaded once per process."""
    return load_catalogue(DEFAULT_PATH)


def _licence_type(entry: dict[str, Any]) -> LicenceType:
    """Build one type from an entry that catalogue_problems found valid."""
    fields = tuple(
        FieldSpec(
            name=f["name"],
            type=f["type"],
            required=f["required"],
            label_zh=f["label_zh"],
            label_en=f["label_en"],
            options=tuple(f.get("options", ())),
            pattern=f.get("pattern"),
            max_length=f.get("max_length"),
        )
        for f in entry["fields"]
    )
    return LicenceType(
        code=entry["code"],
        name_zh=entry["name_zh"],
        name_en=entry["name_en"],
        authority_kind=entry["authority_kind"],
        id_type_code=entry["id_type_code"],
        fields=fields,
        default_validity_days=entry["default_validity_days"],
        number_label_zh=entry.get("number_label_zh") or "许可证编号",
        number_pattern=entry.get("number_pattern"),
    )
