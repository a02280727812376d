"""Resolve a scanned payload to its entity: what a scanner, the API and the CLI call.

Verification raises; resolution returns a typed result, because a refused code is an
ordinary outcome at a service window, not an error. Every attempt is logged as a Resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session

from codeid.codes.errors import CodeRejected, EntityNotActive, MandateRejected
from codeid.codes.models import Resolution
from codeid.codes.payload import CodeClaims, CodeKind
from codeid.codes.state import check_code_state, consume_dynamic_code
from codeid.codes.verify import verify_code
from codeid.entities.models import Entity
from codeid.errors import InvalidInput
from codeid.keys.jwks import PublicKeySet

OK = "ok"


@dataclass(frozen=True, slots=True)
class ResolveResult:
    ok: bool
    reason: str  # "ok" or the CodeRejected reason slug
    message: str
    # The entity when the code is accepted, and also when it is refused only because the
    # entity is not active (the window should see who is suspended) or because of the mandate
    # of the person presenting it (the business is fine; that person may not act for it).
    entity: Entity | None
    # Verified claims; None when the code could not be verified at all.
    claims: CodeClaims | None


def resolve_code(
    session: Session,
    payload: str,
    *,
    keys: PublicKeySet,
    now: datetime,
    actor: str,
    location: str,
    channel: str,
    consume_for: str | None = None,
) -> ResolveResult:
    """Verify, check the registry, optionally consume, and log the outcome. Flushes only.

    ``consume_for`` (a purpose such as "check-in") makes a dynamic code single-use. Static
    codes are reusable by design and are never consumed; callers that need a fresh code can
    require ``result.claims.kind == "dynamic"``.
    """
    if not channel or len(channel) > 16:
        raise InvalidInput("channel is 1 to 16 characters (scan, api, cli, text)")
    if len(actor) > 100 or len(location) > 100:
        raise InvalidInput("actor and location are at most 100 characters")
    claims: CodeClaims | None = None
    try:
        claims = verify_code(payload, keys=keys, now=now)
        entity = check_code_state(session, claims, now=now)
        if consume_for is not None and claims.kind is CodeKind.DYNAMIC:
            consume_dynamic_code(session, claims, purpose=consume_for, now=now)
        result = ResolveResult(
            ok=True,
            reason=OK,
            message=f"{entity.name} ({entity.uscc}): {claims.kind} code valid",
            entity=entity,
            claims=claims,
        )
    except CodeRejected as rejected:
        result = ResolveResult(
            ok=False,
            reason=rejected.reason,
            message=rejected.message,
            entity=(
                rejected.entity if isinstance(rejected, EntityNotActive | MandateRejected) else None
            ),
            claims=claims or rejected.claims,
        )
    verified = result.claims
    # A Core insert: every resolution writes this row, and the ORM's unit of work for one
    # row it never reads back costs more than the insert itself.
    session.execute(
        _RECORD,
        {
            "at": now,
            "actor": actor,
            "location": location,
            "channel": channel,
            "outcome": result.reason,
            "uscc": verified.uscc if verified else None,
            "code_id": verified.code_id if verified else None,
            "kind": verified.kind.value if verified else None,
        },
    )
    session.flush()  # anything else pending, as before
    # Outcomes resolved in this session, for observers that count them once the transaction
    # commits (the API's metrics); the domain itself keeps no counts.
    session.info.setdefault(RESOLVED_OUTCOMES, []).append((result.reason, channel))
    return result


RESOLVED_OUTCOMES = "codeid.codes.resolved"  # session.info key: [(outcome, channel), ...]
_RECORD = insert(Resolution.__table__)  # type: ignore[attr-defined]
