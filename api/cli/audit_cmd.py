"""codeid audit ...: check the access log's hash chain, search the log."""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from api.cli.output import CliFailure, emit, say
from api.runtime import Runtime
from codeid.audit.log import verify_chain
from codeid.audit.search import MAX_LIMIT, search
from codeid.uscc import parse_uscc

app = typer.Typer(help="The access log: who read which entity's data.", no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Walk the hash chain; exit 1 naming the first entry changed, removed or moved."""
    with Runtime.prepared().session() as session:
        report = verify_chain(session)
    emit(
        {
            "intact": report.intact,
            "checked": report.checked,
            "first_broken_id": report.first_broken_id,
            "reason": report.reason,
        }
    )
    if not report.intact:
        raise CliFailure(f"access-log-broken: entry {report.first_broken_id}: {report.reason}")


def _moment(text: str | None, option: str) -> datetime | None:
    """An ISO date or date-time; without an offset it is read as UTC."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CliFailure(f"{option}: {exc}") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@app.command("search")
def search_cmd(
    uscc: str = typer.Option(None, help="Entries about this entity."),
    actor: str = typer.Option(None, help='Entries by this actor, e.g. "user:12".'),
    action: str = typer.Option(None, help='e.g. "entity.read", "code.verify".'),
    outcome: str = typer.Option(None, help='"ok" or a refusal reason.'),
    since: str = typer.Option(None, help="From this ISO date or time (UTC unless given)."),
    until: str = typer.Option(None, help="Before this ISO date or time (UTC unless given)."),
    limit: int = typer.Option(50, min=1, max=MAX_LIMIT),
    cursor: int = typer.Option(None, min=1, help="The next cursor a previous search printed."),
) -> None:
    """Entries matching every given filter, newest first; one JSON object per line."""
    code = parse_uscc(uscc, allow_check_override=True).code if uscc else None
    with Runtime.prepared().session() as session:
        page = search(
            session,
            uscc=code,
            actor=actor,
            action=action,
            outcome=outcome,
            since=_moment(since, "--since"),
            until=_moment(until, "--until"),
            limit=limit,
            cursor=cursor,
        )
        for event in page.items:
            emit(event.model_dump(mode="json"))
    if page.next_cursor is not None:
        say(f"more: --cursor {page.next_cursor}")
