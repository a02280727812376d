"""codeid issuer ..."""

from __future__ import annotations

from datetime import datetime

import typer

from api.cli.output import emit
from api.licence_schemas import IssuerOut, TrustGrantOut
from api.runtime import Runtime
from codeid.clock import as_utc, utcnow
from credentials.issuers import (
    get_issuer,
    issuer_jwks,
    issuer_keyring,
    list_issuers,
    register_issuer,
)
from credentials.trust import grant_trust, trust_list

app = typer.Typer(help="Issuing departments and the trust registry.", no_args_is_help=True)


@app.command("add")
def add(
    uscc: str = typer.Option(..., help="The department's own USCC."),
    name: str = typer.Option(...),
    authority_kind: str = typer.Option("market-regulation", "--kind"),
) -> None:
    """Register a department with its own key ring (its people: codeid user add --role issuer)."""
    runtime = Runtime.prepared()
    with runtime.session() as session:
        issuer = register_issuer(
            session,
            uscc=uscc,
            name=name,
            authority_kind=authority_kind,
            master_secret=runtime.master_secret,
            actor="cli",
            now=utcnow(),
        )
        emit(IssuerOut.model_validate(issuer))


@app.command("list")
def list_() -> None:
    with Runtime.prepared().session() as session:
        for issuer in list_issuers(session):
            emit(IssuerOut.model_validate(issuer))


@app.command("trust")
def trust(
    uscc: str = typer.Option(..., help="The department's USCC."),
    licence_type: str = typer.Option(
        ..., "--type", help="Licence type code (codeid licence types)."
    ),
    valid_from: datetime = typer.Option(None, "--from", help="Default: now."),
    valid_until: datetime = typer.Option(None, "--until", help="Default: open-ended."),
) -> None:
    """Allow a department to issue a licence type."""
    now = utcnow()
    with Runtime.prepared().session() as session:
        grant = grant_trust(
            session,
            issuer_uscc=uscc,
            licence_type=licence_type,
            valid_from=as_utc(valid_from) if valid_from else now,
            valid_until=as_utc(valid_until) if valid_until else None,
            actor="cli",
            now=now,
        )
        emit(TrustGrantOut.model_validate(grant))


@app.command("jwks")
def jwks(uscc: str) -> None:
    """That department's public keys as a JWK Set."""
    with Runtime.prepared().session() as session:
        emit(issuer_jwks(session, uscc))


@app.command("rotate")
def rotate(uscc: str) -> None:
    """A new signing key for the department; licences signed before keep verifying."""
    runtime = Runtime.prepared()
    with runtime.session() as session:
        issuer = get_issuer(session, uscc)
        key = issuer_keyring(session, issuer, master_secret=runtime.master_secret).rotate(
            now=utcnow()
        )
        emit({"issuer": uscc, "kid": key.kid, "status": key.status})


@app.command("trust-list")
def trust_list_cmd() -> None:
    """Every active department, its keys and what it may issue."""
    with Runtime.prepared().session() as session:
        emit(trust_list(session, now=utcnow()))
