"""codeid mandate ...: the operator binds legal representatives, lists and revokes mandates.

The command line acts as the platform operator (like an administrator): the legal
representative appoints administrators and authorises agents through the API.
"""

from __future__ import annotations

from datetime import datetime

import typer

from api.cli.output import emit
from api.mandate_schemas import MandateOut
from api.runtime import Runtime
from codeid.accounts.users import find_user
from codeid.clock import as_utc, utcnow
from codeid.mandates.acting import describe
from codeid.mandates.listing import list_mandates
from codeid.mandates.service import bind_legal_representative, revoke_mandate

app = typer.Typer(help="Who acts for a business: legal representatives, administrators, agents.")


@app.command("legal-rep")
def legal_rep(
    uscc: str,
    username: str,
    until: datetime = typer.Option(None, "--until", help="End of the mandate (ISO 8601, UTC)."),
) -> None:
    """Bind the entity's legal representative (a business user); the previous one ends now."""
    now = utcnow()
    with Runtime.prepared().session() as session:
        mandate = bind_legal_representative(
            session,
            uscc=uscc,
            user=find_user(session, username),
            by=None,
            now=now,
            valid_until=as_utc(until) if until else None,
        )
        out = MandateOut.model_validate(describe(session, [mandate], now=now)[0])
    emit(out)


@app.command("list")
def list_(uscc: str) -> None:
    """Every mandate of the entity, ended ones too, one JSON line each."""
    now = utcnow()
    with Runtime.prepared().session() as session:
        views = describe(session, list_mandates(session, uscc), now=now)
    for view in views:
        emit(MandateOut.model_validate(view))


@app.command("revoke")
def revoke(
    mandate_id: int,
    reason: str = typer.Option("", "--reason", help="Why (kept with the mandate)."),
    include_agents: bool = typer.Option(
        False, "--include-agents", help="Also end the agents this holder authorised."
    ),
) -> None:
    """End a mandate at once: dynamic codes naming it are refused from now on."""
    now = utcnow()
    with Runtime.prepared().session() as session:
        ended = revoke_mandate(
            session, mandate_id, by=None, now=now, reason=reason, include_agents=include_agents
        )
        views = describe(session, ended, now=now)
    for view in views:
        emit(MandateOut.model_validate(view))
