"""codeid entity ..."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api.cli.output import CliFailure, emit, say
from api.cli.parsing import iso_date
from api.runtime import Runtime
from api.schemas import EntityOut
from codeid.clock import utcnow
from codeid.entities.importer import import_entities
from codeid.entities.models import EntityStatus
from codeid.entities.readers import read_entity_rows
from codeid.entities.service import (
    EntityData,
    add_entity,
    deregister_entity,
    get_entity,
    search_entities,
    set_entity_status,
)

app = typer.Typer(help="Market entities, keyed by USCC.", no_args_is_help=True)
ACTOR = "cli"


@app.command("add")
def add(
    uscc: str = typer.Option(..., help="18-character Unified Social Credit Code."),
    name: str = typer.Option(...),
    entity_type: str = typer.Option("company", "--type"),
    legal_representative: str = typer.Option("", "--legal-rep"),
    registered_address: str = typer.Option("", "--address"),
    registration_authority: str = typer.Option("", "--authority"),
    date_established: str = typer.Option(None, "--established", help="YYYY-MM-DD"),
    override_check: bool = typer.Option(
        False, "--override-check", help="Accept a pilot code whose only fault is its check char."
    ),
) -> None:
    """Register an entity."""
    established = iso_date(date_established, "--established")
    data = EntityData(
        uscc=uscc,
        name=name,
        entity_type=entity_type,
        legal_representative=legal_representative,
        registered_address=registered_address,
        registration_authority=registration_authority,
        date_established=established,
    )
    with Runtime.prepared().session() as session:
        entity = add_entity(
            session, data=data, actor=ACTOR, now=utcnow(), override_check=override_check
        )
        emit(EntityOut.model_validate(entity))


@app.command("show")
def show(uscc: str) -> None:
    """Show one entity."""
    with Runtime.prepared().session() as session:
        emit(EntityOut.model_validate(get_entity(session, uscc)))


@app.command("list")
def list_(
    name: str = typer.Option(None, help="Substring of the name."),
    limit: int = typer.Option(50, min=1, max=10000),
    offset: int = typer.Option(0, min=0),
) -> None:
    """Search entities by name; one JSON object per line."""
    with Runtime.prepared().session() as session:
        for entity in search_entities(session, name=name, limit=limit, offset=offset):
            emit(EntityOut.model_validate(entity))


@app.command("status")
def status(
    uscc: str,
    to: EntityStatus = typer.Option(..., "--to"),
    reason: str = typer.Option(..., help="Why (recorded)."),
) -> None:
    """Suspend, reactivate or deregister an entity."""
    with Runtime.prepared().session() as session:
        if to is EntityStatus.DEREGISTERED:
            deregister_entity(session, uscc, reason=reason, actor=ACTOR, now=utcnow())
        else:
            set_entity_status(session, uscc, status=to, reason=reason, actor=ACTOR, now=utcnow())
        emit(EntityOut.model_validate(get_entity(session, uscc)))


@app.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    batch_size: int = typer.Option(
        None,
        min=1,
        help="Commit every N rows as its own all-or-nothing batch (default: whole file).",
    ),
) -> None:
    """Import CSV or JSON Lines; same USCC again updates. Prints the report."""
    runtime = Runtime.prepared()
    with runtime.session() as session, _progress(file) as advance:
        report = import_entities(
            session,
            read_entity_rows(file),
            actor=ACTOR,
            now=utcnow(),
            batch_size=batch_size,
            on_progress=advance,
        )
        emit(report)
        if report.rejected:
            say(f"{len(report.rejected)} row(s) rejected; see the report")
    if report.rejected and batch_size is None:
        raise CliFailure("import rejected: nothing was written", exit_code=2)


@contextmanager
def _progress(file: Path) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on a terminal (stderr); nothing when piped."""
    if not sys.stderr.isatty():
        yield None
        return
    with file.open("rb") as handle:
        total = sum(1 for _ in handle) - (1 if file.suffix.lower() == ".csv" else 0)
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("import", total=max(total, 0))
        yield lambda done: progress.update(task, completed=done)
