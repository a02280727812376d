"""codeid db ..."""

from __future__ import annotations

import typer

from api.cli.output import emit
from api.runtime import Runtime

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Migrate the database to the latest schema (and make sure a signing key exists)."""
    runtime = Runtime.prepared()
    emit({"database": runtime.engine.url.render_as_string(hide_password=True), "schema": "head"})
