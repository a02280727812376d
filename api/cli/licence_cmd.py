"""codeid licence ..."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlmodel import Session

from api.cli.output import emit
from api.cli.parsing import iso_date, name_value_pairs
from api.licence_views import import_report_out, licence_out
from api.runtime import Runtime
from codeid.clock import utcnow
from credentials.catalogue import default_catalogue
from credentials.identifier import parse_identifier
from credentials.issuers import get_issuer
from credentials.licence_import import import_licences, read_licence_rows
from credentials.licence_verify import verify_licence
from credentials.licences import (
    amend_licence,
    get_licence,
    issue_licence,
    list_licences,
    resume_licence,
    revoke_licence,
    suspend_licence,
)
from credentials.models import Issuer

app = typer.Typer(help="Electronic licences.", no_args_is_help=True)


@app.command("types")
def types() -> None:
    """The licence type catalogue as JSON (code, names, fields with name, type, required)."""
    emit([t.as_json() for t in default_catalogue().types()])


@app.command("issue")
def issue(
    issuer_uscc: str = typer.Option(..., "--issuer"),
    licence_type: str = typer.Option(..., "--type"),
    holder: str = typer.Option(...),
    number: str = typer.Option(...),
    field: list[str] = typer.Option(None, "--field", help="NAME=VALUE, repeatable."),
    valid_from: str = typer.Option(None, "--valid-from", help="YYYY-MM-DD"),
    valid_until: str = typer.Option(None, "--valid-until", help="YYYY-MM-DD"),
) -> None:
    """Issue and sign a licence; prints it with its identifier and JWS."""
    runtime = Runtime.prepared()
    now = utcnow()
    with runtime.session() as session:
        issuer = get_issuer(session, issuer_uscc)
        licence = issue_licence(
            session,
            issuer=issuer,
            licence_type=licence_type,
            holder_uscc=holder,
            licence_number=number,
            fields=name_value_pairs(field, "--field"),
            issue_date=None,
            valid_from=iso_date(valid_from, "--valid-from"),
            valid_until=iso_date(valid_until, "--valid-until"),
            signer=runtime.issuer_signer(session, issuer),
            actor="cli",
            now=now,
        )
        emit(licence_out(licence, now=now))


@app.command("check-id")
def check_id(identifier: str) -> None:
    """Exit 0 only for a well-formed identifier with the right check character."""
    parsed = parse_identifier(identifier)
    emit(
        {
            "identifier": parsed.text,
            "type_code": parsed.type_code,
            "issuer_code": parsed.issuer_code,
            "serial": parsed.serial,
            "version": parsed.version,
            "check": parsed.check,
            "valid": True,
        }
    )


@app.command("verify")
def verify(licence: str = typer.Argument(..., metavar="JWS_OR_IDENTIFIER")) -> None:
    """Exit 0 only when the licence is valid now; the reason is printed either way."""
    now = utcnow()
    with Runtime.prepared().session() as session:
        verdict = verify_licence(session, licence, now=now)
        emit(
            {
                "valid": verdict.valid,
                "reason": verdict.reason,
                "message": verdict.message,
                "licence": licence_out(verdict.licence, now=now) if verdict.licence else None,
            }
        )
    if not verdict.valid:
        raise typer.Exit(1)


@app.command("show")
def show(identifier: str) -> None:
    now = utcnow()
    with Runtime.prepared().session() as session:
        emit(licence_out(get_licence(session, identifier), now=now))


@app.command("list")
def list_(
    holder: str = typer.Option(...),
    history: bool = typer.Option(False, help="Include superseded versions."),
) -> None:
    """The holder's licences, one JSON object per line."""
    now = utcnow()
    with Runtime.prepared().session() as session:
        for licence in list_licences(session, holder_uscc=holder, include_history=history):
            emit(licence_out(licence, now=now))


@app.command("amend")
def amend(
    identifier: str,
    field: list[str] = typer.Option(None, "--field", help="NAME=VALUE to change, repeatable."),
    valid_until: str = typer.Option(None, "--valid-until", help="YYYY-MM-DD"),
    reason: str = typer.Option(..., help="Why (recorded)."),
) -> None:
    """A new version with a new identifier; the previous one becomes superseded."""
    runtime = Runtime.prepared()
    now = utcnow()
    changes: dict[str, object] = dict(name_value_pairs(field, "--field"))
    if valid_until:
        changes["valid_until"] = iso_date(valid_until, "--valid-until")
    with runtime.session() as session:
        issuer = _owner(session, identifier)
        licence = amend_licence(
            session,
            identifier,
            issuer=issuer,
            changes=changes,
            reason=reason,
            signer=runtime.issuer_signer(session, issuer),
            actor="cli",
            now=now,
        )
        emit(licence_out(licence, now=now))


def _change(action: str, identifier: str, reason: str) -> None:
    now = utcnow()
    verb = {"suspend": suspend_licence, "resume": resume_licence, "revoke": revoke_licence}[action]
    with Runtime.prepared().session() as session:
        issuer = _owner(session, identifier)
        licence = verb(session, identifier, issuer=issuer, reason=reason, actor="cli", now=now)
        emit(licence_out(licence, now=now))


@app.command("suspend")
def suspend(identifier: str, reason: str = typer.Option("", help="Why (recorded).")) -> None:
    _change("suspend", identifier, reason)


@app.command("resume")
def resume(identifier: str, reason: str = typer.Option("", help="Why (recorded).")) -> None:
    _change("resume", identifier, reason)


@app.command("revoke")
def revoke(identifier: str, reason: str = typer.Option(..., help="Why (recorded).")) -> None:
    _change("revoke", identifier, reason)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    issuer_uscc: str = typer.Option(..., "--issuer"),
) -> None:
    """JSON Lines from a department; idempotent by (issuer, licence number)."""
    runtime = Runtime.prepared()
    with runtime.session() as session:
        issuer = get_issuer(session, issuer_uscc)
        report = import_licences(
            session,
            read_licence_rows(file),
            issuer=issuer,
            signer=runtime.issuer_signer(session, issuer),
            actor="cli",
            now=utcnow(),
        )
        emit(import_report_out(report))


def _owner(session: Session, identifier: str) -> Issuer:
    """The CLI runs on the server as the operator: it acts for the licence's own issuer."""
    return get_issuer(session, get_licence(session, identifier).issuer_uscc)
