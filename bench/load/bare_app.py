"""The baseline of a load run: a bare FastAPI app served exactly as `codeid serve` serves codeid.

    python -m bench.load.bare_app --port 8001 [--workers N]

``GET /bare`` answers a small JSON document; ``GET /bare/db`` runs ``SELECT 1`` in a unit of
work of the same Runtime (same engine, pool and session settings, from the same CODEID_*
environment) that codeid's routes use. Both are plain ``def`` routes, as codeid's are (so
they run in the same thread pool). No middleware: what codeid adds on top of these two is
what its routes, middleware and database work cost. The server: uvicorn with the same
workers, event loop and HTTP parser choice ("auto": uvloop and httptools when installed),
the same logging configuration and no access log, as api/cli/serve_cmd.py runs it.
"""

from __future__ import annotations

import argparse
import logging.config
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy import text

from api.observability.logs import logging_config
from api.runtime import Runtime
from api.settings import Settings


def create_app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    runtime = Runtime(Settings())

    @app.get("/bare")
    def bare() -> dict[str, Any]:
        return {"ok": True, "service": "bare"}

    @app.get("/bare/db")
    def bare_db() -> dict[str, Any]:
        with runtime.session() as session:
            one = session.connection().execute(text("SELECT 1")).scalar_one()
        return {"ok": one == 1, "service": "bare"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    settings = Settings()
    log_config = logging_config(settings.log_format, settings.log_level)
    logging.config.dictConfig(log_config)
    uvicorn.run(
        "bench.load.bare_app:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        proxy_headers=False,
        log_config=log_config,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


if __name__ == "__main__":
    main()
