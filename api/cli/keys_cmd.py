"""codeid keys ..."""

from __future__ import annotations

import typer

from api.cli.output import emit
from api.runtime import Runtime
from codeid.clock import utcnow
from codeid.keys.jwks import jwks_document

app = typer.Typer(help="The platform's Ed25519 signing keys.", no_args_is_help=True)


def _key_row(key: object) -> dict[str, object]:
    fields = ("kid", "ring", "algorithm", "status", "created_at", "rotated_at", "retired_at")
    return {name: getattr(key, name) for name in fields}


@app.command("list")
def list_() -> None:
    """Every key of the platform ring with its status (never the private part)."""
    runtime = Runtime.prepared()
    with runtime.session() as session:
        for key in runtime.keyring(session).list_keys():
            emit(_key_row(key))


@app.command("rotate")
def rotate() -> None:
    """Make a new active key; the previous one keeps verifying what it signed."""
    runtime = Runtime.prepared()
    with runtime.session() as session:
        emit(_key_row(runtime.keyring(session).rotate(now=utcnow())))


@app.command("retire")
def retire(kid: str) -> None:
    """Stop trusting a rotated-out key: codes it signed no longer verify."""
    runtime = Runtime.prepared()
    with runtime.session() as session:
        runtime.keyring(session).retire(kid, now=utcnow())
        emit({"kid": kid, "status": "retired"})


@app.command("jwks")
def jwks() -> None:
    """The public keys as a JWK Set (save it to verify codes offline)."""
    runtime = Runtime.prepared()
    with runtime.session() as session:
        emit(jwks_document(runtime.keyring(session).public_keys()))
