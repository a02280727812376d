"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.auth import allow
from api.deps import KeyRingDep, RuntimeDep

router = APIRouter(tags=["health"], dependencies=[allow(public=True)])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(runtime: RuntimeDep, keyring: KeyRingDep) -> JSONResponse:
    """The database answers and a signing key can be unsealed."""
    checks: dict[str, str] = {}
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means not ready
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        keyring.active_signer()
        checks["signing_key"] = "ok"
    except Exception as exc:  # missing key or wrong master secret
        checks["signing_key"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)
