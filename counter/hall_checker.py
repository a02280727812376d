"""The problem collector shared by the hall set-up checks (counter.hall_schema, hall_items).

Each check adds ``path: what is wrong`` and carries on, so one load reports every problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from credentials.catalogue import Catalogue


class Checker:
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
