"""Business codes: issue (JSON, SVG, PNG), verify and resolve, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from api.deps import KeyRingDep, NowDep, RuntimeDep, SessionDep
from api.routes.entities import actor_of
from api.schemas import IssueCodeIn, IssuedCodeOut, RevokeIn, VerifyIn, VerifyOut
from api.views import issued_out, verify_out
from codeid.codes.issue import IssuedCode
from codeid.codes.payload import CodeKind
from codeid.codes.qr import render_png, render_svg
from codeid.codes.state import revoke_static_code
from codeid.keys.jwks import jwks_document
from counter.resolve import resolve_for_counter

router = APIRouter(tags=["codes"])
Scale = Annotated[int, Query(ge=1, le=40, description="pixels per module")]


@router.post("/v1/entities/{uscc}/codes", status_code=201, response_model=IssuedCodeOut)
def issue_code(
    uscc: str, body: IssueCodeIn, session: SessionDep, runtime: RuntimeDep, now: NowDep
) -> IssuedCodeOut:
    return issued_out(runtime.issue_code(session, uscc=uscc, kind=CodeKind(body.kind), now=now))


@router.get("/v1/entities/{uscc}/code.svg", response_class=Response)
def code_svg(
    uscc: str,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    kind: CodeKind = CodeKind.DYNAMIC,
    scale: Scale = 4,
) -> Response:
    issued = runtime.issue_code(session, uscc=uscc, kind=kind, now=now)
    return _image(issued, render_svg(issued.payload, scale=scale), "image/svg+xml")


@router.get("/v1/entities/{uscc}/code.png", response_class=Response)
def code_png(
    uscc: str,
    session: SessionDep,
    runtime: RuntimeDep,
    now: NowDep,
    kind: CodeKind = CodeKind.DYNAMIC,
    scale: Scale = 8,
) -> Response:
    issued = runtime.issue_code(session, uscc=uscc, kind=kind, now=now)
    return _image(issued, render_png(issued.payload, scale=scale), "image/png")


def _image(issued: IssuedCode, content: bytes, media_type: str) -> Response:
    # A code is a fresh signature each time: never cache it.
    headers = {
        "Cache-Control": "no-store",
        "X-Code-Id": issued.code_id,
        "X-Code-Expires": issued.expires_at.isoformat(),
    }
    return Response(content, media_type=media_type, headers=headers)


@router.post("/v1/codes/verify", response_model=VerifyOut)
def verify(
    body: VerifyIn, request: Request, session: SessionDep, keyring: KeyRingDep, now: NowDep
) -> VerifyOut:
    """Verify a payload and resolve it to its entity. A refused code is a 200 with its reason."""
    result = resolve_for_counter(
        session,
        body.payload,
        keys=keyring.public_keys(),
        now=now,
        actor=actor_of(request),
        location=body.location,
        channel="api",
    )
    return verify_out(result)


@router.post("/v1/codes/static/{serial}/revoke", status_code=204)
def revoke(serial: str, body: RevokeIn, session: SessionDep, now: NowDep) -> Response:
    revoke_static_code(session, serial, reason=body.reason, now=now)
    return Response(status_code=204)


@router.get("/.well-known/jwks.json", tags=["keys"])
def jwks(keyring: KeyRingDep) -> Response:
    """The platform's public keys (RFC 8037 OKP JWKs): all a partner needs to verify offline."""
    return JSONResponse(
        jwks_document(keyring.public_keys()),
        headers={"Cache-Control": "public, max-age=300"},
        media_type="application/jwk-set+json",
    )
