"""IETF Token Status Lists: licence status that windows and partners can cache and check offline."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response

from api.auth import allow
from api.deps import KeyRingDep, NowDep, RuntimeDep, SessionDep
from credentials.licence_jws import status_list_uri
from credentials.status_list import MEDIA_TYPE, StatusListToken, issue_status_list_token

router = APIRouter(prefix="/v1", tags=["status lists"], dependencies=[allow(public=True)])

# A built token is reused for a short while: a list is read far more often than it changes.
# Clients may keep it for min(this, the token's ttl) seconds.
REBUILD_SECONDS = 30


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
    if cached is None or time.monotonic() - cached[0] >= REBUILD_SECONDS:
        built = issue_status_list_token(
            session,
            list_id,
            signer=keyring.active_signer(),
            now=now,
            ttl=runtime.status_list_ttl,
            uri=status_list_uri(list_id),  # what licences carry
        )
        cached = (time.monotonic(), built)
        runtime.status_tokens[list_id] = cached
    token: StatusListToken = cached[1]
    headers = {
        "ETag": token.etag,
        "Cache-Control": f"public, max-age={min(REBUILD_SECONDS, token.max_age)}",
    }
    if request.headers.get("if-none-match") == token.etag:
        return Response(status_code=304, headers=headers)
    return Response(token.token, media_type=MEDIA_TYPE, headers=headers)
