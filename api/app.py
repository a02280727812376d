"""The FastAPI application: a thin edge over the domain packages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.edge import install_edge
from api.observability import install_observability
from api.problems import install_problem_handlers
from api.routes import (
    access_log,
    admin_clients,
    appointments,
    auth,
    board,
    business,
    codes,
    consents,
    desk,
    entities,
    health,
    issuer_desk,
    issuers,
    keys_admin,
    licence_reads,
    licences,
    mandates,
    metrics,
    oauth,
    public_check,
    scans,
    status_lists,
    users,
    walk_ins,
    webhooks,
    windows,
)
from api.runtime import Runtime
from api.schemas import PROBLEM_RESPONSES
from api.settings import Settings
from api.sqlite_retry import SQLiteRetry
from api.web import pages
from api.webhook_worker import WebhookWorker


def create_app(settings: Settings | None = None, *, prepare: bool = True) -> FastAPI:
    runtime = Runtime(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if prepare:
            runtime.prepare()  # migrate, ensure a signing key
        worker = WebhookWorker(runtime) if runtime.settings.webhook_worker else None
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            runtime.engine.dispose()

    app = FastAPI(
        title="codeid",
        version="0.1.0",
        summary="Unified-code identity and e-credentials for market entities",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    for module in (
        health,
        auth,
        users,
        entities,
        access_log,
        codes,
        scans,
        issuers,
        licences,
        licence_reads,
        status_lists,
        appointments,
        business,
        windows,
        board,
        oauth,
        consents,
        public_check,
        mandates,
        webhooks,
        admin_clients,
        keys_admin,
        issuer_desk,
        walk_ins,
        desk,
    ):
        app.include_router(module.router, responses=PROBLEM_RESPONSES)
    app.include_router(metrics.router_for(runtime.settings))
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    if runtime.settings.database_url.startswith("sqlite"):
        app.add_middleware(SQLiteRetry)
    install_edge(app, runtime.settings)  # body limits, origin guard, CORS, security headers
    install_observability(app)  # last, so outermost: request ids, access log, timings
    return app
