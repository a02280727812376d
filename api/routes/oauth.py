"""OAuth 2.0 for partner clients: the client credentials grant, our keys, our metadata.

``POST /oauth/token`` (RFC 6749 §4.4) authenticates the client with ``client_secret_basic``
(§2.3.1) or ``private_key_jwt`` (RFC 7523 §2.2) and returns a short-lived JWT access token
(RFC 9068) signed with the auth key ring, whose public keys are at ``/oauth/jwks.json``;
``/.well-known/oauth-authorization-server`` describes it all (RFC 8414).

The token endpoint is the one place whose errors are not RFC 9457 problem details: OAuth
clients expect RFC 6749 §5.2 error responses (``{"error": "invalid_client", ...}``, 401 with
``WWW-Authenticate`` for a failed client authentication), so it answers in that form.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.datastructures import FormData

from api.auth import PARTNER, allow
from api.deps import NowDep, RuntimeDep, SessionDep
from api.partner_schemas import OAuthErrorOut, TokenOut
from api.runtime import Runtime
from codeid.accounts.tokens import mint_access_token
from codeid.keys.jwks import jwks_document
from codeid.limits.counter import hit
from credentials.partners.assertions import ALGORITHMS, ASSERTION_TYPE, authenticate_assertion
from credentials.partners.clients import (
    RATE_WINDOW_SECONDS,
    SCOPES,
    authenticate_secret,
    granted_scopes,
)
from credentials.partners.errors import InvalidClient, InvalidScope
from credentials.partners.models import PartnerClient

log = logging.getLogger("codeid.oauth")
router = APIRouter(tags=["oauth"])
GRANT_TYPE = "client_credentials"
AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]
FORM_FIELDS = ("grant_type", "scope", "client_id", "client_assertion_type", "client_assertion")
MAX_FIELD = 8192
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1
OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": OAuthErrorOut, "description": text}
    for status, text in (
        (400, "invalid_request, unsupported_grant_type or invalid_scope (RFC 6749 §5.2)"),
        (401, "invalid_client"),
        (429, "too many requests for this client (see Retry-After)"),
    )
}
FORM_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": [GRANT_TYPE]},
                        "scope": {"type": "string", "examples": ["codes:verify"]},
                        "client_id": {"type": "string"},
                        "client_assertion_type": {"type": "string", "enum": [ASSERTION_TYPE]},
                        "client_assertion": {"type": "string"},
                    },
                }
            }
        },
    }
}


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str, retry_after: int = 0) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        headers = dict(NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="codeid"'
        if self.retry_after:
            headers["Retry-After"] = str(self.retry_after)
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers=headers)


@dataclass(frozen=True, slots=True)
class TokenRequest:
    fields: dict[str, str]
    basic: tuple[str, str] | None  # client_id, secret from the Authorization header


async def token_request(request: Request) -> TokenRequest | OAuthError:
    """The form and the Basic credentials, or why they cannot be read (answered as OAuth)."""
    try:
        form: FormData = await request.form()
    except Exception:  # any unreadable body is the client's invalid_request
        return OAuthError(400, "invalid_request", "the body is not a readable form")
    fields: dict[str, str] = {}
    for name in FORM_FIELDS:
        values = form.getlist(name)
        if len(values) > 1:  # RFC 6749 §3.2: parameters must not repeat
            return OAuthError(400, "invalid_request", f"{name} is given more than once")
        if values:
            if not isinstance(values[0], str) or len(values[0]) > MAX_FIELD:
                return OAuthError(400, "invalid_request", f"{name} is not a short text value")
            fields[name] = values[0]
    if "client_secret" in form:
        return OAuthError(401, "invalid_client", "use client_secret_basic, not client_secret_post")
    try:
        basic = _basic(request.headers.get("authorization"))
    except InvalidClient as exc:
        return OAuthError(401, "invalid_client", exc.message)
    return TokenRequest(fields, basic)


def _basic(header: str | None) -> tuple[str, str] | None:
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClient("the token endpoint takes Basic client credentials, not a token")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient("the Basic credentials are not base64 of client_id:secret") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise InvalidClient("the Basic credentials are not client_id:secret")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined.
    return unquote_plus(client_id), unquote_plus(secret)


TokenRequestDep = Annotated[TokenRequest | OAuthError, Depends(token_request)]


@router.post(
    "/oauth/token",
    response_model=TokenOut,
    dependencies=[allow(public=True)],
    responses=OAUTH_ERRORS,
    openapi_extra=FORM_SCHEMA,
)
def token(
    parsed: TokenRequestDep, session: SessionDep, runtime: RuntimeDep, now: NowDep
) -> JSONResponse:
    """Client credentials grant: authenticate the client, grant the scopes it asks for (or
    all its scopes), return a Bearer JWT. Errors follow RFC 6749 §5.2, not RFC 9457."""
    try:
        if isinstance(parsed, OAuthError):
            raise parsed
        client = _authenticate(session, runtime, parsed, now)
        grant_type = parsed.fields.get("grant_type")
        if not grant_type:
            raise OAuthError(400, "invalid_request", "grant_type is required")
        if grant_type != GRANT_TYPE:
            raise OAuthError(400, "unsupported_grant_type", f"only {GRANT_TYPE} is supported")
        scopes = granted_scopes(client, parsed.fields.get("scope"))
        _within_rate(session, client, now)
    except OAuthError as error:
        return error.response()
    except InvalidScope as exc:
        return OAuthError(400, "invalid_scope", exc.message).response()
    except InvalidClient as exc:
        log.info("client authentication failed: %s", exc.message)
        return OAuthError(401, "invalid_client", exc.message).response()
    access_token = mint_access_token(
        runtime.auth_keyring(session).active_signer(),
        issuer=runtime.settings.issuer_url,
        subject=f"client:{client.client_id}",
        role=PARTNER,
        name=client.name,
        now=now,
        ttl=runtime.access_token_ttl,
        scopes=scopes,
        client_id=client.client_id,
    )
    body = TokenOut(
        access_token=access_token,
        expires_in=runtime.settings.access_token_ttl_seconds,
        scope=" ".join(sorted(scopes)),
    )
    return JSONResponse(body.model_dump(), headers=NO_STORE)


def _authenticate(
    session: Session, runtime: Runtime, parsed: TokenRequest, now: datetime
) -> PartnerClient:
    fields = parsed.fields
    assertion_type = fields.get("client_assertion_type")
    if assertion_type is None and "client_assertion" not in fields:
        if parsed.basic is None:
            raise InvalidClient("authenticate with client_secret_basic or private_key_jwt")
        client_id, secret = parsed.basic
        if fields.get("client_id", client_id) != client_id:
            raise InvalidClient("client_id does not match the Basic credentials")
        return authenticate_secret(session, client_id=client_id, secret=secret)
    if parsed.basic is not None:  # RFC 6749 §2.3: one authentication method per request
        raise OAuthError(400, "invalid_request", "use one client authentication method")
    if assertion_type != ASSERTION_TYPE or not fields.get("client_assertion"):
        raise OAuthError(400, "invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
    issuer = runtime.settings.issuer_url
    return authenticate_assertion(
        session,
        assertion=fields["client_assertion"],
        audiences=[issuer + "/oauth/token", issuer],
        now=now,
        client_id=fields.get("client_id"),
    )


def _within_rate(session: Session, client: PartnerClient, now: datetime) -> None:
    # Counted in the request's transaction: it may already hold SQLite's write lock (a
    # spent assertion), which a second transaction would wait on.
    decision = hit(
        session,
        bucket=f"client:{client.client_id}",
        limit=client.rate_limit_per_minute,
        window_seconds=RATE_WINDOW_SECONDS,
        now=now,
    )
    if not decision.allowed:
        raise OAuthError(429, "rate_limited", "too many requests", decision.retry_after)


@router.get("/oauth/jwks.json", dependencies=[allow(public=True)])
def auth_jwks(session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    """The public keys that sign access tokens (RFC 8037 OKP JWKs)."""
    return JSONResponse(
        jwks_document(runtime.auth_keyring(session).public_keys()),
        headers={"Cache-Control": "public, max-age=300"},
        media_type="application/jwk-set+json",
    )


@router.get("/.well-known/oauth-authorization-server", dependencies=[allow(public=True)])
def metadata(runtime: RuntimeDep) -> dict[str, Any]:
    """RFC 8414 authorization server metadata."""
    issuer = runtime.settings.issuer_url
    return {
        "issuer": issuer,
        "token_endpoint": issuer + "/oauth/token",
        "jwks_uri": issuer + "/oauth/jwks.json",
        "grant_types_supported": [GRANT_TYPE],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        "scopes_supported": list(SCOPES),
    }
