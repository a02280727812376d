"""Electronic licences: issue and change (the owning department only); the catalogue.

Reading, verifying and matching licences are in api.routes.licence_reads."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, UploadFile
from sqlmodel import Session

from api.auth import IssuerDep, allow
from api.deps import NowDep, RuntimeDep, SessionDep
from api.licence_schemas import (
    AmendIn,
    LicenceIn,
    LicenceOut,
    ReasonIn,
    RevokeLicenceIn,
)
from api.licence_views import import_report_out, licence_out
from codeid.entities.readers import read_entity_stream
from codeid.errors import InvalidInput
from credentials.catalogue import default_catalogue
from credentials.licence_import import import_licences
from credentials.licences import (
    amend_licence,
    issue_licence,
    resume_licence,
    revoke_licence,
    suspend_licence,
)
from credentials.models import Issuer, Licence

router = APIRouter(prefix="/v1", tags=["licences"])
StatusChange = Callable[..., Licence]  # suspend_licence, resume_licence, revoke_licence


@router.get("/licence-types", dependencies=[allow(public=True)])
def licence_types() -> list[dict[str, object]]:
    """The catalogue: each type's code, names, issuing authority kind and field schema."""
    return [t.as_json() for t in default_catalogue().types()]


@router.post("/licences", status_code=201, response_model=LicenceOut)
def issue(
    body: LicenceIn, issuer: IssuerDep, session: SessionDep, runtime: RuntimeDep, now: NowDep
) -> LicenceOut:
    licence = issue_licence(
        session,
        issuer=issuer,
        licence_type=body.licence_type,
        holder_uscc=body.holder_uscc,
        licence_number=body.licence_number,
        fields=body.fields,
        issue_date=body.issue_date,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        signer=runtime.issuer_signer(session, issuer),
        actor=f"issuer:{issuer.uscc}",
        now=now,
    )
    return licence_out(licence, now=now)


@router.post("/licences/{identifier}/amend", status_code=201, response_model=LicenceOut)
def amend(
    identifier: str,
    body: AmendIn,
    issuer: IssuerDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> LicenceOut:
    """A new version with a new identifier; the previous one becomes superseded."""
    changes: dict[str, object] = dict(body.fields)
    if body.valid_until is not None:
        changes["valid_until"] = body.valid_until
    licence = amend_licence(
        session,
        identifier,
        issuer=issuer,
        changes=changes,
        reason=body.reason,
        signer=runtime.issuer_signer(session, issuer),
        actor=f"issuer:{issuer.uscc}",
        now=now,
    )
    return licence_out(licence, now=now)


@router.post("/licences/{identifier}/suspend", response_model=LicenceOut)
def suspend(
    identifier: str, body: ReasonIn, issuer: IssuerDep, session: SessionDep, now: NowDep
) -> LicenceOut:
    return _status_change(suspend_licence, identifier, body.reason, issuer, session, now)


@router.post("/licences/{identifier}/resume", response_model=LicenceOut)
def resume(
    identifier: str, body: ReasonIn, issuer: IssuerDep, session: SessionDep, now: NowDep
) -> LicenceOut:
    return _status_change(resume_licence, identifier, body.reason, issuer, session, now)


@router.post("/licences/{identifier}/revoke", response_model=LicenceOut)
def revoke(
    identifier: str, body: RevokeLicenceIn, issuer: IssuerDep, session: SessionDep, now: NowDep
) -> LicenceOut:
    return _status_change(revoke_licence, identifier, body.reason, issuer, session, now)


@router.post("/licences/import")
def import_file(
    file: UploadFile, issuer: IssuerDep, session: SessionDep, runtime: RuntimeDep, now: NowDep
) -> dict[str, object]:
    """JSON Lines from the department; idempotent by (issuer, licence number)."""
    try:
        text = file.file.read().decode("utf-8-sig")  # sync: writes run in the thread pool
    except UnicodeDecodeError as exc:
        raise InvalidInput("import file is not UTF-8 text", position=exc.start) from exc
    report = import_licences(
        session,
        read_entity_stream(io.StringIO(text), fmt="jsonl"),
        issuer=issuer,
        signer=runtime.issuer_signer(session, issuer),
        actor=f"issuer:{issuer.uscc}",
        now=now,
    )
    return import_report_out(report)


def _status_change(
    change: StatusChange,
    identifier: str,
    reason: str,
    issuer: Issuer,
    session: Session,
    now: datetime,
) -> LicenceOut:
    licence = change(
        session, identifier, issuer=issuer, reason=reason, actor=f"issuer:{issuer.uscc}", now=now
    )
    return licence_out(licence, now=now)
