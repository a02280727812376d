"""Business codes: issue (JSON, SVG, PNG), verify and resolve, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from api.auth import AdminDep, Allow, Principal, PublicDep
from api.deps import KeyRingDep, NowDep, RuntimeDep, SessionDep
from api.mandate_schemas import UsccPath
from api.partner_access import code_access, code_answer, require_purpose
from api.partner_schemas import CodeVerifyIn, PartnerVerifyOut
from api.routes.entities import actor_of
from api.routes.mandates import code_mandate
from api.schemas import IssueCodeIn, IssuedCodeOut, RevokeIn, VerifyOut
from api.views import issued_out
from codeid.accounts.models import Role
from codeid.audit.log import append
from codeid.codes.issue import IssuedCode
from codeid.codes.payload import CodeKind
from codeid.codes.qr import render_png, render_svg
from codeid.codes.state import revoke_static_code
from codeid.keys.jwks import jwks_document
from counter.resolve import resolve_for_counter

router = APIRouter(tags=["codes"])
CodeHolderDep = Annotated[Principal, Depends(Allow(Role.ADMIN, Role.BUSINESS))]
# Verifying (and resolving) a code: staff, business users, partners with codes:verify.
VERIFIERS = Allow(Role.ADMIN, Role.CLERK, Role.BUSINESS, scopes={"codes:verify"})
VerifierDep = Annotated[Principal, Depends(VERIFIERS)]
Scale = Annotated[int, Query(ge=1, le=40, description="pixels per module")]


@router.post("/v1/entities/{uscc}/codes", status_code=201, response_model=IssuedCodeOut)
def issue_code(
    uscc: UsccPath,
    body: IssueCodeIn,
    principal: CodeHolderDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> IssuedCodeOut:
    """Administrators issue any entity's codes; a business user those it acts for (a dynamic
    code names the user's mandate; agents get dynamic codes only)."""
    kind = CodeKind(body.kind)
    mandate_id = code_mandate(session, principal, uscc, kind, now)
    return issued_out(
        runtime.issue_code(session, uscc=uscc, kind=kind, now=now, mandate_id=mandate_id)
    )


@router.get("/v1/entities/{uscc}/code.svg", response_class=Response)
def code_svg(
    uscc: UsccPath,
    principal: CodeHolderDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    kind: CodeKind = CodeKind.DYNAMIC,
    scale: Scale = 4,
) -> Response:
    mandate_id = code_mandate(session, principal, uscc, kind, now)
    issued = runtime.issue_code(session, uscc=uscc, kind=kind, now=now, mandate_id=mandate_id)
    return _image(issued, render_svg(issued.payload, scale=scale), "image/svg+xml")


@router.get("/v1/entities/{uscc}/code.png", response_class=Response)
def code_png(
    uscc: UsccPath,
    principal: CodeHolderDep,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    kind: CodeKind = CodeKind.DYNAMIC,
    scale: Scale = 8,
) -> Response:
    mandate_id = code_mandate(session, principal, uscc, kind, now)
    issued = runtime.issue_code(session, uscc=uscc, kind=kind, now=now, mandate_id=mandate_id)
    return _image(issued, render_png(issued.payload, scale=scale), "image/png")


def _image(issued: IssuedCode, content: bytes, media_type: str) -> Response:
    # A code is a fresh signature each time: never cache it.
    headers = {
        "Cache-Control": "no-store",
        "X-Code-Id": issued.code_id,
        "X-Code-Expires": issued.expires_at.isoformat(),
    }
    return Response(content, media_type=media_type, headers=headers)


@router.post("/v1/codes/verify", response_model=VerifyOut | PartnerVerifyOut)
def verify(
    body: CodeVerifyIn,
    principal: VerifierDep,
    session: SessionDep,
    keyring: KeyRingDep,
    now: NowDep,
) -> VerifyOut | PartnerVerifyOut:
    """Verify a payload and resolve it to its entity. A refused code is a 200 with its reason.

    Staff, and business users acting for the entity, get the full answer; partners (who
    must state a ``purpose``) and other business users get api.partner_access's narrow one."""
    purpose = require_purpose(principal, body.purpose)
    result = resolve_for_counter(
        session,
        body.payload,
        keys=keyring.public_keys(),
        now=now,
        actor=actor_of(principal),
        location=body.location,
        channel="api",
    )
    answer, fields = code_answer(session, principal, result, now=now)
    entry = code_access(
        principal,
        result,
        action="code.verify",
        purpose=purpose,
        fields=fields,
        location=body.location,
    )
    append(session, [entry], now=now)  # with the resolution record, in this transaction
    return answer


@router.post("/v1/codes/static/{serial}/revoke", status_code=204)
def revoke(
    serial: str, body: RevokeIn, _admin: AdminDep, session: SessionDep, now: NowDep
) -> Response:
    revoke_static_code(session, serial, reason=body.reason, now=now)
    return Response(status_code=204)


@router.get("/.well-known/jwks.json", tags=["keys"])
def jwks(_anyone: PublicDep, keyring: KeyRingDep) -> Response:
    """The platform's public keys (RFC 8037 OKP JWKs): all a partner needs to verify offline."""
    return JSONResponse(
        jwks_document(keyring.public_keys()),
        headers={"Cache-Control": "public, max-age=300"},
        media_type="application/jwk-set+json",
    )
