"""Option values the CLI parses itself, with one-line errors that name the option."""

from __future__ import annotations

from datetime import date

from api.cli.output import CliFailure


def iso_date(text: str | None, option: str) -> date | None:
    """YYYY-MM-DD, or None when the option was not given."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CliFailure(f"{option}: {exc}") from exc


def name_value_pairs(items: list[str] | None, option: str) -> dict[str, str]:
    """Repeated NAME=VALUE options as a mapping (a later NAME wins)."""
    pairs: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CliFailure(f"{option} takes NAME=VALUE, not {item!r}")
        pairs[name.strip()] = value
    return pairs
