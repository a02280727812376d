"""The FastAPI application: a thin edge over the domain packages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.problems import install_problem_handlers
from api.routes import (
    appointments,
    board,
    codes,
    entities,
    health,
    issuers,
    licences,
    scans,
    status_lists,
    windows,
)
from api.runtime import Runtime
from api.schemas import PROBLEM_RESPONSES
from api.settings import Settings


def create_app(settings: Settings | None = None, *, prepare: bool = True) -> FastAPI:
    runtime = Runtime(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if prepare:
            runtime.prepare()  # migrate, ensure a signing key
        yield
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
        entities,
        codes,
        scans,
        issuers,
        licences,
        status_lists,
        appointments,
        windows,
        board,
    ):
        app.include_router(module.router, responses=PROBLEM_RESPONSES)
    return app
