"""A department's own licences, newest first, paged by id and filtered (both DBs)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from codeid.errors import InvalidInput
from credentials.issuer_licences import issuer_licences
from credentials.licences import suspend_licence
from tests.credentials.licence_world import (
    ISSUER,
    NOW,
    OTHER_HOLDER,
    OTHER_ISSUER,
    amend_address,
    food_number,
    issue_food,
    make_world,
)


def _ids(session: Session, **filters: Any) -> list[str]:
    page = issuer_licences(session, issuer_uscc=ISSUER, **filters)
    return [licence.identifier for licence in page.items]


def test_pages_run_newest_first_and_filter(session: Session) -> None:
    world = make_world(session)
    first, second, third = (issue_food(session, world, food_number(n)) for n in (1, 2, 3))
    other = issue_food(session, world, food_number(4), holder=OTHER_HOLDER)
    page = issuer_licences(session, issuer_uscc=ISSUER, limit=3)
    assert [x.identifier for x in page.items] == [
        other.identifier,
        third.identifier,
        second.identifier,
    ]
    rest = issuer_licences(session, issuer_uscc=ISSUER, limit=3, cursor=page.next_cursor)
    assert [x.identifier for x in rest.items] == [first.identifier] and rest.next_cursor is None

    suspend_licence(
        session, second.identifier, issuer=world.issuer, reason="检查", actor="t", now=NOW
    )
    amended = amend_address(session, world, first.identifier, "杭州市西湖区文二路2号")
    assert _ids(session, status="suspended") == [second.identifier]
    assert _ids(session, status="superseded") == [first.identifier]
    assert _ids(session) == [
        amended.identifier,
        other.identifier,
        third.identifier,
        second.identifier,
    ]
    assert _ids(session, holder_uscc=OTHER_HOLDER.lower()) == [other.identifier]
    assert _ids(session, licence_type="business-licence") == []
    assert issuer_licences(session, issuer_uscc=OTHER_ISSUER).items == []


@pytest.mark.parametrize(("status", "limit"), [("expired", 50), ("current", 0), ("valid", 201)])
def test_unknown_status_or_limit_is_refused(session: Session, status: str, limit: int) -> None:
    with pytest.raises(InvalidInput):
        issuer_licences(session, issuer_uscc=ISSUER, status=status, limit=limit)
