"""The checks every grant of a mandate goes through: who may hold one, its term, its scope."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from codeid.accounts.models import Role, UserAccount, UserStatus
from codeid.mandates.errors import InvalidScope, InvalidTerm, NotABusinessUser

MAX_SCOPE_ITEMS = 100
MAX_ITEM_CODE = 40


def check_holder(user: UserAccount) -> None:
    if user.role != Role.BUSINESS.value:
        raise NotABusinessUser(
            f"{user.username} is a {user.role} user; mandates are held by business users",
            username=user.username,
        )
    if user.status != UserStatus.ACTIVE.value:
        raise NotABusinessUser(f"{user.username}'s account is {user.status}")


def check_term(
    start: datetime, end: datetime | None, *, now: datetime, required: bool = False
) -> datetime | None:
    """The term's end in UTC, checked: after its start and in the future."""
    if end is None:
        if required:
            raise InvalidTerm("an agent is authorised for a term: give valid_until")
        return None
    end = utc(end)
    if end <= start or end <= now:
        raise InvalidTerm("the term must end after it starts, and in the future")
    return end


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise InvalidTerm("the term's times must be timezone-aware")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidTerm("the term's times must be within years 1 to 9999 in UTC") from None


def clean_scope(scope: Sequence[str], known: Collection[str] | None) -> list[str]:
    items = sorted({code.strip() for code in scope})
    if any(not code or not code.isprintable() for code in items):
        raise InvalidScope("a scope lists service item codes, printable and not empty")
    if len(items) > MAX_SCOPE_ITEMS or any(len(c) > MAX_ITEM_CODE for c in items):
        raise InvalidScope(
            f"a scope lists at most {MAX_SCOPE_ITEMS} codes of at most {MAX_ITEM_CODE} characters"
        )
    unknown = [c for c in items if known is not None and c not in known]
    if unknown:
        raise InvalidScope(f"no service item {', '.join(unknown)} in the hall", items=unknown)
    return items
