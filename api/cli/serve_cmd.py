"""codeid serve"""

from __future__ import annotations

import typer
import uvicorn

from api.runtime import Runtime
from api.settings import Settings


def serve(
    host: str = typer.Option(None, help="Address to bind (default CODEID_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default CODEID_PORT or 8000)."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
) -> None:
    """Migrate the database, then serve the API."""
    settings = Settings()
    Runtime(settings).prepare()  # once, before workers start, so they don't race to migrate
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        proxy_headers=False,
        log_level="info",
    )
