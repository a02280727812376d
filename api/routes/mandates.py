"""Mandates over HTTP: who acts for a business (legal representative, licence administrators,
agents), and the dynamic codes a person obtains to act for it.

Who may grant or revoke what is decided in codeid.mandates.service; the routes only say which
kinds of caller may try (administrators and business users).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlmodel import Session, select

from api.auth import AdminDep, Allow, Principal, require_entity_access
from api.counter_schemas import ActingOut, PathId
from api.deps import NowDep, RuntimeDep, SessionDep
from api.mandate_schemas import (
    AdministratorIn,
    AgentIn,
    HolderIn,
    LegalRepIn,
    MandateOut,
    MyCodeIn,
    MyCodeOut,
    MyEntityOut,
    RevokedOut,
    RevokeMandateIn,
    UsccPath,
)
from api.views import issued_out
from codeid.accounts.errors import Forbidden
from codeid.accounts.models import Role, UserAccount
from codeid.accounts.users import find_user, get_user
from codeid.codes.payload import CodeKind
from codeid.codes.qr import render_png, render_svg
from codeid.mandates.acting import acting_mandate, describe, get_mandate
from codeid.mandates.listing import entities_of, visible_mandates
from codeid.mandates.models import Mandate, MandateRole
from codeid.mandates.service import (
    appoint_administrator,
    authorise_agent,
    bind_legal_representative,
    revoke_mandate,
)
from counter.models import ServiceItem

router = APIRouter(prefix="/v1", tags=["mandates"])
BusinessDep = Annotated[Principal, Depends(Allow(Role.BUSINESS))]
AdminOrBusinessDep = Annotated[Principal, Depends(Allow(Role.ADMIN, Role.BUSINESS))]


def code_mandate(
    session: Session, principal: Principal, uscc: str, kind: CodeKind, now: datetime
) -> int | None:
    """The mandate a code for ``uscc`` must name: none for staff; for a business user, the
    mandate it acts under (dynamic codes). Agents act in person: no static codes for them."""
    if require_entity_access(session, principal, uscc, now) is None:
        return None
    assert principal.user_id is not None
    mandate = acting_mandate(session, user_id=principal.user_id, uscc=uscc, now=now)
    assert mandate is not None and mandate.id is not None  # require_entity_access found one
    if kind is CodeKind.STATIC:
        if mandate.role == MandateRole.AGENT.value:
            raise Forbidden("an agent obtains dynamic codes only; a static code is the entity's")
        return None
    return mandate.id


@router.get("/me/entities", response_model=list[MyEntityOut])
def my_entities(principal: BusinessDep, session: SessionDep, now: NowDep) -> list[MyEntityOut]:
    """The entities I hold a mandate for now, each with that mandate."""
    assert principal.user_id is not None
    rows = entities_of(session, user_id=principal.user_id, now=now)
    views = describe(session, [mandate for _, mandate in rows], now=now)
    return [
        MyEntityOut(
            uscc=entity.uscc,
            name=entity.name,
            status=entity.status,
            mandate=MandateOut.model_validate(view),
        )
        for (entity, _), view in zip(rows, views, strict=True)
    ]


@router.post("/me/codes", status_code=201, response_model=MyCodeOut)
def my_code(
    body: MyCodeIn, principal: BusinessDep, session: SessionDep, runtime: RuntimeDep, now: NowDep
) -> MyCodeOut:
    """A dynamic code naming my mandate for the entity: a window sees who acts, and for what."""
    uscc = body.uscc.strip().upper()
    mandate_id = code_mandate(session, principal, uscc, CodeKind.DYNAMIC, now)
    assert mandate_id is not None
    issued = runtime.issue_code(
        session, uscc=uscc, kind=CodeKind.DYNAMIC, now=now, mandate_id=mandate_id
    )
    acting = describe(session, [get_mandate(session, mandate_id)], now=now)[0]
    image = None
    if body.image == "svg":
        image = _data_uri("image/svg+xml", render_svg(issued.payload, scale=4))
    elif body.image == "png":
        image = _data_uri("image/png", render_png(issued.payload, scale=8))
    return MyCodeOut(
        **issued_out(issued).model_dump(), acting=ActingOut.model_validate(acting), image=image
    )


@router.post("/entities/{uscc}/legal-representative", status_code=201, response_model=MandateOut)
def bind_legal_rep(
    uscc: UsccPath, body: LegalRepIn, admin: AdminDep, session: SessionDep, now: NowDep
) -> MandateOut:
    """Bind the entity's legal representative; the previous one's mandate ends at once."""
    mandate = bind_legal_representative(
        session,
        uscc=uscc,
        user=_holder(session, body),
        by=_user(session, admin),
        now=now,
        valid_until=body.valid_until,
    )
    return _out(session, mandate, now)


@router.get("/entities/{uscc}/mandates", response_model=list[MandateOut])
def mandates(
    uscc: UsccPath, principal: AdminOrBusinessDep, session: SessionDep, now: NowDep
) -> list[MandateOut]:
    """Administrators, the legal representative and licence administrators see every
    mandate of the entity (ended ones too); an agent sees its own."""
    shown = visible_mandates(session, uscc, viewer=_user(session, principal), now=now)
    return [MandateOut.model_validate(view) for view in describe(session, shown, now=now)]


@router.post("/entities/{uscc}/administrators", status_code=201, response_model=MandateOut)
def appoint(
    uscc: UsccPath, body: AdministratorIn, principal: BusinessDep, session: SessionDep, now: NowDep
) -> MandateOut:
    """The legal representative appoints a licence administrator (at most five)."""
    mandate = appoint_administrator(
        session,
        uscc=uscc,
        user=_holder(session, body),
        by=_user(session, principal),
        now=now,
        valid_until=body.valid_until,
    )
    return _out(session, mandate, now)


@router.post("/entities/{uscc}/agents", status_code=201, response_model=MandateOut)
def authorise(
    uscc: UsccPath, body: AgentIn, principal: BusinessDep, session: SessionDep, now: NowDep
) -> MandateOut:
    """The legal representative or a licence administrator authorises an agent for a term,
    for all business (empty scope) or for the named service items of the hall."""
    known = set(session.exec(select(ServiceItem.code)).all())
    mandate = authorise_agent(
        session,
        uscc=uscc,
        user=_holder(session, body),
        by=_user(session, principal),
        scope=body.scope,
        valid_from=body.valid_from or now,
        valid_until=body.valid_until,
        now=now,
        known_items=known or None,
    )
    return _out(session, mandate, now)


@router.get("/mandates/{mandate_id}", response_model=MandateOut)
def read_mandate(
    mandate_id: PathId, principal: AdminOrBusinessDep, session: SessionDep, now: NowDep
) -> MandateOut:
    mandate = get_mandate(session, mandate_id)
    shown = visible_mandates(session, mandate.uscc, viewer=_user(session, principal), now=now)
    if mandate not in shown:
        raise Forbidden(f"you may not see mandate {mandate_id}")
    return _out(session, mandate, now)


@router.post("/mandates/{mandate_id}/revoke", response_model=RevokedOut)
def revoke(
    mandate_id: PathId,
    body: RevokeMandateIn,
    principal: AdminOrBusinessDep,
    session: SessionDep,
    now: NowDep,
) -> RevokedOut:
    """End a mandate at once: codes naming it are refused from now on."""
    ended = revoke_mandate(
        session,
        mandate_id,
        by=_user(session, principal),
        now=now,
        reason=body.reason,
        include_agents=body.include_agents,
    )
    return RevokedOut(
        revoked=[MandateOut.model_validate(v) for v in describe(session, ended, now=now)]
    )


def _user(session: Session, principal: Principal) -> UserAccount:
    assert principal.user_id is not None  # Allow() admits users only here
    return get_user(session, principal.user_id)


def _holder(session: Session, body: HolderIn) -> UserAccount:
    if body.user_id is not None:
        return get_user(session, body.user_id)
    assert body.username is not None
    return find_user(session, body.username)


def _out(session: Session, mandate: Mandate, now: datetime) -> MandateOut:
    return MandateOut.model_validate(describe(session, [mandate], now=now)[0])


def _data_uri(media_type: str, content: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode('ascii')}"
