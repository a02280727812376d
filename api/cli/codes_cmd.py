"""codeid code ..."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import typer

from api.cli.output import CliFailure, emit, say
from api.runtime import Runtime
from api.views import issued_out, verify_out
from codeid.clock import as_utc, utcnow
from codeid.codes.errors import CodeRejected
from codeid.codes.payload import CodeKind
from codeid.codes.qr import render_png, render_svg, render_terminal
from codeid.codes.state import revoke_static_code
from codeid.codes.verify import verify_code
from codeid.keys.jwks import public_key_set_from_jwks
from counter.resolve import resolve_for_counter

app = typer.Typer(help="Signed business codes.", no_args_is_help=True)


@app.command("issue")
def issue(
    uscc: str,
    dynamic: bool = typer.Option(False, "--dynamic", help="Short-lived code for a counter."),
    out: Path = typer.Option(None, "--out", help="Also write the QR: FILE.png or FILE.svg."),
    terminal: bool = typer.Option(False, "--terminal", help="Draw the QR on stderr."),
) -> None:
    """Issue a code; prints its details as JSON, then the payload text as the last line."""
    if out is not None and out.suffix.lower() not in (".png", ".svg"):
        raise CliFailure(f"--out must end in .png or .svg, not {out.suffix or 'nothing'!r}")
    runtime = Runtime.prepared()
    kind = CodeKind.DYNAMIC if dynamic else CodeKind.STATIC
    with runtime.session() as session:
        issued = runtime.issue_code(session, uscc=uscc, kind=kind, now=utcnow())
    if out is not None:
        render = render_png if out.suffix.lower() == ".png" else render_svg
        out.write_bytes(render(issued.payload))
    if terminal:
        say(render_terminal(issued.payload))
    emit(issued_out(issued))
    print(issued.payload)


@app.command("verify")
def verify(
    payload: str,
    jwks: Path = typer.Option(
        None, "--jwks", exists=True, dir_okay=False, help="Verify offline against this JWK Set."
    ),
    at: datetime = typer.Option(None, "--at", help="Verify as of this time (ISO 8601, UTC)."),
) -> None:
    """Verify a payload. Exit 0 only when it is valid; the reason is in the JSON either way."""
    now = as_utc(at) if at else utcnow()
    if jwks is not None:
        try:
            keys = public_key_set_from_jwks(json.loads(jwks.read_text("utf-8")))
        except (ValueError, UnicodeDecodeError) as exc:
            raise CliFailure(f"--jwks {jwks}: not a JWK Set ({exc})") from exc
        try:
            claims = verify_code(payload, keys=keys, now=now)
        except CodeRejected as exc:
            emit({"valid": False, "reason": exc.reason, "message": exc.message, "offline": True})
            raise typer.Exit(1) from exc
        emit({"valid": True, "reason": "ok", "offline": True, "claims": claims})
        return
    runtime = Runtime.prepared()
    with runtime.session() as session:
        result = resolve_for_counter(
            session,
            payload,
            keys=runtime.keyring(session).public_keys(),
            now=now,
            actor="cli",
            location="",
            channel="cli",
        )
    emit(verify_out(result))
    if not result.resolved.result.ok:
        raise typer.Exit(1)


@app.command("revoke")
def revoke(serial: str, reason: str = typer.Option(..., help="Why (recorded).")) -> None:
    """Revoke a static code by its serial."""
    runtime = Runtime.prepared()
    with runtime.session() as session:
        revoke_static_code(session, serial, reason=reason, now=utcnow())
    emit({"serial": serial, "revoked": True, "reason": reason})
