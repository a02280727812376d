"""codeid client ...: partner clients of the OAuth client credentials grant."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from api.cli.output import CliFailure, emit, say
from api.partner_schemas import ClientOut
from api.runtime import Runtime
from codeid.clock import utcnow
from credentials.partners.clients import (
    SCOPES,
    disable_client,
    list_clients,
    register_client,
)
from credentials.partners.models import PartnerClient

app = typer.Typer(help="Partner clients (OAuth 2.0 client credentials).", no_args_is_help=True)
MAX_JWKS_BYTES = 64 * 1024


def client_out(client: PartnerClient) -> dict[str, Any]:
    return ClientOut.of(client).model_dump(mode="json")


def _read_jwks(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CliFailure(f"--jwks: cannot read {path}: {exc.strerror}") from None
    if len(raw) > MAX_JWKS_BYTES:
        raise CliFailure(f"--jwks: {path} is larger than {MAX_JWKS_BYTES} bytes")
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CliFailure(f"--jwks: {path} is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise CliFailure(f"--jwks: {path} is not a JWK Set (a JSON object)")
    if "keys" not in doc and "kty" in doc:  # a single JWK: accept it as a set of one
        doc = {"keys": [doc]}
    return doc


@app.command("add")
def add(
    name: str = typer.Option(..., "--name", help="The partner's name, as businesses see it."),
    scope: list[str] = typer.Option(
        ..., "--scope", help=f"Allowed scope, repeatable: {', '.join(SCOPES)}."
    ),
    jwks: Path = typer.Option(
        None, "--jwks", help="JWK Set file of public keys, for private_key_jwt."
    ),
    rate: int = typer.Option(600, "--rate", help="Calls a minute before 429."),
    no_secret: bool = typer.Option(
        False, "--no-secret", help="No client secret: private_key_jwt only (needs --jwks)."
    ),
) -> None:
    """Register a partner client; its secret is printed once and stored only as a hash."""
    scopes = [part for value in scope for part in value.replace(",", " ").split()]
    with Runtime.prepared().session() as session:
        registered = register_client(
            session,
            name=name,
            scopes=scopes,
            jwks=_read_jwks(jwks),
            with_secret=not no_secret,
            rate_limit_per_minute=rate,
            now=utcnow(),
        )
        out = client_out(registered.client)
    if registered.secret is not None:
        out["client_secret"] = registered.secret
    emit(out)
    if registered.secret is not None:
        say("keep the client secret: it is shown only now")


@app.command("list")
def list_(
    active: bool = typer.Option(False, "--active", help="Only active clients."),
) -> None:
    with Runtime.prepared().session() as session:
        for client in list_clients(session, active_only=active):
            emit(client_out(client))


@app.command("disable")
def disable(client_id: str) -> None:
    """No new tokens; tokens already issued are refused at their next call."""
    with Runtime.prepared().session() as session:
        emit(client_out(disable_client(session, client_id, now=utcnow())))
