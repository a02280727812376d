"""Issuing departments, their keys and the trust list."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.auth import AdminDep, allow
from api.deps import NowDep, RuntimeDep, SessionDep
from api.licence_schemas import IssuerIn, IssuerOut, TrustGrantOut, TrustIn
from credentials.issuers import get_issuer, issuer_jwks, list_issuers, register_issuer
from credentials.trust import grant_trust, trust_list

router = APIRouter(prefix="/v1", tags=["issuers"])
_PUBLIC_CACHE = {"Cache-Control": "public, max-age=300"}


@router.post("/issuers", status_code=201, response_model=IssuerOut)
def add_issuer(
    body: IssuerIn, _admin: AdminDep, session: SessionDep, runtime: RuntimeDep, now: NowDep
) -> IssuerOut:
    """Register a department with its own signing keys; its people sign in as issuer users."""
    issuer = register_issuer(
        session,
        uscc=body.uscc,
        name=body.name,
        authority_kind=body.authority_kind,
        master_secret=runtime.master_secret,
        actor="api:admin",
        now=now,
    )
    return IssuerOut.model_validate(issuer)


@router.get("/issuers", response_model=list[IssuerOut], dependencies=[allow(public=True)])
def issuers(session: SessionDep) -> list[IssuerOut]:
    return [IssuerOut.model_validate(i) for i in list_issuers(session)]


@router.get("/issuers/{uscc}", response_model=IssuerOut, dependencies=[allow(public=True)])
def issuer(uscc: str, session: SessionDep) -> IssuerOut:
    return IssuerOut.model_validate(get_issuer(session, uscc))


@router.get("/issuers/{uscc}/jwks.json", dependencies=[allow(public=True)])
def jwks(uscc: str, session: SessionDep) -> JSONResponse:
    """The department's public keys: all a partner needs to verify its licences."""
    return JSONResponse(
        issuer_jwks(session, uscc), headers=_PUBLIC_CACHE, media_type="application/jwk-set+json"
    )


@router.post("/issuers/{uscc}/trust", status_code=201, response_model=TrustGrantOut)
def trust(
    uscc: str, body: TrustIn, _admin: AdminDep, session: SessionDep, now: NowDep
) -> TrustGrantOut:
    """Allow a department to issue a licence type (from now, or the given period)."""
    grant = grant_trust(
        session,
        issuer_uscc=uscc,
        licence_type=body.licence_type,
        valid_from=body.valid_from or now,
        valid_until=body.valid_until,
        actor="api:admin",
        now=now,
    )
    return TrustGrantOut.model_validate(grant)


@router.get("/trust-list", dependencies=[allow(public=True)])
def trust_list_document(session: SessionDep, now: NowDep) -> JSONResponse:
    """Every active issuer with its JWKS and the licence types it is trusted for."""
    return JSONResponse(trust_list(session, now=now), headers=_PUBLIC_CACHE)
