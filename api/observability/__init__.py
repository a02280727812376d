"""Observe a running codeid: request ids, JSON logs, Prometheus metrics, readiness.

docs/observe.md is the operator's side of it.
"""

from __future__ import annotations

from fastapi import FastAPI

from api.observability.metrics import install_verification_counter
from api.observability.request_id import RequestObserver


def install_observability(app: FastAPI) -> None:
    """Add the request observer (call it last: outermost, it sees every answer as sent)."""
    install_verification_counter()
    app.add_middleware(RequestObserver)
