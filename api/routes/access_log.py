"""The access log: a business's view of who read its entity, an administrator's search, and
the hash chain's check."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel
from sqlmodel import Session, col, select

from api.access_record import field_names, logged_read, on_behalf_of
from api.auth import AdminDep, Allow, Principal, require_entity_access
from api.counter_schemas import MAX_ID
from api.deps import NowDep, RuntimeDep, SessionDep
from codeid.accounts.models import Role, UserAccount
from codeid.audit.log import verify_chain
from codeid.audit.models import AccessEvent
from codeid.audit.search import MAX_LIMIT, AccessPage, for_entity, search
from codeid.uscc import parse_uscc
from credentials.models import PartnerClient

router = APIRouter(tags=["access log"])

# Printable text only: filters are compared with stored text, and NUL never is text.
TEXT = r"^[^\x00-\x1f\x7f]*$"
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="next_cursor of the previous page")
]
Since = Annotated[AwareDatetime | None, Query(description="from this time (inclusive)")]
Until = Annotated[AwareDatetime | None, Query(description="before this time (exclusive)")]


class AccessEntryOut(BaseModel):
    id: int
    at: datetime
    actor_kind: str
    actor: str
    actor_name: str = ""  # the user's or partner's name, when known
    actor_role: str
    on_behalf_of: str
    purpose: str
    action: str
    subject_uscc: str | None
    resource: str
    fields: list[str]
    outcome: str
    entry_hash: str


class AccessLogPage(BaseModel):
    items: list[AccessEntryOut]
    next_cursor: int | None


class ChainReportOut(BaseModel):
    intact: bool
    checked: int
    first_broken_id: int | None
    reason: str


@router.get("/v1/entities/{uscc}/access-log", response_model=AccessLogPage)
def entity_access_log(
    uscc: str,
    principal: Annotated[Principal, Depends(Allow(Role.ADMIN, Role.BUSINESS))],
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AccessLogPage:
    """Who accessed this entity's data, newest first: for a business user holding a mandate
    for it, and for administrators. Reading the log is itself logged."""
    with logged_read(runtime.engine, principal, action="access_log.read", now=now) as log:
        code = parse_uscc(uscc, allow_check_override=True).code
        log.subject_uscc = code
        log.on_behalf_of = on_behalf_of(require_entity_access(session, principal, code, now))
        page = for_entity(session, code, since=since, until=until, limit=limit, cursor=cursor)
        log.fields = field_names(AccessEntryOut)
    return _page_out(session, page)


@router.get("/v1/access-log", response_model=AccessLogPage)
def search_access_log(
    admin: AdminDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    uscc: Annotated[str | None, Query(max_length=18, pattern=TEXT)] = None,
    actor: Annotated[
        str | None, Query(max_length=100, pattern=TEXT, description='e.g. "user:12"')
    ] = None,
    action: Annotated[
        str | None, Query(max_length=40, pattern=TEXT, description='e.g. "entity.read"')
    ] = None,
    outcome: Annotated[
        str | None, Query(max_length=40, pattern=TEXT, description='"ok" or a refusal')
    ] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AccessLogPage:
    """Search the whole log (administrators), newest first; every filter is exact."""
    with logged_read(runtime.engine, admin, action="access_log.search", now=now) as log:
        code = parse_uscc(uscc, allow_check_override=True).code if uscc is not None else None
        log.subject_uscc = code
        page = search(
            session,
            uscc=code,
            actor=actor,
            action=action,
            outcome=outcome,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )
        log.fields = field_names(AccessEntryOut)
    return _page_out(session, page)


@router.get("/v1/access-log/verify", response_model=ChainReportOut)
def verify_access_log(_admin: AdminDep, session: SessionDep) -> ChainReportOut:
    """Walk the hash chain; name the first entry that was changed, removed or moved."""
    report = verify_chain(session)
    return ChainReportOut(
        intact=report.intact,
        checked=report.checked,
        first_broken_id=report.first_broken_id,
        reason=report.reason,
    )


def _page_out(session: Session, page: AccessPage) -> AccessLogPage:
    names = _actor_names(session, page.items)
    return AccessLogPage(
        items=[
            AccessEntryOut.model_validate(
                {**event.model_dump(), "actor_name": names.get(event.actor, "")}
            )
            for event in page.items
        ],
        next_cursor=page.next_cursor,
    )


def _actor_names(session: Session, events: Iterable[AccessEvent]) -> dict[str, str]:
    """Display names for "user:<id>" and "client:<client_id>" actors, in two queries."""
    user_ids: set[int] = set()
    client_ids: set[str] = set()
    for event in events:
        kind, _, key = event.actor.partition(":")
        if kind == "user" and key.isascii() and key.isdigit():
            user_ids.add(int(key))
        elif kind == "client" and key:
            client_ids.add(key)
    names: dict[str, str] = {}
    if user_ids:
        users = session.exec(select(UserAccount).where(col(UserAccount.id).in_(user_ids)))
        names.update({f"user:{u.id}": u.display_name or u.username for u in users})
    if client_ids:
        clients = session.exec(
            select(PartnerClient).where(col(PartnerClient.client_id).in_(client_ids))
        )
        names.update({f"client:{c.client_id}": c.name for c in clients})
    return names
