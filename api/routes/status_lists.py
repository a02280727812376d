"""IETF Token Status Lists: licence status that windows and partners can cache and check offline."""

from __future__ import annotations

import hashlib
import time

from fastapi import APIRouter, Request, Response

from api.deps import KeyRingDep, NowDep, RuntimeDep, SessionDep
from credentials.status_list import build_status_list_token

router = APIRouter(prefix="/v1", tags=["status lists"])
MEDIA_TYPE = "application/statuslist+jwt"

# A built token is reused for a short while: a list is read far more often than it changes,
# and a client holding it for max-age seconds sees no staler data than the token's own ttl.
_REBUILD_SECONDS = 30.0


@router.get("/status-lists/{list_id}", response_class=Response)
def status_list(
    list_id: str,
    request: Request,
    session: SessionDep,
    keyring: KeyRingDep,
    runtime: RuntimeDep,
    now: NowDep,
) -> Response:
    """The signed status list token (2 bits per licence: valid, invalid, suspended)."""
    cached = runtime.status_tokens.get(list_id)
    if cached and time.monotonic() - cached[0] < _REBUILD_SECONDS:
        token = cached[1]
    else:
        token = build_status_list_token(
            session,
            list_id,
            signer=keyring.active_signer(),
            now=now,
            ttl=runtime.status_list_ttl,
            uri=str(request.url.path),
        )
        runtime.status_tokens[list_id] = (time.monotonic(), token)
    etag = '"' + hashlib.sha256(token.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={int(_REBUILD_SECONDS)}"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(token, media_type=MEDIA_TYPE, headers=headers)
