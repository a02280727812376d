"""codeid demo ..."""

from __future__ import annotations

import typer

from api.cli.output import emit
from api.runtime import Runtime
from codeid.clock import utcnow
from codeid.demo import seed_demo
from counter.hall import demo_hall_path, load_hall_file
from credentials.demo import seed_licence_demo

app = typer.Typer(help="Demo data.", no_args_is_help=True)


@app.command("seed")
def seed(
    entities: int = typer.Option(60, min=1, max=100_000, help="How many entities."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Only when there are no entities yet."),
) -> None:
    """Fill the database with a small Guangzhou service-hall data set."""
    runtime = Runtime.prepared()
    now = utcnow()
    with runtime.session() as session:
        added = seed_demo(session, count=entities, now=now, if_empty=if_empty)
        licences = (
            seed_licence_demo(session, master_secret=runtime.master_secret, now=now)
            if added
            else {}
        )
        hall = load_hall_file(session, demo_hall_path(), now=now).as_json() if added else {}
    emit({"entities_added": added, "hall": hall} | licences)
