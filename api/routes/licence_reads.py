"""Reading, verifying and matching licences: the read paths staff, departments, businesses
and partner clients share.

Who sees a licence's contents is api.licence_access (a partner: with the holder's consent);
partners state a ``purpose``; every call, and every refused read, is one access-log entry
naming the fields returned (api.partner_access).
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from api.auth import Allow, Principal
from api.deps import NowDep, RuntimeDep, SessionDep
from api.licence_access import readable_licences
from api.licence_schemas import LicenceEventOut, LicenceOut, MatchOut
from api.licence_views import licence_out
from api.partner_access import (
    PurposeQuery,
    guard_licence_read,
    licence_names,
    licence_verdict,
    log_access,
    require_purpose,
)
from api.partner_schemas import LicenceVerdictView, LicenceVerifyPurposeIn, MatchPurposeIn
from api.runtime import Runtime
from codeid.accounts.models import Role
from codeid.uscc import normalise_uscc
from credentials.errors import LicenceNotFound
from credentials.licence_verify import match_licence, verify_licence
from credentials.licences import get_licence, licence_history, list_licences
from credentials.models import Licence

router = APIRouter(prefix="/v1", tags=["licences"])
ReaderDep = Annotated[
    Principal,
    Depends(Allow(Role.ADMIN, Role.CLERK, Role.ISSUER, Role.BUSINESS, scopes={"licences:read"})),
]
LicenceVerifierDep = Annotated[
    Principal,
    Depends(Allow(Role.ADMIN, Role.CLERK, Role.ISSUER, Role.BUSINESS, scopes={"licences:verify"})),
]


@router.get("/licences", response_model=list[LicenceOut])
def by_holder(
    principal: ReaderDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    holder: Annotated[str, Query(min_length=1, max_length=18, description="holder's USCC")],
    purpose: PurposeQuery = None,
    history: bool = False,
) -> list[LicenceOut]:
    """A holder's licences, as far as the caller may read them (a partner: the types the
    holder consented to)."""
    why = require_purpose(principal, purpose)
    found = list_licences(session, holder_uscc=holder, include_history=history)
    readable = readable_licences(session, principal, found, now=now)
    holder = normalise_uscc(holder)
    log_access(
        runtime.engine,
        principal,
        now=now,
        action="licence.read",
        outcome="ok",
        purpose=why,
        subject_uscc=holder,
        resource=f"holder:{holder}",
        fields=licence_names(readable),
    )
    return [licence_out(licence, now=now) for licence in readable]


@router.get("/licences/{identifier}", response_model=LicenceOut)
def read(
    identifier: str,
    principal: ReaderDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    purpose: PurposeQuery = None,
) -> LicenceOut:
    licence = _readable(identifier, "licence.read", principal, session, runtime, now, purpose)
    return licence_out(licence, now=now)


@router.get("/licences/{identifier}/events", response_model=list[LicenceEventOut])
def events(
    identifier: str,
    principal: ReaderDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    purpose: PurposeQuery = None,
) -> list[LicenceEventOut]:
    _readable(identifier, "licence.events", principal, session, runtime, now, purpose)
    return [LicenceEventOut.model_validate(e) for e in licence_history(session, identifier)]


def _readable(
    identifier: str,
    action: str,
    principal: Principal,
    session: Session,
    runtime: Runtime,
    now: datetime,
    purpose: str | None,
) -> Licence:
    """The licence, if this caller may read it; the read (or the refusal) is logged."""
    why = require_purpose(principal, purpose)
    licence = get_licence(session, identifier)
    engine = runtime.engine
    guard_licence_read(engine, session, principal, licence, action=action, purpose=why, now=now)
    fields = licence_names([licence]) if action == "licence.read" else ["events"]
    log_access(
        engine,
        principal,
        now=now,
        action=action,
        outcome="ok",
        purpose=why,
        subject_uscc=licence.holder_uscc,
        resource=f"licence:{licence.identifier}",
        fields=fields,
    )
    return licence


@router.post("/licences/verify", response_model=LicenceVerdictView)
def verify(
    body: LicenceVerifyPurposeIn,
    principal: LicenceVerifierDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> LicenceVerdictView:
    """Signature, trust, status and dates at now; a refused licence is a 200 with its reason.
    The licence's contents go only to callers who may read it (api.partner_access)."""
    why = require_purpose(principal, body.purpose)
    verdict = verify_licence(session, body.licence, now=now)
    answer, fields = licence_verdict(session, principal, verdict, now=now)
    licence = verdict.licence
    log_access(
        runtime.engine,
        principal,
        now=now,
        action="licence.verify",
        outcome=verdict.reason,
        purpose=why,
        subject_uscc=licence.holder_uscc if licence else None,
        resource=f"licence:{licence.identifier}" if licence else "licence",
        fields=fields,
    )
    return answer


@router.post("/licences/match", response_model=MatchOut)
def match(
    body: MatchPurposeIn,
    principal: LicenceVerifierDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> MatchOut:
    """Per-field match / no match; the stored values are never disclosed."""
    log = partial(
        log_access,
        runtime.engine,
        principal,
        now=now,
        action="licence.match",
        purpose=require_purpose(principal, body.purpose),
        subject_uscc=normalise_uscc(body.holder_uscc),
        resource=f"type:{body.licence_type}",
    )
    try:
        matches = match_licence(
            session,
            holder_uscc=body.holder_uscc,
            licence_type=body.licence_type,
            fields=body.fields,
            now=now,
        )
    except LicenceNotFound:
        log(outcome="no-valid-licence")
        raise
    log(outcome="ok", fields=[f"match.{name}" for name in matches])
    return MatchOut(matches=matches)
