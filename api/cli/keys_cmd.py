"""codeid keys ..."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import typer
from sqlmodel import Session

from api.cli.output import CliFailure, emit, say
from api.runtime import Runtime
from codeid.accounts.tokens import AUTH_RING
from codeid.clock import utcnow
from codeid.codes.reissue import DEFAULT_BATCH, ReissueBatch, ReissueCounts, reissue_batch
from codeid.keys.jwks import jwks_document
from codeid.keys.keyring import KeyNotFound, KeyRing, ring_of
from codeid.models import PLATFORM_RING

app = typer.Typer(help="The platform's Ed25519 signing keys.", no_args_is_help=True)


def _key_row(key: object) -> dict[str, object]:
    fields = (
        "kid",
        "ring",
        "algorithm",
        "status",
        "created_at",
        "rotated_at",
        "retired_at",
        "compromised_at",
    )
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


def _ring_of(runtime: Runtime, session: Session, kid: str) -> KeyRing:
    ring = ring_of(session, kid)
    if ring == PLATFORM_RING:
        return runtime.keyring(session)
    if ring == AUTH_RING:
        return runtime.auth_keyring(session)
    raise KeyNotFound(f"{kid} is a key of ring {ring!r}, not a platform or auth key", kid=kid)


@app.command("compromise")
def compromise(
    kid: str,
    reissue: bool = typer.Option(
        True,
        "--reissue/--no-reissue",
        help="Replace the live static codes the key signed (platform keys; the default).",
    ),
    batch: int = typer.Option(
        DEFAULT_BATCH, "--batch", min=1, max=10_000, help="Entities a batch."
    ),
    out: Path = typer.Option(
        None, "--out", dir_okay=False, help="Write each replacement as a JSON line to FILE."
    ),
) -> None:
    """Mark a key compromised (an active key is rotated out first): codes it signed are
    refused as key-compromised. Then re-issue the static codes it signed, a committed batch
    at a time; running it again re-issues nothing more. Prints the counts."""
    runtime = Runtime.prepared()
    with runtime.session() as session:
        ring = _ring_of(runtime, session, kid)
        key = ring.compromise(kid, now=utcnow())
        active = ring.active_key()
        summary: dict[str, object] = {
            "kid": kid,
            "ring": ring.ring,
            "status": key.status,
            "compromised_at": key.compromised_at,
            "active_kid": active.kid if active else None,
        }
    if reissue and ring.ring == PLATFORM_RING:
        counts = _reissue(runtime, kid, batch=batch, out=out)
        summary["reissue"] = counts.as_dict()
    elif reissue:
        say(f"codeid: {kid} signs access tokens, not codes: nothing to re-issue")
    emit(summary)


def _reissue(runtime: Runtime, kid: str, *, batch: int, out: Path | None) -> ReissueCounts:
    counts = ReissueCounts()
    try:
        sink = out.open("a", encoding="utf-8") if out is not None else None
    except OSError as exc:
        raise CliFailure(f"--out {out}: {exc.strerror or exc}") from exc
    after = ""
    try:
        while True:
            # One transaction a batch: an interruption keeps what was done, and a rerun
            # (idempotent) carries on.
            with runtime.session() as session:
                signer = runtime.keyring(session).active_signer()
                step = reissue_batch(
                    session,
                    kid=kid,
                    signer=signer,
                    now=utcnow(),
                    ttl=runtime.static_ttl,
                    after=after,
                    limit=batch,
                )
            if step.after is None:
                return counts
            counts.add(step)
            if sink is not None:
                _write_replacements(sink, step)
            after = step.after
    finally:
        if sink is not None:
            sink.close()


def _write_replacements(sink: typing.TextIO, step: ReissueBatch) -> None:
    for replacement in step.replacements:
        issued = replacement.issued
        line = {
            "uscc": replacement.uscc,
            "revoked": list(replacement.revoked),
            "serial": issued.code_id if issued else None,
            "expires_at": issued.expires_at.isoformat() if issued else None,
            "payload": issued.payload if issued else None,
        }
        sink.write(json.dumps(line, ensure_ascii=False) + "\n")
    sink.flush()
