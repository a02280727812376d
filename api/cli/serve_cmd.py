"""codeid serve"""

from __future__ import annotations

import logging.config
import os
import shutil
import tempfile
from pathlib import Path

import typer
import uvicorn

from api.cli.output import CliFailure
from api.observability.logs import logging_config
from api.observability.metrics import MULTIPROC_ENV
from api.runtime import Runtime
from api.settings import Settings


def serve(
    host: str = typer.Option(None, help="Address to bind (default CODEID_HOST or 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default CODEID_PORT or 8000)."),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
    forwarded_allow_ips: str = typer.Option(
        None,
        help="Addresses of trusted reverse proxies (comma-separated, default "
        "CODEID_FORWARDED_ALLOW_IPS): their X-Forwarded-For names the client, so per-address "
        "limits count people, not the proxy. Empty: trust no proxy.",
    ),
) -> None:
    """Migrate the database, then serve the API (logs on stderr: docs/observe.md)."""
    settings = Settings()
    try:
        log_config = logging_config(settings.log_format, settings.log_level)
    except ValueError as exc:
        raise CliFailure(f"settings: {exc}") from None
    logging.config.dictConfig(log_config)  # the migration's lines are formatted alike
    Runtime(settings).prepare()  # once, before workers start, so they don't race to migrate
    metrics_dir = _multiprocess_metrics(settings.data_dir, workers)
    proxies = (
        settings.forwarded_allow_ips if forwarded_allow_ips is None else forwarded_allow_ips
    ).strip()
    try:
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            # Only named proxies may say who the client is; anyone else could claim any
            # address and slip the per-address limits.
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
            # A worker importing OpenCV on a busy machine can take longer than uvicorn's 5 s
            # to answer its supervisor, which would then replace it again and again.
            timeout_worker_healthcheck=settings.worker_start_timeout_seconds,
            log_config=log_config,
            log_level=settings.log_level.lower(),
            access_log=False,  # ours (codeid.access) leaves out query strings
        )
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _multiprocess_metrics(data_dir: Path, workers: int) -> Path | None:
    """With several workers, a fresh directory where each writes its counters, so a scrape
    of any of them sums all (prometheus_client's multiprocess mode); removed at exit. Kept
    as it is when the environment already names one."""
    if workers < 2 or os.environ.get(MULTIPROC_ENV):
        return None
    parent = data_dir / "metrics"
    parent.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="prometheus-", dir=parent))
    os.environ[MULTIPROC_ENV] = str(directory)  # inherited by the worker processes
    return directory
