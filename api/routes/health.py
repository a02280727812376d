"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.auth import allow
from api.deps import RuntimeDep
from api.observability.probe import readiness

router = APIRouter(tags=["health"], dependencies=[allow(public=True)])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """The database answers and the active keys of both signing rings (codes, access tokens)
    can be unsealed. 503 with the failed checks otherwise, within a few seconds: it uses a
    connection of its own with short timeouts, not the request pool."""
    result = readiness(runtime)
    return JSONResponse(
        {"ready": result.ready, "checks": result.checks},
        status_code=200 if result.ready else 503,
        headers={"Cache-Control": "no-store"},
    )
