"""An issuing department's desk: the licences it issued itself, newest first, page by page.

Changing a licence (amend, suspend, resume, revoke) stays in api.routes.licences; this only
lists what the signed-in issuer user's department may change. The listing is access-logged
like any licence read (field names only).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.access_record import field_names, logged_read
from api.auth import IssuerDep, PrincipalDep
from api.counter_schemas import MAX_ID
from api.deps import NowDep, RuntimeDep, SessionDep
from api.licence_schemas import LicenceOut
from api.licence_views import licence_out
from credentials.issuer_licences import MAX_LIMIT, issuer_licences

router = APIRouter(prefix="/v1/issuers/me", tags=["licences"])
StatusFilter = Literal["current", "valid", "suspended", "revoked", "superseded"]
TEXT = r"^[^\x00-\x1f\x7f]*$"


class IssuerLicencePage(BaseModel):
    items: list[LicenceOut]
    next_cursor: int | None


@router.get("/licences", response_model=IssuerLicencePage)
def own_licences(
    issuer: IssuerDep,  # the Allow(Role.ISSUER) declaration
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    status: Annotated[
        StatusFilter, Query(description="a stored status, or current (all but superseded)")
    ] = "current",
    licence_type: Annotated[str | None, Query(max_length=40, pattern=TEXT)] = None,
    holder: Annotated[str | None, Query(max_length=18, pattern=TEXT)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> IssuerLicencePage:
    """The department's own licences (current versions by default), newest first."""
    resource = f"issuer:{issuer.uscc}"
    with logged_read(runtime.engine, principal, action="licence.list", now=now) as log:
        log.resource = resource
        page = issuer_licences(
            session,
            issuer_uscc=issuer.uscc,
            status=status,
            licence_type=licence_type or None,
            holder_uscc=holder or None,
            limit=limit,
            cursor=cursor,
        )
        log.fields = field_names(LicenceOut) if page.items else ()
    return IssuerLicencePage(
        items=[licence_out(licence, now=now) for licence in page.items],
        next_cursor=page.next_cursor,
    )
